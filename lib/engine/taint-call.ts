import type { DerivedSession } from '../contracts/finding-event';
import { normalizeAddress } from './ip-address';

/**
 * Any CloudTrail call signed with an access key, reduced to what following a stolen key needs. The raw
 * request parameters and response elements stay attached (by reference, not copied) for the artefact
 * rules; everything else is read defensively, because an attacker controls every field of a record.
 */
export interface SignedCall {
  readonly eventId: string;
  /**
   * One API call recorded in two accounts (cross-account AssumeRole, shared snapshots) has two eventIDs
   * and one `sharedEventID`: calls are counted by this, so the two copies count once.
   */
  readonly callId: string;
  readonly eventTime: number;
  readonly eventName: string;
  readonly eventSource: string;
  readonly region: string;
  /** The account the call was made in (recipientAccountId), else the caller's. */
  readonly accountId: string;
  readonly accessKeyId: string;
  /** The caller's ARN (`…:assumed-role/Role/session`, `…:user/name`). */
  readonly principalArn: string | null;
  /** Normalised address, or null when AWS made the call (`AWS Internal`, `*.amazonaws.com`). */
  readonly sourceIp: string | null;
  readonly vpcEndpointId: string | null;
  readonly userAgent: string | null;
  /** Set when the call failed: failed calls leave nothing behind and mint nothing. */
  readonly errorCode: string | null;
  readonly requestParameters: Readonly<Record<string, unknown>>;
  readonly responseElements: Readonly<Record<string, unknown>>;
}

/** Credentials a call minted, before we know which finding (if any) they belong to. */
export type MintedCredential = Omit<DerivedSession, 'parentAccessKeyId' | 'mintedAt' | 'expiresAt'> & {
  readonly mintedAt: number;
  readonly expiresAt: number;
};

const MINTING_EVENTS = new Set(['AssumeRole', 'GetSessionToken', 'GetFederationToken']);
// Looked at before the name is hashed: most event names are ruled out by their length alone.
const MINTING_NAME_LENGTHS = new Set([...MINTING_EVENTS].map((name) => name.length));
const HOUR_MS = 3_600_000;
// STS maxima, used when a record's expiration is missing or unreadable: role chaining caps a session at
// 1 h, GetSessionToken and GetFederationToken at 36 h (STS API reference, DurationSeconds).
const FALLBACK_LIFETIME_MS: Record<DerivedSession['via'], number> = {
  AssumeRole: 12 * HOUR_MS,
  GetSessionToken: 36 * HOUR_MS,
  GetFederationToken: 36 * HOUR_MS,
};

/** Reads a record (log-file record or EventBridge event) signed with an access key, else undefined. */
export function readSignedCall(raw: unknown): SignedCall | undefined {
  if (!isObject(raw)) return undefined;
  const record =
    isObject(raw['detail']) && raw['detail-type'] === 'AWS API Call via CloudTrail' ? raw['detail'] : raw;
  const identity = record['userIdentity'];
  if (!isObject(identity)) return undefined;
  const accessKeyId = text(identity['accessKeyId']);
  // AWS services acting for a principal (invokedBy) do not hold the caller's key.
  if (accessKeyId === null || accessKeyId === '' || identity['invokedBy'] !== undefined) return undefined;
  const eventId = text(record['eventID']);
  const eventTime = Date.parse(text(record['eventTime']) ?? '');
  const eventName = text(record['eventName']);
  if (eventId === null || Number.isNaN(eventTime) || eventName === null) return undefined;
  const source = text(record['sourceIPAddress']);
  const endpoint = text(record['vpcEndpointId']);
  return {
    eventId,
    callId: text(record['sharedEventID']) ?? eventId,
    eventTime,
    eventName,
    eventSource: text(record['eventSource']) ?? '',
    region: text(record['awsRegion']) ?? '',
    accountId: text(record['recipientAccountId']) ?? text(identity['accountId']) ?? '',
    accessKeyId,
    principalArn: text(identity['arn']),
    sourceIp: source === null ? null : (normalizeAddress(source) ?? null),
    vpcEndpointId: endpoint?.startsWith('vpce-') === true ? endpoint : null,
    userAgent: text(record['userAgent'])?.slice(0, 200) ?? null,
    errorCode: text(record['errorCode']),
    requestParameters: objectOr(record['requestParameters']),
    responseElements: objectOr(record['responseElements']),
  };
}

/**
 * The record as a call that minted credentials (its eventName is checked first: this runs on every
 * record of a hunt, so that the taint trace need not read the logs a second time to find them).
 */
export function mintingCallOf(raw: unknown): SignedCall | undefined {
  if (!isObject(raw)) return undefined;
  // One read for a log file's record (most of a hunt); an EventBridge event keeps it under `detail`.
  const detail = raw['eventName'] === undefined ? raw['detail'] : undefined;
  const name = isObject(detail) ? detail['eventName'] : raw['eventName'];
  if (typeof name !== 'string' || !MINTING_NAME_LENGTHS.has(name.length) || !MINTING_EVENTS.has(name))
    return undefined;
  const call = readSignedCall(raw);
  if (call === undefined || mintedBy(call) === undefined) return undefined;
  // A hunt keeps these to its end: only what mintedBy reads, not the record's whole request and response.
  const credentials = call.responseElements['credentials'] as Record<string, unknown>;
  const request = call.requestParameters;
  return {
    ...call,
    requestParameters: {
      roleArn: request['roleArn'],
      roleSessionName: request['roleSessionName'],
      name: request['name'],
    },
    responseElements: {
      credentials: { accessKeyId: credentials['accessKeyId'], expiration: credentials['expiration'] },
    },
  };
}

/** The credentials a successful STS call handed out, or undefined. */
export function mintedBy(call: SignedCall): MintedCredential | undefined {
  if (call.errorCode !== null || call.eventSource !== 'sts.amazonaws.com') return undefined;
  if (!MINTING_EVENTS.has(call.eventName)) return undefined;
  const via = call.eventName as DerivedSession['via'];
  const credentials = call.responseElements['credentials'];
  if (!isObject(credentials)) return undefined;
  const accessKeyId = text(credentials['accessKeyId']);
  if (accessKeyId === null || accessKeyId === '' || accessKeyId === call.accessKeyId) return undefined;
  const request = call.requestParameters;
  const roleArn = via === 'AssumeRole' ? text(request['roleArn']) : null;
  const sessionName = via === 'AssumeRole' ? text(request['roleSessionName']) : text(request['name']);
  return {
    accessKeyId,
    via,
    roleArn,
    sessionName,
    accountId: (roleArn === null ? null : accountOfArn(roleArn)) ?? call.accountId,
    region: call.region,
    mintedAt: call.eventTime,
    expiresAt: expirationOf(credentials['expiration'], call.eventTime, via),
  };
}

/**
 * CloudTrail writes STS expirations as `Oct 2, 2019, 4:42:24 AM` (UTC, no zone) and sometimes as ISO;
 * read both as UTC. An expiration before the call or absurdly far ahead is the attacker's or a bug's:
 * fall back to STS's maximum for the API.
 */
export function expirationOf(value: unknown, mintedAt: number, via: DerivedSession['via']): number {
  const fallback = mintedAt + FALLBACK_LIFETIME_MS[via];
  const raw = text(value);
  if (raw === null) return fallback;
  let parsed = /[zZ]|[+-]\d\d:?\d\d$/.test(raw) ? Date.parse(raw) : Date.parse(`${raw} UTC`);
  if (Number.isNaN(parsed)) parsed = Date.parse(raw);
  if (Number.isNaN(parsed) || parsed <= mintedAt || parsed > fallback) return fallback;
  return parsed;
}

export function accountOfArn(arn: string): string | null {
  return /^arn:[^:]+:[^:]+:[^:]*:(\d{12}):/.exec(arn)?.[1] ?? null;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function objectOr(value: unknown): Record<string, unknown> {
  return isObject(value) ? value : {};
}
