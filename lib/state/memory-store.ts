import type { FindingDetail } from '../contracts/finding-event';
import {
  mergeFinding,
  type BaselineKind,
  type DetectorStore,
  type FindingObservation,
  type SessionState,
  type StoredFinding,
} from '../engine/detector-store';
import type { Origin } from '../engine/origin';
import { countOnly, needsSightings } from './finding-merge-policy';
import { MemoryLearnedNetworkStore } from './learned-network-memory';
import { MemoryTrailSignalStore } from './trail-signals-memory';

/**
 * The CLI's store: a Map per kind of item. Grows with sessions, origins and findings, and with the calls
 * of theft findings (their eventIDs, so that detectors sharing the store count a call once), not with
 * ordinary events.
 */
export class MemoryStore implements DetectorStore {
  private readonly sessions = new Map<string, SessionState>();
  private readonly findings = new Map<string, FindingDetail>();
  private readonly sighted = new Map<string, Set<string>>();
  readonly learnedNetwork = new MemoryLearnedNetworkStore();
  readonly trailSignals = new MemoryTrailSignalStore();

  getSessions(accessKeyIds: readonly string[]): Promise<Map<string, SessionState>> {
    const found = new Map<string, SessionState>();
    for (const key of accessKeyIds) {
      const session = this.sessions.get(key);
      if (session !== undefined) found.set(key, session);
    }
    return Promise.resolve(found);
  }

  putDeliveries(sessions: readonly SessionState[]): Promise<void> {
    for (const session of sessions) {
      const existing = this.sessions.get(session.accessKeyId);
      this.sessions.set(session.accessKeyId, {
        ...session,
        baselines: existing?.baselines ?? session.baselines,
      });
    }
    return Promise.resolve();
  }

  claimBaseline(session: SessionState, kind: BaselineKind, origin: Origin): Promise<Origin> {
    const existing = this.sessions.get(session.accessKeyId) ?? session;
    const winner = existing.baselines[kind];
    if (winner !== undefined) return Promise.resolve(winner);
    this.sessions.set(session.accessKeyId, {
      ...existing,
      baselines: { ...existing.baselines, [kind]: origin },
    });
    return Promise.resolve(origin);
  }

  saveFindings(observations: readonly FindingObservation[]): Promise<StoredFinding[]> {
    return Promise.resolve(
      observations.flatMap((seen) => {
        const observation = this.firstSightings(seen);
        const stored = this.findings.get(observation.detail.findingId);
        // Only repeats named a finding this store does not hold: nothing to count.
        if (stored === undefined && observation.eventCount === 0) return [];
        // Every call counted elsewhere: the finding as it is.
        if (stored !== undefined && observation.eventCount === 0)
          return {
            detail: stored,
            created: false,
            unannounced: false,
            previousEventCount: stored.eventCount,
          };
        const detail = mergeFinding(stored, observation);
        this.findings.set(detail.findingId, detail);
        const created = stored === undefined;
        return { detail, created, unannounced: created, previousEventCount: stored?.eventCount ?? 0 };
      }),
    );
  }

  /** As the DynamoDB store's sightings: a call counts in a finding once, whichever detector brings it. */
  private firstSightings(observation: FindingObservation): FindingObservation {
    if (!needsSightings(observation)) return observation;
    const findingId = observation.detail.findingId;
    const sighted = this.sighted.get(findingId) ?? new Set<string>();
    this.sighted.set(findingId, sighted);
    const first = new Set(observation.eventIds.filter((eventId) => !sighted.has(eventId)));
    for (const eventId of first) sighted.add(eventId);
    return countOnly(observation, first);
  }
}
