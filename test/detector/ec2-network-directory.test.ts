import {
  DescribeInstancesCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeTransitGatewayAttachmentsCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
  type Filter,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { Ec2NetworkDirectory } from '../../lib/detector/ec2-network-directory';
import { Ec2NetworkGateway } from '../../lib/detector/ec2-network-gateway';
import { ExceptionList } from '../../lib/engine/credential-exception';
import { NetworkMatcher, type InstanceNetwork } from '../../lib/engine/instance-network';
import { originOf } from '../../lib/engine/origin';
import { judgeOrigin } from '../../lib/engine/origin-verdict';
import type { InventoryDocuments } from '../../lib/inventory/ec2-inventory-schema';
import { InventoryDirectory } from '../../lib/inventory/inventory-directory';
import type { CachedNetwork, NetworkCache } from '../../lib/state/dynamodb-store';
import { use } from '../support/cloudtrail-records';
import {
  CENTRAL_NAT,
  combine,
  FIREWALL_IP,
  NAT_INSTANCE_IP,
  NETWORK,
  NETWORK_EXPORTS,
  OTHER_EXPORTS,
  SPOKE,
  SPOKE_EXPORTS,
  THIEF,
} from '../inventory/fixtures/landing-zone';

class MemoryCache implements NetworkCache {
  readonly items = new Map<string, CachedNetwork>();
  getNetworks(ids: readonly string[]) {
    return Promise.resolve(
      new Map(
        ids.flatMap((id) => (this.items.has(id) ? [[id, this.items.get(id) as CachedNetwork] as const] : [])),
      ),
    );
  }
  putNetworks(entries: readonly CachedNetwork[]) {
    for (const entry of entries)
      this.items.set(entry.status === 'found' ? entry.network.instanceId : entry.instanceId, entry);
    return Promise.resolve();
  }
}

const valuesOf = (filters: Filter[] | undefined, name: string) =>
  filters?.find((filter) => filter.Name === name)?.Values;

/** One account's EC2, answering from that account's `aws ec2 describe-…` exports (same shapes as the SDK). */
function ec2Answering(documents: InventoryDocuments, options: { routesDenied?: boolean } = {}): EC2Client {
  const client = new EC2Client({ region: 'us-east-1' });
  const mock = mockClient(client);
  mock.on(DescribeInstancesCommand).callsFake((input: { Filters?: Filter[] }) => {
    const ids = valuesOf(input.Filters, 'instance-id') ?? [];
    return {
      Reservations: documents.instances.flatMap((doc) =>
        doc.Reservations.map((reservation) => ({
          ...reservation,
          Instances: reservation.Instances.filter((instance) => ids.includes(instance.InstanceId)),
        })),
      ),
    };
  });
  mock.on(DescribeNatGatewaysCommand).callsFake((input: { Filter?: Filter[] }) => {
    const vpcs = valuesOf(input.Filter, 'vpc-id') ?? [];
    return {
      NatGateways: documents.natGateways.flatMap((doc) =>
        doc.NatGateways.filter((nat) => vpcs.includes(nat.VpcId ?? '')),
      ),
    };
  });
  mock.on(DescribeVpcEndpointsCommand).callsFake((input: { Filters?: Filter[] }) => {
    const vpcs = valuesOf(input.Filters, 'vpc-id') ?? [];
    return {
      VpcEndpoints: documents.vpcEndpoints.flatMap((doc) =>
        doc.VpcEndpoints.filter((e) => vpcs.includes(e.VpcId ?? '')),
      ),
    };
  });
  mock.on(DescribeRouteTablesCommand).callsFake((input: { Filters?: Filter[] }) => {
    const vpcs = valuesOf(input.Filters, 'vpc-id') ?? [];
    return {
      RouteTables: (documents.routeTables ?? []).flatMap((doc) =>
        doc.RouteTables.filter((t) => vpcs.includes(t.VpcId ?? '')),
      ),
    };
  });
  mock.on(DescribeTransitGatewayAttachmentsCommand).callsFake((input: { Filters?: Filter[] }) => {
    const vpcs = valuesOf(input.Filters, 'resource-id');
    const gateways = valuesOf(input.Filters, 'transit-gateway-id');
    return {
      TransitGatewayAttachments: (documents.transitGatewayAttachments ?? []).flatMap((doc) =>
        doc.TransitGatewayAttachments.filter((a) =>
          vpcs !== undefined
            ? vpcs.includes(a.ResourceId ?? '')
            : (gateways ?? []).includes(a.TransitGatewayId),
        ),
      ),
    };
  });
  mock.on(DescribeNetworkInterfacesCommand).callsFake((input: { Filters?: Filter[] }) => {
    const ids = valuesOf(input.Filters, 'network-interface-id') ?? [];
    return {
      NetworkInterfaces: documents.instances.flatMap((doc) =>
        doc.Reservations.flatMap((reservation) =>
          reservation.Instances.flatMap((instance) =>
            (instance.NetworkInterfaces ?? [])
              .filter((nic) => ids.includes(nic.NetworkInterfaceId ?? ''))
              .map((nic) => ({
                NetworkInterfaceId: nic.NetworkInterfaceId,
                Attachment: { InstanceId: instance.InstanceId },
              })),
          ),
        ),
      ),
    };
  });
  if (options.routesDenied === true) {
    const denied = Object.assign(new Error('You are not authorized to perform this operation.'), {
      name: 'UnauthorizedOperation',
    });
    mock.on(DescribeRouteTablesCommand).rejects(denied);
    mock.on(DescribeTransitGatewayAttachmentsCommand).rejects(denied);
  }
  return client;
}

function liveDirectory(accounts: Record<string, InventoryDocuments>, asked: string[] = []) {
  const clients = new Map(
    Object.entries(accounts).map(([account, documents]) => [account, ec2Answering(documents)]),
  );
  return new Ec2NetworkDirectory({
    cache: new MemoryCache(),
    gatewayFor: (accountId) => {
      asked.push(accountId);
      const client = clients.get(accountId);
      if (client === undefined) return Promise.reject(new Error(`no member role in ${accountId}`));
      return Promise.resolve(new Ec2NetworkGateway(client));
    },
    fallbackRegions: ['us-east-1'],
    trustedAccounts: new Set([NETWORK]),
  });
}

function verdictOf(network: InstanceNetwork, sourceIp: string, endpoint?: { id: string; account: string }) {
  const credentialUse = use({
    instanceId: network.instanceId,
    sourceIp,
    ...(endpoint !== undefined ? { vpcEndpointId: endpoint.id, vpcEndpointAccountId: endpoint.account } : {}),
  });
  return judgeOrigin({
    use: credentialUse,
    origin: originOf(credentialUse),
    network: new NetworkMatcher(network),
    trustedAccounts: new Set([SPOKE, NETWORK]),
    exceptions: new ExceptionList([]),
    now: Date.parse('2026-11-26T12:00:00Z'),
  });
}

describe('Ec2NetworkDirectory reads routes and Transit Gateway attachments live', () => {
  const cases: Array<[string, string, { id: string; account: string }?]> = [
    ['i-0spoke', CENTRAL_NAT[0] ?? ''],
    ['i-0spoke', THIEF],
    ['i-0spoke', NAT_INSTANCE_IP],
    ['i-0spoke', '10.0.1.10', { id: 'vpce-0centralsts', account: NETWORK }],
    ['i-0spoke', '10.0.9.9', { id: 'vpce-0centralsts', account: NETWORK }],
    ['i-0app2', NAT_INSTANCE_IP],
    ['i-0app2', THIEF],
    ['i-0app3', FIREWALL_IP],
    ['i-0app3', THIEF],
  ];

  it('gives the same verdicts as the inventory files, through the network account’s read role', async () => {
    const asked: string[] = [];
    const directory = liveDirectory({ [SPOKE]: SPOKE_EXPORTS, [NETWORK]: NETWORK_EXPORTS }, asked);
    const inventory = InventoryDirectory.fromDocuments(
      combine(SPOKE_EXPORTS, NETWORK_EXPORTS, OTHER_EXPORTS),
    );

    const live = await directory.lookup(
      ['i-0spoke', 'i-0app2', 'i-0app3'].map((instanceId) => ({
        instanceId,
        accountId: SPOKE,
        region: 'us-east-1',
      })),
    );

    for (const [instanceId, sourceIp, endpoint] of cases) {
      const answer = live.get(instanceId);
      const offline = inventory.network(instanceId);
      if (answer?.status !== 'found' || offline === undefined) throw new Error(`${instanceId} not found`);
      expect({ instanceId, sourceIp, verdict: verdictOf(answer.network, sourceIp, endpoint) }).toEqual({
        instanceId,
        sourceIp,
        verdict: verdictOf(offline, sourceIp, endpoint),
      });
    }
    expect(new Set(asked)).toEqual(new Set([SPOKE, NETWORK]));
    const spoke = live.get('i-0spoke');
    expect(spoke?.status === 'found' ? spoke.network.natGatewayIps : []).toEqual(CENTRAL_NAT);
  });

  it('judges as before routes were read when an older read role may not describe route tables', async () => {
    const client = ec2Answering(SPOKE_EXPORTS, { routesDenied: true });
    const directory = new Ec2NetworkDirectory({
      cache: new MemoryCache(),
      gatewayFor: () => Promise.resolve(new Ec2NetworkGateway(client)),
      fallbackRegions: ['us-east-1'],
    });

    const answer = (
      await directory.lookup([{ instanceId: 'i-0app2', accountId: SPOKE, region: 'us-east-1' }])
    ).get('i-0app2');

    expect(answer?.status).toBe('found');
    expect(answer?.status === 'found' ? answer.network.route : 'x').toBeUndefined();
  });
});
