import { normalizeRecord } from '../../lib/engine/cloudtrail-record';
import type { CredentialEvent } from '../../lib/engine/credential-event';
import { ACCOUNT, INSTANCE } from './cloudtrail-records';

export const LAPTOP = '81.2.69.160';
export const MAC_CLI = 'aws-cli/2.15.30 ua/2.0 os/macos#23.4.0 md/arch#arm64 lang/python#3.11.8';

export interface ActionOptions {
  readonly eventTime: string;
  readonly sourceIp?: string;
  readonly errorCode?: string;
  readonly instanceId?: string;
}

/** A call by an operator (an SSO session) on an instance, as CloudTrail records it. */
export function actionRecord(
  eventName: string,
  eventSource: string,
  requestParameters: Record<string, unknown>,
  options: ActionOptions,
): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAOPERATOR:alice@example.com',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Admin/alice@example.com`,
      accountId: ACCOUNT,
      accessKeyId: 'ASIAOPERATORKEY00001',
    },
    eventTime: options.eventTime,
    eventSource,
    eventName,
    awsRegion: 'us-east-1',
    sourceIPAddress: options.sourceIp ?? LAPTOP,
    userAgent: MAC_CLI,
    requestParameters,
    responseElements: null,
    eventID: `op-${eventName}-${options.eventTime}-${options.sourceIp ?? LAPTOP}`,
    recipientAccountId: ACCOUNT,
    ...(options.errorCode !== undefined ? { errorCode: options.errorCode } : {}),
  };
}

export const sendCommandRecord = (options: ActionOptions) =>
  actionRecord(
    'SendCommand',
    'ssm.amazonaws.com',
    { instanceIds: [options.instanceId ?? INSTANCE], documentName: 'AWS-RunShellScript' },
    options,
  );

/** StopInstances, TerminateInstances or StartInstances of one instance. */
export const powerRecord = (eventName: string, options: ActionOptions) =>
  actionRecord(
    eventName,
    'ec2.amazonaws.com',
    { instancesSet: { items: [{ instanceId: options.instanceId ?? INSTANCE }] } },
    options,
  );

/** The record as the detector sees it; a failed call is no action and normalises to nothing. */
export function actionOf(record: Record<string, unknown>): CredentialEvent[] {
  const result = normalizeRecord(record);
  if (result.status === 'unrelated') return [];
  if (result.status !== 'event')
    throw new Error(`operator record did not normalise: ${JSON.stringify(result)}`);
  return [result.event];
}
