import { BoundedMap } from '../engine/bounded-map';
import type { CredentialEvent } from '../engine/credential-event';
import type { NetworkDirectory, NetworkLookup, NetworkRequest } from '../engine/detector-store';
import type { CachedNetwork, NetworkCache } from '../state/dynamodb-store';
import type {
  AttachmentFact,
  EndpointFact,
  InstanceFact,
  NatGatewayFact,
  RouteFact,
} from '../inventory/routed-network';
import { RoutingIndex } from '../inventory/routed-network';
import { instanceFactOf, networkOf, vpcIdsOf } from './ec2-instance-network';
import type { Ec2NetworkGateway } from './ec2-network-gateway';

export interface Ec2NetworkDirectoryOptions {
  readonly cache: NetworkCache;
  /** EC2 in an account and region, through the member read role when the account is not ours. */
  readonly gatewayFor: (accountId: string, region: string) => Promise<Ec2NetworkGateway>;
  /** Regions to try when neither the delivery nor the calls tell where an instance lives. */
  readonly fallbackRegions: readonly string[];
  /**
   * Accounts whose VPCs on a shared Transit Gateway carry egress and host endpoints (the network
   * account). The instance's own account is always trusted; the member read role must exist in each.
   */
  readonly trustedAccounts?: ReadonlySet<string>;
}

// Each region tried costs several EC2 calls per account; beyond a few the instance is likely gone.
const MAX_REGIONS_TRIED = 3;

interface Pending {
  readonly request: NetworkRequest;
  readonly regions: string[];
}

/**
 * Instance networks from EC2 Describe*, cached in the state table. Where does an instance live? EC2's
 * delivery record says so when it was seen (`request.region`); otherwise the regions its calls went to,
 * most used first (SDKs default to the instance's own region), then the configured fallback regions.
 * A failure degrades to `failed` with the reason, which the engine prints in the finding.
 */
export class Ec2NetworkDirectory implements NetworkDirectory {
  private readonly callRegions = new BoundedMap<string, Map<string, number>>(100_000);

  constructor(private readonly options: Ec2NetworkDirectoryOptions) {}

  /** Notes which regions each instance's calls went to; call it with a batch before the engine sees it. */
  noteCalls(events: readonly CredentialEvent[]): void {
    for (const event of events) {
      if (event.kind !== 'use') continue;
      const counts = this.callRegions.get(event.instanceId) ?? new Map<string, number>();
      counts.set(event.region, (counts.get(event.region) ?? 0) + 1);
      this.callRegions.set(event.instanceId, counts);
    }
  }

  async lookup(requests: readonly NetworkRequest[]): Promise<Map<string, NetworkLookup>> {
    const results = new Map<string, NetworkLookup>();
    const cached = await this.options.cache.getNetworks(
      requests.filter((r) => r.fresh !== true).map((r) => r.instanceId),
    );
    for (const [instanceId, entry] of cached) results.set(instanceId, toLookup(entry));

    const byAccount = new Map<string, Pending[]>();
    for (const request of requests) {
      if (results.has(request.instanceId)) continue;
      const pending = { request, regions: this.regionsFor(request) };
      byAccount.set(request.accountId, [...(byAccount.get(request.accountId) ?? []), pending]);
    }
    const learnt: CachedNetwork[] = [];
    for (const [accountId, pending] of byAccount) {
      for (const [instanceId, lookup] of await this.lookupInAccount(accountId, pending)) {
        results.set(instanceId, lookup);
        if (lookup.status === 'found') learnt.push({ status: 'found', network: lookup.network });
        else if (lookup.status === 'unknown') learnt.push({ status: 'unknown', instanceId });
      }
    }
    // Failures are not cached: the next container (or the next hour's key) tries again.
    if (learnt.length > 0) await this.options.cache.putNetworks(learnt);
    return results;
  }

  private regionsFor(request: NetworkRequest): string[] {
    if (request.region !== undefined) return [request.region];
    const counts = this.callRegions.get(request.instanceId) ?? new Map<string, number>();
    const byUse = [...counts].sort(([, a], [, b]) => b - a).map(([region]) => region);
    return [...new Set([...byUse, ...this.options.fallbackRegions])].slice(0, MAX_REGIONS_TRIED);
  }

  private async lookupInAccount(accountId: string, pending: Pending[]): Promise<Map<string, NetworkLookup>> {
    const results = new Map<string, NetworkLookup>();
    let remaining = pending;
    for (let round = 0; remaining.length > 0 && round < MAX_REGIONS_TRIED; round++) {
      const byRegion = new Map<string, Pending[]>();
      for (const item of remaining) {
        const region = item.regions[round];
        if (region === undefined) results.set(item.request.instanceId, { status: 'unknown' });
        else byRegion.set(region, [...(byRegion.get(region) ?? []), item]);
      }
      remaining = [];
      for (const [region, items] of byRegion) {
        try {
          const found = await this.describe(
            accountId,
            region,
            items.map((item) => item.request.instanceId),
          );
          for (const item of items) {
            const network = found.get(item.request.instanceId);
            if (network !== undefined) results.set(item.request.instanceId, { status: 'found', network });
            else remaining.push(item);
          }
        } catch (error) {
          const reason = `EC2 in account ${accountId}, ${region}: ${error instanceof Error ? error.message : String(error)}`;
          for (const item of items) results.set(item.request.instanceId, { status: 'failed', reason });
        }
      }
    }
    for (const item of remaining) results.set(item.request.instanceId, { status: 'unknown' });
    return results;
  }

  /**
   * The instances' networks as routed. In the instance's account: the instances, their VPCs' route
   * tables, NAT gateways, endpoints and Transit Gateway attachments, and the NAT instances or appliances
   * their default routes name. Through a Transit Gateway: in its owner's account (when trusted), the
   * other VPCs attached to it, and in each trusted owner's account their NAT gateways, egress
   * instances and endpoints. The same RoutingIndex then decides as it does over inventory files.
   */
  private async describe(accountId: string, region: string, instanceIds: string[]) {
    const ec2 = await this.options.gatewayFor(accountId, region);
    const instances = await ec2.describeInstances(instanceIds);
    const vpcIds = [...new Set(instances.flatMap(vpcIdsOf))];
    const trusted = new Set([...(this.options.trustedAccounts ?? []), accountId]);
    const facts = emptyFacts();
    if (vpcIds.length > 0) {
      await this.collectVpcs(ec2, accountId, vpcIds, facts);
      const own = await withoutPermission(ec2.transitGatewayAttachments({ vpcIds }), []);
      facts.attachments.push(...own);
      await this.collectTransitPeers(region, own, trusted, facts);
    }
    facts.instances.push(...instances.map((instance) => instanceFactOf(instance, accountId)));
    const routing = new RoutingIndex({ ...facts, trustedAccounts: trusted });
    const networks = new Map<string, ReturnType<typeof networkOf>>();
    for (const instance of instances) {
      if (instance.InstanceId === undefined) continue;
      networks.set(instance.InstanceId, networkOf(instance, { accountId, region, routing }));
    }
    return networks;
  }

  /** Route tables, NAT gateways and endpoints of VPCs in one account, and the egress instances routed to. */
  private async collectVpcs(
    ec2: Ec2NetworkGateway,
    accountId: string,
    vpcIds: readonly string[],
    facts: MutableFacts,
  ): Promise<void> {
    const [routeTables, natGateways, endpoints] = await Promise.all([
      withoutPermission(ec2.routeTables(vpcIds), []),
      ec2.natGateways(vpcIds),
      ec2.vpcEndpoints(vpcIds),
    ]);
    facts.routeTables.push(...routeTables);
    facts.natGateways.push(...natGateways);
    facts.endpoints.push(...endpoints);
    const hopInstances = new Set<string>();
    const hopInterfaces = new Set<string>();
    for (const table of routeTables) {
      const target = table.defaultRoute;
      if (target?.kind !== 'instance') continue;
      if (target.instanceId !== undefined) hopInstances.add(target.instanceId);
      else if (target.networkInterfaceId !== undefined) hopInterfaces.add(target.networkInterfaceId);
    }
    if (hopInterfaces.size > 0) {
      for (const instanceId of (await ec2.interfaceInstances([...hopInterfaces])).values())
        hopInstances.add(instanceId);
    }
    if (hopInstances.size > 0) {
      const hops = await ec2.describeInstances([...hopInstances]);
      facts.instances.push(...hops.map((instance) => instanceFactOf(instance, accountId)));
    }
  }

  private async collectTransitPeers(
    region: string,
    own: ReadonlyArray<AttachmentFact & { readonly transitGatewayOwnerId?: string }>,
    trusted: ReadonlySet<string>,
    facts: MutableFacts,
  ): Promise<void> {
    const byOwner = new Map<string, Set<string>>();
    for (const attachment of own) {
      const owner = attachment.transitGatewayOwnerId;
      // A gateway owned by an account we do not trust: its other VPCs vouch for nothing.
      if (owner === undefined || !trusted.has(owner)) continue;
      byOwner.set(owner, (byOwner.get(owner) ?? new Set()).add(attachment.transitGatewayId));
    }
    const known = new Set(facts.routeTables.map((table) => table.vpcId));
    const peersByAccount = new Map<string, Set<string>>();
    for (const [owner, gateways] of byOwner) {
      const ec2 = await this.options.gatewayFor(owner, region);
      const peers = await withoutPermission(
        ec2.transitGatewayAttachments({ transitGatewayIds: [...gateways] }),
        [],
      );
      for (const peer of peers) {
        facts.attachments.push(peer);
        if (peer.ownerId === undefined || !trusted.has(peer.ownerId) || known.has(peer.vpcId)) continue;
        peersByAccount.set(peer.ownerId, (peersByAccount.get(peer.ownerId) ?? new Set()).add(peer.vpcId));
      }
    }
    for (const [peerAccount, vpcIds] of peersByAccount) {
      const ec2 = await this.options.gatewayFor(peerAccount, region);
      await this.collectVpcs(ec2, peerAccount, [...vpcIds], facts);
    }
  }
}

/**
 * A member read role deployed before routes were read lacks `ec2:DescribeRouteTables` and
 * `ec2:DescribeTransitGatewayAttachments`: judge that account as before (every NAT gateway of the VPC)
 * rather than fail its lookups until the stack is updated. Any other error still fails the lookup.
 */
async function withoutPermission<T>(call: Promise<T>, fallback: T): Promise<T> {
  try {
    return await call;
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (name === 'UnauthorizedOperation' || name.startsWith('AccessDenied')) return fallback;
    throw error;
  }
}

interface MutableFacts {
  routeTables: RouteFact[];
  natGateways: NatGatewayFact[];
  endpoints: EndpointFact[];
  attachments: AttachmentFact[];
  instances: InstanceFact[];
}

function emptyFacts(): MutableFacts {
  return { routeTables: [], natGateways: [], endpoints: [], attachments: [], instances: [] };
}

function toLookup(entry: CachedNetwork): NetworkLookup {
  return entry.status === 'found' ? { status: 'found', network: entry.network } : { status: 'unknown' };
}
