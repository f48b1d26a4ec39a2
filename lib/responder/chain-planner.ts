import type { ResponseAction } from '../contracts/response-event';
import {
  CONSOLE_REVOKE_POLICY_NAME,
  REVOKE_POLICY_NAME,
  revokeCutoffOf,
  revokeOldSessionsPolicy,
} from '../../policies/revoke-old-sessions-policy';
import { serialisePolicy } from '../../policies/policy-document';
import type { IncidentChain } from './incident-schema';
import type { ObservedChain, ObservedRole } from './observed-state';
import { roleProtectionReason } from './resource-protection';
import type { PlanInput } from './response-planner';
import type { PlanStep } from './response-plan';

/** Name and path from `arn:aws:iam::123456789012:role/path/to/Name`. */
export function roleNameOf(roleArn: string): { name: string; path: string } {
  const resource = roleArn.split(':').slice(5).join(':').replace(/^role/, '');
  const slash = resource.lastIndexOf('/');
  return { name: resource.slice(slash + 1), path: resource.slice(0, slash + 1) || '/' };
}

/**
 * Issue 17: the steps that cover the chain, after the main ones. Per role the thief assumed,
 * `RevokeOldSessions` on that role, with the main role's protections; per access key the thief created,
 * deactivation (never deletion); everything else listed for a person with its identifiers. Pure.
 * Planned only where the configuration revokes sessions for this severity: same decision, same rate
 * limit (the limiter counts incidents, and these steps belong to the incident).
 */
export function planChainSteps(input: PlanInput, start: number, observed?: ObservedChain): PlanStep[] {
  const chain = input.incident.chain;
  if (chain === undefined) return [];
  const revoking = input.config.actions[input.incident.severity].includes('revoke-sessions');
  const notRevoking = `revoke-sessions is not configured for ${input.incident.severity} findings`;
  const steps: PlanStep[] = [];
  const next = () => start + steps.length;
  for (const role of chain.roles) {
    const step = revoking
      ? planRoleRevoke(input, next(), role, observed?.roles.get(role.roleArn))
      : skipped(next(), 'revoke-derived-sessions', notRevoking, input, role.accountId);
    steps.push(step);
  }
  for (const key of chain.accessKeys) {
    const step = revoking
      ? planDeactivation(input, next(), key, observed?.accessKeys.get(key.accessKeyId))
      : skipped(next(), 'deactivate-access-key', notRevoking, input, key.accountId);
    steps.push(step);
  }
  if (chain.manual.length > 0) steps.push(manualStep(next(), chain.manual));
  return steps;
}

function planRoleRevoke(
  input: PlanInput,
  index: number,
  role: IncidentChain['roles'][number],
  observed: ObservedRole | null | undefined,
): PlanStep {
  const { name, path } = roleNameOf(role.roleArn);
  const { incident, config, now } = input;
  const action = 'revoke-derived-sessions';
  if (
    role.roleArn === incident.roleArn ||
    (role.accountId === incident.accountId && name === incident.roleName)
  ) {
    return skipped(
      index,
      action,
      `${name} is the finding's own role: covered by revoke-sessions`,
      input,
      role.accountId,
    );
  }
  const refusal = roleProtectionReason({
    roleName: name,
    roleArn: observed?.arn ?? role.roleArn,
    path: observed?.path ?? path,
    tags: observed?.tags ?? {},
    namePatterns: config.protected.roleNamePatterns,
    tagMatches: config.protected.roleTags,
    responderRolePatterns: config.responderRolePatterns,
    responderRoleNames: input.responderRoleNames,
  });
  if (refusal !== null) return skipped(index, action, refusal, input, role.accountId);
  const priorDocument =
    observed?.inlinePolicies.find((policy) => policy.name === REVOKE_POLICY_NAME)?.document ?? null;
  const priorState = {
    kind: 'role-policy' as const,
    roleName: name,
    policyName: REVOKE_POLICY_NAME,
    previousDocument: priorDocument,
    known: observed != null,
  };
  for (const policyName of [REVOKE_POLICY_NAME, CONSOLE_REVOKE_POLICY_NAME]) {
    const document = observed?.inlinePolicies.find((policy) => policy.name === policyName)?.document ?? null;
    const cutoff = document === null ? null : revokeCutoffOf(document);
    if (cutoff !== null && cutoff >= now) {
      return {
        ...skipped(
          index,
          action,
          `${policyName} on ${name} already denies sessions issued before ${cutoff.toISOString()}`,
          input,
          role.accountId,
        ),
        priorState,
      };
    }
  }
  return {
    index,
    action,
    status: 'planned',
    reason: `deny every session of ${name} (account ${role.accountId}) issued before ${now.toISOString()}, including the thief's ${role.accessKeyIds.join(', ')}`,
    calls: [
      {
        api: 'iam:PutRolePolicy',
        input: {
          RoleName: name,
          PolicyName: REVOKE_POLICY_NAME,
          PolicyDocument: serialisePolicy(revokeOldSessionsPolicy(now)),
        },
      },
    ],
    ...accountOf(input, role.accountId),
    priorState,
    notes: [
      `The thief assumed this role with the stolen key (or a key derived from it); its sessions outlive the instance role's revocation.`,
      'Every legitimate user of this role must obtain new credentials after the cut-off.',
      ...(observed == null
        ? ['Role was not read (offline, or its account is not reachable): prior state and tags unknown.']
        : []),
    ],
  };
}

function planDeactivation(
  input: PlanInput,
  index: number,
  key: IncidentChain['accessKeys'][number],
  status: 'Active' | 'Inactive' | null | undefined,
): PlanStep {
  const action = 'deactivate-access-key';
  const priorState = {
    kind: 'access-key' as const,
    userName: key.userName,
    accessKeyId: key.accessKeyId,
    previousStatus: status ?? null,
  };
  if (status === 'Inactive')
    return {
      ...skipped(index, action, `key ${key.accessKeyId} is already inactive`, input, key.accountId),
      priorState,
    };
  if (status === null)
    return {
      ...skipped(
        index,
        action,
        `key ${key.accessKeyId} of ${key.userName} no longer exists`,
        input,
        key.accountId,
      ),
      priorState,
    };
  return {
    index,
    action,
    status: 'planned',
    reason: `deactivate access key ${key.accessKeyId} of IAM user ${key.userName} (account ${key.accountId}), created by the thief`,
    calls: [
      {
        api: 'iam:UpdateAccessKey',
        input: { UserName: key.userName, AccessKeyId: key.accessKeyId, Status: 'Inactive' },
      },
    ],
    ...accountOf(input, key.accountId),
    priorState,
    notes: [
      'Deactivated, not deleted: the key stays as evidence and undo can re-activate it.',
      ...(status === undefined ? ['Key status was not read (offline): prior state unknown.'] : []),
    ],
  };
}

function manualStep(index: number, manual: IncidentChain['manual']): PlanStep {
  return {
    index,
    action: 'manual-cleanup',
    status: 'skipped',
    reason: `${manual.length} things the thief left behind: credtrail lists them and does not act on them`,
    calls: [],
    priorState: { kind: 'none' },
    notes: manual.map(
      (item) =>
        `${item.kind} ${item.id}${item.context === null ? '' : ` (${item.context})`} in account ${item.accountId}, ${item.region}`,
    ),
  };
}

function skipped(
  index: number,
  action: ResponseAction,
  reason: string,
  input: PlanInput,
  accountId: string,
): PlanStep {
  return {
    index,
    action,
    status: 'skipped',
    reason,
    calls: [],
    ...accountOf(input, accountId),
    priorState: { kind: 'none' },
    notes: [],
  };
}

function accountOf(input: PlanInput, accountId: string): { accountId?: string } {
  return accountId === input.incident.accountId ? {} : { accountId };
}
