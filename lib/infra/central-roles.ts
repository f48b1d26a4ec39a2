// The central Lambdas' roles and everything each may do: the detector reads the trail and publishes
// findings, the responder assumes member roles and appends to the audit trail, the notifier emails.
import type { Stack } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { FINDING_SOURCE } from '../contracts/finding-event';
import { RESPONSE_SOURCE } from '../contracts/response-event';
import type { AlertTopic } from './central-alerts';
import type { StateStores } from './central-state';
import type { CentralConfig } from './credtrail-config';

export interface CentralRoles {
  readonly detectorRole: iam.Role;
  readonly responderRole: iam.Role;
  readonly notifierRole: iam.Role;
  /** The trail's log objects the detector may read (its cdk-nag acknowledgement names it). */
  readonly trailObjects: string;
}

export interface CentralRolesProps {
  readonly config: CentralConfig;
  readonly bus: events.EventBus;
  readonly stores: StateStores;
  readonly alerts: AlertTopic;
}

export function addRoles(stack: Stack, props: CentralRolesProps): CentralRoles {
  const { config } = props;
  const lambdaPrincipal = new iam.ServicePrincipal('lambda.amazonaws.com');
  const detectorRole = new iam.Role(stack, 'DetectorRole', {
    roleName: config.detectorRoleName,
    assumedBy: lambdaPrincipal,
    description: 'credtrail detector: reads CloudTrail files, keeps session state, publishes findings',
  });
  const responderRole = new iam.Role(stack, 'ResponderRole', {
    roleName: config.responderRoleName,
    assumedBy: lambdaPrincipal,
    description: 'credtrail responder: plans and (in enforce mode) applies responses through member roles',
  });
  const notifierRole = new iam.Role(stack, 'NotifierRole', {
    assumedBy: lambdaPrincipal,
    description: 'credtrail notifier: turns findings and responder results into on-call emails',
  });
  const trailObjects = grantDetector(stack, detectorRole, props);
  grantResponder(stack, responderRole, props);
  grantNotifier(notifierRole, props);
  return { detectorRole, responderRole, notifierRole, trailObjects };
}

/** PutEvents on the credtrail bus, for events of one `source` only (the bus policy Denies the rest). */
export function putEventsFrom(bus: events.EventBus, source: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['events:PutEvents'],
    resources: [bus.eventBusArn],
    conditions: { 'ForAllValues:StringEquals': { 'events:source': [source] } },
  });
}

function memberRoleArn(stack: Stack, name: string): string {
  return `arn:${stack.partition}:iam::*:role/${name}`;
}

/** Returns the ARN pattern of the trail's objects it granted read on. */
function grantDetector(stack: Stack, role: iam.Role, { config, bus, stores }: CentralRolesProps): string {
  const trailObjects = `arn:${stack.partition}:s3:::${config.cloudTrailBucketName}/${config.cloudTrailPrefix === undefined ? '' : `${config.cloudTrailPrefix}/`}AWSLogs/*`;
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ReadCloudTrailFiles',
      actions: ['s3:GetObject'],
      resources: [trailObjects],
    }),
  );
  if (config.cloudTrailKmsKeyArn !== undefined) {
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'DecryptCloudTrailFiles',
        actions: ['kms:Decrypt'],
        resources: [config.cloudTrailKmsKeyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
      }),
    );
  }
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'AssumeMemberReadRole',
      actions: ['sts:AssumeRole'],
      resources: [memberRoleArn(stack, config.memberReadRoleName)],
    }),
  );
  stores.stateTable.grantReadWriteData(role);
  stores.exceptionsTable.grantReadData(role);
  role.addToPolicy(putEventsFrom(bus, FINDING_SOURCE));
  stores.findingsLogGroup.grantWrite(role);
  return trailObjects;
}

function grantResponder(stack: Stack, role: iam.Role, { config, bus, stores }: CentralRolesProps): void {
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'AssumeMemberResponseRole',
      actions: ['sts:AssumeRole'],
      resources: [memberRoleArn(stack, config.memberResponseRoleName)],
    }),
  );
  stores.auditTable.grantReadWriteData(role);
  // The audit trail is append-only for the responder: it records and reads, never removes (undo needs
  // what was there). BatchWriteItem and PartiQL DELETE can remove items too.
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'AuditTrailIsAppendOnly',
      effect: iam.Effect.DENY,
      actions: [
        'dynamodb:DeleteItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:PartiQLDelete',
        'dynamodb:DeleteTable',
      ],
      resources: [stores.auditTable.tableArn],
    }),
  );
  stores.idempotencyTable.grantReadWriteData(role);
  role.addToPolicy(putEventsFrom(bus, RESPONSE_SOURCE));
}

function grantNotifier(role: iam.Role, { alerts, stores }: CentralRolesProps): void {
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'PublishAlerts',
      actions: ['sns:Publish'],
      resources: [alerts.topic.topicArn],
    }),
  );
  // SNS encrypts with the topic's key on the publisher's behalf (SNS Developer Guide, SSE key policy).
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'EncryptAlerts',
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [alerts.key.keyArn],
    }),
  );
  // The alert ledger: claim, mark sent, release, and read what a finding's emails showed of its chain.
  stores.idempotencyTable.grant(
    role,
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
  );
}
