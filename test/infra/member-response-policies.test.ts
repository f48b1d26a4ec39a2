import * as iam from 'aws-cdk-lib/aws-iam';
import { Template } from 'aws-cdk-lib/assertions';
import { nagFindings } from '../../lib/infra/nag-gate';
import { countPolicyCharacters, ROLE_INLINE_POLICY_CHARACTER_LIMIT } from '../../policies/policy-document';
import { memberStack } from './stack-fixtures';
import { MEMBER_ACCOUNT, identityPoliciesOf, logicalIdStartingWith } from './template-policies';

const stack = memberStack({ 'credtrail:protectedRoles': 'BreakGlass*' });
const template = Template.fromStack(stack);
const roleId = logicalIdStartingWith(template, 'AWS::IAM::Role', 'ResponseRole');
const policies = identityPoliciesOf(template, roleId, { account: MEMBER_ACCOUNT });

const iamArn = (resource: string) => `arn:aws:iam::${MEMBER_ACCOUNT}:${resource}`;
const ec2 = (resource: string) => `arn:aws:ec2:*:${MEMBER_ACCOUNT}:${resource}`;
const SNAPSHOTS = 'arn:aws:ec2:*::snapshot/*';
// IAM quota for one customer managed policy (IAM User Guide, "IAM and AWS STS quotas").
const MANAGED_POLICY_CHARACTER_LIMIT = 6_144;

/**
 * Every Allow of the member response role, statement by statement: a new action, resource or a
 * loosened condition fails here, even where a cdk-nag acknowledgement already covers the wildcard.
 */
const EXPECTED_ALLOWS: Record<string, Record<string, unknown>> = {
  DescribeForPlanning: {
    Action: [
      'ec2:DescribeInstances',
      'ec2:DescribeInstanceAttribute',
      'ec2:DescribeIamInstanceProfileAssociations',
      'ec2:DescribeSecurityGroups',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeNatGateways',
    ],
    Resource: '*',
  },
  ReadRoles: {
    Action: ['iam:GetRole', 'iam:GetRolePolicy', 'iam:ListRolePolicies', 'iam:ListRoleTags'],
    Resource: iamArn('role/*'),
  },
  ReadInstanceProfiles: { Action: 'iam:GetInstanceProfile', Resource: iamArn('instance-profile/*') },
  ReadAccessKeys: {
    Action: ['iam:GetUser', 'iam:ListUserTags', 'iam:ListAccessKeys'],
    Resource: iamArn('user/*'),
  },
  WriteInlineRolePolicies: {
    Action: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
    Resource: iamArn('role/*'),
  },
  DeactivateAccessKeys: { Action: 'iam:UpdateAccessKey', Resource: iamArn('user/*') },
  CreateQuarantineGroups: {
    Action: 'ec2:CreateSecurityGroup',
    Resource: ec2('security-group/*'),
    Condition: { Null: { 'aws:RequestTag/credtrail:created-by': 'false' } },
  },
  CreateQuarantineGroupsInVpcs: { Action: 'ec2:CreateSecurityGroup', Resource: ec2('vpc/*') },
  TagOnCreate: {
    Action: 'ec2:CreateTags',
    Resource: [ec2('security-group/*'), SNAPSHOTS],
    Condition: { StringEquals: { 'ec2:CreateAction': ['CreateSecurityGroup', 'CreateSnapshot'] } },
  },
  WriteRulesOfOwnGroups: {
    Action: [
      'ec2:AuthorizeSecurityGroupIngress',
      'ec2:AuthorizeSecurityGroupEgress',
      'ec2:RevokeSecurityGroupEgress',
    ],
    Resource: ec2('security-group/*'),
    Condition: { Null: { 'aws:ResourceTag/credtrail:created-by': 'false' } },
  },
  MoveInterfacesBetweenGroups: {
    Action: 'ec2:ModifyNetworkInterfaceAttribute',
    Resource: [ec2('network-interface/*'), ec2('security-group/*'), ec2('instance/*')],
  },
  ProtectFromTermination: {
    Action: 'ec2:ModifyInstanceAttribute',
    Resource: ec2('instance/*'),
    Condition: { StringEquals: { 'ec2:Attribute': 'disableApiTermination' } },
  },
  TagQuarantinedInstances: {
    Action: ['ec2:CreateTags', 'ec2:DeleteTags'],
    Resource: ec2('instance/*'),
    Condition: {
      'ForAllValues:StringLike': { 'aws:TagKeys': ['credtrail:*'] },
      Null: { 'aws:TagKeys': 'false' },
    },
  },
  SnapshotEvidence: { Action: 'ec2:CreateSnapshot', Resource: ec2('volume/*') },
  CreateTaggedSnapshots: {
    Action: 'ec2:CreateSnapshot',
    Resource: SNAPSHOTS,
    Condition: { Null: { 'aws:RequestTag/credtrail:quarantine': 'false' } },
  },
  SwapProfileOfQuarantinedInstances: {
    Action: ['ec2:DisassociateIamInstanceProfile', 'ec2:AssociateIamInstanceProfile'],
    Resource: ec2('instance/*'),
    Condition: { Null: { 'aws:ResourceTag/credtrail:quarantine': 'false' } },
  },
  PassRecordedRoleBackToInstance: {
    Action: 'iam:PassRole',
    Resource: iamArn('role/*'),
    Condition: {
      StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' },
      ArnLike: { 'iam:AssociatedResourceArn': ec2('instance/*') },
    },
  },
};

const ROLE_WRITES = ['iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:PassRole'];
const FENCE = logicalIdStartingWith(template, 'AWS::IAM::ManagedPolicy', 'ResponseRoleFence');
const statementsOf = (name: string) => policies.find((p) => p.name === name)?.policy.Statement ?? [];

describe('member response role: each statement, exactly', () => {
  it('has one policy per Allow statement, named by its Sid, and two policies of Denies only', () => {
    expect(policies.map((p) => p.name).sort()).toEqual(
      ['NeverTouch', FENCE, ...Object.keys(EXPECTED_ALLOWS)].sort(),
    );
    for (const { name, policy } of policies.filter((p) => p.name in EXPECTED_ALLOWS)) {
      expect(policy.Statement).toEqual([{ Sid: name, Effect: 'Allow', ...EXPECTED_ALLOWS[name] }]);
    }
    for (const name of ['NeverTouch', FENCE]) {
      expect(statementsOf(name).every((s) => s['Effect'] === 'Deny')).toBe(true);
    }
  });

  it('denies role writes and PassRole on credtrail, landing-zone and protected roles, at any path', () => {
    const denies = statementsOf(FENCE);
    const byName = denies.find((s) => s['Sid'] === 'NeverTouchCredtrailLandingZoneOrProtectedRoles');

    expect(byName?.['Action']).toEqual(ROLE_WRITES);
    expect(byName?.['Resource']).toEqual(
      expect.arrayContaining(
        [
          'role/credtrail-responder',
          'role/*/credtrail-responder',
          'role/credtrail-detector',
          'role/credtrail-member-read',
          'role/credtrail-member-response',
          'role/credtrail-*',
          'role/*/Credtrail*',
          'role/OrganizationAccountAccessRole',
          'role/*/OrganizationAccountAccessRole',
          'role/AWSControlTowerExecution',
          'role/cdk-*',
          'role/*/cdk-*',
          'role/aws-service-role/*',
          'role/aws-reserved/*',
          'role/BreakGlass*',
          'role/*/BreakGlass*',
        ].map(iamArn),
      ),
    );
    expect(denies.find((s) => s['Sid'] === 'NeverTouchRolesTaggedProtected')).toEqual({
      Sid: 'NeverTouchRolesTaggedProtected',
      Effect: 'Deny',
      Action: ROLE_WRITES,
      Resource: iamArn('role/*'),
      Condition: { Null: { 'aws:ResourceTag/credtrail:protected': 'false' } },
    });
  });

  it('keeps the protection tag and every other tag out of reach; never creates or deletes keys', () => {
    const denies = statementsOf('NeverTouch');

    expect(denies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Sid: 'NeverWriteTheProtectionTag',
          Action: ['ec2:CreateTags', 'ec2:DeleteTags'],
          Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['credtrail:protected'] } },
        }),
        expect.objectContaining({
          Sid: 'NeverDeleteAllTags',
          Action: 'ec2:DeleteTags',
          Condition: { Null: { 'aws:TagKeys': 'true' } },
        }),
        expect.objectContaining({
          Sid: 'NeverCreateOrDeleteAccessKeys',
          Action: ['iam:CreateAccessKey', 'iam:DeleteAccessKey'],
        }),
      ]),
    );
  });

  it("fits IAM's size quotas with thirty protected patterns: 10,240 for inline policies, 6,144 for the fence", () => {
    const many = Array.from({ length: 30 }, (_, i) => `ProtectedTeamRole${i}-*`).join(',');
    const big = Template.fromStack(memberStack({ 'credtrail:protectedRoles': many }));
    const fence = logicalIdStartingWith(big, 'AWS::IAM::ManagedPolicy', 'ResponseRoleFence');
    const all = identityPoliciesOf(big, logicalIdStartingWith(big, 'AWS::IAM::Role', 'ResponseRole'), {
      account: MEMBER_ACCOUNT,
    });
    const size = (name?: string) =>
      all
        .filter((p) => (name === undefined ? p.name !== fence : p.name === name))
        .reduce((sum, p) => sum + countPolicyCharacters(JSON.stringify(p.policy)), 0);

    expect(size()).toBeLessThan(ROLE_INLINE_POLICY_CHARACTER_LIMIT);
    expect(size(fence)).toBeGreaterThan(0);
    expect(size(fence)).toBeLessThan(MANAGED_POLICY_CHARACTER_LIMIT);
  });
});

describe('member response role: cdk-nag acknowledgements per statement', () => {
  function acknowledgedOn(path: string): string[] {
    const construct = stack.node.findAll().find((c) => c.node.path === path);
    return (construct?.node.metadata ?? [])
      .filter((m) => m.type === 'aws:cdk:acknowledged-rules')
      .flatMap((m) => Object.keys(m.data as Record<string, string>))
      .map((id) => id.replace(/^Annotation::/, ''));
  }

  it('acknowledges nothing on the role itself: each wildcard is acknowledged on its own statement', () => {
    expect(acknowledgedOn('Member/ResponseRole')).toEqual([]);
    expect(acknowledgedOn('Member/ResponseWriteInlineRolePolicies')).toEqual([
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/*]',
    ]);
    expect(acknowledgedOn('Member/ResponseTagOnCreate')).toEqual([
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:*:<AWS::AccountId>:security-group/*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:*::snapshot/*]',
    ]);
  });

  it('fails the gate when a new statement with a wildcard is added to the role (canary)', () => {
    const canary = memberStack();
    new iam.Policy(canary, 'Canary', {
      roles: [canary.responseRole],
      statements: [
        new iam.PolicyStatement({ actions: ['iam:AttachRolePolicy'], resources: ['arn:aws:iam::*:role/*'] }),
      ],
    });

    expect(nagFindings(canary).map((f) => f.rule)).toEqual([
      'AwsSolutions-IAM5[Resource::arn:aws:iam::*:role/*]',
    ]);
  });
});
