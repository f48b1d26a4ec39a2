import { FindingType, type DerivedSession, type FindingDetail } from '../contracts/finding-event';
import { mintedBy, type SignedCall } from './taint-call';

/**
 * Where a chain starts: a finding's stolen key, used from the thief's origin. Only calls of the key
 * from that origin are the thief's; the instance itself uses the same key from its own network, and
 * what it mints there is the workload's, not stolen.
 */
export interface TaintRoot {
  readonly findingId: string;
  readonly accessKeyId: string;
  readonly sourceIp: string | null;
  readonly vpcEndpointId: string | null;
}

/** Findings about a thief's key; an IMDSv1 exposure has no thief to follow. */
export const FOLLOWED_FINDING_TYPES: ReadonlySet<string> = new Set([
  FindingType.UnexpectedOrigin,
  FindingType.SessionNamedLikeInstance,
]);

/** A finding's key and origin: where its chain starts. */
export function rootOf(finding: FindingDetail): TaintRoot {
  return {
    findingId: finding.findingId,
    accessKeyId: finding.accessKeyId,
    sourceIp: finding.sourceIp,
    vpcEndpointId: finding.vpcEndpointId,
  };
}

/** A key minted with a stolen (or derived) key: every call it signs is the thief's. Times in epoch ms. */
export interface TaintedKey {
  readonly findingId: string;
  readonly accessKeyId: string;
  readonly parentAccessKeyId: string;
  readonly via: DerivedSession['via'];
  readonly roleArn: string | null;
  readonly sessionName: string | null;
  readonly accountId: string;
  readonly region: string;
  readonly mintedAt: number;
  readonly expiresAt: number;
  /** 1 for a key minted by the stolen key itself, 2 for one minted by that, … */
  readonly depth: number;
  /** The minting call's eventID. */
  readonly eventId: string;
}

export interface Attribution {
  readonly findingId: string;
  /** False for the stolen key's own calls (already counted by the detector), true for derived keys. */
  readonly derived: boolean;
}

// Clocks of AWS front ends differ a little; a call stamped a minute outside the key's life is still it.
const CLOCK_SKEW_MS = 5 * 60_000;
// A thief who chains roles in a loop must not grow the chain without end.
export const MAX_CHAIN_DEPTH = 10;

/** Derived sessions as the finding carries them. */
export function toDerivedSession(key: TaintedKey): DerivedSession {
  return {
    accessKeyId: key.accessKeyId,
    parentAccessKeyId: key.parentAccessKeyId,
    via: key.via,
    roleArn: key.roleArn,
    sessionName: key.sessionName,
    accountId: key.accountId,
    region: key.region,
    mintedAt: new Date(key.mintedAt).toISOString(),
    expiresAt: new Date(key.expiresAt).toISOString(),
  };
}

/**
 * The set of keys a finding's thief holds, and the attribution of calls to findings. Pure: no I/O, no
 * clock; the live tracker loads it from the taint store, the offline investigation builds it from files.
 */
export class TaintChain {
  private readonly roots = new Map<string, TaintRoot[]>();
  private readonly keys = new Map<string, TaintedKey>();

  constructor(roots: readonly TaintRoot[] = [], keys: readonly TaintedKey[] = []) {
    for (const root of roots) this.addRoot(root);
    for (const key of keys) this.keys.set(key.accessKeyId, key);
  }

  addRoot(root: TaintRoot): void {
    const list = this.roots.get(root.accessKeyId) ?? [];
    if (!list.some((known) => known.findingId === root.findingId)) list.push(root);
    this.roots.set(root.accessKeyId, list);
  }

  /** True when calls signed with this key may be attributed: a cheap test before reading a record. */
  follows(accessKeyId: string): boolean {
    return this.keys.has(accessKeyId) || this.roots.has(accessKeyId);
  }

  /** Every access key `follows` answers true for: the findings' keys and those minted from them. */
  get followedKeys(): string[] {
    return [...new Set([...this.roots.keys(), ...this.keys.keys()])];
  }

  get tainted(): TaintedKey[] {
    return [...this.keys.values()];
  }

  key(accessKeyId: string): TaintedKey | undefined {
    return this.keys.get(accessKeyId);
  }

  /** The finding a call belongs to, if its key is the thief's at that moment (and origin, for a root). */
  attribute(call: SignedCall): Attribution | undefined {
    const key = this.keys.get(call.accessKeyId);
    if (key !== undefined) {
      const live =
        call.eventTime >= key.mintedAt - CLOCK_SKEW_MS && call.eventTime <= key.expiresAt + CLOCK_SKEW_MS;
      return live ? { findingId: key.findingId, derived: true } : undefined;
    }
    const root = this.roots.get(call.accessKeyId)?.find((candidate) => fromRootOrigin(candidate, call));
    return root === undefined ? undefined : { findingId: root.findingId, derived: false };
  }

  /**
   * Follows one call: when it is the thief's and mints credentials, the new key joins the chain.
   * Returns the new key, if any. A key already known keeps its first finding (first writer wins).
   */
  mint(call: SignedCall): TaintedKey | undefined {
    const minted = mintedBy(call);
    if (minted === undefined || this.keys.has(minted.accessKeyId)) return undefined;
    const attribution = this.attribute(call);
    if (attribution === undefined) return undefined;
    const depth = (this.keys.get(call.accessKeyId)?.depth ?? 0) + 1;
    if (depth > MAX_CHAIN_DEPTH) return undefined;
    const key: TaintedKey = {
      ...minted,
      findingId: attribution.findingId,
      parentAccessKeyId: call.accessKeyId,
      depth,
      eventId: call.eventId,
    };
    this.keys.set(key.accessKeyId, key);
    return key;
  }

  /**
   * Follows every minting call among `calls`, in any order, until nothing new is minted: log files of
   * several accounts and regions arrive in no fixed order, and a second hop may be read before the
   * first. Returns the keys added.
   */
  close(calls: readonly SignedCall[]): TaintedKey[] {
    const pending = calls.filter((call) => mintedBy(call) !== undefined);
    const added: TaintedKey[] = [];
    for (let grew = true; grew;) {
      grew = false;
      for (let index = pending.length - 1; index >= 0; index--) {
        const key = this.mint(pending[index] as SignedCall);
        if (key === undefined) continue;
        added.push(key);
        pending.splice(index, 1);
        grew = true;
      }
    }
    return added;
  }
}

function fromRootOrigin(root: TaintRoot, call: SignedCall): boolean {
  if (root.vpcEndpointId !== null) {
    return (
      call.vpcEndpointId === root.vpcEndpointId && (root.sourceIp === null || call.sourceIp === root.sourceIp)
    );
  }
  return call.vpcEndpointId === null && call.sourceIp !== null && call.sourceIp === root.sourceIp;
}
