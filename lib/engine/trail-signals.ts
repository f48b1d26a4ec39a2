import {
  FindingType,
  NO_EXPECTED_NETWORK,
  SEVERITY_SCORE,
  type FindingDetail,
} from '../contracts/finding-event';
import { BoundedMap } from './bounded-map';
import type { CredentialUse, InstanceAction } from './credential-event';
import type { Severity } from './origin-verdict';

/**
 * Trail-side signals (issue 13): what the trail says about an instance besides its keys' origins. Kept in
 * the detector's memory, bounded; pure apart from that memory, with times from the events.
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

// An operator's command reaches the instance within seconds; a key read through it is used within minutes.
export const OPERATOR_WINDOW_MS = 30 * 60_000;
// Calls made while the instance shuts down are logged just after the stop call.
export const STOP_GRACE_MS = 5 * 60_000;
const MAX_INSTANCES = 100_000;
const MAX_ACCESSES_PER_INSTANCE = 8;

type Platform = 'macos' | 'windows' | 'linux';
const DESKTOP: ReadonlySet<Platform> = new Set(['macos', 'windows']);

/** The OS a user agent names: SDKs print `os/linux`, `Linux/5.10…`, `os/macos`, browsers `Macintosh`. */
export function platformOf(userAgent: string | undefined): Platform | undefined {
  if (userAgent === undefined) return undefined;
  if (/macintosh|mac os x|os\/macos|darwin/i.test(userAgent)) return 'macos';
  if (/windows nt|os\/windows|win32|win64/i.test(userAgent)) return 'windows';
  if (/linux/i.test(userAgent)) return 'linux';
  return undefined;
}

interface Access {
  readonly sourceIp: string;
  readonly at: number;
  readonly eventName: string;
}

export class TrailSignals {
  private readonly accesses = new BoundedMap<string, Access[]>(MAX_INSTANCES);
  private readonly stops = new BoundedMap<string, { at: number; eventName: string }>(MAX_INSTANCES);
  /** Platforms the instance's own (expected) calls named. */
  private readonly platforms = new BoundedMap<string, Set<Platform>>(MAX_INSTANCES);

  /** Whether every call of the instance must be checked (a stop or an operator's access is on record). */
  watches(instanceId: string): boolean {
    return this.accesses.has(instanceId) || this.stops.has(instanceId);
  }

  note(action: InstanceAction): void {
    for (const instanceId of action.instanceIds) {
      if (action.effect === 'start') {
        const stopped = this.stops.get(instanceId);
        if (stopped !== undefined && stopped.at <= action.eventTime)
          this.stops.set(instanceId, { at: -Infinity, eventName: '' });
      } else if (action.effect === 'stop') {
        const known = this.stops.get(instanceId);
        if (known === undefined || known.at === -Infinity || action.eventTime < known.at)
          this.stops.set(instanceId, { at: action.eventTime, eventName: action.eventName });
      } else if (action.sourceIp !== undefined) {
        const list = this.accesses.get(instanceId) ?? [];
        list.push({ sourceIp: action.sourceIp, at: action.eventTime, eventName: action.eventName });
        this.accesses.set(instanceId, list.slice(-MAX_ACCESSES_PER_INSTANCE));
      }
    }
  }

  /** An expected call of the instance's own: its platform. */
  noteOwnCall(use: CredentialUse): void {
    const platform = platformOf(use.userAgent);
    if (platform === undefined) return;
    let known = this.platforms.get(use.instanceId);
    if (known === undefined) this.platforms.set(use.instanceId, (known = new Set()));
    known.add(platform);
  }

  /**
   * The signals one call of a proven key raises. `ownNetwork`: the origin was vouched by the instance's
   * network (inventory or learned), which clears the operator signal (a bastion behind the same NAT).
   * `keyIssuedAt`: a key delivered after the stop belongs to the instance running again.
   */
  check(
    use: CredentialUse,
    ownNetwork: boolean,
    keyIssuedAt: number | undefined,
    fresh: boolean,
  ): SignalHit[] {
    const hits: SignalHit[] = [];
    const stopped = this.stops.get(use.instanceId);
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
    const accesses = this.accesses.get(use.instanceId);
    if (accesses !== undefined && !ownNetwork && use.vpcEndpointId === undefined) {
      const access = accesses.find(
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
    if (fresh) {
      const platform = platformOf(use.userAgent);
      const own = this.platforms.get(use.instanceId);
      if (
        platform !== undefined &&
        DESKTOP.has(platform) &&
        own !== undefined &&
        own.size > 0 &&
        !own.has(platform)
      ) {
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
