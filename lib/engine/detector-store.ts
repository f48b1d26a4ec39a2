import type { FindingDetail } from '../contracts/finding-event';
import type { AccountNetwork, InstanceNetwork } from './instance-network';
import type { LearnedNetworkStore } from './learned-network-store';
import type { Origin } from './origin';
import type { TrailSignalStore } from './trail-signal-store';

/** What the detector remembers about one access key (one credential session). */
export interface SessionState {
  readonly accessKeyId: string;
  readonly instanceId: string;
  readonly roleArn: string;
  readonly accountId: string;
  /** The instance's region, known when EC2's delivery was seen (calls can go to any region). */
  readonly region?: string;
  /** When EC2 delivered the key (epoch ms). */
  readonly issuedAt?: number;
  /**
   * First origins, one per kind: an instance may use NAT for most calls, an endpoint for some, and its
   * own IPv6 address where the service is dual-stack. Each kind has its own first origin.
   */
  readonly baselines: { readonly address?: Origin; readonly ipv6?: Origin; readonly endpoint?: Origin };
}

export type BaselineKind = keyof SessionState['baselines'];
export const BASELINE_KINDS: readonly BaselineKind[] = ['address', 'ipv6', 'endpoint'];

/** Everything the detector learnt about one finding in one batch, to be merged into what is stored. */
export interface FindingObservation {
  /** The finding as first observed in this batch; counts and times below are merged on top. */
  readonly detail: FindingDetail;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly eventCount: number;
  readonly eventNames: readonly string[];
  readonly userAgents: readonly string[];
  /** The eventIDs counted (`eventCount` of them); a repeat names its finding with none counted. */
  readonly eventIds: readonly string[];
}

export interface StoredFinding {
  readonly detail: FindingDetail;
  /** True when this batch created the finding. False: an update of a known one, or a replay. */
  readonly created: boolean;
  /**
   * True while no announcement of the finding is recorded, whoever created it: the caller announces it
   * (again: downstream dedupes by finding id). Stores that announce nothing say it of created findings.
   */
  readonly unannounced: boolean;
  /** The event count before this batch (0 when created). */
  readonly previousEventCount: number;
}

/**
 * The detector's memory. The CLI keeps it in a Map; the Lambda in DynamoDB. Every method works on a
 * batch so a remote store can batch its requests; all of them must be safe under concurrent callers.
 */
export interface DetectorStore {
  getSessions(accessKeyIds: readonly string[]): Promise<Map<string, SessionState>>;
  /** Records EC2's delivery of keys. Never resets a session's baselines (a late delivery is common). */
  putDeliveries(sessions: readonly SessionState[]): Promise<void>;
  /**
   * Makes `origin` the session's first origin of its kind unless one exists already, atomically, and
   * returns whichever origin won: two workers must never both believe they were first.
   */
  claimBaseline(session: SessionState, kind: BaselineKind, origin: Origin): Promise<Origin>;
  /**
   * Merges observations into stored findings and returns them; a finding named only by repeats (no event
   * counted) comes back unchanged, so the caller can still announce it if nobody has.
   */
  saveFindings(observations: readonly FindingObservation[]): Promise<StoredFinding[]>;
  /** Where each instance's learned network is kept (issue 13); without it the detector learns nothing. */
  readonly learnedNetwork?: LearnedNetworkStore;
  /** Where the trail-side signals' state is kept; without it they live in the detector's memory only. */
  readonly trailSignals?: TrailSignalStore;
}

export type NetworkLookup =
  | { readonly status: 'found'; readonly network: InstanceNetwork }
  /**
   * Not known. `accountNetwork`: what the inventory knows of the instance's account in its region, to
   * judge an instance launched after the inventory was taken before its first origin becomes its baseline.
   */
  | { readonly status: 'unknown'; readonly accountNetwork?: AccountNetwork }
  /** The lookup itself failed: the detector falls back to first-seen and says so in the finding. */
  | { readonly status: 'failed'; readonly reason: string };

export interface NetworkRequest {
  readonly instanceId: string;
  readonly accountId: string;
  readonly region?: string;
  /** Skip every cache: the detector is about to call an origin suspicious on an older answer. */
  readonly fresh?: boolean;
}

/** Where instance networks come from: inventory files offline, EC2 Describe* (cached) in Lambda. */
export interface NetworkDirectory {
  lookup(requests: readonly NetworkRequest[]): Promise<Map<string, NetworkLookup>>;
}

export const MAX_EVENT_NAMES = 25;
export const MAX_USER_AGENTS = 5;

/** Merges a batch's observation into a stored finding: used by every store, so they agree. */
export function mergeFinding(
  stored: FindingDetail | undefined,
  observation: FindingObservation,
): FindingDetail {
  const base = stored ?? observation.detail;
  const firstSeen = Math.min(Date.parse(base.firstSeen), observation.firstSeen);
  const lastSeen = Math.max(Date.parse(base.lastSeen), observation.lastSeen);
  return {
    ...base,
    firstSeen: new Date(firstSeen).toISOString(),
    lastSeen: new Date(lastSeen).toISOString(),
    eventCount: (stored?.eventCount ?? 0) + observation.eventCount,
    eventNames: unionCapped(stored?.eventNames ?? [], observation.eventNames, MAX_EVENT_NAMES),
    userAgents: unionCapped(stored?.userAgents ?? [], observation.userAgents, MAX_USER_AGENTS),
  };
}

function unionCapped(a: readonly string[], b: readonly string[], cap: number): string[] {
  const merged = new Set(a);
  for (const item of b) {
    if (merged.size >= cap) break;
    merged.add(item);
  }
  return [...merged];
}
