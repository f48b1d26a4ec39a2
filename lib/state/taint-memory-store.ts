import type { Artefact, FindingDetail, TaintSummary } from '../contracts/finding-event';
import type { TaintedKey } from '../engine/taint-chain';
import {
  TAINT_FOLLOW_SLACK_MS,
  artefactKey,
  buildSummary,
  isRead,
  type CountedRead,
  type TaintObservation,
  type TaintStore,
} from '../engine/taint-store';

interface Chain {
  readonly keys: Map<string, TaintedKey>;
  derivedCalls: number;
  readonly persistence: Map<string, Artefact>;
  readonly reads: Map<string, CountedRead>;
  finding?: FindingDetail;
}

/** The CLI's taint store: Maps, gone with the process. */
export class MemoryTaintStore implements TaintStore {
  private readonly keys = new Map<string, TaintedKey>();
  private readonly countedCalls = new Set<string>();
  private readonly chains = new Map<string, Chain>();

  activeKeys(now: number): Promise<TaintedKey[]> {
    return Promise.resolve(
      [...this.keys.values()].filter((key) => key.expiresAt + TAINT_FOLLOW_SLACK_MS > now),
    );
  }

  record(observations: readonly TaintObservation[]): Promise<Set<string>> {
    const grown = new Set<string>();
    for (const observation of observations) {
      const chain = this.chain(observation.findingId);
      for (const key of observation.keys) {
        if (this.keys.has(key.accessKeyId)) continue;
        this.keys.set(key.accessKeyId, key);
        chain.keys.set(key.accessKeyId, key);
        grown.add(observation.findingId);
      }
      for (const call of observation.calls) {
        if (this.countedCalls.has(call.eventId)) continue;
        this.countedCalls.add(call.eventId);
        if (call.derived) chain.derivedCalls++;
        for (const artefact of call.artefacts) {
          const id = artefactKey(artefact);
          if (isRead(artefact)) {
            const known = chain.reads.get(id);
            chain.reads.set(id, { ...(known ?? artefact), count: (known?.count ?? 0) + 1 });
          } else if (!chain.persistence.has(id)) {
            chain.persistence.set(id, artefact);
            grown.add(observation.findingId);
          }
        }
      }
    }
    return Promise.resolve(grown);
  }

  summary(findingId: string): Promise<TaintSummary | undefined> {
    const chain = this.chains.get(findingId);
    if (chain === undefined) return Promise.resolve(undefined);
    return Promise.resolve(
      buildSummary(
        [...chain.keys.values()],
        chain.derivedCalls,
        [...chain.persistence.values()],
        [...chain.reads.values()],
      ),
    );
  }

  putFinding(detail: FindingDetail): Promise<void> {
    this.chain(detail.findingId).finding = detail;
    return Promise.resolve();
  }

  getFinding(findingId: string): Promise<FindingDetail | undefined> {
    return Promise.resolve(this.chains.get(findingId)?.finding);
  }

  private chain(findingId: string): Chain {
    let chain = this.chains.get(findingId);
    if (chain === undefined) {
      chain = { keys: new Map(), derivedCalls: 0, persistence: new Map(), reads: new Map() };
      this.chains.set(findingId, chain);
    }
    return chain;
  }
}
