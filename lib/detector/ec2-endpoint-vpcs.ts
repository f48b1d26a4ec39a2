import { BoundedMap } from '../engine/bounded-map';
import type { CredentialEvent } from '../engine/credential-event';
import type { EndpointVpcs } from '../engine/credential-exception';
import type { EndpointFact } from '../inventory/routed-network';

/** The part of Ec2NetworkGateway this needs: `DescribeVpcEndpoints` by endpoint id. */
export interface EndpointGateway {
  endpointsById(endpointIds: readonly string[]): Promise<EndpointFact[]>;
}

export interface Ec2EndpointVpcsOptions {
  /** EC2 in an account and region, through the member read role (the same as the network directory's). */
  readonly gatewayFor: (accountId: string, region: string) => Promise<EndpointGateway>;
  /** Accounts with the member read role besides the calls' own: the network account, shared services. */
  readonly trustedAccounts: ReadonlySet<string>;
  readonly clock: () => number;
  /** A failed lookup is not cached and vouches for nothing; this hears about it (the Lambda logs it). */
  readonly onError?: (accountId: string, region: string, error: unknown) => void;
}

// An endpoint never moves to another VPC: a found answer holds for good. A missing one (deleted, or not
// readable) is asked again after a while, in case it was created after we asked.
const UNKNOWN_TTL_MS = 15 * 60_000;
const MAX_ENTRIES = 50_000;

type Entry = { readonly vpcId: string } | { readonly unknownUntil: number };

/**
 * Which VPC an interface endpoint belongs to, live: what the inventory's `describe-vpc-endpoints`
 * tells offline (InventoryDirectory.endpointVpcs). An exception that ties a private range to a `vpcId`
 * vouches for that VPC's endpoints; a call names only the endpoint, so the Lambda asks the endpoint's
 * owner (`vpcEndpointAccountId`) through the member read role. Only accounts we have that role in are
 * asked: the call's own account and the trusted ones, never an account a record merely names.
 * Resolved before each batch (`resolve`), read synchronously by the exception list (`get`); cached
 * per container.
 */
export class Ec2EndpointVpcs implements EndpointVpcs {
  private readonly entries = new BoundedMap<string, Entry>(MAX_ENTRIES);

  constructor(private readonly options: Ec2EndpointVpcsOptions) {}

  get(endpointId: string): string | undefined {
    const entry = this.entries.get(endpointId);
    return entry !== undefined && 'vpcId' in entry ? entry.vpcId : undefined;
  }

  /** Looks up the endpoints the batch's calls went through that are not known yet. Never throws. */
  async resolve(events: readonly CredentialEvent[]): Promise<void> {
    const now = this.options.clock();
    const wanted = new Map<string, { accountId: string; region: string; ids: Set<string> }>();
    for (const event of events) {
      if (event.kind !== 'use' || event.vpcEndpointId === undefined) continue;
      const entry = this.entries.get(event.vpcEndpointId);
      if (entry !== undefined && ('vpcId' in entry || entry.unknownUntil > now)) continue;
      const owner = event.vpcEndpointAccountId ?? event.accountId;
      const ours = owner === event.accountId || owner === event.recipientAccountId;
      if (!ours && !this.options.trustedAccounts.has(owner)) continue;
      const key = `${owner}|${event.region}`;
      const group = wanted.get(key) ?? { accountId: owner, region: event.region, ids: new Set<string>() };
      group.ids.add(event.vpcEndpointId);
      wanted.set(key, group);
    }
    for (const { accountId, region, ids } of wanted.values()) {
      try {
        const gateway = await this.options.gatewayFor(accountId, region);
        const found = await gateway.endpointsById([...ids]);
        for (const endpoint of found) this.entries.set(endpoint.vpcEndpointId, { vpcId: endpoint.vpcId });
        for (const id of ids) {
          if (!this.entries.has(id)) this.entries.set(id, { unknownUntil: now + UNKNOWN_TTL_MS });
        }
      } catch (error) {
        this.options.onError?.(accountId, region, error);
      }
    }
  }
}
