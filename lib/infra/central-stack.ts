import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { FINDING_SOURCE } from '../contracts/finding-event';
import { RESPONSE_SOURCE } from '../contracts/response-event';
import { DetectorEnvironmentSchema } from '../detector/detector-environment';
import { NotifierEnvironmentSchema } from '../notifier/notifier-environment';
import { ResponderEnvironmentSchema } from '../responder/responder-environment';
import { ResponseConfigSchema } from '../responder/response-config-schema';
import {
  EXCEPTIONS_PARTITION_KEY,
  STATE_PARTITION_KEY,
  STATE_SORT_KEY,
  STATE_TTL_ATTRIBUTE,
} from '../state/state-table';
import type { CentralConfig } from './credtrail-config';
import { CredtrailAlarms } from './credtrail-alarms';
import { RealtimeIngest } from './realtime-path';
import { CredtrailFunction, type LambdaCode } from './credtrail-function';
import {
  CREDTRAIL_BUS_NAME,
  GUARDDUTY_EXFILTRATION_PATTERN,
  GUARDDUTY_SOURCE,
  credtrailBusRoutes,
  type EventPattern,
} from './event-patterns';
import { acknowledge } from './nag-gate';

export const EVENT_BUS_NAME = CREDTRAIL_BUS_NAME;
export const FINDINGS_LOG_GROUP_NAME = '/credtrail/findings';
/** Fixed, so the forwarder role can trust this rule's ARN without depending on the rule. */
export const FORWARD_GUARDDUTY_RULE_NAME = 'credtrail-forward-guardduty-findings';
/** Powertools idempotency's table layout (its DynamoDBPersistenceLayer defaults). */
export const IDEMPOTENCY_KEY = 'id';
export const IDEMPOTENCY_TTL_ATTRIBUTE = 'expiration';

export interface CentralStackProps extends StackProps {
  readonly config: CentralConfig;
  /** Handler files, relative to the project root. */
  readonly handlers?: { readonly detector: string; readonly responder: string; readonly notifier: string };
  readonly lambdaCode?: LambdaCode;
}

export const DEFAULT_HANDLERS = {
  detector: 'handlers/detector-handler.ts',
  responder: 'handlers/responder-handler.ts',
  notifier: 'handlers/notifier-handler.ts',
} as const;

/** CDK's camelCase pattern from EventBridge's wire format (only `detail-type` differs for us). */
export function toCdkPattern(pattern: EventPattern): events.EventPattern {
  const { 'detail-type': detailType, ...rest } = pattern as Record<string, unknown>;
  return { ...rest, ...(detailType === undefined ? {} : { detailType: detailType as string[] }) };
}

/**
 * The central account: ingest (S3/SNS → SQS → detector), the credtrail bus and its rules, the
 * responder and notifier, state tables, the on-call topic and alarms.
 */
export class CentralStack extends Stack {
  readonly bus: events.EventBus;
  readonly alertTopic: sns.Topic;
  readonly operatorUndoPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: CentralStackProps) {
    super(scope, id, props);
    const { config } = props;
    const handlers = props.handlers ?? DEFAULT_HANDLERS;
    const code = props.lambdaCode ?? 'bundle';

    // ------------------------------------------------------------------ alerts
    const alertKey = new kms.Key(this, 'AlertKey', {
      description: 'credtrail: encrypts the on-call alert topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudWatch alarms publish to the encrypted topic as the service, so the key must let it in.
    alertKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    this.alertTopic = new sns.Topic(this, 'AlertTopic', {
      displayName: 'credtrail alerts',
      masterKey: alertKey,
      enforceSSL: true,
    });
    // The topic has a policy (the TLS Deny), so nothing else may publish unless allowed here: CloudWatch
    // alarms of this account, by their ARN (SNS Developer Guide, "Access policy for CloudWatch alarms").
    this.alertTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alertTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': this.account },
          ArnLike: {
            'aws:SourceArn': `arn:${this.partition}:cloudwatch:${this.region}:${this.account}:alarm:*`,
          },
        },
      }),
    );
    const subscriptionDlq = this.queue('AlertSubscriptionDlq');
    for (const email of config.alertEmails) {
      this.alertTopic.addSubscription(
        new subscriptions.EmailSubscription(email, { deadLetterQueue: subscriptionDlq }),
      );
    }

    // ------------------------------------------------------------------ state
    const stateTable = this.table('StateTable', {
      partitionKey: { name: STATE_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      sortKey: { name: STATE_SORT_KEY, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: STATE_TTL_ATTRIBUTE,
      removalPolicy: RemovalPolicy.DESTROY, // sessions and first origins, hours long: rebuilt from the logs
    });
    const exceptionsTable = this.table('ExceptionsTable', {
      partitionKey: { name: EXCEPTIONS_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      removalPolicy: RemovalPolicy.RETAIN, // operators' tuning, with reasons: never lost with the stack
    });
    const auditTable = this.table('AuditTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'expiresAt', // only the rate limiter's hourly counters carry it
      removalPolicy: RemovalPolicy.RETAIN, // what was changed and the state it replaced: needed for undo
    });
    const idempotencyTable = this.table('IdempotencyTable', {
      partitionKey: { name: IDEMPOTENCY_KEY, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: IDEMPOTENCY_TTL_ATTRIBUTE,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const findingsLogGroup = new logs.LogGroup(this, 'FindingsLogGroup', {
      logGroupName: FINDINGS_LOG_GROUP_NAME,
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // What `credtrail tune --state dynamodb:… --audit-table … --table …` reads and writes.
    for (const [id, table, use] of [
      [
        'StateTableName',
        stateTable,
        'State table (findings the detector stored): credtrail tune --state dynamodb:NAME',
      ],
      [
        'AuditTableName',
        auditTable,
        "Audit table (the responder's recorded plans): credtrail tune --audit-table NAME",
      ],
      [
        'ExceptionsTableName',
        exceptionsTable,
        'Exceptions table (accepted origins the detector re-reads): credtrail tune --table NAME',
      ],
    ] as const)
      new CfnOutput(this, id, { description: use, value: table.tableName });

    // ------------------------------------------------------------------ queues
    const ingestDlq = this.queue('IngestDlq');
    const detectorTimeout = Duration.minutes(5);
    const ingestQueue = new sqs.Queue(this, 'IngestQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Lambda's guidance: at least six times the function timeout, so retries never overlap a run.
      visibilityTimeout: Duration.seconds(detectorTimeout.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: ingestDlq, maxReceiveCount: 5 },
    });
    const eventDeliveryDlq = this.queue('EventDeliveryDlq');
    const asyncFailureQueue = this.queue('AsyncFailureQueue');
    // Its own queue: a message here is an incident credtrail did not finish responding to.
    const responderFailureQueue = this.queue('ResponderFailureQueue');

    this.connectTrail(config, ingestQueue, ingestDlq);

    // ------------------------------------------------------------------ bus
    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: EVENT_BUS_NAME,
      description: 'credtrail findings and responder results',
    });

    // ------------------------------------------------------------------ roles
    const memberRoleArn = (name: string) => `arn:${this.partition}:iam::*:role/${name}`;
    const lambdaPrincipal = new iam.ServicePrincipal('lambda.amazonaws.com');
    const detectorRole = new iam.Role(this, 'DetectorRole', {
      roleName: config.detectorRoleName,
      assumedBy: lambdaPrincipal,
      description: 'credtrail detector: reads CloudTrail files, keeps session state, publishes findings',
    });
    const responderRole = new iam.Role(this, 'ResponderRole', {
      roleName: config.responderRoleName,
      assumedBy: lambdaPrincipal,
      description: 'credtrail responder: plans and (in enforce mode) applies responses through member roles',
    });
    const notifierRole = new iam.Role(this, 'NotifierRole', {
      assumedBy: lambdaPrincipal,
      description: 'credtrail notifier: turns findings and responder results into on-call emails',
    });

    const trailObjects = `arn:${this.partition}:s3:::${config.cloudTrailBucketName}/${config.cloudTrailPrefix === undefined ? '' : `${config.cloudTrailPrefix}/`}AWSLogs/*`;
    detectorRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadCloudTrailFiles',
        actions: ['s3:GetObject'],
        resources: [trailObjects],
      }),
    );
    if (config.cloudTrailKmsKeyArn !== undefined) {
      detectorRole.addToPolicy(
        new iam.PolicyStatement({
          sid: 'DecryptCloudTrailFiles',
          actions: ['kms:Decrypt'],
          resources: [config.cloudTrailKmsKeyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${this.region}.amazonaws.com` } },
        }),
      );
    }
    detectorRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'AssumeMemberReadRole',
        actions: ['sts:AssumeRole'],
        resources: [memberRoleArn(config.memberReadRoleName)],
      }),
    );
    stateTable.grantReadWriteData(detectorRole);
    exceptionsTable.grantReadData(detectorRole);
    detectorRole.addToPolicy(this.putEventsFrom(FINDING_SOURCE));
    findingsLogGroup.grantWrite(detectorRole);

    responderRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'AssumeMemberResponseRole',
        actions: ['sts:AssumeRole'],
        resources: [memberRoleArn(config.memberResponseRoleName)],
      }),
    );
    auditTable.grantReadWriteData(responderRole);
    // The audit trail is append-only for the responder: it records and reads, never removes (undo needs
    // what was there). BatchWriteItem and PartiQL DELETE can remove items too.
    responderRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'AuditTrailIsAppendOnly',
        effect: iam.Effect.DENY,
        actions: [
          'dynamodb:DeleteItem',
          'dynamodb:BatchWriteItem',
          'dynamodb:PartiQLDelete',
          'dynamodb:DeleteTable',
        ],
        resources: [auditTable.tableArn],
      }),
    );
    idempotencyTable.grantReadWriteData(responderRole);
    responderRole.addToPolicy(this.putEventsFrom(RESPONSE_SOURCE));

    notifierRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PublishAlerts',
        actions: ['sns:Publish'],
        resources: [this.alertTopic.topicArn],
      }),
    );
    // SNS encrypts with the topic's key on the publisher's behalf (SNS Developer Guide, SSE key policy).
    notifierRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'EncryptAlerts',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [alertKey.keyArn],
      }),
    );
    // The alert ledger: claim, mark sent, release, and read what a finding's emails showed of its chain.
    idempotencyTable.grant(
      notifierRole,
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    );

    // ------------------------------------------------------------------ functions
    const responseConfig = {
      mode: config.mode,
      ...(config.actionsBySeverity === undefined ? {} : { actions: config.actionsBySeverity }),
      ...(config.responseRoles === undefined ? {} : { roles: config.responseRoles }),
      protected: { roleNamePatterns: config.protectedRoles, instancePatterns: config.protectedInstances },
      ...(config.maxIncidentsPerHour === undefined
        ? {}
        : { rateLimit: { maxIncidentsPerHour: config.maxIncidentsPerHour } }),
      responderRolePatterns: [
        'credtrail-*',
        'Credtrail*',
        config.detectorRoleName,
        config.responderRoleName,
        config.memberReadRoleName,
        config.memberResponseRoleName,
      ],
      trustedPublisherAccounts: [this.account, ...config.trustedPublisherAccounts],
    };
    // Fail the synth, not the responder's cold start, if the document does not parse.
    ResponseConfigSchema.parse({
      ...responseConfig,
      trustedPublisherAccounts: ['000000000000', ...config.trustedPublisherAccounts],
    });
    const responseConfigJson = this.toJsonString(responseConfig);

    const detector = new CredtrailFunction<typeof DetectorEnvironmentSchema>(this, 'Detector', {
      entry: handlers.detector,
      description:
        'credtrail detector: finds instance credentials used away from their instance in CloudTrail files',
      role: detectorRole,
      environmentSchema: DetectorEnvironmentSchema,
      environment: {
        STATE_TABLE_NAME: stateTable.tableName,
        EXCEPTIONS_TABLE_NAME: exceptionsTable.tableName,
        EVENT_BUS_NAME: this.bus.eventBusName,
        FINDINGS_LOG_GROUP_NAME: findingsLogGroup.logGroupName,
        MEMBER_READ_ROLE_NAME: config.memberReadRoleName,
        TRUSTED_ACCOUNTS: config.trustedAccounts.join(','),
      },
      timeout: detectorTimeout,
      memorySize: 1024,
      code,
    });
    detector.function.addEventSource(
      new SqsEventSource(ingestQueue, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency: 5 }),
    );

    const responder = new CredtrailFunction<typeof ResponderEnvironmentSchema>(this, 'Responder', {
      entry: handlers.responder,
      description:
        'credtrail responder: plans revoke/pin/quarantine for a finding; applies it in enforce mode',
      role: responderRole,
      environmentSchema: ResponderEnvironmentSchema,
      environment: {
        EVENT_BUS_NAME: this.bus.eventBusName,
        AUDIT_TABLE_NAME: auditTable.tableName,
        IDEMPOTENCY_TABLE_NAME: idempotencyTable.tableName,
        MEMBER_RESPONSE_ROLE_NAME: config.memberResponseRoleName,
        RESPONSE_CONFIG: responseConfigJson,
      },
      timeout: Duration.minutes(2),
      memorySize: 512,
      onFailureQueue: responderFailureQueue,
      code,
    });

    this.operatorUndoPolicy = this.operatorUndo(responder.function);

    const notifier = new CredtrailFunction<typeof NotifierEnvironmentSchema>(this, 'Notifier', {
      entry: handlers.notifier,
      description: 'credtrail notifier: emails on-call once per finding, plan and failed step',
      role: notifierRole,
      environmentSchema: NotifierEnvironmentSchema,
      environment: {
        ALERT_TOPIC_ARN: this.alertTopic.topicArn,
        ALERT_LEDGER_TABLE_NAME: idempotencyTable.tableName,
        RESPONSE_CONFIG: responseConfigJson,
        RESPONDER_SEVERITY_THRESHOLD: String(config.responderSeverityThreshold),
      },
      timeout: Duration.seconds(30),
      memorySize: 256,
      onFailureQueue: asyncFailureQueue,
      code,
    });

    // ------------------------------------------------------------------ rules
    const deliveryOptions = {
      deadLetterQueue: eventDeliveryDlq,
      retryAttempts: 185, // EventBridge's documented maximum: keep trying for the whole day
      maxEventAge: Duration.hours(24),
    };
    // The rule's ARN is built from its fixed name: taking it from the rule would make the role and the
    // rule depend on each other. Only this rule, in this account, may assume the role.
    const forwardRuleArn = `arn:${this.partition}:events:${this.region}:${this.account}:rule/${FORWARD_GUARDDUTY_RULE_NAME}`;
    const forwarderRole = new iam.Role(this, 'GuardDutyForwarderRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': this.account },
        ArnEquals: { 'aws:SourceArn': forwardRuleArn },
      }),
      description:
        'credtrail: lets the default-bus rule put GuardDuty credential findings on the credtrail bus',
    });
    forwarderRole.addToPolicy(this.putEventsFrom(GUARDDUTY_SOURCE));
    new events.Rule(this, 'ForwardGuardDutyFindings', {
      ruleName: FORWARD_GUARDDUTY_RULE_NAME,
      description:
        'credtrail: forwards GuardDuty InstanceCredentialExfiltration findings (Outside/InsideAWS) to the credtrail bus',
      eventPattern: toCdkPattern(GUARDDUTY_EXFILTRATION_PATTERN),
      targets: [new targets.EventBus(this.bus, { role: forwarderRole, deadLetterQueue: eventDeliveryDlq })],
    });

    const realtime = new RealtimeIngest(this, 'RealtimeIngest', {
      bus: this.bus,
      detector: detector.function,
      detectorTimeout,
      memberForwarderRoleName: config.memberForwarderRoleName,
      ...(config.organizationId === undefined ? {} : { organizationId: config.organizationId }),
    });
    const toNotifier = new targets.LambdaFunction(notifier.function, deliveryOptions);
    const toResponder = new targets.LambdaFunction(responder.function, deliveryOptions);
    const ruleTargets = {
      notifier: toNotifier,
      responder: toResponder,
      detector: realtime.target(eventDeliveryDlq),
      none: undefined,
    };
    const rules = new Map<string, events.Rule>();
    for (const route of credtrailBusRoutes(config.responderSeverityThreshold)) {
      const target = ruleTargets[route.target];
      rules.set(
        route.ruleId,
        new events.Rule(this, route.ruleId, {
          eventBus: this.bus,
          description: route.description,
          eventPattern: toCdkPattern(route.pattern),
          ...(target === undefined ? {} : { targets: [target] }),
        }),
      );
    }
    const failedSteps = rules.get('CountResponderFailures') as events.Rule;
    const finalFailures = rules.get('CountFinalResponseFailures') as events.Rule;

    // Same-account principals need no bus policy to publish, so the Denies are what hold: everyone but
    // the three publishers is kept out, and each publisher may put only its own `source`.
    const publishers = [
      { role: detectorRole, source: FINDING_SOURCE, sid: 'Detector' },
      { role: responderRole, source: RESPONSE_SOURCE, sid: 'Responder' },
      { role: forwarderRole, source: GUARDDUTY_SOURCE, sid: 'GuardDutyForwarder' },
    ];
    for (const { role, source, sid } of publishers) {
      this.bus.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `Allow${sid}ItsOwnSource`,
          principals: [new iam.ArnPrincipal(role.roleArn)],
          actions: ['events:PutEvents'],
          resources: [this.bus.eventBusArn],
          conditions: { 'ForAllValues:StringEquals': { 'events:source': [source] } },
        }),
      );
      this.bus.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `Deny${sid}OtherSources`,
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['events:PutEvents'],
          resources: [this.bus.eventBusArn],
          conditions: {
            ArnEquals: { 'aws:PrincipalArn': role.roleArn },
            'ForAnyValue:StringNotEquals': { 'events:source': [source] },
          },
        }),
      );
    }
    this.bus.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyEveryoneElse',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['events:PutEvents'],
        resources: [this.bus.eventBusArn],
        // ArnNotLike, not StringNotEquals: the members' forwarder roles are a pattern (any account).
        conditions: {
          ArnNotLike: {
            'aws:PrincipalArn': [
              ...publishers.map((p) => p.role.roleArn),
              realtime.forwarderPrincipalArnPattern,
            ],
          },
        },
      }),
    );

    // ------------------------------------------------------------------ alarms
    const alarms = new CredtrailAlarms(this, 'Alarms', this.alertTopic);
    alarms.deadLetters('IngestDlqNotEmpty', ingestDlq, 'the ingest dead-letter queue');
    alarms.deadLetters(
      'EventDeliveryDlqNotEmpty',
      eventDeliveryDlq,
      'the EventBridge delivery dead-letter queue',
    );
    alarms.deadLetters('AsyncFailuresNotEmpty', asyncFailureQueue, 'the notifier failure queue');
    alarms.deadLetters(
      'ResponderFailuresNotEmpty',
      responderFailureQueue,
      'the responder failure queue (responses that failed after every retry)',
    );
    alarms.deadLetters('EmailDlqNotEmpty', subscriptionDlq, 'the email delivery dead-letter queue');
    alarms.deadLetters(
      'RealtimeDlqNotEmpty',
      realtime.deadLetterQueue,
      'the real-time path dead-letter queue',
    );
    alarms.functionErrors('DetectorErrors', detector.function, 'detector');
    // Partial-batch failures never show in Lambda's Errors metric; unannounced findings come from the sweep.
    alarms.detectorMetric(
      'DetectorFailedMessages',
      'FailedMessages',
      'detector messages failed and went back to the ingest queue (retried, then the DLQ). Check its log group.',
    );
    alarms.detectorMetric(
      'FindingsUnannounced',
      'UnannouncedFindings',
      'findings stored for over 5 minutes without reaching the bus (PutEvents failing?). Check the detector log group.',
    );
    alarms.functionErrors('ResponderErrors', responder.function, 'responder');
    alarms.functionErrors('NotifierErrors', notifier.function, 'notifier');
    alarms.ruleMatches(
      'ResponderStepFailed',
      failedSteps,
      'a responder step failed: read its email and finish by hand',
    );
    alarms.ruleMatches(
      'ResponseFinalFailed',
      finalFailures,
      'a response failed for good (retries exhausted): read its email, fix the cause, respond by hand',
    );

    // ------------------------------------------------------------------ cdk-nag acknowledgements
    for (const [queue, owner] of [
      [subscriptionDlq, 'the SNS email subscriptions'],
      [eventDeliveryDlq, 'the EventBridge rule targets'],
      [asyncFailureQueue, 'the notifier (on-failure destination)'],
      [responderFailureQueue, 'the responder (on-failure destination)'],
    ] as const) {
      acknowledge(
        queue,
        'AwsSolutions-SQS3',
        `This queue is itself the dead-letter queue of ${owner}; cdk-nag only recognises SQS-to-SQS redrive.`,
      );
    }
    for (const queue of [
      subscriptionDlq,
      ingestDlq,
      eventDeliveryDlq,
      asyncFailureQueue,
      responderFailureQueue,
      realtime.deadLetterQueue,
    ]) {
      acknowledge(
        queue,
        'Serverless-SQSRedrivePolicy',
        'A dead-letter queue: a queue behind it would only move the problem. It is alarmed and kept 14 days for redrive.',
      );
    }
    acknowledge(
      detector.function,
      'Serverless-LambdaDLQ',
      "Invoked synchronously by SQS polling, where Lambda's DLQ never applies: failed messages go to IngestDlq via the queue's redrive policy.",
    );
    acknowledge(
      detector.function,
      'Serverless-LambdaEventSourceMappingDestination',
      'SQS event source mappings take no on-failure destination; the ingest queue redrives to IngestDlq after 5 receives.',
    );
    acknowledge(
      detectorRole,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${trailObjects.split(':::')[1] ?? ''}]`,
      "Read-only, one bucket, the trail's prefix: CloudTrail writes one object per file under AWSLogs/<account>/CloudTrail/<region>/<date>/, names not known in advance.",
    );
    acknowledge(
      detectorRole,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/${config.memberReadRoleName}]`,
      'The same-named read role exists in every member account (StackSets), whose ids are not known at synth; each trusts only this role.',
    );
    acknowledge(
      responderRole,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/${config.memberResponseRoleName}]`,
      'The same-named response role exists in every member account (StackSets), whose ids are not known at synth; each trusts only this role.',
    );
    acknowledge(
      failedSteps,
      'Serverless-EventBusDLQ',
      'This rule has no target by design: it only counts failed responder steps (MatchedEvents) for an alarm.',
    );
    acknowledge(
      finalFailures,
      'Serverless-EventBusDLQ',
      'This rule has no target by design: it only counts final response failures (MatchedEvents) for an alarm.',
    );
  }

  /** PutEvents on the credtrail bus, for events of one `source` only (the bus policy Denies the rest). */
  private putEventsFrom(source: string): iam.PolicyStatement {
    return new iam.PolicyStatement({
      actions: ['events:PutEvents'],
      resources: [this.bus.eventBusArn],
      conditions: { 'ForAllValues:StringEquals': { 'events:source': [source] } },
    });
  }

  /**
   * How an operator runs `credtrail undo` from a workstation: the member roles trust only the responder,
   * so undo goes through the responder Lambda (a direct invocation with an undo request), which re-runs
   * its checks. Attach this policy to the operators' role or permission set; it grants nothing else.
   */
  private operatorUndo(responder: lambda.IFunction): iam.ManagedPolicy {
    const policy = new iam.ManagedPolicy(this, 'OperatorUndoPolicy', {
      description:
        'credtrail: lets an operator run `credtrail undo` by invoking the responder Lambda, and nothing else',
      statements: [
        new iam.PolicyStatement({
          sid: 'InvokeResponderForUndo',
          actions: ['lambda:InvokeFunction'],
          resources: [responder.functionArn],
        }),
      ],
    });
    new CfnOutput(this, 'OperatorUndoPolicyArn', {
      description:
        'Attach to operators who may run `credtrail undo` (lambda:InvokeFunction on the responder only)',
      value: policy.managedPolicyArn,
    });
    new CfnOutput(this, 'ResponderFunctionName', {
      description: 'The responder Lambda that `credtrail undo` invokes',
      value: responder.functionName,
    });
    return policy;
  }

  /** CloudTrail's own SNS notice when given (raw delivery: the body is the notice); else an S3 event notification. */
  private connectTrail(config: CentralConfig, queue: sqs.Queue, deadLetterQueue: sqs.Queue): void {
    if (config.cloudTrailTopicArn !== undefined) {
      sns.Topic.fromTopicArn(this, 'TrailTopic', config.cloudTrailTopicArn).addSubscription(
        new subscriptions.SqsSubscription(queue, { rawMessageDelivery: true, deadLetterQueue }),
      );
      return;
    }
    const bucket = s3.Bucket.fromBucketName(this, 'TrailBucket', config.cloudTrailBucketName);
    const prefix = `${config.cloudTrailPrefix === undefined ? '' : `${config.cloudTrailPrefix}/`}AWSLogs/`;
    bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SqsDestination(queue), {
      prefix,
      suffix: '.json.gz',
    });
    // CDK puts the notification on the existing bucket through its own singleton custom resource.
    const handler = this.node.tryFindChild('BucketNotificationsHandler050a0587b7544547bf325f094a3db834');
    if (handler !== undefined) {
      acknowledge(
        handler,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        "CDK's own BucketNotificationsHandler custom resource (aws-s3 addEventNotification on an existing bucket); its role is not configurable.",
      );
    }
  }

  /** A dead-letter queue: encrypted, TLS only, kept for the 14-day maximum to notice the alarm and redrive. */
  private queue(id: string): sqs.Queue {
    return new sqs.Queue(this, id, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
  }

  private table(id: string, props: dynamodb.TableProps): dynamodb.Table {
    return new dynamodb.Table(this, id, {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      ...props,
    });
  }
}
