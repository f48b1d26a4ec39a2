import {
  FindingType,
  NO_EXPECTED_NETWORK,
  SEVERITY_SCORE,
  type FindingDetail,
} from '../contracts/finding-event';
import { BoundedMap } from './bounded-map';
import type { CredentialEvent, CredentialUse, InstanceAction } from './credential-event';
import { instanceRef } from './learned-network';
import type { Severity } from './origin-verdict';
import {
  MAX_ACCESSES_PER_INSTANCE,
  MAX_POWER_CHANGES_PER_INSTANCE,
  OPERATOR_WINDOW_MS,
  accessKeyOf,
  isAccessEventName,
  isPowerEventName,
  newestDistinct,
  powerKeyOf,
  type OperatorAccess,
  type Platform,
  type PlatformSighting,
  type PowerChange,
  type TrailSignalStore,
} from './trail-signal-store';

/**
 * Trail-side signals (issue 13): what the trail says about an instance besides its keys' origins. What the
 * trail showed (operators' accesses, stops and starts, the instance's own platform) is kept in the state
 * (trail-signal-store.ts), cached here, so an action handled by one container decides a use another
 * container handles. An account's signals are read again (one Query) when a batch has a new origin that
 * is not the instance's own network (where the operator's address would show), before a finding is
 * raised on them (a start handled elsewhere clears a stop), and otherwise every SIGNAL_REFRESH_MS.
 * Times come from events.
 */
export interface SignalHit {
  readonly findingKey: string;
  readonly build: (first: CredentialUse, context: SignalContext) => FindingDetail;
}

export interface SignalContext {
  readonly findingId: string;
  readonly region: string;
  readonly keyIssuedAt: string | null;
}

export { OPERATOR_WINDOW_MS };
// Calls made while the instance shuts down are logged just after the stop call.
export const STOP_GRACE_MS = 5 * 60_000;
/**
 * How stale this container's copy of an account's signals may grow (processing time) when nothing asks
 * for a read: a stop handled by another container then reaches calls from the instance's own network
 * this much later at worst (a key stays valid for hours after it, so the thief's later calls are caught).
 */
export const SIGNAL_REFRESH_MS = 15 * 60_000;
const MAX_INSTANCES = 100_000;
const MAX_ACCOUNTS = 10_000;

const DESKTOP: ReadonlySet<Platform> = new Set(['macos', 'windows']);

/** The OS a user agent names: SDKs print `os/linux`, `Linux/5.10…`, `os/macos`, browsers `Macintosh`. */
export function platformOf(userAgent: string | undefined): Platform | undefined {
  if (userAgent === undefined) return undefined;
  if (/macintosh|mac os x|os\/macos|darwin/i.test(userAgent)) return 'macos';
  if (/windows nt|os\/windows|win32|win64/i.test(userAgent)) return 'windows';
  if (/linux/i.test(userAgent)) return 'linux';
  return undefined;
}

interface Watch {
  accesses: OperatorAccess[];
  power: PowerChange[];
}

export class TrailSignals {
  /** Instances someone acted on, by instance id: what the store holds merged with what this container saw. */
  private readonly watched = new BoundedMap<string, Watch>(MAX_INSTANCES);
  /** Platforms the instance's own (expected) calls named, by instance id. */
  private readonly platforms = new BoundedMap<string, Set<Platform>>(MAX_INSTANCES);
  /** Instances whose stored platforms were read (a desktop user agent asked). */
  private readonly platformsRead = new BoundedMap<string, true>(MAX_INSTANCES);
  private readonly accountsReadAt = new BoundedMap<string, number>(MAX_ACCOUNTS);
  private pendingAccesses: OperatorAccess[] = [];
  private pendingPower: PowerChange[] = [];
  private pendingPlatforms: PlatformSighting[] = [];
  /** The current batch's processing time (prefetch sets it). */
  private now = -Infinity;

  /** Without a store (a bare DetectorStore), the signals live in this container only. */
  constructor(private readonly store?: TrailSignalStore) {}

  /** Whether every call of the instance must be checked (a stop or an operator's access is on record). */
  watches(instanceId: string): boolean {
    return this.watched.has(instanceId);
  }

  /** Reads the signals of the accounts `events` touch that this container has not read for a minute. */
  async prefetch(events: readonly CredentialEvent[], now: number): Promise<void> {
    this.now = now;
    if (this.store === undefined) return;
    const due = new Set<string>();
    let last: string | undefined;
    for (const event of events) {
      if (event.kind === 'delivery' || event.accountId === last) continue;
      last = event.accountId;
      const readAt = this.accountsReadAt.get(last);
      if (readAt === undefined || now - readAt >= SIGNAL_REFRESH_MS) due.add(last);
    }
    await this.read(due);
  }

  private async read(accountIds: ReadonlySet<string>): Promise<void> {
    if (this.store === undefined || accountIds.size === 0) return;
    const found = await this.store.getSignals([...accountIds]);
    const touched = new Set<Watch>();
    for (const accountId of accountIds) {
      this.accountsReadAt.set(accountId, this.now);
      const signals = found.get(accountId);
      for (const access of signals?.accesses ?? []) {
        const watch = this.watchOf(access.instanceId);
        watch.accesses.push(access);
        touched.add(watch);
      }
      for (const change of signals?.power ?? []) {
        const watch = this.watchOf(change.instanceId);
        watch.power.push(change);
        touched.add(watch);
      }
    }
    for (const watch of touched) this.bound(watch);
  }

  note(action: InstanceAction): void {
    const { accountId, eventTime: at, eventName, sourceIp } = action;
    for (const instanceId of action.instanceIds) {
      if (isPowerEventName(eventName)) {
        const change = { accountId, instanceId, at, eventName };
        const watch = this.watchOf(instanceId);
        watch.power.push(change);
        this.bound(watch);
        this.pendingPower.push(change);
      } else if (isAccessEventName(eventName) && sourceIp !== undefined) {
        const access = { accountId, instanceId, sourceIp, at, eventName };
        const watch = this.watchOf(instanceId);
        watch.accesses.push(access);
        this.bound(watch);
        this.pendingAccesses.push(access);
      }
    }
  }

  /** An expected call of the instance's own: its platform. */
  noteOwnCall(use: CredentialUse): void {
    const platform = platformOf(use.userAgent);
    if (platform === undefined) return;
    let known = this.platforms.get(use.instanceId);
    if (known === undefined) this.platforms.set(use.instanceId, (known = new Set()));
    if (known.has(platform)) return;
    known.add(platform);
    this.pendingPlatforms.push({ accountId: use.accountId, instanceId: use.instanceId, platform });
  }

  /** Writes what was noted since the last flush; kept for the next one if the write fails. */
  async flush(): Promise<void> {
    if (this.store === undefined) return;
    const [accesses, power, platforms] = [this.pendingAccesses, this.pendingPower, this.pendingPlatforms];
    if (accesses.length === 0 && power.length === 0 && platforms.length === 0) return;
    this.pendingAccesses = [];
    this.pendingPower = [];
    this.pendingPlatforms = [];
    try {
      if (accesses.length > 0 || power.length > 0) await this.store.noteSignals(accesses, power);
      if (platforms.length > 0) await this.store.notePlatforms(platforms);
    } catch (error) {
      // The batch is retried anyway; the writes are set unions, so writing twice is harmless.
      this.pendingAccesses.push(...accesses);
      this.pendingPower.push(...power);
      this.pendingPlatforms.push(...platforms);
      throw error;
    }
  }

  /**
   * The signals one call of a proven key raises. `ownNetwork`: the origin was vouched by the instance's
   * network (inventory or learned), which clears the operator signal (a bastion behind the same NAT).
   * `keyIssuedAt`: a key delivered after the stop belongs to the instance running again.
   */
  async check(
    use: CredentialUse,
    ownNetwork: boolean,
    keyIssuedAt: number | undefined,
    fresh: boolean,
  ): Promise<SignalHit[]> {
    const operatorWorthy = !ownNetwork && use.vpcEndpointId === undefined;
    // A new origin where an operator's address could show: what other containers noted counts now.
    if (fresh && operatorWorthy && this.stale(use.accountId)) await this.read(new Set([use.accountId]));
    let hits = this.watchHits(use, operatorWorthy, keyIssuedAt);
    // About to raise a finding on a copy read earlier: read again (a start elsewhere clears a stop).
    if (hits.length > 0 && this.stale(use.accountId)) {
      await this.read(new Set([use.accountId]));
      hits = this.watchHits(use, operatorWorthy, keyIssuedAt);
    }
    const platform = fresh ? platformOf(use.userAgent) : undefined;
    if (platform !== undefined && DESKTOP.has(platform)) {
      const own = await this.platformsOf(use);
      if (own !== undefined && own.size > 0 && !own.has(platform)) {
        hits.push(
          hit(
            `workstation|${use.accessKeyId}|${platform}`,
            FindingType.WorkstationUserAgent,
            'MEDIUM',
            use,
            `Key ${use.accessKeyId} of ${use.instanceId} was used from ${use.sourceIp} by a ${platform === 'macos' ? 'macOS' : 'Windows'} client ("${use.userAgent ?? ''}") while the instance's own calls come from ${[...own].join(', ')}.`,
          ),
        );
      }
    }
    return hits;
  }

  /** Whether the account's signals were read before this batch (or never). */
  private stale(accountId: string): boolean {
    return this.store !== undefined && (this.accountsReadAt.get(accountId) ?? -Infinity) < this.now;
  }

  /** The stop and operator signals, from what this container knows of the instance. */
  private watchHits(
    use: CredentialUse,
    operatorWorthy: boolean,
    keyIssuedAt: number | undefined,
  ): SignalHit[] {
    const hits: SignalHit[] = [];
    const watch = this.watched.get(use.instanceId);
    const stopped = watch === undefined ? undefined : stoppedAt(watch.power, use.eventTime);
    if (
      stopped !== undefined &&
      use.eventTime > stopped.at + STOP_GRACE_MS &&
      (keyIssuedAt === undefined || keyIssuedAt < stopped.at)
    ) {
      const minutes = Math.round((use.eventTime - stopped.at) / 60_000);
      hits.push(
        hit(
          `after-stop|${use.accessKeyId}`,
          FindingType.UsedAfterInstanceStopped,
          'HIGH',
          use,
          `${use.instanceId} was ${stopped.eventName === 'TerminateInstances' ? 'terminated' : 'stopped'} (${stopped.eventName} at ${iso(stopped.at)}), yet its key ${use.accessKeyId} was used ${minutes} minutes later from ${use.sourceIp}: whoever holds it is not the instance.`,
        ),
      );
    }
    if (watch !== undefined && operatorWorthy) {
      const access = watch.accesses.find(
        (entry) =>
          entry.sourceIp === use.sourceIp &&
          use.eventTime >= entry.at &&
          use.eventTime - entry.at <= OPERATOR_WINDOW_MS,
      );
      if (access !== undefined) {
        const minutes = Math.round((use.eventTime - access.at) / 60_000);
        hits.push(
          hit(
            `operator|${use.accessKeyId}|${use.sourceIp}`,
            FindingType.OperatorAddress,
            'HIGH',
            use,
            `${use.sourceIp} sent ${use.instanceId} ${access.eventName} at ${iso(access.at)} and used the instance's key ${use.accessKeyId} ${minutes} minutes later: the instance's credentials are on the operator's machine.`,
          ),
        );
      }
    }
    return hits;
  }

  /** The instance's platforms, read from the store once (only a desktop user agent asks: rare). */
  private async platformsOf(use: CredentialUse): Promise<ReadonlySet<Platform> | undefined> {
    if (this.store !== undefined && !this.platformsRead.has(use.instanceId)) {
      const ref = instanceRef(use.accountId, use.instanceId);
      const stored = (await this.store.getPlatforms([use])).get(ref);
      this.platformsRead.set(use.instanceId, true);
      const known = this.platforms.get(use.instanceId) ?? new Set<Platform>();
      for (const platform of stored ?? []) known.add(platform);
      this.platforms.set(use.instanceId, known);
    }
    return this.platforms.get(use.instanceId);
  }

  private watchOf(instanceId: string): Watch {
    let watch = this.watched.get(instanceId);
    if (watch === undefined) this.watched.set(instanceId, (watch = { accesses: [], power: [] }));
    return watch;
  }

  private bound(watch: Watch): void {
    watch.accesses = newestDistinct(watch.accesses, accessKeyOf, MAX_ACCESSES_PER_INSTANCE);
    watch.power = newestDistinct(watch.power, powerKeyOf, MAX_POWER_CHANGES_PER_INSTANCE);
  }
}

/**
 * The stop in force at `at`, if any: the first stop (or termination) since the last start before `at`.
 * Judged on the instance's timeline, not on arrival order, so a late file is judged as if on time.
 */
function stoppedAt(power: readonly PowerChange[], at: number): PowerChange | undefined {
  let stopped: PowerChange | undefined;
  for (const change of power) {
    if (change.at > at) break;
    if (change.eventName === 'StartInstances') stopped = undefined;
    else stopped ??= change;
  }
  return stopped;
}

function hit(
  findingKey: string,
  type: FindingType,
  severity: Severity,
  use: CredentialUse,
  reason: string,
): SignalHit {
  const titles: Partial<Record<FindingType, string>> = {
    [FindingType.UsedAfterInstanceStopped]: `Credentials of ${use.instanceId} used after it stopped`,
    [FindingType.OperatorAddress]: `Credentials of ${use.instanceId} used from the address that sent it commands`,
    [FindingType.WorkstationUserAgent]: `Credentials of ${use.instanceId} used from a workstation`,
  };
  return {
    findingKey,
    build: (first, context) => ({
      schemaVersion: 1,
      findingId: context.findingId,
      type,
      severity,
      severityScore: SEVERITY_SCORE[severity],
      title: titles[type] ?? type,
      accountId: first.accountId,
      region: context.region,
      instanceId: first.instanceId,
      roleArn: first.roleArn,
      roleName: first.roleName,
      accessKeyId: first.accessKeyId,
      sourceIp: first.sourceIp,
      vpcEndpointId: first.vpcEndpointId ?? null,
      vpcEndpointAccountId: first.vpcEndpointAccountId ?? null,
      firstSeen: iso(first.eventTime),
      lastSeen: iso(first.eventTime),
      eventCount: 0,
      eventNames: [],
      userAgents: [],
      imdsVersion: first.roleDelivery ?? null,
      keyIssuedAt: context.keyIssuedAt,
      expected: {
        ...NO_EXPECTED_NETWORK,
        note: 'A trail-side signal: decided by what the trail shows of the instance, not by its network.',
      },
      reason,
    }),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
