import { BoundedMap } from './bounded-map';
import type { CredentialUse } from './credential-event';
import type { BaselineKind, SessionState } from './detector-store';
import {
  EGRESS_MIN_KEYS,
  EGRESS_SIGHTING_WINDOW_MS,
  MAX_EGRESS_ADDRESSES,
  MAX_EGRESS_SIGHTINGS,
  MAX_LEARNED_ORIGINS,
  LearnedNetworkView,
  egressScope,
  instanceRef,
  isEgressCandidate,
  sightingOf,
  type EgressAddress,
  type InstanceHistory,
  type LearnedOrigin,
} from './learned-network';
import type {
  EgressScope,
  EgressSighting,
  InstanceActivity,
  InstanceKey,
  LearnedNetworkStore,
  OriginLearning,
} from './learned-network-store';
import { originKey, type Origin } from './origin';

interface CachedHistory {
  readonly accountId: string;
  readonly instanceId: string;
  readonly origins: Map<string, LearnedOrigin>;
  lastActive: number;
  /** What the store holds (as far as we know): activity is written only when it moved an hour. */
  storedActive: number;
  readAt: number;
  /** Built on demand, dropped when the history or the egress changes. */
  view?: LearnedNetworkView;
  viewScope?: string;
  viewEpoch?: number;
}

const EMPTY_EGRESS: ReadonlyMap<string, EgressAddress> = new Map();

interface CachedEgress {
  readonly addresses: Map<string, EgressAddress>;
  readAt: number;
}

const CACHE_SIZE = 100_000;
// The store's clock of an instance's activity moves in two-hour steps: one small write per instance and two
// hours (issue 13's cost). Another container may then see an instance up to 2 h quieter than it is, which
// matters only for silences of 4 to 6 h (HISTORY_STALE_MS): its next key is judged by first-seen.
const ACTIVITY_WRITE_STEP_MS = 2 * 3_600_000;

/**
 * The detector's side of the learned network: caches each instance's history and its account's egress,
 * reads them in batches for the instances a batch needs, and holds what it learns until `flush`.
 */
export class LearnedNetworkTracker {
  private readonly histories = new BoundedMap<string, CachedHistory>(CACHE_SIZE);
  private readonly egress = new BoundedMap<string, CachedEgress>(CACHE_SIZE);
  private learnings: OriginLearning[] = [];
  private activity = new Map<string, InstanceActivity>();
  private sightings: EgressSighting[] = [];
  /** Keys whose accepted first origin was already sighted: one clean sighting per key. */
  private readonly firstSighted = new BoundedMap<string, true>(CACHE_SIZE);
  private viewEpoch = 0;

  constructor(
    private readonly store: LearnedNetworkStore,
    /** Re-read a history or egress older than this before condemning an origin (other containers learn too). */
    private readonly refreshMs?: number,
  ) {}

  /** Reads what `uses` will need and the cache lacks: one batched read per kind. */
  async prefetch(
    uses: readonly { use: CredentialUse; region: string | undefined }[],
    now: number,
  ): Promise<void> {
    const instances = new Map<string, InstanceKey>();
    const scopes = new Map<string, EgressScope>();
    for (const { use, region } of uses) {
      const ref = instanceRef(use.accountId, use.instanceId);
      if (!this.histories.has(ref))
        instances.set(ref, { accountId: use.accountId, instanceId: use.instanceId });
      const scope = egressScope(use.accountId, region ?? use.region);
      if (!this.egress.has(scope))
        scopes.set(scope, { accountId: use.accountId, region: region ?? use.region });
    }
    await this.read([...instances.values()], [...scopes.values()], now);
  }

  /** Reads again what may have grown in another container since `refreshMs`; true when anything was read. */
  async refresh(use: CredentialUse, region: string | undefined, now: number): Promise<boolean> {
    if (this.refreshMs === undefined) return false;
    const ref = instanceRef(use.accountId, use.instanceId);
    const scope = { accountId: use.accountId, region: region ?? use.region };
    const history = this.histories.get(ref);
    const egress = this.egress.get(egressScope(scope.accountId, scope.region));
    const stale = (readAt: number | undefined) =>
      readAt === undefined || now - readAt > (this.refreshMs ?? 0);
    const instances = stale(history?.readAt)
      ? [{ accountId: use.accountId, instanceId: use.instanceId }]
      : [];
    const scopes = stale(egress?.readAt) ? [scope] : [];
    if (instances.length === 0 && scopes.length === 0) return false;
    await this.read(instances, scopes, now);
    return true;
  }

  view(use: CredentialUse, region: string | undefined): LearnedNetworkView {
    const history = this.cachedHistory(use);
    const scope = egressScope(use.accountId, region ?? use.region);
    if (history.view !== undefined && history.viewScope === scope && history.viewEpoch === this.viewEpoch)
      return history.view;
    const egress = this.egress.get(scope);
    history.view = new LearnedNetworkView(
      history.origins.size > 0 ? history : undefined,
      egress?.addresses ?? EMPTY_EGRESS,
      use.accountId,
      use.instanceId,
    );
    history.viewScope = scope;
    history.viewEpoch = this.viewEpoch;
    return history.view;
  }

  /** An accepted origin of a proven key joins the instance's history (bounded). */
  learn(use: CredentialUse, origin: Origin, kind: BaselineKind): void {
    const history = this.cachedHistory(use);
    const key = originKey(origin);
    this.touch(history, use.eventTime);
    if (history.origins.has(key) || history.origins.size >= MAX_LEARNED_ORIGINS) return;
    history.origins.set(key, { origin, kind, learnedAt: use.eventTime, teacher: use.accessKeyId });
    history.view = undefined;
    this.learnings.push({
      accountId: use.accountId,
      instanceId: use.instanceId,
      origin,
      kind,
      at: use.eventTime,
      teacher: use.accessKeyId,
    });
  }

  /** A proven key seen in use: the instance is alive (its history stays fit to judge). */
  active(use: CredentialUse): void {
    this.touch(this.cachedHistory(use), use.eventTime);
  }

  /**
   * A proven key's call from a public IPv4 address: a vote that the address is the account's egress. The
   * key's first call counts whenever it came (keys issued before the trail began have no delivery in it),
   * accepted or judged against its instance's history (`judgedFirst`), and is marked clean; any other call
   * counts within EGRESS_SIGHTING_WINDOW_MS of the delivery, unmarked (a fast thief's calls are of this
   * kind: they never vouch for other instances alone).
   */
  sight(use: CredentialUse, origin: Origin, session: SessionState, judgedFirst: boolean): void {
    if (origin.kind !== 'address') return;
    const baseline = session.baselines.address;
    if (baseline === undefined && !judgedFirst) return;
    const first = baseline === undefined || baseline.sourceIp === origin.sourceIp;
    if (first) {
      if (this.firstSighted.has(use.accessKeyId)) return;
      this.firstSighted.set(use.accessKeyId, true);
    } else {
      // The delivery's time, or the session's creationDate (the identity role's keys have no delivery record).
      const issuedAt =
        session.issuedAt ?? (use.sessionCreatedAt === undefined ? NaN : Date.parse(use.sessionCreatedAt));
      const age = use.eventTime - issuedAt;
      if (Number.isNaN(age) || age < 0 || age > EGRESS_SIGHTING_WINDOW_MS) return;
    }
    if (!isEgressCandidate(origin)) return;
    const region = session.region ?? use.region;
    const scope = egressScope(use.accountId, region);
    let cached = this.egress.get(scope);
    if (cached === undefined) {
      cached = { addresses: new Map(), readAt: -Infinity };
      this.egress.set(scope, cached);
    }
    const known = cached.addresses.get(origin.sourceIp);
    const sighting = sightingOf(use.instanceId, use.accessKeyId, first);
    const sightings = known?.sightings ?? [];
    if (
      sightings.includes(sighting) ||
      (!first && sightings.includes(sightingOf(use.instanceId, use.accessKeyId, true)))
    )
      return;
    // Enough from this instance already (two keys vouch for it); room stays for other instances, and for
    // its clean sightings (a clean one is what lets the others vouch).
    const own = sightings.filter((entry) => entry.startsWith(`${use.instanceId}/`)).length;
    if (own >= EGRESS_MIN_KEYS && !first) return;
    if (known === undefined && cached.addresses.size >= MAX_EGRESS_ADDRESSES) return;
    if (sightings.length >= MAX_EGRESS_SIGHTINGS) return;
    this.dropViews();
    cached.addresses.set(origin.sourceIp, {
      accountId: use.accountId,
      region,
      address: origin.sourceIp,
      sightings: [...sightings, sighting],
      firstSeen: Math.min(known?.firstSeen ?? use.eventTime, use.eventTime),
      lastSeen: Math.max(known?.lastSeen ?? use.eventTime, use.eventTime),
    });
    this.sightings.push({
      accountId: use.accountId,
      region,
      address: origin.sourceIp,
      sighting,
      at: use.eventTime,
    });
  }

  /** Writes what was learnt since the last flush. */
  async flush(): Promise<void> {
    const learnings = this.learnings;
    const activity = [...this.activity.values()];
    const sightings = this.sightings;
    if (learnings.length === 0 && activity.length === 0 && sightings.length === 0) return;
    this.learnings = [];
    this.activity = new Map();
    this.sightings = [];
    try {
      await this.store.learn(learnings, activity);
      await this.store.noteEgress(sightings);
    } catch (error) {
      // Kept for the next flush (the batch is retried anyway); the writes are idempotent.
      this.learnings.push(...learnings);
      for (const seen of activity) this.activity.set(instanceRef(seen.accountId, seen.instanceId), seen);
      this.sightings.push(...sightings);
      throw error;
    }
  }

  private touch(history: CachedHistory, at: number): void {
    if (at <= history.lastActive) return;
    history.lastActive = at;
    if (at - history.storedActive < ACTIVITY_WRITE_STEP_MS) return;
    history.storedActive = at;
    this.activity.set(instanceRef(history.accountId, history.instanceId), {
      accountId: history.accountId,
      instanceId: history.instanceId,
      at,
    });
  }

  private cachedHistory(use: CredentialUse): CachedHistory {
    const ref = instanceRef(use.accountId, use.instanceId);
    let history = this.histories.get(ref);
    if (history === undefined) {
      history = {
        accountId: use.accountId,
        instanceId: use.instanceId,
        origins: new Map(),
        lastActive: -Infinity,
        storedActive: -Infinity,
        readAt: -Infinity,
      };
      this.histories.set(ref, history);
    }
    return history;
  }

  private async read(
    instances: readonly InstanceKey[],
    scopes: readonly EgressScope[],
    now: number,
  ): Promise<void> {
    const [histories, egress] = await Promise.all([
      instances.length === 0 ? new Map<string, InstanceHistory>() : this.store.getHistories(instances),
      scopes.length === 0 ? new Map<string, Map<string, EgressAddress>>() : this.store.getEgress(scopes),
    ]);
    for (const { accountId, instanceId } of instances) {
      const ref = instanceRef(accountId, instanceId);
      const stored = histories.get(ref);
      const cached = this.histories.get(ref);
      // What this container learnt and has not yet written stays: the store may not have it yet.
      const origins = new Map(stored?.origins);
      for (const [key, learned] of cached?.origins ?? []) if (!origins.has(key)) origins.set(key, learned);
      const storedActive = stored?.lastActive ?? -Infinity;
      this.histories.set(ref, {
        accountId,
        instanceId,
        origins,
        lastActive: Math.max(storedActive, cached?.lastActive ?? -Infinity),
        storedActive: Math.max(storedActive, cached?.storedActive ?? -Infinity),
        readAt: now,
      });
    }
    for (const { accountId, region } of scopes) {
      const scope = egressScope(accountId, region);
      const addresses = new Map(egress.get(scope));
      for (const [address, entry] of this.egress.get(scope)?.addresses ?? []) {
        const stored = addresses.get(address);
        const sightings = [...new Set([...(stored?.sightings ?? []), ...entry.sightings])];
        addresses.set(address, { ...(stored ?? entry), sightings: sightings.slice(0, MAX_EGRESS_SIGHTINGS) });
      }
      this.egress.set(scope, { addresses, readAt: now });
    }
    if (scopes.length > 0) this.dropViews();
  }

  /** Egress is shared by an account's instances: a change of it reaches every view (rare: sightings, reads). */
  private dropViews(): void {
    this.viewEpoch++;
  }
}
