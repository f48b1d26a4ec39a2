import { BoundedMap } from '../engine/bounded-map';
import type { CredentialEvent } from '../engine/credential-event';
import type { NetworkDirectory, NetworkLookup, NetworkRequest } from '../engine/detector-store';
import type { CachedNetwork, NetworkCache } from '../state/dynamodb-store';
import { networkOf } from './ec2-instance-network';
import type { Ec2NetworkGateway } from './ec2-network-gateway';

export interface Ec2NetworkDirectoryOptions {
  readonly cache: NetworkCache;
  /** EC2 in an account and region, through the member read role when the account is not ours. */
  readonly gatewayFor: (accountId: string, region: string) => Promise<Ec2NetworkGateway>;
  /** Regions to try when neither the delivery nor the calls tell where an instance lives. */
  readonly fallbackRegions: readonly string[];
}

// Each region tried costs three EC2 calls per account; beyond a few the instance is likely gone.
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

  private async describe(accountId: string, region: string, instanceIds: string[]) {
    const ec2 = await this.options.gatewayFor(accountId, region);
    const instances = await ec2.describeInstances(instanceIds);
    const vpcIds = [
      ...new Set(instances.flatMap((instance) => (instance.VpcId === undefined ? [] : [instance.VpcId]))),
    ];
    const [nat, endpoints] =
      vpcIds.length === 0
        ? [new Map<string, string[]>(), new Map<string, string[]>()]
        : await Promise.all([ec2.natGatewayIps(vpcIds), ec2.vpcEndpointIds(vpcIds)]);
    const networks = new Map<string, ReturnType<typeof networkOf>>();
    for (const instance of instances) {
      if (instance.InstanceId === undefined) continue;
      const vpcId = instance.VpcId ?? '';
      networks.set(
        instance.InstanceId,
        networkOf(instance, {
          accountId,
          region,
          natGatewayIps: nat.get(vpcId) ?? [],
          vpcEndpointIds: endpoints.get(vpcId) ?? [],
        }),
      );
    }
    return networks;
  }
}

function toLookup(entry: CachedNetwork): NetworkLookup {
  return entry.status === 'found' ? { status: 'found', network: entry.network } : { status: 'unknown' };
}
