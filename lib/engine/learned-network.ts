import type { BaselineKind } from './detector-store';
import type { EndpointPath } from './instance-network';
import { isPublicAddress, parseAddress } from './ip-address';
import { describeOrigin, originKey, type Origin } from './origin';
import type { Severity } from './origin-verdict';

/**
 * The network an instance showed in the trail, learnt without any inventory (issue 13). Origins belong to
 * the instance, not the key: what its earlier keys were used from is judged against when a new key shows
 * up, so a thief who uses a fresh key first (or a rotated key) does not become its baseline.
 *
 * Only keys with proof of EC2 delivery teach or are judged by it (instance-proof.ts): a session merely
 * named `i-…` must not be able to teach an instance's network an attacker's address.
 */
export interface LearnedOrigin {
  readonly origin: Origin;
  readonly kind: BaselineKind;
  /** Event time of the call that taught it (epoch ms). */
  readonly learnedAt: number;
  /** The key that taught it: a key is judged against what *other* keys of its instance showed. */
  readonly teacher: string;
}

export interface InstanceHistory {
  readonly accountId: string;
  readonly instanceId: string;
  /** By `originKey`. */
  readonly origins: ReadonlyMap<string, LearnedOrigin>;
  /** The latest event time the instance was seen active with a proven key (epoch ms). */
  readonly lastActive: number;
}

/** A public IPv4 address several instances of an account and region used right after their deliveries. */
export interface EgressAddress {
  readonly accountId: string;
  readonly region: string;
  readonly address: string;
  /**
   * `sightingOf(…)` of the proven keys that used it: marked for a key's first call, else a call within
   * EGRESS_SIGHTING_WINDOW_MS of its delivery (capped at MAX_EGRESS_SIGHTINGS).
   */
  readonly sightings: readonly string[];
  readonly firstSeen: number;
  readonly lastSeen: number;
}

/** Bounds, so one noisy instance or account cannot grow the state without end. */
export const MAX_LEARNED_ORIGINS = 32;
export const MAX_EGRESS_ADDRESSES = 64;
export const MAX_EGRESS_SIGHTINGS = 16;
/** A use of a fresh key this soon after EC2 delivered it is, almost always, the instance's own. */
export const EGRESS_SIGHTING_WINDOW_MS = 15 * 60_000;
/**
 * An address vouches for an account's instances once this many instances used it with fresh keys (one
 * key's first call among them), and for one instance once this many of its own keys did (a NAT gateway
 * with several addresses in front of a single instance).
 */
export const EGRESS_MIN_INSTANCES = 2;
export const EGRESS_MIN_KEYS = 2;
/** A change of kind is judged only once the instance has been watched this long (its first hour shows its kinds). */
export const HISTORY_SETTLE_MS = 3_600_000;
/**
 * Instance keys live at most 6 h. An instance silent for longer was stopped (a public address changes on
 * stop/start) or is gone: its history no longer judges a key's first origin.
 */
export const HISTORY_STALE_MS = 6 * 3_600_000;
/** EC2 delegates IPv4 prefixes to interfaces in /28 blocks: EKS pods send from a neighbour of a learnt address. */
const PRIVATE_BLOCK_BITS = 28;

export const instanceRef = (accountId: string, instanceId: string) => `${accountId}|${instanceId}`;
export const egressScope = (accountId: string, region: string) => `${accountId}|${region}`;

export type LearnedJudgement =
  | { readonly outcome: 'vouched'; readonly via: string; readonly learn: boolean }
  | { readonly outcome: 'objection'; readonly severity: Severity; readonly reason: string }
  | { readonly outcome: 'silent' };

/**
 * What the learned network says about one origin of one proven key. Pure: the histories and the account's
 * egress are passed in. `keyHasBaseline`: the key already has a first origin of this kind.
 */
export class LearnedNetworkView {
  private readonly privateBlocks = new Map<string, string>();
  private siblingSet?: ReadonlySet<string>;

  constructor(
    readonly history: InstanceHistory | undefined,
    private readonly egress: ReadonlyMap<string, EgressAddress>,
    private readonly accountId: string,
    private readonly instanceId: string,
  ) {
    for (const learned of history?.origins.values() ?? []) {
      if (learned.origin.kind !== 'endpoint') continue;
      const block = privateBlockOf(learned.origin.sourceIp);
      if (block !== undefined) this.privateBlocks.set(block, learned.origin.sourceIp);
    }
  }

  /**
   * The other instances that used one of this instance's own public addresses with fresh keys: those
   * behind the same NAT. Another VPC's egress (a NAT instance, an appliance) is used by other instances
   * only, so it vouches for its own instances, not for this one (issue 13).
   */
  private siblings(): ReadonlySet<string> {
    if (this.siblingSet !== undefined) return this.siblingSet;
    const siblings = new Set<string>();
    for (const learned of this.history?.origins.values() ?? []) {
      if (learned.origin.kind !== 'address') continue;
      for (const sighting of this.egress.get(learned.origin.sourceIp)?.sightings ?? []) {
        const owner = sighting.slice(0, sighting.indexOf('/'));
        if (owner !== this.instanceId) siblings.add(owner);
      }
    }
    this.siblingSet = siblings;
    return siblings;
  }

  /** An endpoint the instance itself used, in the shape the exceptions and verdicts take for its own. */
  endpointPath(vpcEndpointId: string): EndpointPath | undefined {
    for (const learned of this.history?.origins.values() ?? []) {
      if (learned.origin.kind === 'endpoint' && learned.origin.vpcEndpointId === vpcEndpointId) {
        return {
          vpcEndpointId,
          ownerId: learned.origin.vpcEndpointAccountId ?? this.accountId,
          description: `endpoint ${vpcEndpointId}, which the instance's earlier keys used`,
        };
      }
    }
    return undefined;
  }

  /** `key`: the access key judged, and when it was used (its history must be recent to judge it). */
  judge(
    origin: Origin,
    kind: BaselineKind,
    key: { readonly accessKeyId: string; readonly at: number; readonly hasBaseline: boolean },
  ): LearnedJudgement {
    const history = this.history;
    const known = history?.origins.get(originKey(origin));
    if (known !== undefined) {
      return {
        outcome: 'vouched',
        via: `an origin its earlier keys used (learnt ${new Date(known.learnedAt).toISOString()})`,
        learn: false,
      };
    }
    if (origin.kind === 'endpoint') {
      // The same host (or its delegated /28: EKS pods) through another of the instance's own endpoints: the
      // S3 gateway after the STS interface endpoint, as the first-seen method allows within one key.
      const block = privateBlockOf(origin.sourceIp);
      const neighbour = block === undefined ? undefined : this.privateBlocks.get(block);
      if (neighbour !== undefined && this.endpointPath(origin.vpcEndpointId) !== undefined) {
        return {
          outcome: 'vouched',
          via: `the /28 of ${neighbour}, which its earlier keys used through its own endpoints (an EC2 prefix delegation)`,
          learn: false,
        };
      }
    } else {
      const shared = this.egress.get(origin.sourceIp);
      const via = shared === undefined ? undefined : egressVouch(shared, this.instanceId, this.siblings());
      if (via !== undefined) return { outcome: 'vouched', via, learn: true };
    }
    if (key.hasBaseline || history === undefined || key.at - history.lastActive > HISTORY_STALE_MS)
      return { outcome: 'silent' };

    // Only what other keys showed: within its first hour an instance shows its kinds one by one.
    const before = [...history.origins.values()].filter((learned) => learned.teacher !== key.accessKeyId);
    // Behind the account's own endpoint, another private address is a host of its own VPC: the key's first
    // origin decides as before. An endpoint that names no owner and that the instance never used is judged.
    if (
      origin.kind === 'endpoint' &&
      (origin.vpcEndpointAccountId !== undefined || this.endpointPath(origin.vpcEndpointId) !== undefined)
    )
      return { outcome: 'silent' };
    const ofKind = before.filter((learned) => learned.kind === kind);
    if (ofKind.length > 0) {
      return {
        outcome: 'objection',
        severity: isPublicOrigin(origin) ? 'HIGH' : 'MEDIUM',
        reason: `this key's first ${kindName(kind)} origin is none of the instance's earlier ones (${list(ofKind)}): a new key is judged against the instance's history, so a thief using it first does not become its baseline.`,
      };
    }
    // A change of kind (IPv4-only history and now IPv6, or an endpoint) is judged, not learnt, once the
    // instance was watched long enough to have shown its kinds.
    const since = Math.min(...before.map((learned) => learned.learnedAt));
    if (before.length === 0 || key.at - since < HISTORY_SETTLE_MS) return { outcome: 'silent' };
    return {
      outcome: 'objection',
      severity: changeOfKindSeverity(origin, this.accountId),
      reason: `the instance's earlier keys were only used from ${list(before)}; a first ${kindName(kind)} origin is a change of kind, judged rather than learnt.`,
    };
  }
}

/** A sighting names the instance and the key, marked when the key's first call came from the address. */
export function sightingOf(instanceId: string, accessKeyId: string, first: boolean): string {
  return `${instanceId}/${accessKeyId}${first ? FIRST_MARK : ''}`;
}
const FIRST_MARK = '/first';

/**
 * Why a shared address vouches for `instanceId`, or undefined when it does not (yet). Across instances, the
 * first call of some key must have come from it (a thief using keys after their instances, however fast,
 * sights its address only unmarked and teaches nothing), and one of them must be a sibling: an instance
 * that also used one of this instance's own addresses (issue 13). An instance with no history yet has no
 * siblings: its first origin decides.
 */
function egressVouch(
  shared: EgressAddress,
  instanceId: string,
  siblings: ReadonlySet<string>,
): string | undefined {
  const instances = new Set<string>();
  const ownKeys = new Set<string>();
  let clean = false;
  let sibling = false;
  for (const sighting of shared.sightings) {
    const [owner = '', key = ''] = sighting.split('/');
    instances.add(owner);
    if (owner === instanceId) ownKeys.add(key);
    clean ||= sighting.endsWith(FIRST_MARK);
    sibling ||= siblings.has(owner);
  }
  const last = new Date(shared.lastSeen).toISOString();
  if (instances.size >= EGRESS_MIN_INSTANCES && clean && sibling) {
    return `egress of account ${shared.accountId} in ${shared.region}: ${instances.size} instances used it with fresh keys, some also from this instance's own addresses, and the first call of one came from it (last ${last})`;
  }
  if (ownKeys.size >= EGRESS_MIN_KEYS) {
    return `an address ${ownKeys.size} of the instance's own keys used within minutes of their delivery, after a first call from its known network (last ${last})`;
  }
  return undefined;
}

function changeOfKindSeverity(origin: Origin, accountId: string): Severity {
  if (origin.kind === 'endpoint') return origin.vpcEndpointAccountId === accountId ? 'MEDIUM' : 'HIGH';
  return isPublicOrigin(origin) ? 'HIGH' : 'MEDIUM';
}

function isPublicOrigin(origin: Origin): boolean {
  if (origin.kind === 'endpoint') return false;
  const parsed = parseAddress(origin.sourceIp);
  return parsed !== undefined && isPublicAddress(parsed);
}

function kindName(kind: BaselineKind): string {
  return kind === 'address' ? 'IPv4' : kind === 'ipv6' ? 'IPv6' : 'VPC endpoint';
}

function list(origins: readonly LearnedOrigin[]): string {
  const shown = origins.slice(0, 4).map((learned) => describeOrigin(learned.origin));
  return origins.length > 4 ? `${shown.join(', ')} and ${origins.length - 4} more` : shown.join(', ');
}

function privateBlockOf(ip: string): string | undefined {
  const parsed = parseAddress(ip);
  if (parsed === undefined || parsed.kind() !== 'ipv4' || isPublicAddress(parsed)) return undefined;
  const octets = parsed.toByteArray();
  const mask = 0xff << (32 - PRIVATE_BLOCK_BITS);
  const last = (octets[3] ?? 0) & mask;
  return `${octets[0]}.${octets[1]}.${octets[2]}.${last}`;
}

/** Whether an origin may teach the account's shared egress: a public IPv4 address. */
export function isEgressCandidate(origin: Origin): boolean {
  return origin.kind === 'address' && !origin.sourceIp.includes(':') && isPublicOrigin(origin);
}

/** The learned history as a finding's `expected` fields: what the instance's earlier keys used. */
export function learnedExpectation(history: InstanceHistory) {
  const privateIps = new Set<string>();
  const publicIps: string[] = [];
  const ipv6Addresses: string[] = [];
  const vpcEndpointIds = new Set<string>();
  let since = Infinity;
  for (const { origin, kind, learnedAt } of history.origins.values()) {
    since = Math.min(since, learnedAt);
    if (origin.kind === 'endpoint') {
      privateIps.add(origin.sourceIp);
      vpcEndpointIds.add(origin.vpcEndpointId);
    } else if (kind === 'ipv6') ipv6Addresses.push(origin.sourceIp);
    else publicIps.push(origin.sourceIp);
  }
  return {
    privateIps: [...privateIps],
    publicIps,
    ipv6Addresses,
    vpcEndpointIds: [...vpcEndpointIds],
    note: `Learnt from the trail: ${history.origins.size} origin(s) of the instance's earlier keys since ${new Date(since).toISOString()}; no inventory was available.`,
  };
}
