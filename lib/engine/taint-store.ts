import type { Artefact, FindingDetail, TaintSummary } from '../contracts/finding-event';
import { READ_KINDS } from './taint-artefacts';
import { toDerivedSession, type TaintedKey } from './taint-chain';

/** One call attributed to a finding, with what it left behind or took out. */
export interface AttributedCall {
  readonly eventId: string;
  /** True for calls of derived keys; the stolen key's own calls are counted by the detector. */
  readonly derived: boolean;
  readonly artefacts: readonly Artefact[];
}

/** What one batch learnt about one finding's chain. */
export interface TaintObservation {
  readonly findingId: string;
  readonly keys: readonly TaintedKey[];
  readonly calls: readonly AttributedCall[];
}

/**
 * The chain's memory, apart from the detector's store so that it can grow on its own: the Lambda keeps
 * it in the state table (its own item kinds), the CLI in memory or in the local table. Every method is
 * safe under concurrent callers; a call is counted once per eventID whichever container sees it.
 */
export interface TaintStore {
  /** Every tainted key still worth following at `now` (unexpired, or expired less than the slack). */
  activeKeys(now: number): Promise<TaintedKey[]>;
  /**
   * Records keys (first writer wins) and calls (once per eventID). Returns the findings whose chain
   * grew: a new key, or a new persistent artefact. Reads and counts alone do not make news.
   */
  record(observations: readonly TaintObservation[], now: number): Promise<Set<string>>;
  summary(findingId: string): Promise<TaintSummary | undefined>;
  /** The latest detail of a finding with a chain, to announce the chain's growth without the detector. */
  putFinding(detail: FindingDetail, now: number): Promise<void>;
  getFinding(findingId: string): Promise<FindingDetail | undefined>;
}

// Log files arrive up to ~20 minutes after the call and SQS may retry for a while: a key is followed for
// this long after it expired. Its calls are still checked against its lifetime (TaintChain.attribute).
export const TAINT_FOLLOW_SLACK_MS = 60 * 60_000;

export const MAX_SUMMARY_SESSIONS = 50;
export const MAX_SUMMARY_ARTEFACTS = 50;

/** A read artefact with how often it was read. */
export type CountedRead = Artefact & { readonly count: number };

/** Assembles what a finding carries from what a store holds; shared so every store says the same. */
export function buildSummary(
  keys: readonly TaintedKey[],
  derivedCallCount: number,
  persistence: readonly Artefact[],
  reads: readonly CountedRead[],
): TaintSummary | undefined {
  if (keys.length === 0 && persistence.length === 0 && reads.length === 0 && derivedCallCount === 0)
    return undefined;
  const byTime = <T extends { eventTime: string }>(a: T, b: T) => a.eventTime.localeCompare(b.eventTime);
  const sessions = [...keys].sort((a, b) => a.mintedAt - b.mintedAt || a.depth - b.depth);
  return {
    derivedSessions: sessions.slice(0, MAX_SUMMARY_SESSIONS).map(toDerivedSession),
    derivedCallCount,
    persistence: [...persistence].sort(byTime).slice(0, MAX_SUMMARY_ARTEFACTS),
    reads: [...reads].sort(byTime).slice(0, MAX_SUMMARY_ARTEFACTS),
    truncated:
      sessions.length > MAX_SUMMARY_SESSIONS ||
      persistence.length > MAX_SUMMARY_ARTEFACTS ||
      reads.length > MAX_SUMMARY_ARTEFACTS,
  };
}

/** One artefact's identity: the same key created twice (two deliveries of a record) is one artefact. */
export function artefactKey(artefact: Artefact): string {
  return `${artefact.kind}|${artefact.accountId}|${artefact.region}|${artefact.id}`;
}

export function isRead(artefact: Artefact): boolean {
  return READ_KINDS.has(artefact.kind);
}
