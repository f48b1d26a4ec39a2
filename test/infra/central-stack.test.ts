import { Match, Template } from 'aws-cdk-lib/assertions';
import type { ZodType } from 'zod';
import { DetectorEnvironmentSchema } from '../../lib/detector/detector-environment';
import { FINDING_UPDATE_DETAIL_TYPE } from '../../lib/contracts/finding-event';
import { matchesEventPattern } from '../../lib/infra/event-pattern-matcher';
import {
  CREDTRAIL_CHAIN_GROWTH_PATTERN,
  CREDTRAIL_FINDING_PATTERN,
  GUARDDUTY_EXFILTRATION_PATTERN,
  GUARDDUTY_FINDING_PATTERN,
  RESPONDER_FAILURE_PATTERN,
  RESPONDER_RESULT_PATTERN,
  RESPONSE_FINAL_FAILURE_PATTERN,
  credtrailChainGrowthAtOrAbove,
  credtrailFindingsAtOrAbove,
  guardDutyFindingsAtOrAbove,
  type EventPattern,
} from '../../lib/infra/event-patterns';
import { nagFindings } from '../../lib/infra/nag-gate';
import { NotifierEnvironmentSchema } from '../../lib/notifier/notifier-environment';
import { parseResponseConfig } from '../../lib/responder/response-config-schema';
import { ResponderEnvironmentSchema } from '../../lib/responder/responder-environment';
import { DEFAULT_MAX_ATTEMPTS } from '../../lib/responder/responder-service';
import { loadEvent } from '../fixtures/events/load-event';
import { actionsOf, centralStack, logicalId, roleStatements } from './stack-fixtures';

const stack = centralStack();
const template = Template.fromStack(stack);

type Resources = Record<string, { Properties: Record<string, unknown>; DeletionPolicy?: string }>;

function resourcesOf(t: Template): Resources {
  return (t.toJSON() as { Resources: Resources }).Resources;
}

function propertiesOf(t: Template, type: string, prefix: string): Record<string, unknown> {
  const resource = resourcesOf(t)[logicalId(t, type, prefix)];
  if (resource === undefined) throw new Error(`no ${type} ${prefix}`);
  return resource.Properties;
}

function ruleNamed(prefix: string): Record<string, unknown> {
  return propertiesOf(template, 'AWS::Events::Rule', prefix);
}

type FunctionProperties = { Environment: { Variables: Record<string, unknown> } } & Record<string, unknown>;

function functionNamed(prefix: string, t: Template = template): FunctionProperties {
  return propertiesOf(t, 'AWS::Lambda::Function', prefix) as FunctionProperties;
}

describe('event routing', () => {
  it('creates the custom bus "credtrail"', () => {
    expect(() =>
      template.hasResourceProperties('AWS::Events::EventBus', { Name: 'credtrail' }),
    ).not.toThrow();
  });

  it('forwards GuardDuty findings from the default bus by prefix, through a role, with a DLQ', () => {
    const rule = ruleNamed('ForwardGuardDutyFindings');

    expect(rule['EventBusName']).toBeUndefined(); // the default bus
    expect(rule['EventPattern']).toEqual(GUARDDUTY_EXFILTRATION_PATTERN);
    expect(rule['Targets']).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [logicalId(template, 'AWS::Events::EventBus', 'Bus'), 'Arn'] },
        RoleArn: { 'Fn::GetAtt': [logicalId(template, 'AWS::IAM::Role', 'GuardDutyForwarderRole'), 'Arn'] },
        DeadLetterConfig: {
          Arn: { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'EventDeliveryDlq'), 'Arn'] },
        },
      }),
    ]);
  });

  it.each([
    ['NotifyCredtrailFindings', CREDTRAIL_FINDING_PATTERN, 'Notifier'],
    ['NotifyChainGrowth', CREDTRAIL_CHAIN_GROWTH_PATTERN, 'Notifier'],
    ['NotifyGuardDutyFindings', GUARDDUTY_FINDING_PATTERN, 'Notifier'],
    ['NotifyResponderResults', RESPONDER_RESULT_PATTERN, 'Notifier'],
    ['RespondCredtrailFindings', credtrailFindingsAtOrAbove(7), 'Responder'],
    ['RespondChainGrowth', credtrailChainGrowthAtOrAbove(7), 'Responder'],
    ['RespondGuardDutyFindings', guardDutyFindingsAtOrAbove(7), 'Responder'],
  ])('%s carries the shared pattern and targets the %s with retries and a DLQ', (name, pattern, target) => {
    const rule = ruleNamed(name);

    expect(rule['EventBusName']).toEqual({ Ref: logicalId(template, 'AWS::Events::EventBus', 'Bus') });
    expect(rule['EventPattern']).toEqual(pattern);
    expect(rule['Targets']).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [logicalId(template, 'AWS::Lambda::Function', `${target}Function`), 'Arn'] },
        DeadLetterConfig: {
          Arn: { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'EventDeliveryDlq'), 'Arn'] },
        },
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
      }),
    ]);
  });

  it('uses the configured threshold in the responder rules', () => {
    const lowered = Template.fromStack(centralStack({ 'credtrail:responderSeverityThreshold': '4' }));

    expect(() =>
      lowered.hasResourceProperties('AWS::Events::Rule', { EventPattern: credtrailFindingsAtOrAbove(4) }),
    ).not.toThrow();
    expect(() =>
      lowered.hasResourceProperties('AWS::Events::Rule', { EventPattern: guardDutyFindingsAtOrAbove(4) }),
    ).not.toThrow();
    expect(() =>
      lowered.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: credtrailChainGrowthAtOrAbove(4),
      }),
    ).not.toThrow();
  });

  it('routes finding updates whose chain grew to the notifier and the responder, and count updates nowhere', () => {
    const update = (change: string) => {
      const event = loadEvent('credtrail-finding-unexpected-origin.json');
      event['detail-type'] = FINDING_UPDATE_DETAIL_TYPE;
      Object.assign(event.detail, { change, chainVersion: '2-0123456789ab' });
      return event;
    };
    const targetsOf = (event: ReturnType<typeof update>) =>
      Object.values(resourcesOf(template))
        .map(
          (resource) => resource.Properties as { Targets?: { Arn: unknown }[]; EventPattern?: EventPattern },
        )
        .filter((rule) => rule.EventPattern !== undefined && matchesEventPattern(rule.EventPattern, event))
        .flatMap((rule) => rule.Targets ?? [])
        .map((target) => target.Arn);
    const fn = (name: string) => ({
      'Fn::GetAtt': [logicalId(template, 'AWS::Lambda::Function', `${name}Function`), 'Arn'],
    });

    expect(targetsOf(update('chain-growth'))).toEqual([fn('Notifier'), fn('Responder')]);
    expect(targetsOf(update('counts'))).toEqual([]);
  });

  it.each([
    ['FailedMessages', 'partial-batch failures (retried messages)'],
    ['UnannouncedFindings', 'findings the sweep found unannounced for minutes'],
  ])('alarms on the detector metric %s: %s', (metricName) => {
    expect(() =>
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'credtrail',
        MetricName: metricName,
        Dimensions: [{ Name: 'service', Value: 'credtrail-detector' }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
      }),
    ).not.toThrow();
  });

  it('counts failed responder steps with a target-less rule and alarms on it', () => {
    const rule = ruleNamed('CountResponderFailures');

    expect(rule['EventPattern']).toEqual(RESPONDER_FAILURE_PATTERN);
    expect(rule['Targets']).toBeUndefined();
    expect(() =>
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Events',
        MetricName: 'MatchedEvents',
        // A custom-bus rule reports MatchedEvents with EventBusName and RuleName, never RuleName alone.
        Dimensions: [
          { Name: 'EventBusName', Value: { Ref: logicalId(template, 'AWS::Events::EventBus', 'Bus') } },
          {
            Name: 'RuleName',
            Value: { Ref: logicalId(template, 'AWS::Events::Rule', 'CountResponderFailures') },
          },
        ],
      }),
    ).not.toThrow();
  });

  it('lets only the detector, responder and forwarding roles publish, each only its own source', () => {
    const busArn = { 'Fn::GetAtt': [logicalId(template, 'AWS::Events::EventBus', 'Bus'), 'Arn'] };
    const roleArn = (prefix: string) => ({
      'Fn::GetAtt': [logicalId(template, 'AWS::IAM::Role', prefix), 'Arn'],
    });
    const publishers = [
      ['DetectorRole', 'credtrail.detector', 'Detector'],
      ['ResponderRole', 'credtrail.responder', 'Responder'],
      ['GuardDutyForwarderRole', 'aws.guardduty', 'GuardDutyForwarder'],
    ] as const;

    expect(() => template.resourceCountIs('AWS::Events::EventBusPolicy', 7)).not.toThrow();
    for (const [role, source, sid] of publishers) {
      expect(() =>
        template.hasResourceProperties('AWS::Events::EventBusPolicy', {
          Statement: {
            Sid: `cdk-Deny${sid}OtherSources`, // CDK prefixes the Sid of a bus policy statement
            Effect: 'Deny',
            Action: 'events:PutEvents',
            Principal: { AWS: '*' },
            Resource: busArn,
            Condition: {
              ArnEquals: { 'aws:PrincipalArn': roleArn(role) },
              'ForAnyValue:StringNotEquals': { 'events:source': [source] },
            },
          },
        }),
      ).not.toThrow();
      expect(roleStatements(template, role)).toContainEqual(
        expect.objectContaining({
          Action: 'events:PutEvents',
          Resource: busArn,
          Condition: { 'ForAllValues:StringEquals': { 'events:source': [source] } },
        }),
      );
    }
    // Same-account identities need no bus policy to publish: only an explicit Deny keeps them out.
    expect(() =>
      template.hasResourceProperties('AWS::Events::EventBusPolicy', {
        Statement: {
          Effect: 'Deny',
          Action: 'events:PutEvents',
          Principal: { AWS: '*' },
          Resource: busArn,
          Condition: {
            ArnNotLike: {
              'aws:PrincipalArn': [
                ...publishers.map(([role]) => roleArn(role)),
                {
                  'Fn::Join': [
                    '',
                    ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/credtrail-member-forwarder'],
                  ],
                },
              ],
            },
          },
        },
      }),
    ).not.toThrow();
  });

  it('lets the GuardDuty forwarder role be assumed by EventBridge only for its own rule, in this account', () => {
    const trust = propertiesOf(template, 'AWS::IAM::Role', 'GuardDutyForwarderRole')[
      'AssumeRolePolicyDocument'
    ];

    expect(ruleNamed('ForwardGuardDutyFindings')['Name']).toBe('credtrail-forward-guardduty-findings');
    expect(trust).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { Service: 'events.amazonaws.com' },
          Condition: {
            StringEquals: { 'aws:SourceAccount': '111111111111' },
            ArnEquals: {
              'aws:SourceArn': {
                'Fn::Join': [
                  '',
                  [
                    'arn:',
                    { Ref: 'AWS::Partition' },
                    ':events:us-east-1:111111111111:rule/credtrail-forward-guardduty-findings',
                  ],
                ],
              },
            },
          },
        },
      ],
    });
  });
});

describe('functions', () => {
  it.each(['Detector', 'Responder', 'Notifier'])('%s runs the house defaults', (name) => {
    const fn = functionNamed(`${name}Function`);

    expect(fn).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      LoggingConfig: {
        LogFormat: 'JSON',
        LogGroup: { Ref: logicalId(template, 'AWS::Logs::LogGroup', `${name}Logs`) },
      },
      Description: expect.stringMatching(/^credtrail /) as string,
      MemorySize: expect.any(Number) as number,
      Timeout: expect.any(Number) as number,
    });
  });

  it('gives every function log group a retention (explicit groups, no logRetention custom resource)', () => {
    for (const group of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
      expect(group['Properties']).toHaveProperty('RetentionInDays');
    }
    expect(Object.keys(template.findResources('Custom::LogRetention'))).toEqual([]);
  });

  it.each([
    ['DetectorFunction', DetectorEnvironmentSchema],
    ['ResponderFunction', ResponderEnvironmentSchema],
    ['NotifierFunction', NotifierEnvironmentSchema],
  ] as const)('%s gets every variable its handler requires, and only known ones', (name, schema) => {
    const set = Object.keys(functionNamed(name).Environment.Variables).filter((k) => k !== 'NODE_OPTIONS');
    const known = Object.keys(schema.shape);
    const required = known.filter(
      (key) => !(schema.shape as Record<string, ZodType>)[key]?.safeParse(undefined).success,
    );

    expect(set).toEqual(expect.arrayContaining(required));
    expect(known).toEqual(expect.arrayContaining(set));
  });

  it("hands the responder and notifier the same RESPONSE_CONFIG, which the responder's parser accepts", () => {
    const raw = functionNamed('ResponderFunction').Environment.Variables['RESPONSE_CONFIG'];
    if (typeof raw !== 'string')
      throw new Error('RESPONSE_CONFIG should be plain JSON for a stack with a known account');

    const config = parseResponseConfig(raw);

    expect(functionNamed('NotifierFunction').Environment.Variables['RESPONSE_CONFIG']).toBe(raw);
    expect(config.mode).toBe('dry-run');
    expect(config.trustedPublisherAccounts).toEqual(['111111111111']);
    expect(config.responderRolePatterns).toEqual(
      expect.arrayContaining(['credtrail-detector', 'credtrail-member-response']),
    );
  });

  it("carries the operator's response settings into RESPONSE_CONFIG", () => {
    const tuned = Template.fromStack(
      centralStack({
        'credtrail:mode': 'enforce',
        'credtrail:actionsBySeverity': '{"HIGH":["quarantine-instance"]}',
        'credtrail:protectedRoles': 'BreakGlass*',
        'credtrail:maxIncidentsPerHour': '2',
      }),
    );
    const raw = functionNamed('ResponderFunction', tuned).Environment.Variables['RESPONSE_CONFIG'] as string;

    const config = parseResponseConfig(raw);

    expect(config).toMatchObject({
      mode: 'enforce',
      actions: { HIGH: ['quarantine-instance'], MEDIUM: ['pin-to-network'] },
      protected: { roleNamePatterns: ['BreakGlass*'] },
      rateLimit: { maxIncidentsPerHour: 2 },
    });
  });

  it("sends asynchronous failures of the notifier to a queue, and the responder's to its own", () => {
    for (const [name, queue] of [
      ['NotifierFunction', 'AsyncFailureQueue'],
      ['ResponderFunction', 'ResponderFailureQueue'],
    ] as const) {
      expect(() =>
        template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
          FunctionName: { Ref: logicalId(template, 'AWS::Lambda::Function', name) },
          DestinationConfig: {
            OnFailure: {
              Destination: { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', queue), 'Arn'] },
            },
          },
        }),
      ).not.toThrow();
    }
  });

  it('retries the responder as often as its lifecycle counts attempts, then alarms on its failure queue', () => {
    expect(() =>
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: logicalId(template, 'AWS::Lambda::Function', 'ResponderFunction') },
        MaximumRetryAttempts: DEFAULT_MAX_ATTEMPTS - 1,
      }),
    ).not.toThrow();
    expect(() =>
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          {
            Name: 'QueueName',
            Value: {
              'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'ResponderFailureQueue'), 'QueueName'],
            },
          },
        ],
        Threshold: 1,
        AlarmActions: Match.anyValue(),
      }),
    ).not.toThrow();
  });

  it('counts responses that failed for good with a target-less rule and alarms on it', () => {
    const rule = ruleNamed('CountFinalResponseFailures');

    expect(rule['EventPattern']).toEqual(RESPONSE_FINAL_FAILURE_PATTERN);
    expect(rule['Targets']).toBeUndefined();
    expect(() =>
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'MatchedEvents',
        Dimensions: [
          { Name: 'EventBusName', Value: { Ref: logicalId(template, 'AWS::Events::EventBus', 'Bus') } },
          {
            Name: 'RuleName',
            Value: { Ref: logicalId(template, 'AWS::Events::Rule', 'CountFinalResponseFailures') },
          },
        ],
        AlarmActions: Match.anyValue(),
      }),
    ).not.toThrow();
  });

  it('feeds the detector from the ingest queue, reporting partial batch failures', () => {
    expect(() =>
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: logicalId(template, 'AWS::Lambda::Function', 'DetectorFunction') },
        EventSourceArn: { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'IngestQueue'), 'Arn'] },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      }),
    ).not.toThrow();
    expect(() =>
      template.hasResourceProperties('AWS::SQS::Queue', {
        VisibilityTimeout: 1800, // six times the detector's 5 minutes
        RedrivePolicy: {
          maxReceiveCount: 5,
          deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'IngestDlq'), 'Arn'] },
        },
      }),
    ).not.toThrow();
  });
});

describe('ingest', () => {
  it('without a topic, puts an S3 notification on the trail bucket for AWSLogs/ files', () => {
    expect(() =>
      template.hasResourceProperties('Custom::S3BucketNotifications', {
        BucketName: 'org-trail',
        NotificationConfiguration: {
          QueueConfigurations: [
            Match.objectLike({
              Events: ['s3:ObjectCreated:*'],
              Filter: {
                Key: {
                  FilterRules: [
                    { Name: 'suffix', Value: '.json.gz' },
                    { Name: 'prefix', Value: 'AWSLogs/' },
                  ],
                },
              },
            }),
          ],
        },
      }),
    ).not.toThrow();
  });

  it("with CloudTrail's topic, subscribes the queue with raw delivery instead", () => {
    const withTopic = Template.fromStack(
      centralStack({
        'credtrail:cloudTrailTopicArn': 'arn:aws:sns:us-east-1:222222222222:trail-notices',
        'credtrail:cloudTrailPrefix': 'org',
      }),
    );

    expect(() => withTopic.resourceCountIs('Custom::S3BucketNotifications', 0)).not.toThrow();
    expect(() =>
      withTopic.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'sqs',
        TopicArn: 'arn:aws:sns:us-east-1:222222222222:trail-notices',
        RawMessageDelivery: true,
        RedrivePolicy: Match.anyValue(),
      }),
    ).not.toThrow();
    const s3 = roleStatements(withTopic, 'DetectorRole').find((s) => s.Sid === 'ReadCloudTrailFiles');
    expect(s3?.Resource).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::org-trail/org/AWSLogs/*']],
    });
  });
});

describe('state, logs and alerts', () => {
  it.each([
    [
      'StateTable',
      [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      'expiresAt',
    ],
    ['ExceptionsTable', [{ AttributeName: 'exceptionId', KeyType: 'HASH' }], undefined],
    [
      'AuditTable',
      [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      'expiresAt',
    ],
    ['IdempotencyTable', [{ AttributeName: 'id', KeyType: 'HASH' }], 'expiration'],
  ])('%s has its keys, TTL, point-in-time recovery and encryption', (name, keys, ttl) => {
    const props = propertiesOf(template, 'AWS::DynamoDB::Table', name);

    expect(props['KeySchema']).toEqual(keys);
    expect(props['PointInTimeRecoverySpecification']).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(props['SSESpecification']).toEqual({ SSEEnabled: true });
    expect(props['TimeToLiveSpecification']).toEqual(
      ttl === undefined ? undefined : { AttributeName: ttl, Enabled: true },
    );
  });

  it('keeps the audit and exceptions tables when the stack goes', () => {
    for (const name of ['AuditTable', 'ExceptionsTable']) {
      expect(resourcesOf(template)[logicalId(template, 'AWS::DynamoDB::Table', name)]?.DeletionPolicy).toBe(
        'Retain',
      );
    }
  });

  it('creates the findings log group with a retention', () => {
    expect(() =>
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: '/credtrail/findings',
        RetentionInDays: 365,
      }),
    ).not.toThrow();
  });

  it('encrypts the alert topic with a rotating customer key CloudWatch may use, and subscribes each email with a DLQ', () => {
    const keyId = logicalId(template, 'AWS::KMS::Key', 'AlertKey');
    expect(() =>
      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } }),
    ).not.toThrow();
    expect(() =>
      template.hasResourceProperties('AWS::KMS::Key', {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            }),
          ]),
        },
      }),
    ).not.toThrow();
    for (const email of ['oncall@example.com', 'secops@example.com']) {
      expect(() =>
        template.hasResourceProperties('AWS::SNS::Subscription', {
          Protocol: 'email',
          Endpoint: email,
          RedrivePolicy: Match.anyValue(),
        }),
      ).not.toThrow();
    }
  });

  it('lets CloudWatch alarms of this account, and only those, publish to the alert topic beside its TLS Deny', () => {
    const topic = { Ref: logicalId(template, 'AWS::SNS::Topic', 'AlertTopic') };
    const statements = (
      propertiesOf(template, 'AWS::SNS::TopicPolicy', 'AlertTopicPolicy')['PolicyDocument'] as {
        Statement: Record<string, unknown>[];
      }
    ).Statement;

    expect(statements).toContainEqual({
      Sid: 'AllowCloudWatchAlarmsOfThisAccount',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: topic,
      Condition: {
        StringEquals: { 'aws:SourceAccount': '111111111111' },
        ArnLike: {
          'aws:SourceArn': {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:us-east-1:111111111111:alarm:*'],
            ],
          },
        },
      },
    });
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('encrypts every queue and refuses plain HTTP on it', () => {
    for (const queue of Object.values(template.findResources('AWS::SQS::Queue'))) {
      expect(queue['Properties']).toMatchObject({ SqsManagedSseEnabled: true });
    }
    expect(Object.keys(template.findResources('AWS::SQS::QueuePolicy')).length).toBe(8);
  });

  it('alarms on every DLQ, every function error, failed responder steps and final response failures, to the alert topic', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    const topic = { Ref: logicalId(template, 'AWS::SNS::Topic', 'AlertTopic') };

    expect(alarms).toHaveLength(13);
    for (const alarm of alarms)
      expect(alarm['Properties']).toMatchObject({ AlarmActions: [topic], Threshold: 1 });
  });
});

describe('IAM: least privilege per role', () => {
  it('every role has a description', () => {
    for (const [id, role] of Object.entries(template.findResources('AWS::IAM::Role'))) {
      if (id.startsWith('BucketNotificationsHandler')) continue; // CDK's own custom resource
      expect(role['Properties']).toHaveProperty('Description');
    }
  });

  it('grants no Action "*" and no unqualified Resource "*" to credtrail roles', () => {
    for (const prefix of ['DetectorRole', 'ResponderRole', 'NotifierRole', 'GuardDutyForwarderRole']) {
      for (const s of roleStatements(template, prefix)) {
        expect(s.Action).not.toBe('*');
        expect(s.Resource).not.toBe('*');
      }
    }
  });

  it('detector: trail objects, its tables, the bus, the findings log group and the member read role', () => {
    const statements = roleStatements(template, 'DetectorRole');

    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Sid: 'ReadCloudTrailFiles',
          Action: 's3:GetObject',
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::org-trail/AWSLogs/*']] },
        }),
        expect.objectContaining({
          Sid: 'AssumeMemberReadRole',
          Action: 'sts:AssumeRole',
          Resource: {
            'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/credtrail-member-read']],
          },
        }),
        expect.objectContaining({
          Action: 'events:PutEvents',
          Resource: { 'Fn::GetAtt': [logicalId(template, 'AWS::Events::EventBus', 'Bus'), 'Arn'] },
        }),
        expect.objectContaining({
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [logicalId(template, 'AWS::Logs::LogGroup', 'FindingsLogGroup'), 'Arn'] },
        }),
      ]),
    );
    const stateTable = { 'Fn::GetAtt': [logicalId(template, 'AWS::DynamoDB::Table', 'StateTable'), 'Arn'] };
    const exceptionsTable = {
      'Fn::GetAtt': [logicalId(template, 'AWS::DynamoDB::Table', 'ExceptionsTable'), 'Arn'],
    };
    const dynamo = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('dynamodb:')));
    expect(
      dynamo.flatMap((s): unknown[] =>
        Array.isArray(s.Resource) ? (s.Resource as unknown[]) : [s.Resource],
      ),
    ).toEqual(expect.arrayContaining([stateTable, exceptionsTable]));
    const onExceptions = dynamo.filter((s) => JSON.stringify(s.Resource).includes('ExceptionsTable'));
    expect(actionsOf(onExceptions).every((a) => !/Put|Update|Delete|Write/.test(a))).toBe(true);
    expect(actionsOf(statements).filter((a) => a.startsWith('sts:'))).toEqual(['sts:AssumeRole']);
    expect(
      statements.some(
        (s) =>
          actionsOf([s]).includes('sts:AssumeRole') && JSON.stringify(s.Resource).includes('member-response'),
      ),
    ).toBe(false);
  });

  it('detector: kms:Decrypt through S3 only, when the trail is KMS-encrypted', () => {
    const key = 'arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const statements = roleStatements(
      Template.fromStack(centralStack({ 'credtrail:cloudTrailKmsKeyArn': key })),
      'DetectorRole',
    );

    expect(statements).toContainEqual(
      expect.objectContaining({
        Sid: 'DecryptCloudTrailFiles',
        Action: 'kms:Decrypt',
        Resource: key,
        Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } },
      }),
    );
    expect(roleStatements(template, 'DetectorRole').some((s) => s.Sid === 'DecryptCloudTrailFiles')).toBe(
      false,
    );
  });

  it('responder: audit and idempotency tables, the bus and only the member response role', () => {
    const statements = roleStatements(template, 'ResponderRole');

    expect(statements).toContainEqual(
      expect.objectContaining({
        Sid: 'AssumeMemberResponseRole',
        Action: 'sts:AssumeRole',
        Resource: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/credtrail-member-response']],
        },
      }),
    );
    const resources = JSON.stringify(statements.map((s) => s.Resource));
    expect(resources).toContain(logicalId(template, 'AWS::DynamoDB::Table', 'AuditTable'));
    expect(resources).toContain(logicalId(template, 'AWS::DynamoDB::Table', 'IdempotencyTable'));
    expect(resources).not.toContain(logicalId(template, 'AWS::DynamoDB::Table', 'StateTable'));
    expect(actionsOf(statements).filter((a) => a.startsWith('sts:'))).toEqual(['sts:AssumeRole']);
  });

  it('notifier: publish to the topic, its key, and the alert ledger; nothing else', () => {
    const statements = roleStatements(template, 'NotifierRole');

    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Sid: 'PublishAlerts',
          Action: 'sns:Publish',
          Resource: { Ref: logicalId(template, 'AWS::SNS::Topic', 'AlertTopic') },
        }),
        expect.objectContaining({
          Sid: 'EncryptAlerts',
          Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
          Resource: { 'Fn::GetAtt': [logicalId(template, 'AWS::KMS::Key', 'AlertKey'), 'Arn'] },
        }),
        expect.objectContaining({
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
          Resource: [
            { 'Fn::GetAtt': [logicalId(template, 'AWS::DynamoDB::Table', 'IdempotencyTable'), 'Arn'] },
          ],
        }),
      ]),
    );
    expect(actionsOf(statements).filter((a) => !a.startsWith('logs:'))).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'sns:Publish',
      // the on-failure destination, granted by Lambda destinations on the failure queue only
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
    ]);
  });

  it('forwarder: only events:PutEvents on the credtrail bus, of GuardDuty findings', () => {
    // CDK's EventBus target adds its own unconditioned grant beside ours: the bus policy's
    // DenyGuardDutyForwarderOtherSources is what holds the forwarder to aws.guardduty.
    const statements = roleStatements(template, 'GuardDutyForwarderRole');
    expect(statements).toHaveLength(2);
    expect(statements).toEqual(
      expect.arrayContaining([
        {
          Effect: 'Allow',
          Action: 'events:PutEvents',
          Resource: { 'Fn::GetAtt': [logicalId(template, 'AWS::Events::EventBus', 'Bus'), 'Arn'] },
        },
        {
          Effect: 'Allow',
          Action: 'events:PutEvents',
          Resource: { 'Fn::GetAtt': [logicalId(template, 'AWS::Events::EventBus', 'Bus'), 'Arn'] },
          Condition: { 'ForAllValues:StringEquals': { 'events:source': ['aws.guardduty'] } },
        },
      ]),
    );
  });

  it('responder: the audit trail is append-only (explicit Deny of every way to remove an item)', () => {
    expect(roleStatements(template, 'ResponderRole')).toContainEqual({
      Sid: 'AuditTrailIsAppendOnly',
      Effect: 'Deny',
      Action: [
        'dynamodb:DeleteItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:PartiQLDelete',
        'dynamodb:DeleteTable',
      ],
      Resource: { 'Fn::GetAtt': [logicalId(template, 'AWS::DynamoDB::Table', 'AuditTable'), 'Arn'] },
    });
  });

  it('operators: a managed policy to run undo grants lambda:InvokeFunction on the responder and nothing else', () => {
    const policy = propertiesOf(template, 'AWS::IAM::ManagedPolicy', 'OperatorUndoPolicy');
    const outputs = (template.toJSON() as { Outputs: Record<string, { Value: unknown }> }).Outputs;

    expect(policy['PolicyDocument']).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'InvokeResponderForUndo',
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: {
            'Fn::GetAtt': [logicalId(template, 'AWS::Lambda::Function', 'ResponderFunction'), 'Arn'],
          },
        },
      ],
    });
    expect(outputs['OperatorUndoPolicyArn']?.Value).toEqual({
      Ref: logicalId(template, 'AWS::IAM::ManagedPolicy', 'OperatorUndoPolicy'),
    });
    expect(outputs['ResponderFunctionName']?.Value).toEqual({
      Ref: logicalId(template, 'AWS::Lambda::Function', 'ResponderFunction'),
    });
  });

  it('operators: the state, audit and exceptions table names that credtrail tune reads and writes are outputs', () => {
    const outputs = (template.toJSON() as { Outputs: Record<string, { Value: unknown }> }).Outputs;

    for (const [output, table] of [
      ['StateTableName', 'StateTable'],
      ['AuditTableName', 'AuditTable'],
      ['ExceptionsTableName', 'ExceptionsTable'],
    ])
      expect(outputs[output!]?.Value).toEqual({ Ref: logicalId(template, 'AWS::DynamoDB::Table', table!) });
  });
});

describe('cdk-nag gate', () => {
  it.each([
    ['with required settings only', {}],
    [
      'with every optional setting',
      {
        'credtrail:cloudTrailTopicArn': 'arn:aws:sns:us-east-1:222222222222:trail',
        'credtrail:cloudTrailPrefix': 'org',
        'credtrail:cloudTrailKmsKeyArn':
          'arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        'credtrail:mode': 'enforce',
        'credtrail:actionsBySeverity': {
          HIGH: ['revoke-sessions', 'quarantine-instance'],
          MEDIUM: ['pin-to-network'],
        },
        'credtrail:protectedRoles': ['BreakGlass*'],
        'credtrail:protectedInstances': ['i-0123456789abcdef0'],
        'credtrail:trustedAccounts': ['222222222222'],
        'credtrail:trustedPublisherAccounts': ['333333333333'],
        'credtrail:maxIncidentsPerHour': 3,
        'credtrail:responderSeverityThreshold': 5,
      },
    ],
  ])('AwsSolutions and Serverless report nothing unacknowledged %s', (_name, context) => {
    expect(nagFindings(context === undefined ? stack : centralStack(context))).toEqual([]);
  });

  it('every acknowledgement carries a reason of substance', () => {
    const acknowledged = stack.node
      .findAll()
      .flatMap((c) =>
        c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules' || /acknowledg/i.test(m.type)),
      )
      .flatMap((m) => Object.values(m.data as Record<string, string>));

    expect(acknowledged.length).toBeGreaterThan(10);
    for (const reason of acknowledged) expect(reason.length).toBeGreaterThan(40);
  });
});
