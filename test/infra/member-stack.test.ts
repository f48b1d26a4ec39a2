import { Template } from 'aws-cdk-lib/assertions';
import { nagFindings } from '../../lib/infra/nag-gate';
import { memberStack, type Statement } from './stack-fixtures';

const stack = memberStack({ 'credtrail:protectedRoles': 'BreakGlass*' });
const template = Template.fromStack(stack);

function role(prefix: string): Record<string, unknown> {
  const entry = Object.entries(template.findResources('AWS::IAM::Role')).find(([id]) =>
    id.startsWith(prefix),
  );
  if (entry === undefined) throw new Error(`no role ${prefix}`);
  return entry[1]['Properties'] as Record<string, unknown>;
}

function statements(prefix: string): Statement[] {
  const policies = role(prefix)['Policies'] as { PolicyDocument: { Statement: Statement[] } }[];
  return policies.flatMap((p) => p.PolicyDocument.Statement);
}

function trust(prefix: string): Statement[] {
  return (role(prefix)['AssumeRolePolicyDocument'] as { Statement: Statement[] }).Statement;
}

const centralRole = (name: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::111111111111:role/${name}`]],
});
const local = (resource: string) => ({
  'Fn::Join': [
    '',
    ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, `:role/${resource}`],
  ],
});

describe('member stack', () => {
  it.each([
    ['ReadRole', 'credtrail-member-read', 'credtrail-detector'],
    ['ResponseRole', 'credtrail-member-response', 'credtrail-responder'],
  ])('%s is named %s, described, and trusts only the central %s role', (prefix, name, central) => {
    expect(role(prefix)).toMatchObject({
      RoleName: name,
      Description: expect.stringMatching(/^credtrail: /) as string,
    });
    expect(trust(prefix)).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: {
          AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:root']] },
        },
        Condition: { ArnEquals: { 'aws:PrincipalArn': centralRole(central) } },
      },
    ]);
  });

  it('read role: four EC2 Describe calls and nothing else', () => {
    expect(statements('ReadRole')).toEqual([
      {
        Sid: 'DescribeInstanceNetworks',
        Effect: 'Allow',
        Action: [
          'ec2:DescribeInstances',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeNatGateways',
          'ec2:DescribeVpcEndpoints',
        ],
        Resource: '*',
      },
    ]);
  });

  it('response role: inline role policies on this account, never on its own, service-linked or protected roles', () => {
    const all = statements('ResponseRole');
    const bySid = (sid: string) => all.find((s) => s.Sid === sid);

    expect(bySid('ManageInlineRolePolicies')).toEqual({
      Sid: 'ManageInlineRolePolicies',
      Effect: 'Allow',
      Action: [
        'iam:GetRole',
        'iam:GetRolePolicy',
        'iam:ListRolePolicies',
        'iam:PutRolePolicy',
        'iam:DeleteRolePolicy',
      ],
      Resource: local('*'),
    });
    expect(bySid('NeverTouchOwnOrProtectedRoles')).toEqual({
      Sid: 'NeverTouchOwnOrProtectedRoles',
      Effect: 'Deny',
      Action: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
      Resource: [
        local('credtrail-member-read'),
        local('credtrail-member-response'),
        local('credtrail-member-forwarder'),
        local('aws-service-role/*'),
        local('BreakGlass*'),
      ],
    });
    expect(bySid('PassRoleBackToEc2OnUndo')).toMatchObject({
      Action: 'iam:PassRole',
      Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    });
  });

  it('response role: exactly the EC2 actions revoke, pin and quarantine need, scoped to this account', () => {
    const all = statements('ResponseRole');
    const ec2Actions = all
      .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]))
      .filter((a) => a.startsWith('ec2:') && !a.startsWith('ec2:Describe'))
      .sort();

    expect(ec2Actions).toEqual(
      [
        'ec2:AssociateIamInstanceProfile',
        'ec2:AuthorizeSecurityGroupEgress',
        'ec2:AuthorizeSecurityGroupIngress',
        'ec2:CreateSecurityGroup',
        'ec2:CreateSnapshot',
        'ec2:CreateTags',
        'ec2:DeleteTags',
        'ec2:DisassociateIamInstanceProfile',
        'ec2:ModifyInstanceAttribute',
        'ec2:ModifyNetworkInterfaceAttribute',
        'ec2:RevokeSecurityGroupEgress',
        'ec2:RevokeSecurityGroupIngress',
      ].sort(),
    );
    for (const s of all.filter((st) => st.Sid !== 'DescribeForPlanning')) {
      expect(s.Resource).not.toBe('*');
      expect(JSON.stringify(s.Action)).not.toContain('*');
    }
  });

  it('needs no bootstrap: StackSets deploy the template as it is', () => {
    const json = template.toJSON() as { Parameters?: Record<string, unknown>; Rules?: unknown };

    expect(json.Parameters?.['BootstrapVersion']).toBeUndefined();
    expect(json.Rules).toBeUndefined();
  });

  it('passes the nag gate with its acknowledgements', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});
