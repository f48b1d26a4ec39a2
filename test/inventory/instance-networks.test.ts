import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InventoryDocuments } from '../../lib/inventory/ec2-inventory-schema';
import { parseInventoryDocument } from '../../lib/inventory/inventory-directory';
import { buildInstanceNetworks, ownerAccountsOf, regionOfZone } from '../../lib/inventory/instance-networks';

const US_EAST_1 = join(__dirname, 'fixtures', 'estate', '111111111111', 'us-east-1');

function fixture(name: string): string {
  return readFileSync(join(US_EAST_1, name), 'utf8');
}

function usEast1(): InventoryDocuments {
  return {
    instances: [
      parseInventoryDocument('instances', fixture('describe-instances.json'), 'describe-instances.json'),
    ],
    natGateways: [
      parseInventoryDocument(
        'natGateways',
        fixture('describe-nat-gateways.json'),
        'describe-nat-gateways.json',
      ),
    ],
    vpcEndpoints: [
      parseInventoryDocument(
        'vpcEndpoints',
        fixture('describe-vpc-endpoints.json'),
        'describe-vpc-endpoints.json',
      ),
    ],
  };
}

describe('buildInstanceNetworks', () => {
  it('collects every address of every interface, delegated prefixes, and the VPC NAT gateways and endpoints', () => {
    // Prepare
    const documents = usEast1();

    // Act
    const networks = buildInstanceNetworks(documents);

    // Assess
    expect(networks.get('i-0598c7d356eba48d7')).toEqual({
      instanceId: 'i-0598c7d356eba48d7',
      accountId: '111111111111',
      region: 'us-east-1',
      vpcId: 'vpc-1234567890abcdef0',
      subnetId: 'subnet-04a636d18e83cfacb',
      privateIps: ['10.0.1.23', '10.0.1.24'],
      publicIps: [],
      ipv6Addresses: ['2600:1f18:4a3:6901:7e2f:1c8a:c3f0:9a11'],
      prefixes: ['10.0.1.48/28', '2600:1f18:4a3:6901:8::/80'],
      // both addresses of the two-EIP gateway; not the failed gateway, not the other VPC's
      natGatewayIps: ['52.20.147.9', '52.20.147.10', '54.88.1.2'],
      vpcEndpointIds: ['vpce-0a6bb5fd1c8e2b3a4', 'vpce-0b7cc6ae2d9f3c4b5'],
      source: 'inventory',
    });
  });

  it('takes public addresses from every interface, including an Elastic IP on a second interface', () => {
    // Prepare
    const documents = usEast1();

    // Act
    const network = buildInstanceNetworks(documents).get('i-0a1b2c3d4e5f60718');

    // Assess
    expect(network?.publicIps).toEqual(['3.91.44.10', '44.205.18.77']);
    expect(network?.privateIps).toEqual(['10.0.101.7', '10.0.102.9']);
  });

  it('joins NAT gateways and endpoints by VPC across files: a shared VPC is exported by its owner', () => {
    // Prepare: the participant's instance sits in the owner's VPC; only the owner's files know its NAT
    const documents: InventoryDocuments = {
      instances: [
        {
          Reservations: [
            {
              OwnerId: '222222222222',
              Instances: [
                {
                  InstanceId: 'i-0participant00001',
                  VpcId: 'vpc-1234567890abcdef0',
                  PrivateIpAddress: '10.0.1.99',
                },
              ],
            },
          ],
        },
      ],
      natGateways: usEast1().natGateways,
      vpcEndpoints: usEast1().vpcEndpoints,
    };

    // Act
    const network = buildInstanceNetworks(documents).get('i-0participant00001');

    // Assess
    expect(network?.natGatewayIps).toContain('54.88.1.2');
    expect(network?.vpcEndpointIds).toContain('vpce-0b7cc6ae2d9f3c4b5');
    expect(network?.region).toBeUndefined();
  });

  it('unites two exports of the same instance', () => {
    // Prepare
    const snapshot = (ip: string) => ({
      Reservations: [
        { OwnerId: '111111111111', Instances: [{ InstanceId: 'i-0twice', PublicIpAddress: ip }] },
      ],
    });

    // Act
    const network = buildInstanceNetworks({
      instances: [snapshot('3.1.1.1'), snapshot('3.2.2.2')],
      natGateways: [],
      vpcEndpoints: [],
    }).get('i-0twice');

    // Assess
    expect(network?.publicIps).toEqual(['3.1.1.1', '3.2.2.2']);
  });
});

describe('ownerAccountsOf', () => {
  it('lists reservation owners and endpoint owners', () => {
    // Prepare
    const documents: InventoryDocuments = {
      ...usEast1(),
      vpcEndpoints: [{ VpcEndpoints: [{ VpcEndpointId: 'vpce-0a', OwnerId: '333333333333' }] }],
    };

    // Act
    const owners = ownerAccountsOf(documents);

    // Assess
    expect([...owners].sort()).toEqual(['111111111111', '333333333333']);
  });
});

describe('regionOfZone', () => {
  it.each([
    ['us-east-1a', 'us-east-1'],
    ['eu-west-1c', 'eu-west-1'],
    ['us-gov-west-1a', 'us-gov-west-1'],
    ['us-west-2-lax-1a', 'us-west-2'],
    ['ap-southeast-4b', 'ap-southeast-4'],
    [undefined, undefined],
    ['nowhere', undefined],
  ])('%s is in %s', (zone, region) => {
    // Act
    const result = regionOfZone(zone);

    // Assess
    expect(result).toBe(region);
  });
});
