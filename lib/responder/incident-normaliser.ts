import { createHash } from 'node:crypto';
import * as z from 'zod';
import {
  FINDING_DETAIL_TYPE,
  FINDING_SOURCE,
  FINDING_UPDATE_DETAIL_TYPE,
  FindingChange,
  FindingDetailSchema,
  type FindingDetail,
} from '../contracts/finding-event';
import {
  GUARDDUTY_DETAIL_TYPE,
  GUARDDUTY_SOURCE,
  GuardDutyFindingDetailSchema,
  type GuardDutyFindingDetail,
} from './guardduty-finding-schema';
import { identifierProblems } from './aws-identifiers';
import { incidentChainOf } from './incident-chain';
import { IncidentSchema, type Incident } from './incident-schema';

/** The EventBridge envelope; `account` is the account that put the event on the bus. */
export const ResponderEventSchema = z.object({
  id: z.string().optional(),
  source: z.string(),
  'detail-type': z.string(),
  account: z.string(),
  region: z.string(),
  time: z.string().optional(),
  detail: z.unknown(),
});
export type ResponderEvent = z.infer<typeof ResponderEventSchema>;

export type NormaliseResult = { ok: true; incident: Incident } | { ok: false; reason: string };

export interface NormaliseOptions {
  /**
   * Accounts allowed to publish findings about other accounts: the credtrail detector's account and a
   * GuardDuty delegated administrator. Anyone else may only report on itself.
   */
  trustedPublisherAccounts: readonly string[];
}

/** Incident ids are derived, so every delivery of one finding names the same incident. */
export function incidentIdFor(findingSource: Incident['findingSource'], findingId: string): string {
  const digest = createHash('sha256').update(`${findingSource}:${findingId}`).digest('hex');
  return `inc-${digest.slice(0, 20)}`;
}

// EventBridge refuses entries over 256 KB, so anything larger did not come from the bus: a hand-made
// file, or an attempt to make the responder parse and log megabytes. Refuse it before reading it.
export const MAX_EVENT_BYTES = 256 * 1024;

export function normaliseEvent(raw: unknown, options: NormaliseOptions): NormaliseResult {
  const size = Buffer.byteLength(JSON.stringify(raw) ?? '');
  if (size > MAX_EVENT_BYTES) {
    return {
      ok: false,
      reason: `event of ${size} bytes is over EventBridge's ${MAX_EVENT_BYTES}-byte limit`,
    };
  }
  const envelope = ResponderEventSchema.safeParse(raw);
  if (!envelope.success)
    return { ok: false, reason: `not an EventBridge event: ${z.prettifyError(envelope.error)}` };
  const event = envelope.data;
  if (event.source === GUARDDUTY_SOURCE && event['detail-type'] === GUARDDUTY_DETAIL_TYPE) {
    const detail = GuardDutyFindingDetailSchema.safeParse(event.detail);
    if (!detail.success)
      return { ok: false, reason: `unsupported GuardDuty finding: ${z.prettifyError(detail.error)}` };
    const forged = checkPublisher(event, detail.data.accountId, detail.data.region, options);
    return forged ?? validated(fromGuardDuty(detail.data));
  }
  const update = event['detail-type'] === FINDING_UPDATE_DETAIL_TYPE;
  if (event.source === FINDING_SOURCE && (update || event['detail-type'] === FINDING_DETAIL_TYPE)) {
    const detail = FindingDetailSchema.safeParse(event.detail);
    if (!detail.success)
      return { ok: false, reason: `invalid credtrail finding: ${z.prettifyError(detail.error)}` };
    const forged = checkPublisher(event, detail.data.accountId, detail.data.region, options);
    if (forged !== null) return forged;
    const version = update ? chainUpdateVersion(detail.data) : null;
    if (version !== null && typeof version !== 'string') return version;
    // Issue 17: only a trusted publisher may name roles and keys of other accounts in the chain.
    const ownAccountOnly = !options.trustedPublisherAccounts.includes(event.account);
    return validated(fromCredtrail(detail.data, ownAccountOnly, version));
  }
  return {
    ok: false,
    reason: `unsupported event: source ${event.source}, detail-type ${event['detail-type']}`,
  };
}

// The finding must name what we would act on (an account, a role, an instance id and a key), each in
// the format AWS gives it and agreeing with each other. A GuardDuty sample carries placeholders
// ("GeneratedFindingAccessKeyId") and is never acted on, so only its shape is checked.
function validated(candidate: Incident): NormaliseResult {
  const parsed = IncidentSchema.safeParse(candidate);
  if (!parsed.success)
    return { ok: false, reason: `finding lacks what a response needs: ${z.prettifyError(parsed.error)}` };
  const problems = parsed.data.sample ? [] : identifierProblems(parsed.data);
  if (problems.length > 0)
    return {
      ok: false,
      reason: `finding names identifiers credtrail will not act on: ${problems.join('; ')}`,
    };
  return { ok: true, incident: parsed.data };
}

// A member account can put any `credtrail.*` event on the bus (and forward its own GuardDuty events);
// EventBridge stamps `account` with the sender, so a finding about another account is a forgery unless
// the sender is one we trust to speak for others.
function checkPublisher(
  event: ResponderEvent,
  accountId: string,
  region: string,
  options: NormaliseOptions,
): NormaliseResult | null {
  if (accountId !== event.account && !options.trustedPublisherAccounts.includes(event.account)) {
    return {
      ok: false,
      reason: `finding about account ${accountId} published by account ${event.account}, which is not trusted to report on other accounts`,
    };
  }
  if (accountId === event.account && region !== event.region) {
    return { ok: false, reason: `finding for region ${region} published in region ${event.region}` };
  }
  return null;
}

function severityOf(score: number): Incident['severity'] {
  // GuardDuty's bands: High 7.0–8.9, Medium 4.0–6.9, Low 1.0–3.9.
  if (score >= 7) return 'HIGH';
  if (score >= 4) return 'MEDIUM';
  return 'LOW';
}

function fromGuardDuty(detail: GuardDutyFindingDetail): Incident {
  const key = detail.resource.accessKeyDetails;
  const call = detail.service.action.awsApiCallAction;
  const interfaces = detail.resource.instanceDetails?.networkInterfaces ?? [];
  // The session name of an instance role session is the instance id (principalId AROA…:i-…).
  const instanceId = detail.resource.instanceDetails?.instanceId ?? key.principalId.split(':')[1] ?? '';
  return {
    incidentId: incidentIdFor('guardduty', detail.id),
    findingSource: 'guardduty',
    findingId: detail.id,
    findingType: detail.type,
    severity: severityOf(detail.severity),
    severityScore: detail.severity,
    accountId: detail.accountId,
    region: detail.region,
    partition: detail.partition,
    roleName: key.userName,
    roleArn: null,
    instanceId,
    accessKeyId: key.accessKeyId,
    origin: {
      ip: call.remoteIpDetails?.ipAddressV4 ?? call.remoteIpDetails?.ipAddressV6 ?? null,
      accountId: call.remoteAccountDetails?.accountId ?? null,
      affiliated: call.remoteAccountDetails?.affiliated ?? null,
      vpcEndpointId: null,
    },
    networkHint: {
      vpcIds: unique(interfaces.map((eni) => eni.vpcId)),
      egressIps: unique([
        ...interfaces.map((eni) => eni.publicIp),
        ...interfaces.flatMap((eni) => eni.ipv6Addresses ?? []),
      ]),
    },
    firstSeen: detail.service.eventFirstSeen ?? null,
    lastSeen: detail.service.eventLastSeen ?? null,
    sample: isSampleFinding(detail),
  };
}

// Sample findings say so in additionalInfo (`"sample": true`, directly or inside the JSON `value`) and
// carry placeholder identifiers.
function isSampleFinding(detail: GuardDutyFindingDetail): boolean {
  const info = detail.service.additionalInfo;
  if (info?.sample === true) return true;
  if (info?.value !== undefined) {
    try {
      const value: unknown = JSON.parse(info.value);
      if (typeof value === 'object' && value !== null && 'sample' in value && value.sample === true)
        return true;
    } catch {
      // Not JSON: not a sample marker.
    }
  }
  return detail.resource.accessKeyDetails.accessKeyId.startsWith('GeneratedFinding');
}

/**
 * An update is acted on only for chain growth (a rule routes nothing else here, but a put event could
 * carry anything): its version then names its own incident. Count-only updates are refused.
 */
function chainUpdateVersion(detail: FindingDetail): string | { ok: false; reason: string } {
  if (detail.change !== FindingChange.ChainGrowth || detail.chainVersion === undefined || !detail.taint)
    return {
      ok: false,
      reason: `finding update ${detail.findingId} without chain growth and a chain version: nothing to respond to`,
    };
  return detail.chainVersion;
}

function fromCredtrail(
  detail: FindingDetail,
  ownAccountOnly: boolean,
  chainVersion: string | null,
): Incident {
  // The ARN's partition; identifierProblems then checks it against the region.
  const partition = detail.roleArn.split(':')[1] ?? '';
  const chain = incidentChainOf(detail, { partition, ownAccountOnly });
  const findingIncidentId = incidentIdFor('credtrail', detail.findingId);
  return {
    // A chain update is its own incident per version: the first announcement's record stays as it was
    // (its undo included), and a redelivered version finds its own record settled.
    incidentId:
      chainVersion === null
        ? findingIncidentId
        : incidentIdFor('credtrail', `${detail.findingId}/chain/${chainVersion}`),
    ...(chainVersion === null ? {} : { chainUpdate: { version: chainVersion, findingIncidentId } }),
    findingSource: 'credtrail',
    findingId: detail.findingId,
    findingType: detail.type,
    severity: detail.severity,
    severityScore: detail.severityScore,
    accountId: detail.accountId,
    region: detail.region,
    partition,
    roleName: detail.roleName,
    roleArn: detail.roleArn,
    instanceId: detail.instanceId,
    accessKeyId: detail.accessKeyId,
    origin: {
      ip: detail.sourceIp,
      accountId: detail.vpcEndpointAccountId,
      affiliated: null,
      vpcEndpointId: detail.vpcEndpointId,
    },
    networkHint: {
      vpcIds: unique([detail.expected.vpcId ?? undefined]),
      egressIps: unique([
        ...detail.expected.publicIps,
        ...detail.expected.natGatewayIps,
        ...detail.expected.ipv6Addresses,
      ]),
    },
    firstSeen: detail.firstSeen,
    lastSeen: detail.lastSeen,
    ...(chain !== undefined ? { chain } : {}),
    sample: false,
  };
}

function unique(values: ReadonlyArray<string | undefined>): string[] {
  return [...new Set(values.filter((value): value is string => value !== undefined && value !== ''))];
}
