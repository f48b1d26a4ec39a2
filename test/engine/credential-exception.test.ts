import {
  ExceptionList,
  InvalidExceptionError,
  exceptionWarnings,
  parseExceptions,
  type ExceptionSubject,
} from '../../lib/engine/credential-exception';

const NOW = Date.parse('2026-11-26T12:00:00Z');
const SUBJECT: ExceptionSubject = {
  sourceIp: '100.64.3.4',
  endpointTrusted: true,
  endpointOwn: true,
  vpcEndpointId: 'vpce-0sts',
  vpcEndpointAccountId: '111111111111',
  vpcEndpointVpcId: 'vpc-0eks',
  accountId: '111111111111',
  roleName: 'eks-node-role',
  instanceId: 'i-0node1',
  subnetId: 'subnet-0eks',
  vpcId: 'vpc-0eks',
};

describe('parseExceptions', () => {
  it('accepts every kind of matcher with a reason and optional expiry', () => {
    const entries = [
      { cidr: '100.64.0.0/16', reason: 'EKS pods proxy node metadata' },
      { vpcEndpointId: 'vpce-0shared', reason: 'central endpoints' },
      { accountId: '222222222222', reason: 'sandbox', expiresAt: '2027-01-01T00:00:00Z' },
      { roleName: 'ci-runner', reason: 'runners export credentials to jobs' },
      { instanceId: 'i-0abc', reason: 'bastion' },
      { subnetId: 'subnet-0eks', reason: 'EKS nodes' },
      { cidr: '2600:1f18::/32', reason: 'IPv6 egress' },
      { vpcId: 'vpc-0eks', reason: 'EKS VPC' },
      { cidr: '100.64.0.0/16', roleName: 'eks-node-role', vpcId: 'vpc-0eks', reason: 'pods of the EKS VPC' },
    ];

    expect(parseExceptions(entries)).toEqual(entries);
  });

  it.each([
    [[{ cidr: '10.0.0.0/33', reason: 'x' }], /entry 0 \(cidr 10.0.0.0\/33\): cidr is not a CIDR/],
    [[{ cidr: '10.0.0.0/8', reason: 'ok' }, { cidr: '10.0.0.0/8' }], /entry 1 \(cidr 10.0.0.0\/8\): reason/],
    [[{ reason: 'nothing to match' }], /entry 0 \(no matcher\): needs at least one of/],
    [[{ cidr: '10.0.0.0/8', roleName: 'a' }], /entry 0 \(cidr 10.0.0.0\/8, roleName a\): reason/],
    [[{ vpcId: 'vpc_1', reason: 'x' }], /vpcId is not a VPC id/],
    [[{ accountId: '1234', reason: 'short' }], /accountId is not a 12-digit account id/],
    [[{ instanceId: 'i-1', reason: 'x', expiresAt: 'tomorrow' }], /expiresAt is not an ISO-8601 time/],
    [[{ instanceId: 'i-1', reason: 'x', note: 'typo of reason?' }], /entry 0 \(instanceId i-1\)/],
    [{ cidr: '10.0.0.0/8' }, /expected a JSON list/],
  ])('rejects %j, naming the entry', (input, message) => {
    expect(() => parseExceptions(input, 'exceptions.json')).toThrow(InvalidExceptionError);
    expect(() => parseExceptions(input, 'exceptions.json')).toThrow(message);
  });
});

describe('ExceptionList.match', () => {
  it.each([
    ['cidr', { cidr: '100.64.0.0/16', reason: 'r' }, { cidr: '100.65.0.0/16', reason: 'r' }],
    [
      'vpcEndpointId',
      { vpcEndpointId: 'vpce-0sts', reason: 'r' },
      { vpcEndpointId: 'vpce-0other', reason: 'r' },
    ],
    ['accountId', { accountId: '111111111111', reason: 'r' }, { accountId: '222222222222', reason: 'r' }],
    ['roleName', { roleName: 'eks-node-role', reason: 'r' }, { roleName: 'web', reason: 'r' }],
    ['instanceId', { instanceId: 'i-0node1', reason: 'r' }, { instanceId: 'i-0node2', reason: 'r' }],
    ['subnetId', { subnetId: 'subnet-0eks', reason: 'r' }, { subnetId: 'subnet-0web', reason: 'r' }],
    ['vpcId', { vpcId: 'vpc-0eks', reason: 'r' }, { vpcId: 'vpc-0web', reason: 'r' }],
  ])('%s matches its subject and nothing else', (_kind, matching, other) => {
    expect(new ExceptionList([matching]).match(SUBJECT, NOW)).toEqual(matching);
    expect(new ExceptionList([other]).match(SUBJECT, NOW)).toBeUndefined();
  });

  it('an expired exception no longer suppresses; a future expiry still does', () => {
    const expired = { instanceId: 'i-0node1', reason: 'r', expiresAt: '2026-11-26T11:00:00Z' };
    const live = { instanceId: 'i-0node1', reason: 'r', expiresAt: '2026-11-26T13:00:00+00:00' };

    expect(new ExceptionList([expired]).match(SUBJECT, NOW)).toBeUndefined();
    expect(new ExceptionList([live]).match(SUBJECT, NOW)).toEqual(live);
    expect(new ExceptionList([expired, live]).nextExpiry(NOW)).toBe(Date.parse('2026-11-26T13:00:00Z'));
  });

  it('a public CIDR does not vouch for a call through an untrusted endpoint', () => {
    const list = new ExceptionList([{ cidr: '52.94.76.0/24', reason: 'office' }]);
    const office = { ...SUBJECT, sourceIp: '52.94.76.7', endpointOwn: false };

    expect(list.match({ ...office, endpointTrusted: false }, NOW)).toBeUndefined();
    expect(list.match({ ...office, vpcEndpointId: undefined, endpointTrusted: false }, NOW)).toBeDefined();
  });

  it('ANDs every matcher of an entry: the EKS pod range of the node role only', () => {
    const scoped = { cidr: '100.64.0.0/16', roleName: 'eks-node-role', reason: 'pods use the node role' };
    const list = new ExceptionList([scoped]);

    expect(list.match(SUBJECT, NOW)).toEqual(scoped);
    expect(list.match({ ...SUBJECT, roleName: 'payments-InstanceRole' }, NOW)).toBeUndefined();
    expect(list.match({ ...SUBJECT, sourceIp: '10.0.3.4' }, NOW)).toBeUndefined();
  });

  it("a private CIDR vouches only through endpoints of the instance's own VPC, or the VPC or account named", () => {
    const unscoped = new ExceptionList([{ cidr: '10.0.0.0/16', reason: 'old file' }]);
    const byVpc = new ExceptionList([{ cidr: '10.0.0.0/16', vpcId: 'vpc-0shared', reason: 'r' }]);
    const byAccount = new ExceptionList([{ cidr: '10.0.0.0/16', accountId: '333333333333', reason: 'r' }]);
    const own = { ...SUBJECT, sourceIp: '10.0.3.4' };
    // Another VPC's endpoint reusing 10.0.0.0/16, in an affiliated (trusted) account.
    const elsewhere = {
      ...own,
      endpointOwn: false,
      vpcEndpointId: 'vpce-0affiliated',
      vpcEndpointAccountId: '333333333333',
      vpcEndpointVpcId: 'vpc-0shared',
      accountId: '333333333333',
    };

    expect(unscoped.match(own, NOW)).toBeDefined();
    expect(unscoped.match(elsewhere, NOW)).toBeUndefined();
    expect(unscoped.match({ ...own, vpcEndpointId: undefined }, NOW)).toBeUndefined();
    expect(byVpc.match(elsewhere, NOW)).toBeDefined();
    expect(byVpc.match({ ...elsewhere, vpcEndpointVpcId: 'vpc-0thief' }, NOW)).toBeUndefined();
    expect(byAccount.match(elsewhere, NOW)).toBeDefined();
    expect(byAccount.match({ ...elsewhere, vpcEndpointAccountId: '999999999999' }, NOW)).toBeUndefined();
  });
});

describe('exceptionWarnings', () => {
  it('warns about an old single private CIDR, not about scoped or public ones', () => {
    const warnings = exceptionWarnings(
      [
        { cidr: '100.64.0.0/16', reason: 'EKS pods' },
        { cidr: '100.64.0.0/16', roleName: 'eks-node-role', vpcId: 'vpc-0eks', reason: 'EKS pods' },
        { cidr: '52.94.76.0/24', reason: 'office' },
        { roleName: 'ci-runner', reason: 'runners' },
      ],
      'exceptions.json',
    );

    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /exceptions\.json: entry 0 \(cidr 100\.64\.0\.0\/16\): .*own VPC.*add vpcId or accountId/,
    );
  });
});
