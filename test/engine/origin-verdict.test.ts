import { ExceptionList } from '../../lib/engine/credential-exception';
import { NetworkMatcher, type InstanceNetwork } from '../../lib/engine/instance-network';
import { originOf, type Origin } from '../../lib/engine/origin';
import { judgeOrigin, type VerdictInput } from '../../lib/engine/origin-verdict';
import { ACCOUNT, INSTANCE, use, type UseRecordOptions } from '../support/cloudtrail-records';

const NETWORK: InstanceNetwork = {
  instanceId: INSTANCE,
  accountId: ACCOUNT,
  region: 'us-east-1',
  vpcId: 'vpc-0prod',
  subnetId: 'subnet-0app',
  privateIps: ['10.0.1.15'],
  publicIps: ['3.80.1.10'],
  ipv6Addresses: ['2600:1f18:abcd::15'],
  prefixes: ['10.0.64.0/28'],
  natGatewayIps: ['52.1.1.1', '52.1.1.2'],
  vpcEndpointIds: ['vpce-0sts', 'vpce-0s3'],
  source: 'inventory',
};
const AFFILIATED = '333333333333';
const FOREIGN = '999999999999';

function judge(call: UseRecordOptions, extra: Partial<VerdictInput> = {}) {
  const credentialUse = use(call);
  return judgeOrigin({
    use: credentialUse,
    origin: originOf(credentialUse),
    network: new NetworkMatcher(NETWORK),
    trustedAccounts: new Set([ACCOUNT, AFFILIATED]),
    exceptions: new ExceptionList([]),
    now: Date.parse('2026-11-26T12:00:00Z'),
    ...extra,
  });
}

describe('judgeOrigin against the instance network (inventory)', () => {
  it.each([
    ['its public address', { sourceIp: '3.80.1.10' }],
    ['either egress address of a NAT gateway of its VPC', { sourceIp: '52.1.1.2' }],
    ['its IPv6 address', { sourceIp: '2600:1f18:abcd::15' }],
    [
      'its private address through an endpoint of its VPC',
      { sourceIp: '10.0.1.15', vpcEndpointId: 'vpce-0sts', vpcEndpointAccountId: ACCOUNT },
    ],
    [
      'a delegated prefix through its S3 gateway endpoint',
      { sourceIp: '10.0.64.3', vpcEndpointId: 'vpce-0s3' },
    ],
  ])('expects %s', (_name, call) => {
    expect(judge(call)).toEqual({ outcome: 'expected', basis: 'inventory', via: expect.any(String) });
  });

  it('flags an unknown public address as HIGH', () => {
    expect(judge({ sourceIp: '185.220.101.7' })).toEqual(
      expect.objectContaining({
        outcome: 'suspicious',
        severity: 'HIGH',
        basis: 'inventory',
        reason: expect.stringContaining('185.220.101.7'),
      }),
    );
  });

  it('flags a private address that is not the instance, outside any endpoint, as MEDIUM', () => {
    expect(judge({ sourceIp: '10.0.9.9' })).toEqual(
      expect.objectContaining({ outcome: 'suspicious', severity: 'MEDIUM' }),
    );
  });

  it('flags another host of the same VPC using the instance endpoint as MEDIUM', () => {
    expect(
      judge({ sourceIp: '10.0.7.7', vpcEndpointId: 'vpce-0sts', vpcEndpointAccountId: ACCOUNT }),
    ).toEqual(
      expect.objectContaining({
        outcome: 'suspicious',
        severity: 'MEDIUM',
        reason: expect.stringContaining('another host'),
      }),
    );
  });

  it('flags a foreign account endpoint as HIGH even with the instance private address', () => {
    expect(
      judge({ sourceIp: '10.0.1.15', vpcEndpointId: 'vpce-0evil', vpcEndpointAccountId: FOREIGN }),
    ).toEqual(expect.objectContaining({ outcome: 'suspicious', severity: 'HIGH', basis: 'endpoint-owner' }));
  });

  it('flags an affiliated account endpoint as MEDIUM', () => {
    expect(
      judge({ sourceIp: '10.9.0.5', vpcEndpointId: 'vpce-0shared', vpcEndpointAccountId: AFFILIATED }),
    ).toEqual(
      expect.objectContaining({ outcome: 'suspicious', severity: 'MEDIUM', basis: 'endpoint-owner' }),
    );
  });

  it('flags an endpoint of another VPC of the same account as MEDIUM, and one of unknown owner as HIGH', () => {
    expect(
      judge({ sourceIp: '10.1.0.5', vpcEndpointId: 'vpce-0othervpc', vpcEndpointAccountId: ACCOUNT }),
    ).toEqual(expect.objectContaining({ outcome: 'suspicious', severity: 'MEDIUM', basis: 'inventory' }));
    expect(judge({ sourceIp: '10.1.0.5', vpcEndpointId: 'vpce-0unknown' })).toEqual(
      expect.objectContaining({ outcome: 'suspicious', severity: 'HIGH', basis: 'inventory' }),
    );
  });
});

describe('judgeOrigin by first-seen origin (no inventory)', () => {
  const firstIp: Origin = { kind: 'address', sourceIp: '52.1.1.1' };

  it('asks for a baseline when the key has none', () => {
    expect(judge({ sourceIp: '52.1.1.1' }, { network: undefined })).toEqual({ outcome: 'needs-baseline' });
  });

  it('expects the first origin again', () => {
    expect(judge({ sourceIp: '52.1.1.1' }, { network: undefined, baseline: firstIp })).toEqual({
      outcome: 'expected',
      basis: 'first-seen',
    });
  });

  it('flags a different public origin as HIGH and names the first one', () => {
    expect(judge({ sourceIp: '185.220.101.7' }, { network: undefined, baseline: firstIp })).toEqual(
      expect.objectContaining({
        outcome: 'suspicious',
        severity: 'HIGH',
        basis: 'first-seen',
        reason: expect.stringContaining('52.1.1.1'),
      }),
    );
  });

  it('still condemns a foreign endpoint without any baseline', () => {
    expect(
      judge(
        { sourceIp: '10.0.1.15', vpcEndpointId: 'vpce-0evil', vpcEndpointAccountId: FOREIGN },
        { network: undefined },
      ),
    ).toEqual(expect.objectContaining({ outcome: 'suspicious', severity: 'HIGH' }));
  });

  it('judges an own-account endpoint against the first endpoint origin', () => {
    const firstEndpoint: Origin = {
      kind: 'endpoint',
      sourceIp: '10.0.1.15',
      vpcEndpointId: 'vpce-0sts',
      vpcEndpointAccountId: ACCOUNT,
    };
    const call = { sourceIp: '10.0.1.15', vpcEndpointId: 'vpce-0sts', vpcEndpointAccountId: ACCOUNT };

    expect(judge(call, { network: undefined, baseline: firstEndpoint })).toEqual({
      outcome: 'expected',
      basis: 'first-seen',
    });
    expect(
      judge({ ...call, vpcEndpointId: 'vpce-0s3' }, { network: undefined, baseline: firstEndpoint }),
    ).toEqual({
      outcome: 'expected',
      basis: 'first-seen',
    });
    expect(judge({ ...call, sourceIp: '10.0.8.8' }, { network: undefined, baseline: firstEndpoint })).toEqual(
      expect.objectContaining({ outcome: 'suspicious', severity: 'MEDIUM', basis: 'first-seen' }),
    );
  });
});

describe('judgeOrigin with exceptions first', () => {
  const now = Date.parse('2026-11-26T12:00:00Z');

  it('suppresses a matching live exception before anything else', () => {
    const exceptions = new ExceptionList([{ cidr: '185.220.101.0/24', reason: 'pentest' }]);

    expect(judge({ sourceIp: '185.220.101.7' }, { exceptions })).toEqual({
      outcome: 'suppressed',
      exception: { cidr: '185.220.101.0/24', reason: 'pentest' },
    });
  });

  it('no longer suppresses once the exception has expired', () => {
    const exceptions = new ExceptionList([
      { cidr: '185.220.101.0/24', reason: 'pentest', expiresAt: '2026-11-26T11:59:59Z' },
    ]);

    expect(judge({ sourceIp: '185.220.101.7' }, { exceptions, now })).toEqual(
      expect.objectContaining({ outcome: 'suspicious' }),
    );
  });

  it('does not let a private CIDR vouch for a call through a foreign endpoint', () => {
    const exceptions = new ExceptionList([{ cidr: '10.0.0.0/8', reason: 'our private ranges' }]);

    expect(
      judge(
        { sourceIp: '10.0.1.15', vpcEndpointId: 'vpce-0evil', vpcEndpointAccountId: FOREIGN },
        { exceptions },
      ),
    ).toEqual(expect.objectContaining({ outcome: 'suspicious', severity: 'HIGH' }));
    expect(
      judge(
        { sourceIp: '10.0.7.7', vpcEndpointId: 'vpce-0sts', vpcEndpointAccountId: ACCOUNT },
        { exceptions },
      ),
    ).toEqual(expect.objectContaining({ outcome: 'suppressed' }));
  });
});
