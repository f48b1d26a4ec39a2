import { createHash } from 'node:crypto';
import {
  FindingType,
  NO_EXPECTED_NETWORK,
  SEVERITY_SCORE,
  type ExpectedNetwork,
  type FindingDetail,
} from '../contracts/finding-event';
import { BoundedMap } from './bounded-map';
import type { CredentialEvent, CredentialUse } from './credential-event';
import type { ExceptionList } from './credential-exception';
import {
  MAX_EVENT_NAMES,
  MAX_USER_AGENTS,
  type BaselineKind,
  type DetectorStore,
  type FindingObservation,
  type NetworkDirectory,
  type NetworkRequest,
  type SessionState,
  type StoredFinding,
} from './detector-store';
import { AccountNetworkMatcher, NetworkMatcher } from './instance-network';
import { hasInstanceCredentialProof } from './instance-proof';
import { learnedExpectation } from './learned-network';
import { LearnedNetworkTracker } from './learned-network-tracker';
import { TrailSignals } from './trail-signals';
import { describeOrigin, originOf, pairKeyOf, type Origin } from './origin';
import { judgeOrigin, type OriginVerdict, type Severity } from './origin-verdict';

export interface DetectorOptions {
  readonly store: DetectorStore;
  readonly networks: NetworkDirectory;
  readonly exceptions: ExceptionList;
  /** Accounts whose VPC endpoints are affiliated (MEDIUM) rather than foreign (HIGH). */
  readonly trustedAccounts: ReadonlySet<string>;
  /** Also trust every account that appears as `recipientAccountId` in the logs (the CLI's default). */
  readonly trustRecipientAccounts?: boolean;
  /** Epoch milliseconds; exceptions expire against it. */
  readonly clock: () => number;
  /**
   * How long a judgement of a (key, origin) pair, and an instance's network, are reused before they are
   * looked up again. Unbounded for a one-off hunt; a long-lived Lambda sets minutes.
   */
  readonly cacheTtlMs?: number;
  /**
   * Before calling an origin suspicious against a network fetched longer ago than this, fetch it again
   * past every cache: the instance may have a new Elastic IP, or its VPC a new NAT gateway. Unset for a
   * hunt over files; minutes in the Lambda, where EC2 is asked.
   */
  readonly networkRefreshMs?: number;
}

export interface BatchStats {
  credentialUses: number;
  deliveries: number;
  expected: number;
  suppressed: number;
  suspicious: number;
  /** Suspicious events already counted (the same eventID arriving twice). */
  duplicates: number;
}

export function emptyBatchStats(): BatchStats {
  return { credentialUses: 0, deliveries: 0, expected: 0, suppressed: 0, suspicious: 0, duplicates: 0 };
}

/** Adds one batch's counts to a running total. */
export function addBatchStats(total: BatchStats, batch: BatchStats): void {
  for (const key of Object.keys(batch) as (keyof BatchStats)[]) total[key] += batch[key];
}

export interface ProcessOptions {
  /**
   * Whether calls through IMDSv1 feed the instance's IMDSv1 finding (default true). The Lambda's
   * real-time path says false: that LOW finding counts every ordinary call of a legacy instance, so it
   * is left to the log files (the complete record) rather than claimed call by call on both paths.
   */
  readonly imdsv1Findings?: boolean;
}

export interface BatchResult {
  /** Findings created or updated by this batch, after merging with the store. */
  readonly findings: StoredFinding[];
  readonly stats: BatchStats;
}

interface CachedVerdict {
  readonly verdict: OriginVerdict;
  readonly validUntil: number;
  /** Set for suspicious verdicts: the finding the pair feeds. */
  readonly finding?: FindingTemplate;
}

interface FindingTemplate {
  readonly findingId: string;
  readonly build: (use: CredentialUse) => FindingDetail;
}

interface NetworkEntry {
  readonly fetchedAt: number;
  readonly validUntil: number;
  readonly matcher?: NetworkMatcher;
  /** Without the instance's network: its account's known networks (an instance launched after the inventory). */
  readonly accountMatcher?: AccountNetworkMatcher;
  /** Why no network is known, when a lookup failed. */
  readonly note?: string;
}

interface Aggregate {
  detail: FindingDetail;
  firstSeen: number;
  lastSeen: number;
  eventCount: number;
  eventNames: Set<string>;
  userAgents: Set<string>;
  eventIds: string[];
}

const CACHE_SIZE = 500_000;
// A failed EC2 lookup (throttling, a role not yet deployed) is retried after this, whatever the cache TTL.
const FAILED_LOOKUP_RETRY_MS = 5 * 60_000;
const SEEN_EVENT_IDS = 200_000;

/**
 * The stateful detector: feeds sorted credential events through `judgeOrigin`, remembering sessions,
 * networks and verdicts so that a repeat (key, origin) pair costs a Map lookup and no I/O.
 */
export class Detector {
  readonly trustedAccounts: Set<string>;
  private readonly sessions = new BoundedMap<string, SessionState>(CACHE_SIZE);
  /** Keys the store was asked about and did not know: no need to ask again. */
  private readonly unknownSessions = new BoundedMap<string, true>(CACHE_SIZE);
  private readonly networks = new BoundedMap<string, NetworkEntry>(CACHE_SIZE);
  private readonly verdicts = new PairCache<CachedVerdict>(CACHE_SIZE);
  private readonly countedEventIds = new BoundedMap<string, true>(SEEN_EVENT_IDS);
  private exceptions: ExceptionList;
  /** Without inventory: each instance's network as its proven keys showed it (issue 13). */
  private readonly learned?: LearnedNetworkTracker;
  private readonly signals: TrailSignals;

  constructor(private readonly options: DetectorOptions) {
    this.trustedAccounts = new Set(options.trustedAccounts);
    this.exceptions = options.exceptions;
    this.signals = new TrailSignals(options.store.trailSignals);
    const learnedStore = options.store.learnedNetwork;
    if (learnedStore !== undefined)
      this.learned = new LearnedNetworkTracker(learnedStore, options.networkRefreshMs);
  }

  /** Swaps the exception list (the Lambda re-reads its table now and then); cached verdicts are dropped. */
  setExceptions(exceptions: ExceptionList): void {
    this.exceptions = exceptions;
    this.verdicts.clear();
  }

  async process(events: readonly CredentialEvent[], options: ProcessOptions = {}): Promise<BatchResult> {
    const now = this.options.clock();
    const stats = emptyBatchStats();
    await this.recordDeliveries(events, stats);
    // The verdicts prefetch finds still valid, by event index: read from here, not from the cache again.
    const warm = new Array<CachedVerdict | undefined>(events.length);
    await this.prefetch(events, now, warm);
    await this.signals.prefetch(events, now);

    const aggregates = new Map<string, Aggregate>();
    // Event IDs counted in this batch: they join `countedEventIds` only once the store has saved them,
    // so a failed save leaves them countable by the retry.
    const counting = new Set<string>();
    for (let index = 0; index < events.length; index++) {
      const event = events[index] as CredentialEvent;
      if (event.kind === 'instance-action') this.signals.note(event);
      if (event.kind !== 'use') continue;
      stats.credentialUses++;
      if (this.options.trustRecipientAccounts === true && event.recipientAccountId !== undefined) {
        this.trustedAccounts.add(event.recipientAccountId);
      }
      // The verdict prefetch found warm is used as is: one cache lookup per event. Only a pair that was
      // cold then is looked up again (an earlier event of this batch may have judged it meanwhile).
      let cached = warm[index];
      let fresh = false;
      if (cached === undefined) {
        const slot = originSlot(event);
        cached = this.verdicts.get(event.accessKeyId, slot);
        if (cached === undefined || cached.validUntil <= now) {
          fresh = true;
          cached = await this.judge(event, now);
          this.verdicts.set(event.accessKeyId, slot, cached);
        }
      }
      if (fresh || this.signals.watches(event.instanceId))
        await this.observeSignals(aggregates, event, cached.verdict, fresh, counting);
      const { verdict } = cached;
      if (verdict.outcome === 'suspicious' && cached.finding !== undefined) {
        // A repeat still names its finding (uncounted), so a finding stored but never announced is
        // handed back to the caller by the retry instead of being skipped as a replay.
        const repeat = this.isRepeat(event.eventId, counting);
        if (repeat) stats.duplicates++;
        else stats.suspicious++;
        observe(aggregates, cached.finding, event, !repeat);
      } else if (verdict.outcome === 'suppressed') stats.suppressed++;
      else stats.expected++;

      // The instance profile's role is what an SSRF bug hands over; the identity role (aws:ec2-instance)
      // rides the same IMDS but carries no customer permissions, so it alone is not worth a finding.
      if (
        event.roleDelivery === '1.0' &&
        event.credentialKind === 'instance-profile' &&
        options.imdsv1Findings !== false
      ) {
        this.observeImdsv1(aggregates, event, now, counting);
      }
    }

    const findings =
      aggregates.size === 0
        ? []
        : await this.options.store.saveFindings([...aggregates.values()].map(toObservation));
    for (const eventId of counting) this.countedEventIds.set(eventId, true);
    await this.learned?.flush();
    await this.signals.flush();
    return { findings, stats };
  }

  private async recordDeliveries(events: readonly CredentialEvent[], stats: BatchStats): Promise<void> {
    const deliveries: SessionState[] = [];
    for (const event of events) {
      if (event.kind !== 'delivery') continue;
      stats.deliveries++;
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
    if (deliveries.length > 0) await this.options.store.putDeliveries(deliveries);
  }

  /**
   * Batched reads of what the uses below will need and we lack. Networks come first: a session (its
   * first origins) is read only for instances whose network is unknown, where first-seen decides. With
   * inventory or EC2 answering, a busy stream of known pairs reads no session at all.
   */
  private async prefetch(
    events: readonly CredentialEvent[],
    now: number,
    warm: (CachedVerdict | undefined)[],
  ): Promise<void> {
    const pending: CredentialUse[] = [];
    const instances = new Map<string, NetworkRequest>();
    for (let index = 0; index < events.length; index++) {
      const event = events[index] as CredentialEvent;
      if (event.kind !== 'use') continue;
      const cached = this.verdicts.get(event.accessKeyId, originSlot(event));
      if (cached !== undefined && cached.validUntil > now) {
        warm[index] = cached;
        continue;
      }
      pending.push(event);
      const network = this.networks.get(event.instanceId);
      if ((network === undefined || network.validUntil <= now) && !instances.has(event.instanceId)) {
        const region = this.sessions.get(event.accessKeyId)?.region;
        instances.set(event.instanceId, {
          instanceId: event.instanceId,
          accountId: event.accountId,
          ...(region !== undefined ? { region } : {}),
        });
      }
    }
    await this.lookupNetworks([...instances.values()], now);
    const keys = new Set<string>();
    for (const use of pending) {
      if (
        this.networks.get(use.instanceId)?.matcher === undefined &&
        this.needsSessionRead(use.accessKeyId)
      ) {
        keys.add(use.accessKeyId);
      }
    }
    await this.readSessions(keys);
    const unknown = pending.filter((use) => this.networks.get(use.instanceId)?.matcher === undefined);
    await this.learned?.prefetch(
      unknown.map((use) => ({ use, region: this.sessions.get(use.accessKeyId)?.region })),
      now,
    );
  }

  private async lookupNetworks(requests: readonly NetworkRequest[], now: number): Promise<void> {
    if (requests.length === 0) return;
    const lookups = await this.options.networks.lookup(requests);
    const ttl = this.options.cacheTtlMs ?? Infinity;
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

  private needsSessionRead(accessKeyId: string): boolean {
    return !this.sessions.has(accessKeyId) && !this.unknownSessions.has(accessKeyId);
  }

  private async readSessions(keys: ReadonlySet<string>): Promise<void> {
    if (keys.size === 0) return;
    const found = await this.options.store.getSessions([...keys]);
    for (const key of keys) {
      const session = found.get(key);
      if (session !== undefined) this.sessions.set(key, session);
      else this.unknownSessions.set(key, true);
    }
  }

  private async judge(use: CredentialUse, now: number): Promise<CachedVerdict> {
    const origin = originOf(use);
    const kind = baselineKindOf(origin);
    let network: Partial<NetworkEntry> = this.networks.get(use.instanceId) ?? {};
    let session = this.sessionFor(use);
    const decide = async (): Promise<OriginVerdict> => {
      const input = {
        use,
        origin,
        ...(network.matcher !== undefined ? { network: network.matcher } : {}),
        ...(network.accountMatcher !== undefined ? { accountNetwork: network.accountMatcher } : {}),
        trustedAccounts: this.trustedAccounts,
        exceptions: this.exceptions,
        now,
      };
      const learned = network.matcher === undefined ? this.learnedViewFor(use, session) : undefined;
      const verdict = judgeOrigin({
        ...input,
        ...baselineOf(session, kind),
        ...(learned ? { learned } : {}),
      });
      const firstAccepted =
        verdict.outcome === 'needs-baseline' ||
        (verdict.outcome === 'expected' &&
          verdict.basis === 'learned' &&
          session.baselines[kind] === undefined);
      if (!firstAccepted) return verdict;
      // The key's first origin of this kind (new, or one its instance's earlier keys used) is claimed.
      const winner = await this.options.store.claimBaseline(session, kind, origin);
      session = { ...session, baselines: { ...session.baselines, [kind]: winner } };
      this.sessions.set(use.accessKeyId, session);
      return verdict.outcome === 'expected' ? verdict : judgeOrigin({ ...input, baseline: winner });
    };
    let verdict = await decide();
    if (
      verdict.outcome === 'suspicious' &&
      verdict.basis !== 'inventory' &&
      this.learnedViewFor(use, session) !== undefined &&
      (await this.learned?.refresh(use, session.region, now)) === true
    ) {
      verdict = await decide();
    }
    this.noteLearning(use, origin, kind, session, verdict);
    const refreshAfter = this.options.networkRefreshMs;
    if (
      verdict.outcome === 'suspicious' &&
      network.matcher !== undefined &&
      refreshAfter !== undefined &&
      now - (network.fetchedAt ?? now) > refreshAfter
    ) {
      await this.lookupNetworks([{ instanceId: use.instanceId, accountId: use.accountId, fresh: true }], now);
      network = this.networks.get(use.instanceId) ?? {};
      verdict = await decide();
    }
    const validUntil = Math.min(
      now + (this.options.cacheTtlMs ?? Infinity),
      this.exceptions.nextExpiry(now),
      network.validUntil ?? Infinity,
    );
    if (verdict.outcome !== 'suspicious') return { verdict, validUntil };

    // A finding names when the key was issued and the instance's region: read the session now if the
    // network decided without it. Suspicious pairs are rare, so this read is too.
    if (this.needsSessionRead(use.accessKeyId)) {
      await this.readSessions(new Set([use.accessKeyId]));
      const stored = this.sessions.get(use.accessKeyId);
      if (stored !== undefined)
        session = { ...stored, baselines: { ...stored.baselines, ...session.baselines } };
    }

    // Only keys EC2 delivered are instance credentials; a session merely named `i-…` gets its own,
    // lower finding (its own findingId space) that the responder never acts on.
    const proven = hasInstanceCredentialProof(use, session);
    const pairKey = pairKeyOf(use.accessKeyId, use.sourceIp, use.vpcEndpointId);
    const findingId = findingIdOf(proven ? pairKey : `named-like-instance|${pairKey}`);
    const learnedHistory =
      verdict.basis === 'learned' ? this.learnedViewFor(use, session)?.history : undefined;
    const expected = {
      ...expectedNetwork(verdict.basis, network, session.baselines[kind]),
      ...(learnedHistory !== undefined ? learnedExpectation(learnedHistory) : {}),
    };
    const keyIssuedAt = session.issuedAt === undefined ? null : new Date(session.issuedAt).toISOString();
    const region = session.region ?? network.matcher?.network.region;
    const severity: Severity = proven ? verdict.severity : 'LOW';
    const reason = proven
      ? verdict.reason
      : `Role session ${use.instanceId} of ${use.roleName} is merely named like an instance: no ec2RoleDelivery and no EC2 delivery of key ${use.accessKeyId} was seen, so anyone allowed to assume the role may have chosen the name. ${verdict.reason}`;
    const build = (first: CredentialUse): FindingDetail => ({
      schemaVersion: 1,
      findingId,
      type: proven ? FindingType.UnexpectedOrigin : FindingType.SessionNamedLikeInstance,
      severity,
      severityScore: SEVERITY_SCORE[severity],
      title: proven
        ? `Instance credentials of ${first.instanceId} used from ${describeOrigin(origin)}`
        : `Role session named like instance ${first.instanceId} used from ${describeOrigin(origin)}`,
      accountId: first.accountId,
      region: region ?? first.region,
      instanceId: first.instanceId,
      roleArn: first.roleArn,
      roleName: first.roleName,
      accessKeyId: first.accessKeyId,
      sourceIp: origin.sourceIp,
      vpcEndpointId: origin.kind === 'endpoint' ? origin.vpcEndpointId : null,
      vpcEndpointAccountId: origin.kind === 'endpoint' ? (origin.vpcEndpointAccountId ?? null) : null,
      firstSeen: new Date(first.eventTime).toISOString(),
      lastSeen: new Date(first.eventTime).toISOString(),
      eventCount: 0,
      eventNames: [],
      userAgents: [],
      imdsVersion: first.roleDelivery ?? null,
      keyIssuedAt,
      expected,
      reason,
    });
    return { verdict, validUntil, finding: { findingId, build } };
  }

  /** The learned network judges (and learns from) only keys EC2 is known to have delivered. */
  private learnedViewFor(use: CredentialUse, session: SessionState) {
    if (this.learned === undefined || !hasInstanceCredentialProof(use, session)) return undefined;
    return this.learned.view(use, session.region);
  }

  private noteLearning(
    use: CredentialUse,
    origin: Origin,
    kind: BaselineKind,
    session: SessionState,
    verdict: OriginVerdict,
  ): void {
    if (this.learned === undefined || this.networks.get(use.instanceId)?.matcher !== undefined) return;
    if (!hasInstanceCredentialProof(use, session)) return;
    if (verdict.outcome === 'expected' && verdict.basis !== 'inventory')
      this.learned.learn(use, origin, kind);
    else this.learned.active(use);
    this.learned.sight(use, origin, session);
  }

  private sessionFor(use: CredentialUse): SessionState {
    const known = this.sessions.get(use.accessKeyId);
    if (known !== undefined) return known;
    const session: SessionState = {
      accessKeyId: use.accessKeyId,
      instanceId: use.instanceId,
      roleArn: use.roleArn,
      accountId: use.accountId,
      baselines: {},
    };
    return session;
  }

  /** Issue 13's trail-side signals for one call of a proven key: each its own finding. */
  private async observeSignals(
    aggregates: Map<string, Aggregate>,
    use: CredentialUse,
    verdict: OriginVerdict,
    fresh: boolean,
    counting: Set<string>,
  ): Promise<void> {
    const session = this.sessions.get(use.accessKeyId);
    if (!hasInstanceCredentialProof(use, session ?? {})) return;
    if (fresh && verdict.outcome === 'expected') this.signals.noteOwnCall(use);
    const ownNetwork = verdict.outcome === 'expected' && verdict.basis !== 'first-seen';
    for (const hit of await this.signals.check(use, ownNetwork, session?.issuedAt, fresh)) {
      const findingId = findingIdOf(hit.findingKey);
      const context = {
        findingId,
        region: session?.region ?? use.region,
        keyIssuedAt: session?.issuedAt === undefined ? null : new Date(session.issuedAt).toISOString(),
      };
      const repeat = this.isRepeat(`${hit.findingKey}|${use.eventId}`, counting);
      observe(aggregates, { findingId, build: (first) => hit.build(first, context) }, use, !repeat);
    }
  }

  private observeImdsv1(
    aggregates: Map<string, Aggregate>,
    use: CredentialUse,
    now: number,
    counting: Set<string>,
  ): void {
    const exception = this.exceptions.match(
      {
        endpointTrusted: false,
        accountId: use.accountId,
        roleName: use.roleName,
        instanceId: use.instanceId,
      },
      now,
    );
    if (exception !== undefined) return;
    const repeat = this.isRepeat(`imdsv1|${use.eventId}`, counting);
    const findingId = findingIdOf(`imdsv1|${use.instanceId}`);
    observe(
      aggregates,
      {
        findingId,
        build: (first) => ({
          schemaVersion: 1,
          findingId,
          type: FindingType.Imdsv1Delivery,
          severity: 'LOW' satisfies Severity,
          severityScore: SEVERITY_SCORE.LOW,
          title: `${first.instanceId} hands out role credentials through IMDSv1`,
          accountId: first.accountId,
          region: this.sessions.get(first.accessKeyId)?.region ?? first.region,
          instanceId: first.instanceId,
          roleArn: first.roleArn,
          roleName: first.roleName,
          accessKeyId: first.accessKeyId,
          sourceIp: null,
          vpcEndpointId: null,
          vpcEndpointAccountId: null,
          firstSeen: new Date(first.eventTime).toISOString(),
          lastSeen: new Date(first.eventTime).toISOString(),
          eventCount: 0,
          eventNames: [],
          userAgents: [],
          imdsVersion: '1.0',
          keyIssuedAt: null,
          expected: { ...NO_EXPECTED_NETWORK, source: 'none' },
          reason: `Instance ${first.instanceId} (role ${first.roleName}) got its credentials through IMDSv1, which an SSRF bug can reach; require IMDSv2 (HttpTokens=required).`,
        }),
      },
      use,
      !repeat,
    );
  }

  /**
   * True when this eventID was already counted (one record reaching us by two paths is one sighting);
   * otherwise it joins this batch's `counting` set, committed after the store write.
   */
  private isRepeat(eventId: string, counting: Set<string>): boolean {
    if (this.countedEventIds.has(eventId) || counting.has(eventId)) return true;
    counting.add(eventId);
    return false;
  }
}

/**
 * Verdicts by access key, then by origin. Both keys are strings JSON.parse already made (the source
 * address, or the endpoint and address), so the hot path builds no key string per call; a warm repeat
 * is two small Map lookups. Bounded by keys, like the other caches.
 */
class PairCache<V> {
  private readonly byKey: BoundedMap<string, Map<string, V>>;

  constructor(maxKeys: number) {
    this.byKey = new BoundedMap(maxKeys);
  }

  get(accessKeyId: string, slot: string): V | undefined {
    return this.byKey.get(accessKeyId)?.get(slot);
  }

  set(accessKeyId: string, slot: string, value: V): void {
    let origins = this.byKey.get(accessKeyId);
    if (origins === undefined) {
      origins = new Map();
      this.byKey.set(accessKeyId, origins);
    }
    origins.set(slot, value);
  }

  clear(): void {
    this.byKey.clear();
  }
}

/** A call's origin as a cache slot: the address itself, or endpoint and address (never alike). */
function originSlot(use: CredentialUse): string {
  return use.vpcEndpointId === undefined ? use.sourceIp : `vpce:${use.vpcEndpointId}|${use.sourceIp}`;
}

function baselineKindOf(origin: Origin): BaselineKind {
  if (origin.kind === 'endpoint') return 'endpoint';
  return origin.sourceIp.includes(':') ? 'ipv6' : 'address';
}

function baselineOf(session: SessionState, kind: BaselineKind): { baseline?: Origin } {
  const baseline = session.baselines[kind];
  return baseline === undefined ? {} : { baseline };
}

function observe(
  aggregates: Map<string, Aggregate>,
  template: FindingTemplate,
  use: CredentialUse,
  counted: boolean,
): void {
  let aggregate = aggregates.get(template.findingId);
  if (aggregate === undefined) {
    aggregate = {
      detail: template.build(use),
      firstSeen: use.eventTime,
      lastSeen: use.eventTime,
      eventCount: 0,
      eventNames: new Set(),
      userAgents: new Set(),
      eventIds: [],
    };
    aggregates.set(template.findingId, aggregate);
  }
  if (!counted) return;
  aggregate.eventCount++;
  aggregate.eventIds.push(use.eventId);
  if (use.eventTime < aggregate.firstSeen) aggregate.firstSeen = use.eventTime;
  if (use.eventTime > aggregate.lastSeen) aggregate.lastSeen = use.eventTime;
  if (aggregate.eventNames.size < MAX_EVENT_NAMES) aggregate.eventNames.add(use.eventName);
  if (use.userAgent !== undefined && aggregate.userAgents.size < MAX_USER_AGENTS)
    aggregate.userAgents.add(use.userAgent);
}

function toObservation(aggregate: Aggregate): FindingObservation {
  return {
    detail: aggregate.detail,
    firstSeen: aggregate.firstSeen,
    lastSeen: aggregate.lastSeen,
    eventCount: aggregate.eventCount,
    eventNames: [...aggregate.eventNames],
    userAgents: [...aggregate.userAgents],
    eventIds: aggregate.eventIds,
  };
}

function expectedNetwork(
  basis: 'inventory' | 'first-seen' | 'endpoint-owner' | 'learned',
  entry: Pick<NetworkEntry, 'matcher' | 'note'>,
  baseline: Origin | undefined,
): ExpectedNetwork {
  const network = entry.matcher?.network;
  const note =
    entry.note === undefined
      ? null
      : `The instance's network could not be read (${entry.note}); judged by other means.`;
  if (network === undefined) {
    return {
      ...NO_EXPECTED_NETWORK,
      source: basis,
      firstOrigin: baseline === undefined ? null : describeOrigin(baseline),
      note,
    };
  }
  return {
    source: basis,
    vpcId: network.vpcId ?? null,
    subnetId: network.subnetId ?? null,
    privateIps: [...network.privateIps],
    publicIps: [...network.publicIps],
    ipv6Addresses: [...network.ipv6Addresses],
    natGatewayIps: [...network.natGatewayIps],
    vpcEndpointIds: [...network.vpcEndpointIds],
    firstOrigin: baseline === undefined ? null : describeOrigin(baseline),
    note,
    route: entry.matcher?.describeEgress() ?? null,
  };
}

export function findingIdOf(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}
