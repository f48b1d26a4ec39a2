import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { MemberConfigSchema, readConfig } from '../../lib/infra/credtrail-config';
import { INSTANCE_CREDENTIAL_CALL_PATTERN } from '../../lib/infra/event-patterns';
import { MemberForwarderStack } from '../../lib/infra/member-forwarder-stack';
import { nagFindings } from '../../lib/infra/nag-gate';
import { CENTRAL_ACCOUNT, centralStack, logicalId, memberStack, type Statement } from './stack-fixtures';

interface Resource {
  readonly Properties: Record<string, unknown> & {
    readonly AssumeRolePolicyDocument?: { readonly Statement: unknown[] };
    readonly PolicyDocument?: { readonly Statement: Statement[] };
    readonly Roles?: unknown;
    readonly Statement?: { readonly Sid: string };
  };
}

const resources = (template: Template, type: string, props?: object): Resource[] =>
  Object.values(template.findResources(type, props)) as Resource[];

function forwarderStack(): MemberForwarderStack {
  const config = readConfig(MemberConfigSchema, {
    'credtrail:centralAccountId': CENTRAL_ACCOUNT,
    'credtrail:centralRegion': 'eu-west-1',
  });
  return new MemberForwarderStack(new App(), 'Forwarder', {
    config: { ...config, centralRegion: 'eu-west-1' },
    env: { account: '222222222222', region: 'us-east-1' },
  });
}

describe('real-time path: member region stack', () => {
  const stack = forwarderStack();
  const template = Template.fromStack(stack);

  it('forwards instance-credential calls, read-only ones included, to the central bus', () => {
    const rules = template.findResources('AWS::Events::Rule');
    expect(Object.values(rules)).toHaveLength(1);
    const rule = Object.values(rules)[0]?.['Properties'] as Record<string, unknown>;

    expect(rule).toMatchObject({
      Name: 'credtrail-realtime-forward',
      EventBusName: 'default',
      // Without this state GetCallerIdentity, ListBuckets and Describe* never reach the rule.
      State: 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
      EventPattern: INSTANCE_CREDENTIAL_CALL_PATTERN,
    });
    expect(rule['Targets']).toEqual([
      expect.objectContaining({
        Arn: {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':events:eu-west-1:111111111111:event-bus/credtrail'],
          ],
        },
        RoleArn: {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':iam::222222222222:role/credtrail-member-forwarder'],
          ],
        },
        DeadLetterConfig: {
          Arn: { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'ForwardDlq'), 'Arn'] },
        },
      }),
    ]);
  });

  it('passes the nag gate', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});

describe('real-time path: member account role', () => {
  const template = Template.fromStack(memberStack());

  it('trusts EventBridge only for this account and its forwarding rule, and may only put on the central bus', () => {
    const [role] = resources(template, 'AWS::IAM::Role', {
      Properties: { RoleName: 'credtrail-member-forwarder' },
    });
    expect(role?.Properties.AssumeRolePolicyDocument?.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: {
            'aws:SourceArn': {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':events:*:',
                  { Ref: 'AWS::AccountId' },
                  ':rule/credtrail-realtime-forward',
                ],
              ],
            },
          },
        },
      },
    ]);
    const policies = resources(template, 'AWS::IAM::Policy').filter((policy) =>
      JSON.stringify(policy.Properties.Roles).includes('ForwarderRole'),
    );
    expect(policies.flatMap((policy) => policy.Properties.PolicyDocument?.Statement ?? [])).toEqual([
      {
        Sid: 'PutOnCentralBus',
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Resource: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:*:111111111111:event-bus/credtrail']],
        },
      },
    ]);
  });
});

describe('real-time path: central account', () => {
  const template = Template.fromStack(centralStack({ 'credtrail:organizationId': 'o-abcdef1234' }));
  const queueId = logicalId(template, 'AWS::SQS::Queue', 'RealtimeIngestQueue');

  it('queues forwarded calls for the detector, batched, with a dead-letter queue', () => {
    expect(() =>
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
        FunctionName: { Ref: logicalId(template, 'AWS::Lambda::Function', 'DetectorFunction') },
        BatchSize: 100,
        MaximumBatchingWindowInSeconds: 5,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      }),
    ).not.toThrow();
    expect(() =>
      template.hasResourceProperties('AWS::SQS::Queue', {
        RedrivePolicy: {
          deadLetterTargetArn: {
            'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'RealtimeIngestDlq'), 'Arn'],
          },
          maxReceiveCount: 5,
        },
      }),
    ).not.toThrow();
  });

  it('routes the forwarded calls from the bus to that queue', () => {
    expect(() =>
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: INSTANCE_CREDENTIAL_CALL_PATTERN,
        Targets: [{ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } }],
      }),
    ).not.toThrow();
  });

  it('admits member forwarders of the organisation, for CloudTrail events only', () => {
    expect(() =>
      template.hasResourceProperties('AWS::Events::EventBusPolicy', {
        Statement: {
          Sid: 'cdk-AllowMemberRealtimeForwarders',
          Effect: 'Allow',
          Action: 'events:PutEvents',
          Principal: { AWS: '*' },
          Condition: {
            StringEquals: {
              'aws:PrincipalOrgID': 'o-abcdef1234',
              'events:detail-type': 'AWS API Call via CloudTrail',
            },
            StringLike: { 'events:source': 'aws.*' },
            ArnLike: {
              'aws:PrincipalArn': {
                'Fn::Join': [
                  '',
                  ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/credtrail-member-forwarder'],
                ],
              },
            },
          },
        },
      }),
    ).not.toThrow();
  });

  it('admits no other account without an organisation id', () => {
    const closed = Template.fromStack(centralStack());
    const statements = resources(closed, 'AWS::Events::EventBusPolicy').map(
      (policy) => policy.Properties.Statement?.Sid,
    );
    expect(statements).not.toContain('cdk-AllowMemberRealtimeForwarders');
  });
});
