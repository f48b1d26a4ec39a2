// The central stack's queues: the ingest queue the trail feeds (S3 or SNS notices) and the
// dead-letter and failure queues behind every asynchronous hop.
import { Duration, type Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { CentralConfig } from './credtrail-config';
import { acknowledge } from './nag-gate';

export interface CentralQueues {
  readonly ingestDlq: sqs.Queue;
  readonly ingestQueue: sqs.Queue;
  /** EventBridge targets' dead-letter queue (rules on the credtrail bus and the GuardDuty forwarder). */
  readonly eventDeliveryDlq: sqs.Queue;
  /** The notifier's on-failure destination. */
  readonly asyncFailureQueue: sqs.Queue;
  /** The responder's on-failure destination. */
  readonly responderFailureQueue: sqs.Queue;
}

export function addQueues(stack: Stack, detectorTimeout: Duration): CentralQueues {
  const ingestDlq = addDeadLetterQueue(stack, 'IngestDlq');
  const ingestQueue = new sqs.Queue(stack, 'IngestQueue', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    // Lambda's guidance: at least six times the function timeout, so retries never overlap a run.
    visibilityTimeout: Duration.seconds(detectorTimeout.toSeconds() * 6),
    retentionPeriod: Duration.days(4),
    deadLetterQueue: { queue: ingestDlq, maxReceiveCount: 5 },
  });
  const eventDeliveryDlq = addDeadLetterQueue(stack, 'EventDeliveryDlq');
  const asyncFailureQueue = addDeadLetterQueue(stack, 'AsyncFailureQueue');
  // Its own queue: a message here is an incident credtrail did not finish responding to.
  const responderFailureQueue = addDeadLetterQueue(stack, 'ResponderFailureQueue');
  return { ingestDlq, ingestQueue, eventDeliveryDlq, asyncFailureQueue, responderFailureQueue };
}

/** A dead-letter queue: encrypted, TLS only, kept for the 14-day maximum to notice the alarm and redrive. */
export function addDeadLetterQueue(stack: Stack, id: string): sqs.Queue {
  return new sqs.Queue(stack, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
}

/** CloudTrail's own SNS notice when given (raw delivery: the body is the notice); else an S3 event notification. */
export function connectTrail(
  stack: Stack,
  config: CentralConfig,
  queue: sqs.Queue,
  deadLetterQueue: sqs.Queue,
): void {
  if (config.cloudTrailTopicArn !== undefined) {
    sns.Topic.fromTopicArn(stack, 'TrailTopic', config.cloudTrailTopicArn).addSubscription(
      new subscriptions.SqsSubscription(queue, { rawMessageDelivery: true, deadLetterQueue }),
    );
    return;
  }
  const bucket = s3.Bucket.fromBucketName(stack, 'TrailBucket', config.cloudTrailBucketName);
  const prefix = `${config.cloudTrailPrefix === undefined ? '' : `${config.cloudTrailPrefix}/`}AWSLogs/`;
  bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SqsDestination(queue), {
    prefix,
    suffix: '.json.gz',
  });
  // CDK puts the notification on the existing bucket through its own singleton custom resource.
  const handler = stack.node.tryFindChild('BucketNotificationsHandler050a0587b7544547bf325f094a3db834');
  if (handler !== undefined) {
    acknowledge(
      handler,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      "CDK's own BucketNotificationsHandler custom resource (aws-s3 addEventNotification on an existing bucket); its role is not configurable.",
    );
  }
}
