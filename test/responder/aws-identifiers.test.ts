import { identifierProblems, parseRoleArn, partitionOfRegion } from '../../lib/responder/aws-identifiers';
import { normaliseEvent } from '../../lib/responder/incident-normaliser';
import { credtrailEvent, outsideAwsEvent } from './responder-fixtures';

const good = {
  accountId: '123456789012',
  region: 'us-east-1',
  partition: 'aws',
  roleName: 'WebAppRole',
  roleArn: 'arn:aws:iam::123456789012:role/app/WebAppRole',
  instanceId: 'i-0a1b2c3d4e5f67890',
  accessKeyId: 'ASIAQWERTYUIOPASDFGH',
};

describe('identifierProblems', () => {
  it('accepts well-formed identifiers that agree, in every partition', () => {
    expect(identifierProblems(good)).toEqual([]);
    expect(identifierProblems({ ...good, instanceId: 'i-0a1b2c3d' })).toEqual([]);
    expect(
      identifierProblems({
        ...good,
        region: 'cn-north-1',
        partition: 'aws-cn',
        roleArn: 'arn:aws-cn:iam::123456789012:role/WebAppRole',
      }),
    ).toEqual([]);
    expect(partitionOfRegion('us-gov-west-1')).toBe('aws-us-gov');
    expect(partitionOfRegion('us-isob-east-1')).toBe('aws-iso-b');
  });

  it.each([
    ['account id', { accountId: '12345678901' }, /account id/],
    ['region', { region: 'us-east-1/../x' }, /region/],
    ['partition', { partition: 'aws-evil' }, /partition/],
    ['region outside the partition', { region: 'cn-north-1' }, /region cn-north-1 is in partition aws-cn/],
    ['role name', { roleName: 'Web App*', roleArn: null }, /role name/],
    ['instance id', { instanceId: 'i-0a1b2c3d4e5f6789' }, /instance id/],
    ['instance id with letters', { instanceId: 'i-0A1B2C3D' }, /instance id/],
    ['access key id', { accessKeyId: 'ASIA-not-a-key' }, /access key id/],
    ['role ARN', { roleArn: 'arn:aws:iam::123456789012:user/WebAppRole' }, /role ARN/],
    [
      'role ARN of another account',
      { roleArn: 'arn:aws:iam::210987654321:role/WebAppRole' },
      /account 210987654321/,
    ],
    ['role ARN of another role', { roleArn: 'arn:aws:iam::123456789012:role/Admin' }, /names role Admin/],
    [
      'role ARN of another partition',
      { roleArn: 'arn:aws-cn:iam::123456789012:role/WebAppRole' },
      /partition aws-cn/,
    ],
    ['role path with a space', { roleArn: 'arn:aws:iam::123456789012:role/a b/WebAppRole' }, /role ARN/],
  ])('refuses a bad %s', (_name, change, problem) => {
    expect(identifierProblems({ ...good, ...change })).toEqual(
      expect.arrayContaining([expect.stringMatching(problem)]),
    );
  });

  it('splits a role ARN into partition, account, path and name', () => {
    expect(parseRoleArn('arn:aws:iam::123456789012:role/admin/ops/BreakGlass')).toEqual({
      partition: 'aws',
      accountId: '123456789012',
      path: '/admin/ops/',
      name: 'BreakGlass',
    });
    expect(parseRoleArn('arn:aws:iam::123456789012:role/')).toBeNull();
  });
});

describe('normaliseEvent format checks', () => {
  const options = { trustedPublisherAccounts: [] };

  it('refuses a credtrail finding whose role ARN disagrees with its account', () => {
    const event = structuredClone(credtrailEvent);
    event.detail.roleArn = 'arn:aws:iam::210987654321:role/WebAppRole';
    expect(normaliseEvent(event, options)).toEqual({
      ok: false,
      reason: expect.stringContaining('role ARN is in account 210987654321'),
    });
  });

  it('refuses a GuardDuty finding with a malformed role name or region/partition mismatch', () => {
    const badName = structuredClone(outsideAwsEvent);
    (badName.detail.resource as { accessKeyDetails: { userName: string } }).accessKeyDetails.userName =
      '../Admin';
    const badPartition = structuredClone(outsideAwsEvent);
    badPartition.detail.partition = 'aws-cn';
    expect(normaliseEvent(badName, options)).toEqual({
      ok: false,
      reason: expect.stringContaining('role name'),
    });
    expect(normaliseEvent(badPartition, options)).toEqual({
      ok: false,
      reason: expect.stringContaining('is in partition aws, not aws-cn'),
    });
  });
});
