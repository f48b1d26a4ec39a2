import { Template } from 'aws-cdk-lib/assertions';
import { memberStack } from './stack-fixtures';
import {
  MEMBER_ACCOUNT,
  identityPoliciesOf,
  logicalIdStartingWith,
  simulate,
  type SimulatedRequest,
} from './template-policies';

// The synthesized member template, as deployed in account 222222222222 with protectedRoles=BreakGlass*,
// evaluated by iam-simulate as the responder's session in the member response role.
const template = Template.fromStack(memberStack({ 'credtrail:protectedRoles': 'BreakGlass*' }));
const identity = identityPoliciesOf(
  template,
  logicalIdStartingWith(template, 'AWS::IAM::Role', 'ResponseRole'),
  {
    account: MEMBER_ACCOUNT,
  },
);
const SESSION = `arn:aws:sts::${MEMBER_ACCOUNT}:assumed-role/credtrail-member-response/credtrail-responder`;

const role = (nameWithPath: string) => `arn:aws:iam::${MEMBER_ACCOUNT}:role/${nameWithPath}`;
const user = (name: string) => `arn:aws:iam::${MEMBER_ACCOUNT}:user/${name}`;
const ec2 = (resource: string) => `arn:aws:ec2:us-east-1:${MEMBER_ACCOUNT}:${resource}`;
const INSTANCE = ec2('instance/i-0a1b2c3d4e5f67890');
const PRODUCTION_GROUP = ec2('security-group/sg-0prod0000000000001');
const OWN_GROUP = ec2('security-group/sg-0credtrail00000001');
const SNAPSHOT = 'arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0';
const quarantined = { 'aws:ResourceTag/credtrail:quarantine': 'incident-1' };
const createdByCredtrail = { 'aws:ResourceTag/credtrail:created-by': 'incident-1' };
const toEc2Instance = {
  'iam:PassedToService': 'ec2.amazonaws.com',
  'iam:AssociatedResourceArn': INSTANCE,
};

function decide(action: string, resource: string, context: SimulatedRequest['context'] = {}) {
  return simulate({ principal: SESSION, action, resource, context }, { identity, account: MEMBER_ACCOUNT });
}

// Every case carries its context: jest hands a missing last argument to the test as `done`.
type Case = [string, string, string, NonNullable<SimulatedRequest['context']>];

describe('member response role, simulated: every planned call is still allowed', () => {
  const planned: Record<string, Case[]> = {
    'proof of instance and planning reads': [
      ['ec2:DescribeInstances', '*', 'the instance and its profile', {}],
      ['ec2:DescribeIamInstanceProfileAssociations', '*', 'its profile association', {}],
      ['ec2:DescribeInstanceAttribute', '*', 'its termination protection', {}],
      ['ec2:DescribeSecurityGroups', '*', 'the isolation groups', {}],
      ['ec2:DescribeNetworkInterfaces', '*', 'its interfaces', {}],
      ['ec2:DescribeNatGateways', '*', "the fleet's NAT addresses", {}],
      ['iam:GetRole', role('WebAppRole'), 'path and tags', {}],
      ['iam:ListRoleTags', role('WebAppRole'), 'tags', {}],
      ['iam:ListRolePolicies', role('app/WebAppRole'), 'inline policy names', {}],
      ['iam:GetRolePolicy', role('WebAppRole'), 'inline policy documents', {}],
      [
        'iam:GetInstanceProfile',
        `arn:aws:iam::${MEMBER_ACCOUNT}:instance-profile/WebApp`,
        'the role it holds',
        {},
      ],
      ['iam:ListAccessKeys', user('ci-deployer'), "a user's keys", {}],
    ],
    revoke: [['iam:PutRolePolicy', role('WebAppRole'), 'RevokeOldSessions on the role', {}]],
    pin: [['iam:PutRolePolicy', role('team/WebAppRole'), 'CredtrailPinToNetwork on a role with a path', {}]],
    quarantine: [
      [
        'ec2:CreateSecurityGroup',
        ec2('security-group/*'),
        'tagged on create',
        { 'aws:RequestTag/credtrail:created-by': 'incident-1', 'aws:TagKeys': ['credtrail:created-by'] },
      ],
      ['ec2:CreateSecurityGroup', ec2('vpc/vpc-0a1b2c3d'), 'in the VPC', {}],
      [
        'ec2:CreateTags',
        OWN_GROUP,
        'its creation tag',
        { 'ec2:CreateAction': 'CreateSecurityGroup', 'aws:TagKeys': ['credtrail:created-by'] },
      ],
      ['ec2:RevokeSecurityGroupEgress', OWN_GROUP, 'empties its isolation group', createdByCredtrail],
      ['ec2:AuthorizeSecurityGroupIngress', OWN_GROUP, 'opens its transition group', createdByCredtrail],
      ['ec2:AuthorizeSecurityGroupEgress', OWN_GROUP, 'opens its transition group', createdByCredtrail],
      [
        'ec2:ModifyNetworkInterfaceAttribute',
        ec2('network-interface/eni-0a1b2c3d'),
        'moves the interface',
        {},
      ],
      ['ec2:ModifyNetworkInterfaceAttribute', OWN_GROUP, 'into its group', {}],
      [
        'ec2:ModifyInstanceAttribute',
        INSTANCE,
        'termination protection',
        { 'ec2:Attribute': 'disableApiTermination' },
      ],
      ['ec2:CreateTags', INSTANCE, 'the quarantine tag', { 'aws:TagKeys': ['credtrail:quarantine'] }],
      ['ec2:CreateSnapshot', ec2('volume/vol-0a1b2c3d'), 'evidence', {}],
      [
        'ec2:CreateSnapshot',
        SNAPSHOT,
        'tagged evidence',
        { 'aws:RequestTag/credtrail:quarantine': 'incident-1', 'aws:TagKeys': ['credtrail:quarantine'] },
      ],
      [
        'ec2:CreateTags',
        SNAPSHOT,
        'its tag on create',
        { 'ec2:CreateAction': 'CreateSnapshot', 'aws:TagKeys': ['credtrail:quarantine'] },
      ],
      ['ec2:DisassociateIamInstanceProfile', INSTANCE, 'of the tagged instance', quarantined],
    ],
    undo: [
      ['iam:DeleteRolePolicy', role('WebAppRole'), 'removes the Deny', {}],
      ['iam:PutRolePolicy', role('WebAppRole'), 'restores the previous document', {}],
      ['ec2:ModifyNetworkInterfaceAttribute', PRODUCTION_GROUP, 'back into its recorded groups', {}],
      [
        'ec2:ModifyInstanceAttribute',
        INSTANCE,
        'termination protection back',
        { 'ec2:Attribute': 'disableApiTermination' },
      ],
      [
        'ec2:AssociateIamInstanceProfile',
        INSTANCE,
        'the recorded profile on the quarantined instance',
        quarantined,
      ],
      ['iam:PassRole', role('WebAppRole'), 'the recorded role to that instance', toEc2Instance],
      ['ec2:DeleteTags', INSTANCE, 'the quarantine tag', { 'aws:TagKeys': ['credtrail:quarantine'] }],
    ],
    'access keys (issue 17)': [
      ['iam:ListAccessKeys', user('ci-deployer'), "reads a created key's status before and at undo", {}],
      ['iam:GetUser', user('ci-deployer'), "the key's user: its path decides protection", {}],
      ['iam:ListUserTags', user('ci-deployer'), "the key's user: its tags decide protection", {}],
      [
        'iam:GetUser',
        user('ops/BreakGlass'),
        'a protected user is still read (to refuse it)',
        {
          'aws:ResourceTag/credtrail:protected': 'yes',
        },
      ],
      ['iam:UpdateAccessKey', user('ci-deployer'), 'deactivates a key, and undo re-activates it', {}],
    ],
    'roles the thief assumed (issue 17)': [
      ['iam:GetRole', role('admin-role'), 'path and tags decide protection', {}],
      ['iam:PutRolePolicy', role('admin-role'), 'RevokeOldSessions on the derived role', {}],
    ],
  };

  for (const [call, cases] of Object.entries(planned)) {
    it.each(cases)(`${call}: %s on %s (%s)`, async (action, resource, _why, context) => {
      await expect(decide(action, resource, context)).resolves.toBe('Allowed');
    });
  }
});

describe('member response role, simulated: each escalation of issue 11 is denied', () => {
  it.each([
    'credtrail-responder',
    'credtrail-detector',
    'credtrail-member-response',
    'credtrail-member-read',
    'CredtrailCentral-NotifierRole1A2B3C4D',
    'OrganizationAccountAccessRole',
    'AWSControlTowerExecution',
    'aws-controltower-AdministratorExecutionRole',
    'stacksets-exec-0123456789abcdef',
    'AWSCloudFormationStackSetExecutionRole',
    'cdk-hnb659fds-cfn-exec-role-222222222222-us-east-1',
    'aws-service-role/ec2.amazonaws.com/AWSServiceRoleForEC2',
    'BreakGlassAdmin',
    'admin/BreakGlassAdmin',
    'deep/er/path/BreakGlassOperator',
    'service-role/credtrail-detector',
  ])('iam:PutRolePolicy, DeleteRolePolicy and PassRole on role/%s', async (name) => {
    for (const action of ['iam:PutRolePolicy', 'iam:DeleteRolePolicy']) {
      await expect(decide(action, role(name))).resolves.toBe('ExplicitlyDenied');
    }
    await expect(decide('iam:PassRole', role(name), toEc2Instance)).resolves.toBe('ExplicitlyDenied');
  });

  // AWS itself refuses IAM writes on IAM Identity Center roles, and iam-simulate models that as an
  // implicit deny before any policy is read; the NeverTouch Deny on role/aws-reserved/* is asserted on
  // the template in member-response-policies.test.ts.
  it.each([
    'aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_0123456789abcdef',
    'aws-reserved/sso.amazonaws.com/eu-west-1/AnyName',
  ])('IAM Identity Center role/%s: no policy write, no PassRole', async (name) => {
    for (const action of ['iam:PutRolePolicy', 'iam:DeleteRolePolicy']) {
      await expect(decide(action, role(name))).resolves.not.toBe('Allowed');
    }
    await expect(decide('iam:PassRole', role(name), toEc2Instance)).resolves.not.toBe('Allowed');
  });

  it('iam:PutRolePolicy on a role tagged credtrail:protected (any value)', async () => {
    const tagged = { 'aws:ResourceTag/credtrail:protected': '' };
    await expect(decide('iam:PutRolePolicy', role('PaymentsRole'), tagged)).resolves.toBe('ExplicitlyDenied');
    await expect(decide('iam:PassRole', role('PaymentsRole'), { ...toEc2Instance, ...tagged })).resolves.toBe(
      'ExplicitlyDenied',
    );
  });

  it('iam:PassRole to any service but EC2, or to an instance of another account', async () => {
    await expect(
      decide('iam:PassRole', role('WebAppRole'), { 'iam:PassedToService': 'lambda.amazonaws.com' }),
    ).resolves.toBe('ImplicitlyDenied');
    await expect(
      decide('iam:PassRole', role('WebAppRole'), {
        'iam:PassedToService': 'ec2.amazonaws.com',
        'iam:AssociatedResourceArn': 'arn:aws:ec2:us-east-1:999999999999:instance/i-0a1b2c3d4e5f67890',
      }),
    ).resolves.toBe('ImplicitlyDenied');
  });

  it('ec2:AssociateIamInstanceProfile on an instance credtrail did not quarantine', async () => {
    await expect(decide('ec2:AssociateIamInstanceProfile', INSTANCE)).resolves.toBe('ImplicitlyDenied');
    await expect(decide('ec2:DisassociateIamInstanceProfile', INSTANCE)).resolves.toBe('ImplicitlyDenied');
  });

  it.each([
    'ec2:AuthorizeSecurityGroupIngress',
    'ec2:AuthorizeSecurityGroupEgress',
    'ec2:RevokeSecurityGroupEgress',
    'ec2:RevokeSecurityGroupIngress',
  ])('%s on a production security group', async (action) => {
    await expect(decide(action, PRODUCTION_GROUP)).resolves.toBe('ImplicitlyDenied');
  });

  it('ec2:CreateSecurityGroup without the credtrail:created-by tag', async () => {
    await expect(decide('ec2:CreateSecurityGroup', ec2('security-group/*'))).resolves.toBe(
      'ImplicitlyDenied',
    );
  });

  it.each([
    ['ec2:DeleteTags', ['credtrail:protected'], 'ExplicitlyDenied'],
    ['ec2:DeleteTags', ['credtrail:quarantine', 'credtrail:protected'], 'ExplicitlyDenied'],
    ['ec2:CreateTags', ['credtrail:protected'], 'ExplicitlyDenied'],
    ['ec2:DeleteTags', ['Name'], 'ImplicitlyDenied'],
    ['ec2:CreateTags', ['Environment', 'credtrail:quarantine'], 'ImplicitlyDenied'],
  ])('%s on an instance with tag keys %j', async (action, keys, decision) => {
    await expect(decide(action, INSTANCE, { 'aws:TagKeys': keys })).resolves.toBe(decision);
  });

  it('ec2:DeleteTags without tag keys (which deletes every tag)', async () => {
    await expect(decide('ec2:DeleteTags', INSTANCE)).resolves.toBe('ExplicitlyDenied');
  });

  it.each(['userData', 'instanceType', 'groupSet', 'sourceDestCheck', 'disableApiStop'])(
    'ec2:ModifyInstanceAttribute %s',
    async (attribute) => {
      await expect(
        decide('ec2:ModifyInstanceAttribute', INSTANCE, { 'ec2:Attribute': attribute }),
      ).resolves.toBe('ImplicitlyDenied');
    },
  );

  it('any write on an instance, interface or volume tagged credtrail:protected', async () => {
    const tagged = { 'aws:ResourceTag/credtrail:protected': 'true' };
    await expect(
      decide('ec2:ModifyInstanceAttribute', INSTANCE, {
        ...tagged,
        'ec2:Attribute': 'disableApiTermination',
      }),
    ).resolves.toBe('ExplicitlyDenied');
    await expect(
      decide('ec2:ModifyNetworkInterfaceAttribute', ec2('network-interface/eni-0a1b2c3d'), tagged),
    ).resolves.toBe('ExplicitlyDenied');
    await expect(decide('ec2:CreateSnapshot', ec2('volume/vol-0a1b2c3d'), tagged)).resolves.toBe(
      'ExplicitlyDenied',
    );
  });

  it('iam:UpdateAccessKey on a user tagged credtrail:protected', async () => {
    await expect(
      decide('iam:UpdateAccessKey', user('ops/alice'), { 'aws:ResourceTag/credtrail:protected': 'yes' }),
    ).resolves.toBe('ExplicitlyDenied');
  });

  it.each([
    ['iam:DeleteAccessKey', user('ci-deployer')],
    ['iam:CreateAccessKey', user('ci-deployer')],
  ])('%s, ever', async (action, resource) => {
    await expect(decide(action, resource)).resolves.toBe('ExplicitlyDenied');
  });

  it.each([
    ['iam:AttachRolePolicy', role('WebAppRole')],
    ['iam:UpdateAssumeRolePolicy', role('WebAppRole')],
    ['iam:CreateRole', role('Backdoor')],
    ['iam:TagRole', role('WebAppRole')],
    ['iam:UntagRole', role('PaymentsRole')],
    // Reading a user's tags (issue 17) does not come with changing them: its protection stays put.
    ['iam:UntagUser', user('ops/alice')],
    ['iam:TagUser', user('ops/alice')],
    ['iam:DeleteUser', user('ci-deployer')],
    ['ec2:RunInstances', INSTANCE],
    ['ec2:TerminateInstances', INSTANCE],
    ['ec2:DeleteSecurityGroup', PRODUCTION_GROUP],
    ['ec2:ModifySnapshotAttribute', SNAPSHOT],
  ])('%s (never granted)', async (action, resource) => {
    await expect(decide(action, resource)).resolves.toBe('ImplicitlyDenied');
  });
});

describe('member response role, simulated: what IAM cannot stop (see docs/threat-model.md)', () => {
  it('PutRolePolicy on an unprotected role is allowed whatever the document: IAM has no key for it', async () => {
    // The same request shape as revoke: nothing in it tells IAM whether the document is a Deny.
    await expect(decide('iam:PutRolePolicy', role('WebAppRole'))).resolves.toBe('Allowed');
  });
});
