import { Ec2NetworkDirectory } from '../../lib/detector/ec2-network-directory';
import { Ec2NetworkGateway } from '../../lib/detector/ec2-network-gateway';
import { Ec2EndpointVpcs } from '../../lib/detector/ec2-endpoint-vpcs';
import { ExceptionList, type CredentialException } from '../../lib/engine/credential-exception';
import { NetworkMatcher, type InstanceNetwork } from '../../lib/engine/instance-network';
import { originOf } from '../../lib/engine/origin';
import { judgeOrigin } from '../../lib/engine/origin-verdict';
import type { InventoryDocuments } from '../../lib/inventory/ec2-inventory-schema';
import { InventoryDirectory } from '../../lib/inventory/inventory-directory';
import type { CachedNetwork, NetworkCache } from '../../lib/state/dynamodb-store';
import { use } from '../support/cloudtrail-records';
import { ec2Answering } from '../support/ec2-inventory-mock';
import {
  CENTRAL_NAT,
  combine,
  FIREWALL_IP,
  NAT_INSTANCE_IP,
  NETWORK,
  NETWORK_EXPORTS,
  OTHER,
  OTHER_EXPORTS,
  PARTNER,
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

function verdictOf(
  network: InstanceNetwork,
  sourceIp: string,
  endpoint?: { id: string; account: string },
  exceptions = new ExceptionList([]),
) {
  const credentialUse = use({
    instanceId: network.instanceId,
    sourceIp,
    ...(endpoint !== undefined ? { vpcEndpointId: endpoint.id, vpcEndpointAccountId: endpoint.account } : {}),
  });
  return judgeOrigin({
    use: credentialUse,
    origin: originOf(credentialUse),
    network: new NetworkMatcher(network),
    trustedAccounts: new Set([SPOKE, NETWORK, OTHER]),
    exceptions,
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

describe('Ec2EndpointVpcs: which VPC an endpoint belongs to, live', () => {
  // A private range tied to the affiliated account's VPC: it vouches for calls through that VPC's
  // endpoint, which i-0spoke does not reach (no Transit Gateway there), so only the endpoint's VPC says so.
  const exceptions: CredentialException[] = [
    { cidr: '10.0.0.0/16', accountId: SPOKE, vpcId: 'vpc-0other', reason: 'shared build VPC' },
  ];
  const through = (id: string, account: string, sourceIp = '10.0.1.99') =>
    use({ instanceId: 'i-0spoke', sourceIp, vpcEndpointId: id, vpcEndpointAccountId: account });

  function endpointVpcs(asked: string[], failing = new Set<string>()) {
    const clients: Record<string, InventoryDocuments> = {
      [SPOKE]: SPOKE_EXPORTS,
      [NETWORK]: NETWORK_EXPORTS,
      [OTHER]: OTHER_EXPORTS,
    };
    return new Ec2EndpointVpcs({
      gatewayFor: (accountId) => {
        asked.push(accountId);
        const documents = clients[accountId];
        if (documents === undefined || failing.has(accountId))
          return Promise.reject(new Error(`no member role in ${accountId}`));
        return Promise.resolve(new Ec2NetworkGateway(ec2Answering(documents)));
      },
      trustedAccounts: new Set([NETWORK, OTHER]),
      clock: () => Date.parse('2026-11-26T12:00:00Z'),
    });
  }

  it('gives the same verdicts as the inventory’s describe-vpc-endpoints for exceptions tied to a VPC', async () => {
    const inventory = InventoryDirectory.fromDocuments(
      combine(SPOKE_EXPORTS, NETWORK_EXPORTS, OTHER_EXPORTS),
    );
    const offline = inventory.network('i-0spoke');
    const live = endpointVpcs([]);
    const calls = [
      through('vpce-0othersts', OTHER),
      through('vpce-0centralsts', NETWORK),
      through('vpce-0centralsts', NETWORK, '10.0.1.10'),
      through('vpce-0unknown', OTHER),
    ];

    await live.resolve(calls);

    if (offline === undefined) throw new Error('i-0spoke not in the inventory');
    for (const call of calls) {
      const endpoint = { id: call.vpcEndpointId ?? '', account: call.vpcEndpointAccountId ?? '' };
      expect({
        endpoint: endpoint.id,
        verdict: verdictOf(offline, call.sourceIp, endpoint, new ExceptionList(exceptions, live)),
      }).toEqual({
        endpoint: endpoint.id,
        verdict: verdictOf(
          offline,
          call.sourceIp,
          endpoint,
          new ExceptionList(exceptions, inventory.endpointVpcs),
        ),
      });
    }
    expect(live.get('vpce-0othersts')).toBe('vpc-0other');
    expect(live.get('vpce-0centralsts')).toBe('vpc-0endpoints');
    expect(
      verdictOf(
        offline,
        '10.0.1.99',
        { id: 'vpce-0othersts', account: OTHER },
        new ExceptionList(exceptions, live),
      ).outcome,
    ).toBe('suppressed');
  });

  it('without the lookup the exception would not hold: the theft stays visible rather than hidden', () => {
    const offline = InventoryDirectory.fromDocuments(combine(SPOKE_EXPORTS, NETWORK_EXPORTS)).network(
      'i-0spoke',
    );
    if (offline === undefined) throw new Error('i-0spoke not in the inventory');

    const verdict = verdictOf(
      offline,
      '10.0.1.99',
      { id: 'vpce-0othersts', account: OTHER },
      new ExceptionList(exceptions, endpointVpcs([])),
    );

    expect(verdict).toMatchObject({ outcome: 'suspicious', severity: 'MEDIUM' });
  });

  it('asks only accounts with the read role, once per endpoint, and asks again after a failure', async () => {
    const asked: string[] = [];
    const failing = new Set([OTHER]);
    const live = endpointVpcs(asked, failing);

    await live.resolve([through('vpce-0partner', PARTNER), through('vpce-0othersts', OTHER)]);
    failing.clear();
    await live.resolve([through('vpce-0othersts', OTHER)]);
    await live.resolve([through('vpce-0othersts', OTHER), through('vpce-0unknown', OTHER)]);
    await live.resolve([through('vpce-0unknown', OTHER)]);

    // PARTNER (untrusted, merely named by the record) never; OTHER again after its failure; an endpoint
    // nobody has is remembered as unknown for a while.
    expect(asked).toEqual([OTHER, OTHER, OTHER]);
    expect(live.get('vpce-0othersts')).toBe('vpc-0other');
    expect(live.get('vpce-0partner')).toBeUndefined();
  });
});
