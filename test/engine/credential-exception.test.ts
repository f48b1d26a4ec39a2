import {
  ExceptionList,
  InvalidExceptionError,
  parseExceptions,
  type ExceptionSubject,
} from '../../lib/engine/credential-exception';

const NOW = Date.parse('2026-11-26T12:00:00Z');
const SUBJECT: ExceptionSubject = {
  sourceIp: '100.64.3.4',
  endpointTrusted: true,
  vpcEndpointId: 'vpce-0sts',
  accountId: '111111111111',
  roleName: 'eks-node-role',
  instanceId: 'i-0node1',
  subnetId: 'subnet-0eks',
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
    ];

    expect(parseExceptions(entries)).toEqual(entries);
  });

  it.each([
    [[{ cidr: '10.0.0.0/33', reason: 'x' }], /entry 0 \(cidr 10.0.0.0\/33\): cidr is not a CIDR/],
    [[{ cidr: '10.0.0.0/8', reason: 'ok' }, { cidr: '10.0.0.0/8' }], /entry 1 \(cidr 10.0.0.0\/8\): reason/],
    [[{ reason: 'nothing to match' }], /entry 0 \(no matcher\): needs at least one of/],
    [[{ vpcId: 'vpc 1', reason: 'x' }], /vpcId is not a VPC id/],
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

  it('a CIDR does not vouch for a call through an untrusted endpoint', () => {
    const list = new ExceptionList([{ cidr: '100.64.0.0/16', reason: 'r' }]);

    expect(list.match({ ...SUBJECT, endpointTrusted: false }, NOW)).toBeUndefined();
    expect(list.match({ ...SUBJECT, vpcEndpointId: undefined, endpointTrusted: false }, NOW)).toBeDefined();
  });

  it('several matchers in one entry must all hold', () => {
    const scoped = {
      cidr: '100.64.0.0/16',
      roleName: 'eks-node-role',
      accountId: '111111111111',
      vpcId: 'vpc-0eks',
      reason: 'r',
    };
    const list = new ExceptionList([scoped]);
    const inVpc = { ...SUBJECT, vpcId: 'vpc-0eks', endpointInInstanceVpc: true };

    expect(list.match(inVpc, NOW)).toEqual(scoped);
    expect(list.match({ ...inVpc, roleName: 'web' }, NOW)).toBeUndefined();
    expect(list.match({ ...inVpc, accountId: '222222222222' }, NOW)).toBeUndefined();
    expect(list.match({ ...inVpc, vpcId: 'vpc-0other' }, NOW)).toBeUndefined();
    expect(list.match({ ...inVpc, sourceIp: '100.65.0.1' }, NOW)).toBeUndefined();
  });

  it('a CIDR tied to a VPC vouches only for endpoints of the instance’s own VPC', () => {
    const list = new ExceptionList([{ cidr: '100.64.0.0/16', vpcId: 'vpc-0eks', reason: 'r' }]);
    const inVpc = { ...SUBJECT, vpcId: 'vpc-0eks', endpointInInstanceVpc: true };

    expect(list.match(inVpc, NOW)).toBeDefined();
    // An affiliated account's endpoint is trusted, but it is not the instance's VPC.
    expect(list.match({ ...inVpc, endpointInInstanceVpc: false }, NOW)).toBeUndefined();
  });
});
