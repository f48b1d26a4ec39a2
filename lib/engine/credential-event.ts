/** What the engine needs from a CloudTrail record, and nothing more. Times are epoch milliseconds. */

/** EC2 handing fresh instance-profile credentials to an instance (an `sts:AssumeRole` made by EC2). */
export interface CredentialDelivery {
  readonly kind: 'delivery';
  readonly eventId: string;
  readonly eventTime: number;
  readonly accessKeyId: string;
  readonly instanceId: string;
  readonly roleArn: string;
  readonly accountId: string;
  /** The region EC2 delivered in: the instance's own region. */
  readonly region: string;
}

export type CredentialKind = 'instance-profile' | 'instance-identity';

/** A call signed with instance credentials, from somewhere the engine must judge. */
export interface CredentialUse {
  readonly kind: 'use';
  readonly eventId: string;
  readonly eventTime: number;
  readonly eventName: string;
  readonly eventSource: string;
  readonly accessKeyId: string;
  readonly instanceId: string;
  readonly credentialKind: CredentialKind;
  readonly roleArn: string;
  readonly roleName: string;
  readonly accountId: string;
  /** The region the call was made to, not necessarily the instance's. */
  readonly region: string;
  readonly sourceIp: string;
  readonly vpcEndpointId?: string;
  readonly vpcEndpointAccountId?: string;
  /** `sessionContext.ec2RoleDelivery`: "1.0" when the credentials came from IMDSv1. */
  readonly roleDelivery?: string;
  /**
   * `sessionContext.attributes.creationDate` as written (parsed only where needed): when the session was
   * issued, which for instance credentials is EC2's delivery, seen or not.
   */
  readonly sessionCreatedAt?: string;
  readonly userAgent?: string;
  readonly recipientAccountId?: string;
}

/**
 * Someone acting on an instance (issue 13's trail-side signals): reaching into it (`ssm:SendCommand`,
 * `ssm:StartSession`, `ec2-instance-connect:SendSSHPublicKey`), or stopping, terminating or starting it.
 */
export interface InstanceAction {
  readonly kind: 'instance-action';
  readonly eventId: string;
  readonly eventTime: number;
  readonly eventName: string;
  readonly accountId: string;
  readonly region: string;
  /** The caller's address; undefined when AWS made the call (a service, the console's backend). */
  readonly sourceIp?: string;
  readonly instanceIds: readonly string[];
  readonly effect: 'access' | 'stop' | 'start';
}

export type CredentialEvent = CredentialDelivery | CredentialUse | InstanceAction;

/** Event-time order; within one timestamp EC2's delivery of a key goes before the key's first use. */
export function compareEvents(a: CredentialEvent, b: CredentialEvent): number {
  if (a.eventTime !== b.eventTime) return a.eventTime - b.eventTime;
  return (a.kind === 'delivery' ? 0 : 1) - (b.kind === 'delivery' ? 0 : 1);
}
