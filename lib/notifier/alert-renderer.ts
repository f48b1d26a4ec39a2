import { createHash } from 'node:crypto';
import * as z from 'zod';
import {
  FINDING_SOURCE,
  FINDING_UPDATE_DETAIL_TYPE,
  FindingDetailSchema,
  FindingType,
  type ExpectedNetwork,
  type FindingDetail,
} from '../contracts/finding-event';
import {
  RESPONSE_SOURCE,
  ResponseDetailType,
  ResponseFailedDetailSchema,
  ResponsePlanDetailSchema,
  ResponseStepResultDetailSchema,
  type ResponseAction,
  type ResponsePlanDetail,
  type ResponseStepResultDetail,
} from '../contracts/response-event';
import { GUARDDUTY_SOURCE } from '../responder/guardduty-finding-schema';
import { globMatches } from '../responder/resource-protection';
import { settingsForRole, type ResponseConfig } from '../responder/response-config-schema';
import { describeCall } from '../responder/call-description';
import { cloudTrailKeyLink, ec2InstanceLink, guardDutyFindingLink, iamRoleLink } from './console-links';
import { fields, fitSubject, formatTime, joinOrNone, section } from './email-text';
import { GuardDutyAlertDetailSchema, type GuardDutyAlertDetail } from './guardduty-alert-schema';
import { renderResponseFailure } from './response-failure-alert';
import { renderChainUpdate } from './chain-update-alert';
import { CHAIN_ACTION_DESCRIPTIONS, whatTheKeyDid } from './taint-section';

/**
 * Pure renderers: an EventBridge event in, the email a person acts on out. `key` identifies the alert
 * for de-duplication: one per finding (not per sighting: GuardDuty re-sends a finding with the same id
 * every 15 min to 6 h, and the detector may re-publish a finding it updates), one per chain version of
 * a credtrail finding (issue 17), one per response plan, one per failed step.
 */
export interface Alert {
  readonly key: string;
  readonly subject: string;
  readonly body: string;
}

export type RenderResult =
  { readonly kind: 'alert'; readonly alert: Alert } | { readonly kind: 'skip'; readonly reason: string };

export interface RenderContext {
  /** The responder's configuration, parsed: lets a finding's email say what credtrail will do. */
  readonly config: ResponseConfig;
  /** Findings at or above this numeric severity reach the responder (the rule's threshold). */
  readonly severityThreshold: number;
  /** Issue 17: the chain items earlier emails of this finding showed (the ledger's record). */
  readonly chainSeen?: ReadonlySet<string>;
}

const EnvelopeSchema = z
  .object({
    id: z.string().optional(),
    source: z.string(),
    'detail-type': z.string().optional(),
    detail: z.unknown(),
  })
  .loose();
type Envelope = z.infer<typeof EnvelopeSchema>;

type Severity = 'HIGH' | 'MEDIUM' | 'LOW';

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

export function renderEvent(event: unknown, context: RenderContext): RenderResult {
  const envelope = EnvelopeSchema.safeParse(event);
  if (!envelope.success) return { kind: 'alert', alert: renderUnreadable(event, 'not an EventBridge event') };
  const { source, detail } = envelope.data;
  const detailType = envelope.data['detail-type'];

  if (source === FINDING_SOURCE) {
    const finding = FindingDetailSchema.safeParse(detail);
    if (finding.success && detailType === FINDING_UPDATE_DETAIL_TYPE) {
      const update = renderChainUpdate(finding.data, {
        ...context,
        chainSeen: context.chainSeen ?? new Set(),
      });
      return 'skip' in update ? { kind: 'skip', reason: update.skip } : { kind: 'alert', alert: update };
    }
    if (finding.success) return { kind: 'alert', alert: renderCredtrailFinding(finding.data, context) };
    return { kind: 'alert', alert: renderUnreadable(event, z.prettifyError(finding.error)) };
  }
  if (source === GUARDDUTY_SOURCE) {
    const finding = GuardDutyAlertDetailSchema.safeParse(detail);
    if (finding.success) return { kind: 'alert', alert: renderGuardDutyFinding(finding.data, context) };
    return { kind: 'alert', alert: renderUnreadable(event, z.prettifyError(finding.error)) };
  }
  if (source === RESPONSE_SOURCE) return renderResponderEvent(envelope.data, detailType);
  return { kind: 'alert', alert: renderUnreadable(event, `unexpected source "${source}"`) };
}

function renderResponderEvent(envelope: Envelope, detailType: string | undefined): RenderResult {
  if (detailType === ResponseDetailType.Plan) {
    const plan = ResponsePlanDetailSchema.safeParse(envelope.detail);
    if (plan.success) return { kind: 'alert', alert: renderResponsePlan(plan.data) };
    return { kind: 'alert', alert: renderUnreadable(envelope, z.prettifyError(plan.error)) };
  }
  if (detailType === ResponseDetailType.StepResult) {
    const step = ResponseStepResultDetailSchema.safeParse(envelope.detail);
    if (!step.success)
      return { kind: 'alert', alert: renderUnreadable(envelope, z.prettifyError(step.error)) };
    // The plan's email already listed every step; only a failure needs a person's attention again.
    if (step.data.status !== 'failed') {
      return {
        kind: 'skip',
        reason: `step ${step.data.stepIndex} ${step.data.status}: covered by the plan's email`,
      };
    }
    return { kind: 'alert', alert: renderStepFailure(step.data) };
  }
  if (detailType === ResponseDetailType.Failed) {
    const failure = ResponseFailedDetailSchema.safeParse(envelope.detail);
    if (failure.success) return { kind: 'alert', alert: renderResponseFailure(failure.data) };
    return { kind: 'alert', alert: renderUnreadable(envelope, z.prettifyError(failure.error)) };
  }
  return {
    kind: 'alert',
    alert: renderUnreadable(envelope, `unknown responder detail-type "${detailType ?? ''}"`),
  };
}

// ---------------------------------------------------------------- credtrail findings

function describeCredtrailOrigin(finding: FindingDetail): string {
  if (finding.vpcEndpointId !== null) {
    const owner =
      finding.vpcEndpointAccountId === null ? '' : ` owned by account ${finding.vpcEndpointAccountId}`;
    return `${finding.sourceIp ?? 'unknown address'} via VPC endpoint ${finding.vpcEndpointId}${owner}`;
  }
  return finding.sourceIp ?? 'unknown origin';
}

function shortOrigin(finding: FindingDetail): string {
  return finding.vpcEndpointId ?? finding.sourceIp ?? 'unknown';
}

export function renderCredtrailFinding(finding: FindingDetail, context: RenderContext): Alert {
  const exfiltration = finding.type === FindingType.UnexpectedOrigin;
  const subject = exfiltration
    ? fitSubject(
        (role) =>
          `[credtrail] ${finding.severity}: ${role} keys from ${finding.instanceId} used at ${shortOrigin(finding)}`,
        finding.roleName,
      )
    : fitSubject(
        (role) =>
          `[credtrail] ${finding.severity}: ${role} keys on ${finding.instanceId} delivered via IMDSv1`,
        finding.roleName,
      );

  const what = exfiltration
    ? [
        `The temporary credentials that EC2 issued to instance ${finding.instanceId} through role ` +
          `${finding.roleName} (access key ${finding.accessKeyId}) were used from ${describeCredtrailOrigin(finding)}, ` +
          `which is not part of that instance's network. Someone may have copied them off the instance.`,
        finding.reason,
      ]
    : [
        `Instance ${finding.instanceId} fetched credentials for role ${finding.roleName} through IMDSv1, ` +
          'the metadata path an SSRF hole in a web application can reach. Nothing shows the key was stolen yet.',
        finding.reason,
      ];

  const evidence = [
    ...fields([
      ['Origin', describeCredtrailOrigin(finding)],
      ['First seen', formatTime(finding.firstSeen)],
      ['Last seen', formatTime(finding.lastSeen)],
      [
        'Calls',
        `${finding.eventCount}${finding.eventNames.length > 0 ? ` (${finding.eventNames.join(', ')})` : ''}`,
      ],
      ['User agents', joinOrNone(finding.userAgents)],
      ['Delivery', imdsText(finding.imdsVersion)],
      ['Key issued', finding.keyIssuedAt === null ? null : formatTime(finding.keyIssuedAt)],
    ]),
    '',
    ...expectedNetworkText(finding.expected),
  ];

  const body = [
    ...section('What happened', what),
    ...section('Finding', [
      ...fields([
        ['Severity', `${finding.severity} (${finding.severityScore})`],
        ['Type', finding.type],
        ['Account', finding.accountId],
        ['Region', finding.region],
        ['Role', finding.roleArn],
        ['Instance', finding.instanceId],
        ['Access key', finding.accessKeyId],
        ['Finding id', finding.findingId],
      ]),
    ]),
    ...section('Evidence', evidence),
    // Issue 17: the chain the stolen key grew and what it left behind, when the detector followed it.
    ...(finding.taint === undefined ? [] : section('What the key did', whatTheKeyDid(finding.taint))),
    ...section(
      'What credtrail does',
      responseOutlook(
        {
          score: finding.severityScore,
          severity: finding.severity,
          roleName: finding.roleName,
          instanceId: finding.instanceId,
        },
        context,
      ),
    ),
    ...section(
      'Next steps',
      exfiltration ? stolenKeySteps(shortOrigin(finding)) : imdsv1Steps(finding.instanceId),
    ),
    ...section('Links', links(finding.region, finding.roleName, finding.instanceId, finding.accessKeyId)),
    ...footer(),
  ];
  return {
    key: `finding/${FINDING_SOURCE}/${finding.findingId}`,
    subject,
    body: body.join('\n').trimStart(),
  };
}

function imdsText(version: string | null): string | null {
  if (version === '1.0')
    return 'IMDSv1 (sessionContext.ec2RoleDelivery 1.0): reachable by SSRF; require IMDSv2';
  if (version === '2.0') return 'IMDSv2 (sessionContext.ec2RoleDelivery 2.0)';
  return null;
}

const EXPECTED_SOURCES: Record<ExpectedNetwork['source'], string> = {
  inventory: "from EC2's description of the instance",
  'first-seen': "the key's first origin (no inventory was available)",
  'endpoint-owner': "decided by the VPC endpoint's owner alone",
  learned: "what the instance's earlier keys showed in the trail (no inventory was available)",
  none: 'nothing was known about the instance',
};

function expectedNetworkText(expected: ExpectedNetwork): string[] {
  return [
    `Expected network (${EXPECTED_SOURCES[expected.source]}):`,
    ...fields([
      ['  VPC', expected.vpcId],
      ['  Subnet', expected.subnetId],
      ['  Private IPs', expected.privateIps.length > 0 ? expected.privateIps.join(', ') : null],
      ['  Public IPs', expected.publicIps.length > 0 ? expected.publicIps.join(', ') : null],
      ['  IPv6', expected.ipv6Addresses.length > 0 ? expected.ipv6Addresses.join(', ') : null],
      ['  NAT gateways', expected.natGatewayIps.length > 0 ? expected.natGatewayIps.join(', ') : null],
      ['  VPC endpoints', expected.vpcEndpointIds.length > 0 ? expected.vpcEndpointIds.join(', ') : null],
      ['  First origin', expected.firstOrigin],
      ['  Note', expected.note],
    ]),
  ];
}

// ---------------------------------------------------------------- GuardDuty findings

function severityName(score: number): Severity {
  // GuardDuty's bands: High 7.0-8.9, Medium 4.0-6.9, Low 1.0-3.9.
  if (score >= 7) return 'HIGH';
  if (score >= 4) return 'MEDIUM';
  return 'LOW';
}

function guardDutyView(finding: GuardDutyAlertDetail) {
  const key = finding.resource?.accessKeyDetails;
  const call = finding.service?.action?.awsApiCallAction;
  const ip = call?.remoteIpDetails?.ipAddressV4 ?? call?.remoteIpDetails?.ipAddressV6;
  const remoteAccount = call?.remoteAccountDetails;
  // principalId is "AROA…:i-…" for instance credentials: the session name is the instance id.
  const instanceId =
    finding.resource?.instanceDetails?.instanceId ?? key?.principalId?.split(':')[1] ?? 'unknown instance';
  const score = finding.severity ?? 0;
  return {
    score,
    severity: severityName(score),
    accountId: finding.accountId ?? 'unknown',
    region: finding.region ?? 'us-east-1',
    roleName: key?.userName ?? 'unknown role',
    accessKeyId: key?.accessKeyId ?? 'unknown',
    instanceId,
    ip: ip ?? null,
    remoteAccount,
    sample:
      finding.service?.additionalInfo?.sample === true || key?.accessKeyId === 'GeneratedFindingAccessKeyId',
    call,
  };
}

export function renderGuardDutyFinding(finding: GuardDutyAlertDetail, context: RenderContext): Alert {
  const v = guardDutyView(finding);
  const shortType = finding.type.slice(finding.type.lastIndexOf('.') + 1);
  const origin =
    v.remoteAccount?.accountId !== undefined
      ? `${v.ip ?? 'unknown address'} in AWS account ${v.remoteAccount.accountId}${v.remoteAccount.affiliated === true ? ' (affiliated with yours)' : ' (not affiliated with yours)'}`
      : (v.ip ?? 'unknown origin');
  const place = [v.call?.remoteIpDetails?.city?.cityName, v.call?.remoteIpDetails?.country?.countryName]
    .filter((p): p is string => p !== undefined && p !== '')
    .join(', ');
  const network = v.call?.remoteIpDetails?.organization?.asnOrg ?? v.call?.remoteIpDetails?.organization?.isp;

  const subject = fitSubject(
    (role) =>
      `[credtrail/GuardDuty] ${v.sample ? 'SAMPLE ' : ''}${v.severity}: ${role} keys from ${v.instanceId} used at ${v.ip ?? 'unknown'}`,
    v.roleName,
  );

  const iface = finding.resource?.instanceDetails?.networkInterfaces?.[0];
  const body = [
    ...section('What happened', [
      `GuardDuty reports ${finding.type}: the credentials EC2 issued to instance ${v.instanceId} through role ` +
        `${v.roleName} (access key ${v.accessKeyId}) were used from ${origin}` +
        `${v.remoteAccount?.accountId !== undefined ? '' : shortType === 'OutsideAWS' ? ', outside AWS' : ''}.`,
      ...(finding.description === undefined ? [] : [finding.description]),
      ...(v.sample
        ? [
            'This is a GuardDuty SAMPLE finding (CreateSampleFindings): its values are placeholders; nothing needs doing.',
          ]
        : []),
    ]),
    ...section('Finding', [
      ...fields([
        ['Severity', `${v.severity} (${v.score})`],
        ['Type', finding.type],
        ['Account', v.accountId],
        ['Region', v.region],
        ['Role', v.roleName],
        ['Instance', v.instanceId],
        ['Access key', v.accessKeyId],
        ['Finding id', finding.id],
      ]),
    ]),
    ...section('Evidence', [
      ...fields([
        ['Origin', origin],
        ['Location', place === '' ? null : place],
        ['Network', network],
        ['First seen', formatTime(finding.service?.eventFirstSeen)],
        ['Last seen', formatTime(finding.service?.eventLastSeen)],
        [
          'Calls',
          `${finding.service?.count ?? 'unknown'}${v.call?.api === undefined ? '' : ` (latest: ${v.call.api}${v.call.serviceName === undefined ? '' : ` on ${v.call.serviceName}`})`}`,
        ],
        ['User agent', v.call?.userAgent],
      ]),
      '',
      'Instance network as GuardDuty saw it:',
      ...fields([
        ['  VPC', iface?.vpcId],
        ['  Subnet', iface?.subnetId],
        ['  Private IP', iface?.privateIpAddress],
        ['  Public IP', iface?.publicIp === '' ? 'none' : iface?.publicIp],
      ]),
    ]),
    ...section(
      'What credtrail does',
      v.sample
        ? ['Nothing: the responder refuses to act on sample findings.']
        : responseOutlook(
            { score: v.score, severity: v.severity, roleName: v.roleName, instanceId: v.instanceId },
            context,
          ),
    ),
    ...section('Next steps', stolenKeySteps(v.ip ?? 'the origin')),
    ...section('Links', [
      ...links(v.region, v.roleName, v.instanceId, v.accessKeyId),
      `GuardDuty finding:   ${guardDutyFindingLink(v.region, finding.id)}`,
    ]),
    ...footer(),
  ];
  return {
    key: `finding/${GUARDDUTY_SOURCE}/${v.accountId}/${finding.id}`,
    subject,
    body: body.join('\n').trimStart(),
  };
}

// ---------------------------------------------------------------- shared finding parts

interface OutlookInput {
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

function stolenKeySteps(origin: string): string[] {
  return [
    `1. Decide whether ${origin} is yours (a new NAT gateway, proxy, VPN or partner endpoint). If it is, ` +
      'add a credtrail exception for it, with a reason and an expiry, and stop here.',
    '2. If it is not, treat the key as stolen: open the role in IAM and use "Revoke active sessions" (or let ' +
      "credtrail's revoke-sessions do it). The instance's workload recovers once it fetches a fresh key.",
    '3. Find how the key left the instance: require IMDSv2 (HttpTokens=required), look for SSRF/XXE holes ' +
      'in what the instance serves, and for unknown shells or processes on it. Consider quarantining it.',
    '4. Review everything the key did, in every region it was used: the CloudTrail link below covers the ' +
      "finding's region only.",
  ];
}

function imdsv1Steps(instanceId: string): string[] {
  return [
    `1. Require IMDSv2 on ${instanceId}: aws ec2 modify-instance-metadata-options --instance-id ${instanceId} ` +
      '--http-tokens required (test the workload first: old SDKs may need an upgrade).',
    '2. Check the instance for SSRF/XXE-prone applications while IMDSv1 stays on.',
  ];
}

function links(region: string, roleName: string, instanceId: string, accessKeyId: string): string[] {
  return [
    `IAM role:            ${iamRoleLink(roleName)}`,
    `EC2 instance:        ${ec2InstanceLink(region, instanceId)}`,
    `CloudTrail for key:  ${cloudTrailKeyLink(region, accessKeyId)}`,
  ];
}

function footer(): string[] {
  return [
    '',
    '--',
    'Sent by credtrail. One email per finding: later sightings of the same finding update it silently.',
  ];
}

// ---------------------------------------------------------------- responder results

export function renderResponsePlan(plan: ResponsePlanDetail): Alert {
  const i = plan.incident;
  const verb =
    plan.decision === 'alert-only'
      ? 'no action'
      : plan.mode === 'dry-run'
        ? 'DRY-RUN plan'
        : plan.phase === 'undo'
          ? 'UNDO'
          : 'RESPONDING';
  const actions = plan.steps.map((s) => s.action).join('+') || 'none';
  const subject = fitSubject(
    (role) => `[credtrail] ${i.severity} ${verb}: ${role} on ${i.instanceId}: ${actions}`,
    i.roleName,
  );
  const intro =
    plan.decision === 'alert-only'
      ? `credtrail will change nothing for this ${plan.phase === 'undo' ? 'undo' : 'incident'}:`
      : plan.mode === 'dry-run'
        ? 'Dry-run: credtrail recorded this plan and changed NOTHING. These are the steps enforce mode would run:'
        : plan.phase === 'undo'
          ? 'Enforce: credtrail is undoing its earlier response, step by step:'
          : 'Enforce: credtrail is carrying out these steps now. A failed step sends its own email.';
  const steps = plan.steps.flatMap((step) => [
    `${step.index + 1}. ${step.action}${step.accountId === undefined ? '' : ` (account ${step.accountId})`} [${step.status}]: ${step.reason}`,
    ...step.calls.map((call) => `     ${describeCall(call)}`),
    ...step.notes.map((note) => `     note: ${note}`),
  ]);
  const body = [
    ...section('Response', [
      ...fields([
        ['Mode', plan.mode],
        ['Phase', plan.phase],
        ['Decision', plan.decision],
        ['Planned at', formatTime(plan.plannedAt)],
        ['Incident', plan.incidentId],
      ]),
      ...(plan.reasons.length > 0 ? ['', 'Why:', ...plan.reasons.map((r) => `  - ${r}`)] : []),
    ]),
    ...section('Incident', [
      ...fields([
        ['Severity', i.severity],
        ['Finding', `${i.findingSource} ${i.findingType} (${i.findingId})`],
        ['Account', i.accountId],
        ['Region', i.region],
        ['Role', i.roleName],
        ['Instance', i.instanceId],
        ['Access key', i.accessKeyId],
        ['Attacker IP', i.attackerIp],
        ['Attacker account', i.attackerAccountId],
        ['Attacker endpoint', i.attackerVpcEndpointId],
      ]),
    ]),
    ...section('Steps', [intro, ...(steps.length > 0 ? steps : ['  (no steps)'])]),
    ...section('Links', links(i.region, i.roleName, i.instanceId, i.accessKeyId)),
    ...footer(),
  ];
  return {
    key: `plan/${plan.incidentId}/${plan.phase}/${plan.mode}`,
    subject,
    body: body.join('\n').trimStart(),
  };
}

export function renderStepFailure(step: ResponseStepResultDetail): Alert {
  const subject = toSubjectSafe(
    `[credtrail] ACTION FAILED: ${step.action} (step ${step.stepIndex + 1}) in ${step.accountId}, ${step.phase}`,
  );
  const body = [
    ...section('What happened', [
      `The responder could not finish ${step.action} for finding ${step.findingId}: it stopped after ` +
        `${step.appliedCalls} of ${step.totalCalls} calls. The remaining calls were NOT made; finish or undo them by hand.`,
    ]),
    ...section('Step', [
      ...fields([
        ['Mode', step.mode],
        ['Phase', step.phase],
        ['Account', step.accountId],
        ['Incident', step.incidentId],
        ['At', formatTime(step.at)],
        ['Reason', step.reason],
        ['Error', step.error],
      ]),
    ]),
    ...section('Next steps', [
      '1. Read the error: an AccessDenied usually means the member response role is missing in that account or lacks a permission.',
      '2. The plan email for this incident lists every call; apply the rest by hand if the threat is live.',
    ]),
    ...footer(),
  ];
  return {
    key: `step-failed/${step.incidentId}/${step.phase}/${step.stepIndex}`,
    subject,
    body: body.join('\n').trimStart(),
  };
}

function toSubjectSafe(subject: string): string {
  return fitSubject(() => subject, '');
}

// ---------------------------------------------------------------- anything else

/** An event the notifier routes but cannot read still reaches a person, raw: silence is worse. */
export function renderUnreadable(event: unknown, problem: string): Alert {
  const raw = JSON.stringify(event, null, 2) ?? String(event);
  const id =
    typeof event === 'object' && event !== null && typeof (event as { id?: unknown }).id === 'string'
      ? (event as { id: string }).id
      : createHash('sha256').update(raw).digest('hex').slice(0, 32);
  const source =
    typeof event === 'object' && event !== null && typeof (event as { source?: unknown }).source === 'string'
      ? (event as { source: string }).source
      : 'unknown source';
  const body = [
    ...section('What happened', [
      `credtrail received an event from ${source} that it could not read, so it is forwarded raw. ` +
        'Check it by hand; a contract between credtrail components may have drifted.',
    ]),
    ...section('Problem', [problem]),
    ...section('Event', [raw.length > 20000 ? `${raw.slice(0, 20000)}\n... (truncated)` : raw]),
    ...footer(),
  ];
  return {
    key: `unreadable/${id}`,
    subject: toSubjectSafe(`[credtrail] Unreadable event from ${source}: check by hand`),
    body: body.join('\n').trimStart(),
  };
}
