import { BootstraplessSynthesizer, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { MemberConfig } from './credtrail-config';
import { CREDTRAIL_BUS_NAME, INSTANCE_CREDENTIAL_CALL_PATTERN } from './event-patterns';
import { acknowledge } from './nag-gate';
import { REALTIME_FORWARD_RULE_NAME } from './realtime-path';

export interface MemberForwarderStackProps extends StackProps {
  readonly config: MemberConfig & { readonly centralRegion: string };
}

/**
 * The real-time path's member half, deployed in EVERY enabled region of every member account (IAM and
 * global-endpoint STS calls are delivered in us-east-1, so that region is never optional): one rule on
 * the default bus forwarding instance-credential calls to the central credtrail bus through the
 * account's forwarder role (created once, by the member stack). No assets and no bootstrap.
 */
export class MemberForwarderStack extends Stack {
  readonly rule: events.CfnRule;

  constructor(scope: Construct, id: string, props: MemberForwarderStackProps) {
    super(scope, id, { synthesizer: new BootstraplessSynthesizer(), ...props });
    const { config } = props;
    const deadLetterQueue = new sqs.Queue(this, 'ForwardDlq', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(4),
    });
    const centralBusArn = `arn:${this.partition}:events:${config.centralRegion}:${config.centralAccountId}:event-bus/${CREDTRAIL_BUS_NAME}`;
    // CDK's Rule has no way to say ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, and without it
    // read-only calls (GetCallerIdentity, ListBuckets, Describe*: a thief's first moves) never arrive.
    this.rule = new events.CfnRule(this, 'ForwardInstanceCredentialCalls', {
      name: REALTIME_FORWARD_RULE_NAME,
      description:
        'credtrail: forwards calls made with EC2 instance credentials (and their deliveries) to the central credtrail bus within seconds',
      eventBusName: 'default',
      state: 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
      eventPattern: INSTANCE_CREDENTIAL_CALL_PATTERN,
      targets: [
        {
          id: 'CentralCredtrailBus',
          arn: centralBusArn,
          roleArn: `arn:${this.partition}:iam::${this.account}:role/${config.memberForwarderRoleName}`,
          deadLetterConfig: { arn: deadLetterQueue.queueArn },
          // A call older than an hour is better told by the log files, which carry it anyway.
          retryPolicy: { maximumEventAgeInSeconds: 3600, maximumRetryAttempts: 20 },
        },
      ],
    });
    // EventBridge puts what it could not deliver into the dead-letter queue as the service itself.
    deadLetterQueue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowForwardRuleDeadLetters',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [deadLetterQueue.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': this.rule.attrArn } },
      }),
    );
    acknowledge(
      deadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the forwarding rule; cdk-nag only recognises SQS-to-SQS redrive.',
    );
    acknowledge(
      deadLetterQueue,
      'Serverless-SQSRedrivePolicy',
      'A dead-letter queue: a queue behind it would only move the problem. The log files carry every call it holds.',
    );
  }
}
