import stratus from '../fixtures/cloudtrail/stratus-stolen-instance-creds-used-outside.json';
import delivery from '../fixtures/cloudtrail/ec2-assumerole-credential-delivery.json';
import { normalizeRecord } from '../../lib/engine/cloudtrail-record';
import type { CredentialDelivery, CredentialUse } from '../../lib/engine/credential-event';

export const ACCOUNT = '111111111111';
export const ROLE = 'web-app-role';
export const INSTANCE = 'i-0a1b2c3d4e5f60718';

export interface UseRecordOptions {
  accessKeyId?: string;
  instanceId?: string;
  sourceIp?: string;
  vpcEndpointId?: string;
  vpcEndpointAccountId?: string;
  eventTime?: string;
  eventName?: string;
  eventId?: string;
  roleDelivery?: string;
  accountId?: string;
  userAgent?: string;
}

let counter = 0;

/** An instance-role call shaped like the Stratus Red Team record, with the parts a test cares about. */
export function useRecord(options: UseRecordOptions = {}): Record<string, unknown> {
  const record = structuredClone(stratus[0]) as unknown as Record<string, unknown> & {
    userIdentity: Record<string, unknown> & {
      sessionContext: Record<string, unknown> & { sessionIssuer: Record<string, unknown> };
    };
  };
  const account = options.accountId ?? ACCOUNT;
  const instance = options.instanceId ?? INSTANCE;
  record['eventID'] = options.eventId ?? `evt-${++counter}`;
  record['eventTime'] = options.eventTime ?? '2026-11-26T10:00:00Z';
  record['eventName'] = options.eventName ?? 'GetCallerIdentity';
  record['awsRegion'] = 'us-east-1';
  record['recipientAccountId'] = account;
  record['sourceIPAddress'] = options.sourceIp ?? '3.80.1.10';
  if (options.userAgent !== undefined) record['userAgent'] = options.userAgent;
  if (options.vpcEndpointId !== undefined) record['vpcEndpointId'] = options.vpcEndpointId;
  if (options.vpcEndpointAccountId !== undefined)
    record['vpcEndpointAccountId'] = options.vpcEndpointAccountId;
  const identity = record.userIdentity;
  identity['accessKeyId'] = options.accessKeyId ?? 'ASIATESTKEY000000001';
  identity['accountId'] = account;
  identity['principalId'] = `AROAEXAMPLEROLEID:${instance}`;
  identity['arn'] = `arn:aws:sts::${account}:assumed-role/${ROLE}/${instance}`;
  identity.sessionContext['ec2RoleDelivery'] = options.roleDelivery ?? '2.0';
  identity.sessionContext.sessionIssuer['arn'] = `arn:aws:iam::${account}:role/${ROLE}`;
  identity.sessionContext.sessionIssuer['userName'] = ROLE;
  identity.sessionContext.sessionIssuer['accountId'] = account;
  return record;
}

export function use(options: UseRecordOptions = {}): CredentialUse {
  const result = normalizeRecord(useRecord(options));
  if (result.status !== 'event' || result.event.kind !== 'use')
    throw new Error(`fixture did not normalise: ${JSON.stringify(result)}`);
  return result.event;
}

/** EC2's AssumeRole delivering a key, shaped like the real record. */
export function deliveryRecord(options: {
  accessKeyId: string;
  instanceId?: string;
  eventTime?: string;
  accountId?: string;
}): Record<string, unknown> {
  const record = structuredClone(delivery) as unknown as Record<string, unknown> & {
    requestParameters: Record<string, unknown>;
    responseElements: { credentials: Record<string, unknown> };
  };
  const account = options.accountId ?? ACCOUNT;
  record['eventID'] = `delivery-${++counter}`;
  record['eventTime'] = options.eventTime ?? '2026-11-26T09:00:00Z';
  record['recipientAccountId'] = account;
  record.requestParameters['roleSessionName'] = options.instanceId ?? INSTANCE;
  record.requestParameters['roleArn'] = `arn:aws:iam::${account}:role/${ROLE}`;
  record.responseElements.credentials['accessKeyId'] = options.accessKeyId;
  return record;
}

export function deliveryOf(options: {
  accessKeyId: string;
  instanceId?: string;
  eventTime?: string;
}): CredentialDelivery {
  const result = normalizeRecord(deliveryRecord(options));
  if (result.status !== 'event' || result.event.kind !== 'delivery')
    throw new Error('delivery fixture did not normalise');
  return result.event;
}

/**
 * A CloudTrail record as EventBridge carries it ("AWS API Call via CloudTrail"), with the envelope
 * fields EventBridge sets: `source` from the record's service, `account` the recording account.
 */
export function asEventBridgeEvent(record: Record<string, unknown>): Record<string, unknown> {
  const text = (key: string, fallback: string): string => {
    const value = record[key];
    return typeof value === 'string' ? value : fallback;
  };
  const eventSource = text('eventSource', 'sts.amazonaws.com');
  return {
    version: '0',
    id: `eb-${text('eventID', 'unknown')}`,
    'detail-type': 'AWS API Call via CloudTrail',
    source: `aws.${eventSource.split('.')[0] ?? 'sts'}`,
    account: text('recipientAccountId', ACCOUNT),
    time: text('eventTime', ''),
    region: text('awsRegion', 'us-east-1'),
    resources: [],
    detail: record,
  };
}
