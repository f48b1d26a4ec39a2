import * as z from 'zod';
import type { CredentialDelivery, CredentialEvent, CredentialUse } from './credential-event';
import { normalizeAddress } from './ip-address';

/**
 * Lenient schemas for the few fields we read. Real records (and AWS's own documentation examples)
 * carry odd identifiers, unknown regions and extra fields, so we accept any string where AWS might
 * surprise us and only insist on what the detection needs.
 */
const SessionIssuerSchema = z.object({
  arn: z.string().optional(),
  userName: z.string().optional(),
  accountId: z.string().optional(),
});

const InstanceCredentialUseSchema = z.object({
  eventID: z.string().min(1),
  eventTime: z.string().min(1),
  eventName: z.string(),
  eventSource: z.string(),
  awsRegion: z.string(),
  sourceIPAddress: z.string(),
  userAgent: z.string().optional(),
  recipientAccountId: z.string().optional(),
  vpcEndpointId: z.string().optional(),
  vpcEndpointAccountId: z.string().optional(),
  userIdentity: z.object({
    type: z.literal('AssumedRole'),
    principalId: z.string(),
    arn: z.string().optional(),
    accountId: z.string(),
    accessKeyId: z.string().min(1),
    invokedBy: z.string().optional(),
    sessionContext: z
      .object({
        sessionIssuer: SessionIssuerSchema.optional(),
        ec2RoleDelivery: z.string().optional(),
      })
      .optional(),
  }),
});

const Ec2DeliverySchema = z.object({
  eventID: z.string().min(1),
  eventTime: z.string().min(1),
  awsRegion: z.string(),
  recipientAccountId: z.string().optional(),
  requestParameters: z.object({ roleSessionName: z.string(), roleArn: z.string() }),
  responseElements: z.object({ credentials: z.object({ accessKeyId: z.string().min(1) }) }),
});

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
export function normalizeRecord(raw: unknown): NormalizeResult {
  if (typeof raw !== 'object' || raw === null)
    return { status: 'invalid', reason: 'record is not an object' };
  const record = unwrapEventBridge(raw as Record<string, unknown>);
  const identity = record['userIdentity'];
  if (typeof identity !== 'object' || identity === null) return UNRELATED;
  const identityType = (identity as Record<string, unknown>)['type'];

  if (identityType === 'AssumedRole') {
    const principalId = (identity as Record<string, unknown>)['principalId'];
    if (typeof principalId !== 'string' || !INSTANCE_PRINCIPAL.test(principalId)) return UNRELATED;
    return normalizeUse(record);
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
  return UNRELATED;
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

function normalizeUse(record: Record<string, unknown>): NormalizeResult {
  const parsed = InstanceCredentialUseSchema.safeParse(record);
  if (!parsed.success) return { status: 'invalid', reason: describeIssues(parsed.error) };
  const r = parsed.data;
  const identity = r.userIdentity;
  // An AWS service calling on the role's behalf (forward access sessions, service roles) is not the
  // holder of the key using it: `invokedBy` is set and the source is the service, not an address.
  if (identity.invokedBy !== undefined) return SERVICE_CALL;
  const sourceIp = normalizeAddress(r.sourceIPAddress);
  if (sourceIp === undefined) {
    if (isServiceSource(r.sourceIPAddress)) return SERVICE_CALL;
    return {
      status: 'invalid',
      reason: `sourceIPAddress "${truncate(r.sourceIPAddress)}" is not an address`,
    };
  }
  const eventTime = Date.parse(r.eventTime);
  if (Number.isNaN(eventTime))
    return { status: 'invalid', reason: `eventTime "${truncate(r.eventTime)}" is not a time` };

  const instanceId = INSTANCE_PRINCIPAL.exec(identity.principalId)?.[1] ?? '';
  const vpcEndpointId = isEndpointId(r.vpcEndpointId) ? r.vpcEndpointId : undefined;
  const issuer = identity.sessionContext?.sessionIssuer;
  const roleArn = issuer?.arn ?? roleArnFromSessionArn(identity.arn, identity.accountId);
  const event: CredentialUse = {
    kind: 'use',
    eventId: r.eventID,
    eventTime,
    eventName: r.eventName,
    eventSource: r.eventSource,
    accessKeyId: identity.accessKeyId,
    instanceId,
    credentialKind: IDENTITY_ROLE_PRINCIPAL.test(identity.principalId)
      ? 'instance-identity'
      : 'instance-profile',
    roleArn,
    roleName: issuer?.userName ?? roleArn.slice(roleArn.lastIndexOf('/') + 1),
    accountId: identity.accountId,
    region: r.awsRegion,
    sourceIp,
    // Absent fields stay undefined rather than being spread in: one object per call, on the hot path.
    vpcEndpointId,
    vpcEndpointAccountId:
      r.vpcEndpointAccountId !== undefined && /^\d{12}$/.test(r.vpcEndpointAccountId)
        ? r.vpcEndpointAccountId
        : undefined,
    roleDelivery: identity.sessionContext?.ec2RoleDelivery,
    userAgent: r.userAgent === undefined ? undefined : truncate(r.userAgent, 200),
    recipientAccountId: r.recipientAccountId,
  };
  return { status: 'event', event };
}

function normalizeDelivery(record: Record<string, unknown>): NormalizeResult {
  const parsed = Ec2DeliverySchema.safeParse(record);
  if (!parsed.success) return { status: 'invalid', reason: describeIssues(parsed.error) };
  const r = parsed.data;
  const instanceId = r.requestParameters.roleSessionName;
  // EC2 also assumes roles for other purposes; only sessions named after an instance are deliveries.
  if (!INSTANCE_ID.test(instanceId)) return UNRELATED;
  const eventTime = Date.parse(r.eventTime);
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

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || 'record'}: ${issue.message}`)
    .join('; ');
}

function truncate(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
