import { artefactsOf } from '../../lib/engine/taint-artefacts';
import { readSignedCall, type SignedCall } from '../../lib/engine/taint-call';
import { roleSession } from '../support/taint-trail';

const identity = roleSession('arn:aws:iam::222222222222:role/deploy-role', 'thief-deploy');

function signed(
  eventSource: string,
  eventName: string,
  requestParameters: unknown,
  responseElements: unknown = null,
  extra: Record<string, unknown> = {},
): SignedCall {
  const call = readSignedCall({
    eventVersion: '1.09',
    userIdentity: { ...identity, accessKeyId: 'ASIAHOPTWODEPLOY0002' },
    eventTime: '2026-11-26T10:06:00Z',
    eventSource,
    eventName,
    awsRegion: 'eu-west-1',
    sourceIPAddress: '198.51.100.7',
    requestParameters,
    responseElements,
    eventID: `e-${eventName}`,
    recipientAccountId: '222222222222',
    ...extra,
  });
  if (call === undefined) throw new Error('fixture is not a signed call');
  return call;
}

// Each rule: a record shaped as CloudTrail writes the API (request parameters as sent, response
// elements as returned), the artefact it must name, and a near miss that must name nothing.
const cases: {
  name: string;
  positive: SignedCall;
  expected: { kind: string; id: string; context?: string | null };
  negative: SignedCall;
}[] = [
  {
    name: 'CreateAccessKey',
    positive: signed(
      'iam.amazonaws.com',
      'CreateAccessKey',
      { userName: 'backup-bot' },
      {
        accessKey: {
          userName: 'backup-bot',
          accessKeyId: 'AKIAPERSISTENT000001',
          status: 'Active',
          createDate: 'Nov 26, 2026, 10:06:00 AM',
        },
      },
    ),
    expected: { kind: 'access-key', id: 'AKIAPERSISTENT000001', context: 'user backup-bot' },
    negative: signed('iam.amazonaws.com', 'CreateAccessKey', { userName: 'backup-bot' }, null, {
      errorCode: 'LimitExceeded',
    }),
  },
  {
    name: 'CreateLoginProfile',
    positive: signed(
      'iam.amazonaws.com',
      'CreateLoginProfile',
      { userName: 'backup-bot', passwordResetRequired: false },
      {
        loginProfile: {
          userName: 'backup-bot',
          createDate: 'Nov 26, 2026, 10:06:00 AM',
          passwordResetRequired: false,
        },
      },
    ),
    expected: { kind: 'login-profile', id: 'backup-bot' },
    negative: signed('iam.amazonaws.com', 'GetLoginProfile', { userName: 'backup-bot' }),
  },
  {
    name: 'CreateUser',
    positive: signed(
      'iam.amazonaws.com',
      'CreateUser',
      { userName: 'svc-backup' },
      {
        user: {
          userName: 'svc-backup',
          arn: 'arn:aws:iam::222222222222:user/svc-backup',
          userId: 'AIDAEXAMPLE',
          path: '/',
        },
      },
    ),
    expected: { kind: 'user', id: 'svc-backup', context: 'arn:aws:iam::222222222222:user/svc-backup' },
    negative: signed('iam.amazonaws.com', 'CreateUser', { userName: 'svc-backup' }, null, {
      errorCode: 'AccessDenied',
    }),
  },
  {
    name: 'CreateRole',
    positive: signed(
      'iam.amazonaws.com',
      'CreateRole',
      { roleName: 'ops-break-glass', assumeRolePolicyDocument: '{}' },
      {
        role: { roleName: 'ops-break-glass', arn: 'arn:aws:iam::222222222222:role/ops-break-glass' },
      },
    ),
    expected: {
      kind: 'role',
      id: 'ops-break-glass',
      context: 'arn:aws:iam::222222222222:role/ops-break-glass',
    },
    negative: signed('iam.amazonaws.com', 'GetRole', { roleName: 'ops-break-glass' }),
  },
  {
    name: 'CreatePolicy',
    positive: signed(
      'iam.amazonaws.com',
      'CreatePolicy',
      { policyName: 'allow-all', policyDocument: '{}' },
      {
        policy: { policyName: 'allow-all', arn: 'arn:aws:iam::222222222222:policy/allow-all' },
      },
    ),
    expected: { kind: 'policy', id: 'arn:aws:iam::222222222222:policy/allow-all' },
    negative: signed('iam.amazonaws.com', 'ListPolicies', { scope: 'Local' }),
  },
  {
    name: 'AttachUserPolicy',
    positive: signed('iam.amazonaws.com', 'AttachUserPolicy', {
      userName: 'backup-bot',
      policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
    }),
    expected: {
      kind: 'policy-attachment',
      id: 'user/backup-bot',
      context: 'arn:aws:iam::aws:policy/AdministratorAccess',
    },
    negative: signed('iam.amazonaws.com', 'AttachUserPolicy', { userName: 'backup-bot' }),
  },
  {
    name: 'PutRolePolicy',
    positive: signed('iam.amazonaws.com', 'PutRolePolicy', {
      roleName: 'deploy-role',
      policyName: 'extra',
      policyDocument: '{}',
    }),
    expected: { kind: 'policy-attachment', id: 'role/deploy-role', context: 'extra' },
    negative: signed(
      'iam.amazonaws.com',
      'PutRolePolicy',
      { roleName: 'deploy-role', policyName: 'extra' },
      null,
      { errorCode: 'AccessDenied' },
    ),
  },
  {
    name: 'UpdateAssumeRolePolicy',
    positive: signed('iam.amazonaws.com', 'UpdateAssumeRolePolicy', {
      roleName: 'deploy-role',
      policyDocument: '{}',
    }),
    expected: { kind: 'trust-policy', id: 'deploy-role' },
    negative: signed('iam.amazonaws.com', 'UpdateAssumeRolePolicy', {}),
  },
  {
    name: 'ImportKeyPair',
    positive: signed(
      'ec2.amazonaws.com',
      'ImportKeyPair',
      { keyName: 'thief-key', publicKeyMaterial: '<sensitiveDataRemoved>' },
      {
        requestId: 'r',
        keyName: 'thief-key',
        keyFingerprint: 'ab:cd',
        keyPairId: 'key-0f1e2d3c4b5a69788',
      },
    ),
    expected: { kind: 'key-pair', id: 'thief-key', context: 'imported key-0f1e2d3c4b5a69788' },
    negative: signed('ec2.amazonaws.com', 'DescribeKeyPairs', { keySet: {} }),
  },
  {
    name: 'CreateKeyPair',
    positive: signed(
      'ec2.amazonaws.com',
      'CreateKeyPair',
      { keyName: 'k2' },
      { keyName: 'k2', keyFingerprint: 'x', keyPairId: 'key-0aa' },
    ),
    expected: { kind: 'key-pair', id: 'k2', context: 'key-0aa' },
    negative: signed('ec2.amazonaws.com', 'CreateKeyPair', { keyName: 'k2' }, null, {
      errorCode: 'InvalidKeyPair.Duplicate',
    }),
  },
  {
    name: 'RunInstances',
    positive: signed(
      'ec2.amazonaws.com',
      'RunInstances',
      { instancesSet: { items: [{ imageId: 'ami-1', minCount: 1, maxCount: 1 }] }, keyName: 'thief-key' },
      {
        reservationId: 'r-1',
        instancesSet: { items: [{ instanceId: 'i-0badc0ffee1234567', imageId: 'ami-1' }] },
      },
    ),
    expected: { kind: 'instance', id: 'i-0badc0ffee1234567', context: 'ami-1, key thief-key' },
    negative: signed(
      'ec2.amazonaws.com',
      'RunInstances',
      { instancesSet: { items: [{ imageId: 'ami-1' }] } },
      null,
      { errorCode: 'Client.UnauthorizedOperation' },
    ),
  },
  {
    name: 'CreateFunction20150331',
    positive: signed(
      'lambda.amazonaws.com',
      'CreateFunction20150331',
      { functionName: 'miner' },
      {
        functionName: 'miner',
        functionArn: 'arn:aws:lambda:eu-west-1:222222222222:function:miner',
      },
    ),
    expected: { kind: 'function', id: 'arn:aws:lambda:eu-west-1:222222222222:function:miner' },
    negative: signed('lambda.amazonaws.com', 'GetFunction20150331v2', { functionName: 'miner' }),
  },
  {
    name: 'AuthorizeSecurityGroupIngress',
    positive: signed(
      'ec2.amazonaws.com',
      'AuthorizeSecurityGroupIngress',
      {
        groupId: 'sg-0abc1234def567890',
        ipPermissions: {
          items: [
            {
              ipProtocol: 'tcp',
              fromPort: 22,
              toPort: 22,
              groups: {},
              ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] },
              ipv6Ranges: {},
              prefixListIds: {},
            },
          ],
        },
      },
      { requestId: 'r', _return: true },
    ),
    expected: {
      kind: 'security-group-ingress',
      id: 'sg-0abc1234def567890',
      context: 'tcp/22 from 0.0.0.0/0',
    },
    negative: signed('ec2.amazonaws.com', 'AuthorizeSecurityGroupEgress', {
      groupId: 'sg-0abc1234def567890',
    }),
  },
  {
    name: 'PutBucketPolicy',
    positive: signed('s3.amazonaws.com', 'PutBucketPolicy', {
      bucketName: 'prod-backups',
      bucketPolicy: { Version: '2012-10-17' },
      policy: '',
    }),
    expected: { kind: 'bucket-policy', id: 'prod-backups' },
    negative: signed('s3.amazonaws.com', 'GetBucketPolicy', { bucketName: 'prod-backups', policy: '' }),
  },
  {
    name: 'PutBucketAcl',
    positive: signed('s3.amazonaws.com', 'PutBucketAcl', { bucketName: 'prod-backups', acl: '' }),
    expected: { kind: 'bucket-acl', id: 'prod-backups' },
    negative: signed('s3.amazonaws.com', 'PutBucketAcl', { bucketName: 'prod-backups' }, null, {
      errorCode: 'AccessDenied',
    }),
  },
  {
    name: 'ModifySnapshotAttribute',
    positive: signed('ec2.amazonaws.com', 'ModifySnapshotAttribute', {
      snapshotId: 'snap-0123456789abcdef0',
      createVolumePermission: { add: { items: [{ userId: '999999999999' }] } },
      attributeType: 'CREATE_VOLUME_PERMISSION',
    }),
    expected: { kind: 'snapshot-share', id: 'snap-0123456789abcdef0', context: 'shared with 999999999999' },
    // Removing a permission shares nothing.
    negative: signed('ec2.amazonaws.com', 'ModifySnapshotAttribute', {
      snapshotId: 'snap-0123456789abcdef0',
      createVolumePermission: { remove: { items: [{ userId: '999999999999' }] } },
      attributeType: 'CREATE_VOLUME_PERMISSION',
    }),
  },
  {
    name: 'ModifyDBSnapshotAttribute',
    positive: signed('rds.amazonaws.com', 'ModifyDBSnapshotAttribute', {
      dBSnapshotIdentifier: 'prod-db-2026-11-26',
      attributeName: 'restore',
      valuesToAdd: ['all'],
    }),
    expected: { kind: 'snapshot-share', id: 'prod-db-2026-11-26', context: 'shared with all' },
    negative: signed('rds.amazonaws.com', 'ModifyDBSnapshotAttribute', {
      dBSnapshotIdentifier: 'prod-db',
      attributeName: 'restore',
      valuesToRemove: ['all'],
    }),
  },
  {
    name: 'GetSecretValue',
    positive: signed('secretsmanager.amazonaws.com', 'GetSecretValue', { secretId: 'prod/db-password' }),
    expected: { kind: 'secret-read', id: 'prod/db-password' },
    negative: signed('secretsmanager.amazonaws.com', 'DescribeSecret', { secretId: 'prod/db-password' }),
  },
  {
    name: 'GetParameter',
    positive: signed('ssm.amazonaws.com', 'GetParameter', { name: '/prod/api/token', withDecryption: true }),
    expected: { kind: 'parameter-read', id: '/prod/api/token' },
    negative: signed('ssm.amazonaws.com', 'GetParameter', { name: '/prod/api/token' }, null, {
      errorCode: 'ParameterNotFound',
    }),
  },
  {
    name: 'GetObject',
    positive: signed('s3.amazonaws.com', 'GetObject', {
      bucketName: 'prod-backups',
      key: 'db/dump.sql.gz',
      Host: 'prod-backups.s3.amazonaws.com',
    }),
    expected: { kind: 'object-read', id: 'prod-backups/db/dump.sql.gz' },
    negative: signed('s3.amazonaws.com', 'HeadObject', { bucketName: 'prod-backups', key: 'db/dump.sql.gz' }),
  },
];

describe('persistence and impact rules', () => {
  it.each(cases)('$name: names the artefact with its identifier', ({ positive, expected }) => {
    const [artefact, ...rest] = artefactsOf(positive);
    expect(rest).toHaveLength(0);
    expect(artefact).toMatchObject({
      ...expected,
      eventName: positive.eventName,
      accountId: '222222222222',
      region: 'eu-west-1',
      accessKeyId: 'ASIAHOPTWODEPLOY0002',
      eventTime: '2026-11-26T10:06:00.000Z',
    });
  });

  it.each(cases)('$name: a failed call or a look-alike names nothing', ({ negative }) => {
    expect(artefactsOf(negative)).toEqual([]);
  });

  it('GetParameters names every parameter read', () => {
    const call = signed('ssm.amazonaws.com', 'GetParameters', { names: ['/a', '/b'], withDecryption: true });
    expect(artefactsOf(call).map((artefact) => artefact.id)).toEqual(['/a', '/b']);
  });

  it('the same API name of another service is not matched', () => {
    const call = signed(
      'example.amazonaws.com',
      'CreateAccessKey',
      { userName: 'x' },
      { accessKey: { accessKeyId: 'AKIAX' } },
    );
    expect(artefactsOf(call)).toEqual([]);
  });

  it('fields of the wrong type yield nothing rather than a guess', () => {
    const call = signed(
      'iam.amazonaws.com',
      'CreateAccessKey',
      { userName: 7 },
      { accessKey: { accessKeyId: ['AKIAX'] } },
    );
    expect(artefactsOf(call)).toEqual([]);
  });
});
