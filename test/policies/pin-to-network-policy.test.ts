import { EmptyRoleNetworkError, pinToNetworkPolicy } from '../../policies/pin-to-network-policy';
import { decide } from './policy-simulation';

const OWN_VPC = 'vpc-0123456789abcdef0';
const NAT_IP = '203.0.113.10';
const policy = pinToNetworkPolicy({ vpcIds: [OWN_VPC], egressCidrs: [NAT_IP, '2001:db8:1::/56'] });

// Every credential EC2 delivers carries these (AWS Security Blog, Mar 2023), wherever it is used.
const instanceCredential = {
  'ec2:SourceInstanceARN': 'arn:aws:ec2:us-east-1:123456789012:instance/i-0a1b2c3d4e5f67890',
  'aws:ec2InstanceSourceVPC': OWN_VPC,
  'aws:ec2InstanceSourcePrivateIPv4': '10.0.1.23',
  'aws:TokenIssueTime': '2026-11-20T11:58:00Z',
};

describe('pinToNetworkPolicy', () => {
  it('denies the stolen key used from the attacker address', async () => {
    const decision = await decide(policy, { ...instanceCredential, 'aws:SourceIp': '198.51.100.77' });
    expect(decision).toBe('ExplicitlyDenied');
  });

  it('denies the stolen key used through a VPC endpoint of a foreign VPC', async () => {
    // Through an endpoint there is no aws:SourceIp, only aws:SourceVpc / aws:VpcSourceIp.
    const decision = await decide(policy, {
      ...instanceCredential,
      'aws:SourceVpc': 'vpc-0ffffffffffffffff',
      'aws:SourceVpce': 'vpce-0fff0000aaaa1111b',
      'aws:VpcSourceIp': '10.9.8.7',
    });
    expect(decision).toBe('ExplicitlyDenied');
  });

  it('allows the instance through its NAT gateway', async () => {
    const decision = await decide(policy, { ...instanceCredential, 'aws:SourceIp': NAT_IP });
    expect(decision).toBe('Allowed');
  });

  it('allows the instance over IPv6 from its own range', async () => {
    const decision = await decide(policy, { ...instanceCredential, 'aws:SourceIp': '2001:db8:1:2::15' });
    expect(decision).toBe('Allowed');
  });

  it('allows the instance through a VPC endpoint of its own VPC', async () => {
    const decision = await decide(policy, {
      ...instanceCredential,
      'aws:SourceVpc': OWN_VPC,
      'aws:SourceVpce': 'vpce-0aaa1111bbbb2222c',
      'aws:VpcSourceIp': '10.0.1.23',
    });
    expect(decision).toBe('Allowed');
  });

  it('allows an AWS service acting for the role', async () => {
    const decision = await decide(
      policy,
      {
        ...instanceCredential,
        'aws:ViaAWSService': 'true',
        'aws:CalledVia': ['s3.amazonaws.com'],
        'aws:SourceIp': '198.51.100.77',
      },
      'kms:Decrypt',
    );
    expect(decision).toBe('Allowed');
  });

  it('leaves sessions that are not instance credentials alone', async () => {
    const decision = await decide(policy, {
      'aws:SourceIp': '198.51.100.77',
      'aws:TokenIssueTime': '2026-11-20T11:58:00Z',
    });
    expect(decision).toBe('Allowed');
  });

  it('refuses to build a pin with no network, which would deny everything', () => {
    expect(() => pinToNetworkPolicy({ vpcIds: [], egressCidrs: [] })).toThrow(EmptyRoleNetworkError);
  });

  it('with egress addresses only, still denies every VPC endpoint path', async () => {
    const ipOnly = pinToNetworkPolicy({ vpcIds: [], egressCidrs: [NAT_IP] });
    const viaEndpoint = await decide(ipOnly, { ...instanceCredential, 'aws:SourceVpc': OWN_VPC });
    const viaNat = await decide(ipOnly, { ...instanceCredential, 'aws:SourceIp': NAT_IP });
    expect([viaEndpoint, viaNat]).toEqual(['ExplicitlyDenied', 'Allowed']);
  });
});
