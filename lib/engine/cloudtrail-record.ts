import type { CredentialDelivery, CredentialEvent, CredentialUse } from './credential-event';
import { EventCompactor, type IdentityFields, type SessionIdentity } from './compact-event';
import { isInstanceActionName, readInstanceAction } from './instance-action-record';
import { normalizeAddress } from './ip-address';
import { mintingCallOf, type SignedCall } from './taint-call';
import {
  DELIVERY_RULES,
  USE_RULES,
  hasUseShape,
  problemsOf,
  type CheckedDelivery,
  type CheckedUse,
} from './record-shape';

// Every caller in one process shares one set of tables: they memoise pure functions, so sharing is safe.
const SHARED = new EventCompactor();

export type NormalizeResult =
  | { readonly status: 'event'; readonly event: CredentialEvent }
  /** A record we have no business with: another principal, or an AWS service acting for the role. */
  | { readonly status: 'unrelated' }
  | { readonly status: 'service-call' }
  /** It looks like instance-credential activity but lacks what we need: reported, never guessed. */
  | { readonly status: 'invalid'; readonly reason: string };

const UNRELATED: NormalizeResult = { status: 'unrelated' };
const SERVICE_CALL: NormalizeResult = { status: 'service-call' };

// `AROA…:i-0abc` for instance profiles, `<account>:aws:ec2-instance:i-0abc` for the instance identity
// role. Instance ids in AWS examples are not always hex ("i-INSTANCEIDBLAH"), so stay loose.
const INSTANCE_PRINCIPAL = /:(i-[A-Za-z0-9]+)$/;
const IDENTITY_ROLE_PRINCIPAL = /:aws:ec2-instance:i-[A-Za-z0-9]+$/;
const INSTANCE_ID = /^i-[A-Za-z0-9]+$/;

/**
 * Turns one CloudTrail record (a log-file record, or an EventBridge "AWS API Call via CloudTrail"
 * event) into the engine's input, or says why it is not one. Cheap checks run first: most records
 * in a trail belong to other principals and must cost next to nothing.
 */
export function normalizeRecord(raw: unknown, compactor: EventCompactor = SHARED): NormalizeResult {
  if (typeof raw !== 'object' || raw === null)
    return { status: 'invalid', reason: 'record is not an object' };
  const record = unwrapEventBridge(raw as Record<string, unknown>);
  const identity = record['userIdentity'];
  if (typeof identity !== 'object' || identity === null) return UNRELATED;
  const identityType = (identity as Record<string, unknown>)['type'];

  if (identityType === 'AssumedRole') {
    const principalId = (identity as Record<string, unknown>)['principalId'];
    if (typeof principalId !== 'string' || !INSTANCE_PRINCIPAL.test(principalId))
      return actionOrUnrelated(record);
    return normalizeUse(record, compactor);
  }
  if (
    identityType === 'AWSService' &&
    record['eventName'] === 'AssumeRole' &&
    record['eventSource'] === 'sts.amazonaws.com' &&
    ((identity as Record<string, unknown>)['invokedBy'] === 'ec2.amazonaws.com' ||
      record['sourceIPAddress'] === 'ec2.amazonaws.com')
  ) {
    return normalizeDelivery(record);
  }
  return actionOrUnrelated(record);
}

/** The engine's events of one file's records in record order, and how many were invalid (the first why). */
export interface FileEvents {
  readonly records: number;
  readonly events: CredentialEvent[];
  /** Records that look like instance-credential activity but lack what the engine needs. */
  readonly invalid: number;
  readonly firstReason: string;
  /**
   * With `keepMinting`, the calls that minted credentials (AssumeRole, GetSessionToken,
   * GetFederationToken), by any key: the hunt's taint trace follows a thief's key through them without
   * reading the logs again for them. Empty otherwise (the Lambda follows keys its own way).
   */
  readonly minting: SignedCall[];
}

export function eventsOfRecords(
  records: readonly unknown[],
  { keepMinting = false }: { keepMinting?: boolean } = {},
): FileEvents {
  const events: CredentialEvent[] = [];
  const minting: SignedCall[] = [];
  let invalid = 0;
  let firstReason = '';
  for (const record of records) {
    const result = normalizeRecord(record);
    if (result.status === 'event') events.push(result.event);
    else if (result.status === 'invalid' && invalid++ === 0) firstReason = result.reason;
    if (!keepMinting) continue;
    const minted = mintingCallOf(record);
    if (minted !== undefined) minting.push(minted);
  }
  return { records: records.length, events, invalid, firstReason, minting };
}

/** People reaching into, stopping or starting instances: the trail-side signals' input (issue 13). */
function actionOrUnrelated(record: Record<string, unknown>): NormalizeResult {
  if (!isInstanceActionName(record['eventName'])) return UNRELATED;
  const event = readInstanceAction(record);
  return event === undefined ? UNRELATED : { status: 'event', event };
}

function unwrapEventBridge(record: Record<string, unknown>): Record<string, unknown> {
  const detail = record['detail'];
  if (
    record['detail-type'] === 'AWS API Call via CloudTrail' &&
    typeof detail === 'object' &&
    detail !== null
  ) {
    return detail as Record<string, unknown>;
  }
  return record;
}

function normalizeUse(record: Record<string, unknown>, compactor: EventCompactor): NormalizeResult {
  // The hand-written check answers for nearly every record; the rules run only to say what is wrong.
  if (!hasUseShape(record)) {
    const problems = problemsOf(record, USE_RULES);
    if (problems !== undefined) return { status: 'invalid', reason: problems };
  }
  const r = record as unknown as CheckedUse;
  const identity = r.userIdentity;
  // An AWS service calling on the role's behalf (forward access sessions, service roles) is not the
  // holder of the key using it: `invokedBy` is set and the source is the service, not an address.
  if (identity.invokedBy !== undefined) return SERVICE_CALL;
  const sourceIp = compactor.address(r.sourceIPAddress, normalizeAddress);
  if (sourceIp === undefined) {
    if (isServiceSource(r.sourceIPAddress)) return SERVICE_CALL;
    return {
      status: 'invalid',
      reason: `sourceIPAddress "${truncate(r.sourceIPAddress)}" is not an address`,
    };
  }
  const eventTime = parseEventTime(r.eventTime);
  if (Number.isNaN(eventTime))
    return { status: 'invalid', reason: `eventTime "${truncate(r.eventTime)}" is not a time` };

  const issuer = identity.sessionContext?.sessionIssuer;
  const known = compactor.session(
    {
      accessKeyId: identity.accessKeyId,
      principalId: identity.principalId,
      arn: identity.arn,
      accountId: identity.accountId,
      roleDelivery: identity.sessionContext?.ec2RoleDelivery,
      issuerArn: issuer?.arn,
      issuerUserName: issuer?.userName,
    },
    sessionIdentityOf,
  );
  const session = known.identity;
  const recipient = r.recipientAccountId;
  // One value per session: shared, like the identity, so a buffered event does not own a copy.
  const sessionCreatedAt = identity.sessionContext?.attributes?.creationDate;
  const endpointAccount = r.vpcEndpointAccountId;
  // Absent fields stay undefined rather than being spread in: one object per call, on the hot path.
  // Every string but the eventID is shared with other calls (lib/engine/compact-event.ts): the reorder
  // window holds this object for an hour of the organisation's calls.
  const event: CredentialUse = {
    kind: 'use',
    eventId: r.eventID,
    eventTime,
    eventName: compactor.share(r.eventName),
    eventSource: compactor.share(r.eventSource),
    accessKeyId: session.accessKeyId,
    instanceId: session.instanceId,
    credentialKind: session.credentialKind,
    roleArn: session.roleArn,
    roleName: session.roleName,
    accountId: session.accountId,
    region: known.region(r.awsRegion),
    sourceIp,
    vpcEndpointId: isEndpointId(r.vpcEndpointId) ? compactor.share(r.vpcEndpointId) : undefined,
    vpcEndpointAccountId:
      endpointAccount !== undefined && ACCOUNT_ID.test(endpointAccount)
        ? compactor.share(endpointAccount)
        : undefined,
    roleDelivery: session.roleDelivery,
    sessionCreatedAt: sessionCreatedAt === undefined ? undefined : known.createdAt(sessionCreatedAt),
    userAgent: r.userAgent === undefined ? undefined : known.userAgent(r.userAgent, truncateUserAgent),
    recipientAccountId:
      recipient === session.accountId
        ? session.accountId
        : recipient === undefined
          ? undefined
          : compactor.share(recipient),
  };
  return { status: 'event', event };
}

const ACCOUNT_ID = /^\d{12}$/;

/**
 * `Date.parse` for CloudTrail's own spelling (`2025-03-14T10:00:00Z`) read digit by digit: a tenth of
 * its cost, once per instance-credential record. Any other spelling, or a value where Date.parse has
 * its own rules (a day past the 28th, hour 24, out-of-range fields), goes to Date.parse itself, so the
 * answer is always Date.parse's.
 */
export function parseEventTime(text: string): number {
  if (
    text.length !== 20 ||
    text.charCodeAt(4) !== 45 || // -
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 84 || // T
    text.charCodeAt(13) !== 58 || // :
    text.charCodeAt(16) !== 58 ||
    text.charCodeAt(19) !== 90 // Z
  )
    return Date.parse(text);
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  // Date.UTC reads years 0-99 as 1900-1999: those, like non-digits (-1), go to Date.parse.
  if (
    year < 1000 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > 28 ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59
  )
    return Date.parse(text);
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** The decimal number written at `start`, or -1 when a character there is not a digit. */
function digits(text: string, start: number, count: number): number {
  let value = 0;
  for (let index = start; index < start + count; index++) {
    const digit = text.charCodeAt(index) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** What every call of one session shares, derived from its identity fields (memoised per key). */
function sessionIdentityOf(fields: IdentityFields): SessionIdentity {
  const roleArn = fields.issuerArn ?? roleArnFromSessionArn(fields.arn, fields.accountId);
  return {
    accessKeyId: fields.accessKeyId,
    instanceId: INSTANCE_PRINCIPAL.exec(fields.principalId)?.[1] ?? '',
    credentialKind: IDENTITY_ROLE_PRINCIPAL.test(fields.principalId)
      ? 'instance-identity'
      : 'instance-profile',
    roleArn,
    roleName: fields.issuerUserName ?? roleArn.slice(roleArn.lastIndexOf('/') + 1),
    accountId: fields.accountId,
    roleDelivery: fields.roleDelivery,
  };
}

function normalizeDelivery(record: Record<string, unknown>): NormalizeResult {
  const problems = problemsOf(record, DELIVERY_RULES);
  if (problems !== undefined) return { status: 'invalid', reason: problems };
  const r = record as unknown as CheckedDelivery;
  const instanceId = r.requestParameters.roleSessionName;
  // EC2 also assumes roles for other purposes; only sessions named after an instance are deliveries.
  if (!INSTANCE_ID.test(instanceId)) return UNRELATED;
  const eventTime = parseEventTime(r.eventTime);
  if (Number.isNaN(eventTime))
    return { status: 'invalid', reason: `eventTime "${truncate(r.eventTime)}" is not a time` };
  const roleArn = r.requestParameters.roleArn;
  const event: CredentialDelivery = {
    kind: 'delivery',
    eventId: r.eventID,
    eventTime,
    accessKeyId: r.responseElements.credentials.accessKeyId,
    instanceId,
    roleArn,
    accountId: accountFromArn(roleArn) ?? r.recipientAccountId ?? '',
    region: r.awsRegion,
  };
  return { status: 'event', event };
}

/** `AWS Internal`, `AWS Internal/3` and `<service>.amazonaws.com` mean AWS made the call itself. */
export function isServiceSource(sourceIPAddress: string): boolean {
  return sourceIPAddress.startsWith('AWS Internal') || sourceIPAddress.endsWith('.amazonaws.com');
}

// CloudTrail writes "AWS Internal" or a service name here for calls that did not come through one.
function isEndpointId(value: string | undefined): value is string {
  return value !== undefined && value.startsWith('vpce-');
}

function roleArnFromSessionArn(sessionArn: string | undefined, accountId: string): string {
  // arn:aws:sts::123:assumed-role/Name/i-0abc  ->  arn:aws:iam::123:role/Name
  const match =
    sessionArn === undefined ? null : /^arn:([^:]+):sts::(\d*):assumed-role\/(.+)\/[^/]+$/.exec(sessionArn);
  if (match) return `arn:${match[1]}:iam::${match[2] || accountId}:role/${match[3]}`;
  return `arn:aws:iam::${accountId}:role/unknown`;
}

function accountFromArn(arn: string): string | undefined {
  return /^arn:[^:]+:iam::(\d{12}):/.exec(arn)?.[1];
}

const truncateUserAgent = (text: string): string => truncate(text, 200);

function truncate(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
