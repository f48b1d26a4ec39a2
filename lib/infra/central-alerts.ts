// The central stack's on-call topic: its KMS key, who may publish to it, and the email subscriptions.
import { RemovalPolicy, type Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { addDeadLetterQueue } from './central-queues';

export interface AlertTopic {
  readonly key: kms.Key;
  readonly topic: sns.Topic;
  /** Where SNS puts an email it could not deliver. */
  readonly subscriptionDlq: sqs.Queue;
}

export function addAlertTopic(stack: Stack, alertEmails: readonly string[]): AlertTopic {
  const key = new kms.Key(stack, 'AlertKey', {
    description: 'credtrail: encrypts the on-call alert topic',
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  // CloudWatch alarms publish to the encrypted topic as the service, so the key must let it in.
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsToPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
    }),
  );
  const topic = new sns.Topic(stack, 'AlertTopic', {
    displayName: 'credtrail alerts',
    masterKey: key,
    enforceSSL: true,
  });
  // The topic has a policy (the TLS Deny), so nothing else may publish unless allowed here: CloudWatch
  // alarms of this account, by their ARN (SNS Developer Guide, "Access policy for CloudWatch alarms").
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsOfThisAccount',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: {
          'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*`,
        },
      },
    }),
  );
  const subscriptionDlq = addDeadLetterQueue(stack, 'AlertSubscriptionDlq');
  for (const email of alertEmails) {
    topic.addSubscription(new subscriptions.EmailSubscription(email, { deadLetterQueue: subscriptionDlq }));
  }
  return { key, topic, subscriptionDlq };
}
