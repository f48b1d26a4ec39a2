// The "Expected network" lines of a credtrail finding's email: what the detector compared the origin with.
import type { ExpectedNetwork } from '../contracts/finding-event';
import { fields } from './email-text';

const EXPECTED_SOURCES: Record<ExpectedNetwork['source'], string> = {
  inventory: "from EC2's description of the instance",
  'first-seen': "the key's first origin (no inventory was available)",
  'endpoint-owner': "decided by the VPC endpoint's owner alone",
  learned: "what the instance's earlier keys showed in the trail (no inventory was available)",
  none: 'nothing was known about the instance',
};

export function expectedNetworkText(expected: ExpectedNetwork): string[] {
  return [
    `Expected network (${EXPECTED_SOURCES[expected.source]}):`,
    ...fields([
      ['  VPC', expected.vpcId],
      ['  Subnet', expected.subnetId],
      ['  Private IPs', expected.privateIps.length > 0 ? expected.privateIps.join(', ') : null],
      ['  Public IPs', expected.publicIps.length > 0 ? expected.publicIps.join(', ') : null],
      ['  IPv6', expected.ipv6Addresses.length > 0 ? expected.ipv6Addresses.join(', ') : null],
      ['  NAT gateways', expected.natGatewayIps.length > 0 ? expected.natGatewayIps.join(', ') : null],
      ['  VPC endpoints', expected.vpcEndpointIds.length > 0 ? expected.vpcEndpointIds.join(', ') : null],
      ['  First origin', expected.firstOrigin],
      ['  Note', expected.note],
    ]),
  ];
}
