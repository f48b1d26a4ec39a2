// "What credtrail does" in a finding's email: the responder's decision, read from its own configuration.
import type { ResponseAction } from '../contracts/response-event';
import { globMatches } from '../responder/resource-protection';
import { settingsForRole } from '../responder/response-config-schema';
import type { RenderContext } from './alert-renderer';
import { CHAIN_ACTION_DESCRIPTIONS } from './taint-section';

export type Severity = 'HIGH' | 'MEDIUM' | 'LOW';

export const ACTION_DESCRIPTIONS: Record<ResponseAction, string> = {
  'revoke-sessions':
    "revoke-sessions: deny every session of the role issued before now (the IAM console's " +
    '"Revoke active sessions"). The stolen key stops working; the instance\'s own workload also fails ' +
    'until it fetches fresh credentials, which can take up to about an hour.',
  'pin-to-network':
    "pin-to-network: deny the role's instance credentials everywhere except the instance's own " +
    'network (its VPC and egress addresses). Stops the thief and spares the workload.',
  'quarantine-instance':
    'quarantine-instance: move every network interface to an isolation security group, turn on ' +
    'termination protection and tag the instance (optionally snapshot volumes, remove the profile).',
  ...CHAIN_ACTION_DESCRIPTIONS,
};

export interface OutlookInput {
  readonly score: number;
  readonly severity: Severity;
  readonly roleName: string;
  readonly instanceId: string;
}

/** What the responder will do with this finding, from the same configuration the responder reads. */
export function responseOutlook(input: OutlookInput, context: RenderContext): string[] {
  const { config, severityThreshold } = context;
  if (input.score < severityThreshold) {
    return [
      `Alert only. Severity ${input.score} is below the responder's threshold (${severityThreshold}), ` +
        'so credtrail plans and changes nothing for this finding.',
    ];
  }
  const settings = settingsForRole(config, input.roleName);
  const actions = settings.actions[input.severity];
  if (actions.length === 0) {
    return [`Alert only. No response actions are configured for ${input.severity} findings.`];
  }
  const protectedRole = config.protected.roleNamePatterns.find((p) => globMatches(p, input.roleName));
  const protectedInstance = config.protected.instancePatterns.find((p) => globMatches(p, input.instanceId));
  const protection = [
    ...(protectedRole === undefined
      ? []
      : [
          `Role ${input.roleName} is protected (pattern "${protectedRole}"): credtrail will not touch it. Act by hand.`,
        ]),
    ...(protectedInstance === undefined
      ? []
      : [
          `Instance ${input.instanceId} is protected (pattern "${protectedInstance}"): credtrail will not touch it.`,
        ]),
  ];
  const intro =
    settings.mode === 'dry-run'
      ? 'Mode dry-run: credtrail changes nothing. The responder plans these steps, records the plan and ' +
        'emails it to you; run them by hand or switch to enforce:'
      : 'Mode enforce: the responder is carrying out these steps now, unless the role or instance is ' +
        'protected (role/instance tags are checked too) or the hourly rate limit ' +
        `(${config.rateLimit.maxIncidentsPerHour}) is reached. A second email reports the plan and any failure:`;
  return [...protection, intro, ...actions.map((action) => `  - ${ACTION_DESCRIPTIONS[action]}`)];
}
