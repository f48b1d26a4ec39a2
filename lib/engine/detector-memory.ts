import { BoundedMap } from './bounded-map';
import type { CredentialEvent, CredentialUse } from './credential-event';
import type { DetectorStore, NetworkDirectory, NetworkRequest, SessionState } from './detector-store';
import type { NetworkEntry } from './finding-templates';
import { AccountNetworkMatcher, NetworkMatcher } from './instance-network';

const CACHE_SIZE = 500_000;
// A failed EC2 lookup (throttling, a role not yet deployed) is retried after this, whatever the cache TTL.
const FAILED_LOOKUP_RETRY_MS = 5 * 60_000;

/**
 * What the detector remembers between batches about keys and instances: sessions (delivery, first
 * origins) read from or written to the store, and each instance's network as the directory answered.
 * Bounded, like every cache of a long-lived Lambda.
 */
export class DetectorMemory {
  private readonly sessions = new BoundedMap<string, SessionState>(CACHE_SIZE);
  /** Keys the store was asked about and did not know: no need to ask again. */
  private readonly unknownSessions = new BoundedMap<string, true>(CACHE_SIZE);
  private readonly networks = new BoundedMap<string, NetworkEntry>(CACHE_SIZE);

  constructor(
    private readonly store: DetectorStore,
    private readonly directory: NetworkDirectory,
    private readonly cacheTtlMs: number | undefined,
  ) {}

  session(accessKeyId: string): SessionState | undefined {
    return this.sessions.get(accessKeyId);
  }

  setSession(session: SessionState): void {
    this.sessions.set(session.accessKeyId, session);
  }

  network(instanceId: string): NetworkEntry | undefined {
    return this.networks.get(instanceId);
  }

  /** The key's session as known, or a new one with no first origins yet. */
  sessionFor(use: CredentialUse): SessionState {
    return (
      this.sessions.get(use.accessKeyId) ?? {
        accessKeyId: use.accessKeyId,
        instanceId: use.instanceId,
        roleArn: use.roleArn,
        accountId: use.accountId,
        baselines: {},
      }
    );
  }

  /** Remembers and stores the batch's EC2 deliveries; returns how many deliveries the batch held. */
  async recordDeliveries(events: readonly CredentialEvent[]): Promise<number> {
    let count = 0;
    const deliveries: SessionState[] = [];
    for (const event of events) {
      if (event.kind !== 'delivery') continue;
      count++;
      const known = this.sessions.get(event.accessKeyId);
      if (known?.issuedAt !== undefined) continue;
      const session: SessionState = {
        accessKeyId: event.accessKeyId,
        instanceId: event.instanceId,
        roleArn: event.roleArn,
        accountId: event.accountId,
        region: event.region,
        issuedAt: event.eventTime,
        baselines: known?.baselines ?? {},
      };
      this.sessions.set(event.accessKeyId, session);
      deliveries.push(session);
    }
    if (deliveries.length > 0) await this.store.putDeliveries(deliveries);
    return count;
  }

  /** True when the instance's network is unknown or its answer expired. */
  needsNetwork(instanceId: string, now: number): boolean {
    const network = this.networks.get(instanceId);
    return network === undefined || network.validUntil <= now;
  }

  async lookupNetworks(requests: readonly NetworkRequest[], now: number): Promise<void> {
    if (requests.length === 0) return;
    const lookups = await this.directory.lookup(requests);
    const ttl = this.cacheTtlMs ?? Infinity;
    for (const { instanceId } of requests) {
      const lookup = lookups.get(instanceId);
      if (lookup?.status === 'found') {
        this.networks.set(instanceId, {
          fetchedAt: now,
          validUntil: now + ttl,
          matcher: new NetworkMatcher(lookup.network),
        });
      } else if (lookup?.status === 'failed') {
        this.networks.set(instanceId, {
          fetchedAt: now,
          validUntil: now + Math.min(ttl, FAILED_LOOKUP_RETRY_MS),
          note: lookup.reason,
        });
      } else {
        const accountNetwork = lookup?.status === 'unknown' ? lookup.accountNetwork : undefined;
        this.networks.set(instanceId, {
          fetchedAt: now,
          validUntil: now + ttl,
          ...(accountNetwork !== undefined
            ? { accountMatcher: new AccountNetworkMatcher(accountNetwork) }
            : {}),
        });
      }
    }
  }

  needsSessionRead(accessKeyId: string): boolean {
    return !this.sessions.has(accessKeyId) && !this.unknownSessions.has(accessKeyId);
  }

  async readSessions(keys: ReadonlySet<string>): Promise<void> {
    if (keys.size === 0) return;
    const found = await this.store.getSessions([...keys]);
    for (const key of keys) {
      const session = found.get(key);
      if (session !== undefined) this.sessions.set(key, session);
      else this.unknownSessions.set(key, true);
    }
  }
}
