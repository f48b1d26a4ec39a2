import { BoundedMap } from './bounded-map';
import { emptyBatchStats, type BatchStats } from './batch-stats';
import type { CredentialEvent, CredentialUse } from './credential-event';
import type { ExceptionList } from './credential-exception';
import { DetectorMemory } from './detector-memory';
import type {
  BaselineKind,
  DetectorStore,
  NetworkDirectory,
  NetworkRequest,
  SessionState,
  StoredFinding,
} from './detector-store';
import {
  findingIdOf,
  observe,
  toObservation,
  type Aggregate,
  type FindingTemplate,
} from './finding-aggregate';
import { imdsv1Finding, suspiciousFinding, type NetworkEntry } from './finding-templates';
import { hasInstanceCredentialProof } from './instance-proof';
import { LearnedNetworkTracker } from './learned-network-tracker';
import { originOf, type Origin } from './origin';
import { judgeOrigin, type OriginVerdict } from './origin-verdict';
import { PairCache, originSlot } from './pair-cache';
import { TrailSignals } from './trail-signals';

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

const CACHE_SIZE = 500_000;
const SEEN_EVENT_IDS = 200_000;

/**
 * The stateful detector: feeds sorted credential events through `judgeOrigin`, remembering sessions,
 * networks and verdicts so that a repeat (key, origin) pair costs a Map lookup and no I/O.
 */
export class Detector {
  readonly trustedAccounts: Set<string>;
  private readonly memory: DetectorMemory;
  private readonly verdicts = new PairCache<CachedVerdict>(CACHE_SIZE);
  private readonly countedEventIds = new BoundedMap<string, true>(SEEN_EVENT_IDS);
  private exceptions: ExceptionList;
  /** Without inventory: each instance's network as its proven keys showed it (issue 13). */
  private readonly learned?: LearnedNetworkTracker;
  private readonly signals: TrailSignals;
  /** The IMDSv1 finding of each instance: a hash per call of a legacy instance showed in the profile. */
  private readonly imdsv1FindingIds = new BoundedMap<string, string>(CACHE_SIZE);

  constructor(private readonly options: DetectorOptions) {
    this.trustedAccounts = new Set(options.trustedAccounts);
    this.exceptions = options.exceptions;
    this.memory = new DetectorMemory(options.store, options.networks, options.cacheTtlMs);
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
    stats.deliveries += await this.memory.recordDeliveries(events);
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
      if (this.memory.needsNetwork(event.instanceId, now) && !instances.has(event.instanceId)) {
        const region = this.memory.session(event.accessKeyId)?.region;
        instances.set(event.instanceId, {
          instanceId: event.instanceId,
          accountId: event.accountId,
          ...(region !== undefined ? { region } : {}),
        });
      }
    }
    await this.memory.lookupNetworks([...instances.values()], now);
    const keys = new Set<string>();
    for (const use of pending) {
      if (
        this.memory.network(use.instanceId)?.matcher === undefined &&
        this.memory.needsSessionRead(use.accessKeyId)
      ) {
        keys.add(use.accessKeyId);
      }
    }
    await this.memory.readSessions(keys);
    const unknown = pending.filter((use) => this.memory.network(use.instanceId)?.matcher === undefined);
    await this.learned?.prefetch(
      unknown.map((use) => ({ use, region: this.memory.session(use.accessKeyId)?.region })),
      now,
    );
  }

  private async judge(use: CredentialUse, now: number): Promise<CachedVerdict> {
    const origin = originOf(use);
    const kind = baselineKindOf(origin);
    let network: Partial<NetworkEntry> = this.memory.network(use.instanceId) ?? {};
    let session = this.memory.sessionFor(use);
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
      this.memory.setSession(session);
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
      const request = { instanceId: use.instanceId, accountId: use.accountId, fresh: true };
      await this.memory.lookupNetworks([request], now);
      network = this.memory.network(use.instanceId) ?? {};
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
    if (this.memory.needsSessionRead(use.accessKeyId)) {
      await this.memory.readSessions(new Set([use.accessKeyId]));
      const stored = this.memory.session(use.accessKeyId);
      if (stored !== undefined)
        session = { ...stored, baselines: { ...stored.baselines, ...session.baselines } };
    }
    const finding = suspiciousFinding({
      use,
      origin,
      verdict,
      network,
      session,
      proven: hasInstanceCredentialProof(use, session),
      baseline: session.baselines[kind],
      learnedHistory: verdict.basis === 'learned' ? this.learnedViewFor(use, session)?.history : undefined,
    });
    return { verdict, validUntil, finding };
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
    if (this.learned === undefined || this.memory.network(use.instanceId)?.matcher !== undefined) return;
    if (!hasInstanceCredentialProof(use, session)) return;
    if (verdict.outcome === 'expected' && verdict.basis !== 'inventory')
      this.learned.learn(use, origin, kind);
    else this.learned.active(use);
    this.learned.sight(
      use,
      origin,
      session,
      verdict.outcome === 'suspicious' && verdict.basis === 'learned' && kind === 'address',
    );
  }

  /** Issue 13's trail-side signals for one call of a proven key: each its own finding. */
  private async observeSignals(
    aggregates: Map<string, Aggregate>,
    use: CredentialUse,
    verdict: OriginVerdict,
    fresh: boolean,
    counting: Set<string>,
  ): Promise<void> {
    const session = this.memory.session(use.accessKeyId);
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
    let findingId = this.imdsv1FindingIds.get(use.instanceId);
    if (findingId === undefined) {
      findingId = findingIdOf(`imdsv1|${use.instanceId}`);
      this.imdsv1FindingIds.set(use.instanceId, findingId);
    }
    const regionOf = (first: CredentialUse) => this.memory.session(first.accessKeyId)?.region ?? first.region;
    observe(aggregates, imdsv1Finding(findingId, regionOf), use, !repeat);
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

function baselineKindOf(origin: Origin): BaselineKind {
  if (origin.kind === 'endpoint') return 'endpoint';
  return origin.sourceIp.includes(':') ? 'ipv6' : 'address';
}

function baselineOf(session: SessionState, kind: BaselineKind): { baseline?: Origin } {
  const baseline = session.baselines[kind];
  return baseline === undefined ? {} : { baseline };
}
