import type { FindingDetail, TaintSummary } from '../contracts/finding-event';
import { BoundedMap } from '../engine/bounded-map';
import type { StoredFinding } from '../engine/detector-store';
import { FOLLOWED_FINDING_TYPES, rootOf, type TaintRoot } from '../engine/taint-chain';
import type { TaintStore } from '../engine/taint-store';
import type { TaintTracker } from '../engine/taint-tracker';

// A container follows at most this many findings' roots and chains in memory; the store holds them all.
const REMEMBERED = 10_000;

/**
 * Issue 17 in the detector Lambda: after the engine judged a file, follows the stolen keys of the
 * findings it fed (and every key already in a chain, from the taint store) through the same records,
 * and remembers which findings' chains grew until they are announced again. The chain itself lives in
 * the taint store, so a hop minted in one file (account, region, container) is followed in the next.
 */
export class TaintFollower {
  private readonly latest = new BoundedMap<string, TaintSummary>(REMEMBERED);
  // Roots fed earlier in this container: a retried file whose calls the engine already counted (and so
  // feeds no finding) is still followed from its stolen key.
  private readonly roots = new Map<string, TaintRoot>();
  private readonly grown = new Set<string>();

  constructor(
    private readonly tracker: TaintTracker,
    private readonly store: TaintStore,
    private readonly clock: () => number,
  ) {}

  async follow(findings: readonly StoredFinding[], records: readonly unknown[]): Promise<void> {
    const followed = findings.filter((finding) => FOLLOWED_FINDING_TYPES.has(finding.detail.type));
    // The latest detail, so that growth seen in a later file can be announced without the engine.
    for (const { detail } of followed) {
      await this.store.putFinding(detail, this.clock());
      this.roots.delete(detail.findingId);
      this.roots.set(detail.findingId, rootOf(detail));
      const oldest = this.roots.keys().next();
      if (this.roots.size > REMEMBERED && oldest.done !== true) this.roots.delete(oldest.value);
    }
    const changes = await this.tracker.follow([...this.roots.values()], records);
    for (const change of changes) {
      this.latest.set(change.findingId, change.summary);
      if (change.grew) this.grown.add(change.findingId);
    }
  }

  /** The finding with the chain this container last saw for it, if any. */
  withTaint(detail: FindingDetail): FindingDetail {
    const summary = this.latest.get(detail.findingId);
    return summary === undefined ? detail : { ...detail, taint: summary };
  }

  /** Whether this finding's chain grew (a new session or something left behind) since last announced. */
  grew(findingId: string): boolean {
    return this.grown.has(findingId);
  }

  /** Findings whose chain grew, other than `announced`: updates to publish from their stored detail. */
  async grownElsewhere(announced: ReadonlySet<string>): Promise<FindingDetail[]> {
    const details: FindingDetail[] = [];
    for (const findingId of this.grown) {
      if (announced.has(findingId)) continue;
      const detail = await this.store.getFinding(findingId);
      if (detail !== undefined) details.push(this.withTaint(detail));
    }
    return details;
  }

  /** Called once the announcements are on the bus: their growth is news no more. */
  settle(findingIds: Iterable<string>): void {
    for (const findingId of findingIds) this.grown.delete(findingId);
  }
}
