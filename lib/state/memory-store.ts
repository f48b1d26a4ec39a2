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
import { MemoryLearnedNetworkStore } from './learned-network-memory';

/** The CLI's store: a Map per kind of item. Grows with sessions, origins and findings, not events. */
export class MemoryStore implements DetectorStore {
  private readonly sessions = new Map<string, SessionState>();
  private readonly findings = new Map<string, FindingDetail>();
  readonly learnedNetwork = new MemoryLearnedNetworkStore();

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
      observations.flatMap((observation) => {
        const stored = this.findings.get(observation.detail.findingId);
        // Only repeats named a finding this store does not hold: nothing to count.
        if (stored === undefined && observation.eventCount === 0) return [];
        const detail = mergeFinding(stored, observation);
        this.findings.set(detail.findingId, detail);
        const created = stored === undefined;
        return { detail, created, unannounced: created, previousEventCount: stored?.eventCount ?? 0 };
      }),
    );
  }
}
