import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CLOUDTRAIL_API_CALL_DETAIL_TYPE, CREDTRAIL_BUS_NAME } from './event-patterns';
import { acknowledge } from './nag-gate';

/**
 * The real-time path (design.md): member accounts forward instance-credential calls from their default
 * bus to the central credtrail bus within seconds; a rule there queues them for the detector. The log
 * files stay the complete record: this path may drop or delay events and the files backfill them.
 */

/** The forwarding rule's name in every member region: the forwarder role's trust names it. */
export const REALTIME_FORWARD_RULE_NAME = 'credtrail-realtime-forward';

export interface RealtimeIngestProps {
  readonly bus: events.EventBus;
  readonly detector: lambda.IFunction;
  readonly detectorTimeout: Duration;
  readonly memberForwarderRoleName: string;
  readonly organizationId?: string;
}

/**
 * Central side: a queue between the bus and the detector, batched for cost (up to 100 calls or 5
 * seconds, whichever comes first), with its own dead-letter queue; and the bus policy that admits the
 * member forwarders, for CloudTrail's own events only.
 */
export class RealtimeIngest extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  /** The principal pattern the bus's deny must spare: every member's forwarder role. */
  readonly forwarderPrincipalArnPattern: string;

  constructor(scope: Construct, id: string, props: RealtimeIngestProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.deadLetterQueue = new sqs.Queue(this, 'Dlq', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(props.detectorTimeout.toSeconds() * 6),
      // Older than a day, the log files have long since told the detector the same calls.
      retentionPeriod: Duration.days(1),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });
    props.detector.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(5),
        reportBatchItemFailures: true,
        maxConcurrency: 5,
      }),
    );

    this.forwarderPrincipalArnPattern = `arn:${stack.partition}:iam::*:role/${props.memberForwarderRoleName}`;
    if (props.organizationId !== undefined) {
      // Only AWS can send events whose source starts with `aws.`, so a forwarder role (even one its
      // account's admins misuse) can relay its account's real CloudTrail events and nothing it made up.
      props.bus.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowMemberRealtimeForwarders',
          principals: [new iam.AnyPrincipal()],
          actions: ['events:PutEvents'],
          resources: [props.bus.eventBusArn],
          conditions: {
            StringEquals: {
              'aws:PrincipalOrgID': props.organizationId,
              'events:detail-type': CLOUDTRAIL_API_CALL_DETAIL_TYPE,
            },
            StringLike: { 'events:source': 'aws.*' },
            ArnLike: { 'aws:PrincipalArn': this.forwarderPrincipalArnPattern },
          },
        }),
      );
    }
  }

  /** The bus rule's target: the queue, with EventBridge's retries and a dead-letter queue of its own. */
  target(deliveryDeadLetterQueue: sqs.IQueue): targets.SqsQueue {
    return new targets.SqsQueue(this.queue, {
      deadLetterQueue: deliveryDeadLetterQueue,
      retryAttempts: 10,
      maxEventAge: Duration.hours(1),
    });
  }
}

export interface ForwarderRoleProps {
  readonly roleName: string;
  readonly centralAccountId: string;
}

/**
 * Member side, once per account (IAM is global): the role the per-region rules use. It trusts
 * EventBridge only for this account's forwarding rules and may put events on the central credtrail
 * bus, in whichever region it lives, and nowhere else.
 */
export function addForwarderRole(scope: Construct, props: ForwarderRoleProps): iam.Role {
  const stack = Stack.of(scope);
  const role = new iam.Role(scope, 'ForwarderRole', {
    roleName: props.roleName,
    assumedBy: new iam.ServicePrincipal('events.amazonaws.com').withConditions({
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': `arn:${stack.partition}:events:*:${stack.account}:rule/${REALTIME_FORWARD_RULE_NAME}`,
      },
    }),
    description:
      "credtrail: lets this account's real-time rules put instance-credential calls on the central credtrail bus",
  });
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'PutOnCentralBus',
      actions: ['events:PutEvents'],
      resources: [
        `arn:${stack.partition}:events:*:${props.centralAccountId}:event-bus/${CREDTRAIL_BUS_NAME}`,
      ],
    }),
  );
  acknowledge(
    role,
    `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:events:*:${props.centralAccountId}:event-bus/${CREDTRAIL_BUS_NAME}]`,
    "One bus, by name, in the central account: the region is the central stack's, which this account-wide role is not told; the bus policy there admits it for CloudTrail's own events only.",
  );
  return role;
}
