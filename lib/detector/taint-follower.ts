import type { FindingDetail, TaintSummary } from '../contracts/finding-event';
import { BoundedMap } from '../engine/bounded-map';
import type { StoredFinding } from '../engine/detector-store';
import { FOLLOWED_FINDING_TYPES, rootOf } from '../engine/taint-chain';
import type { TaintStore } from '../engine/taint-store';
import type { TaintTracker } from '../engine/taint-tracker';

/**
 * Issue 17 in the detector Lambda: after the engine judged a file, follows the stolen keys of the
 * findings it fed through the same file (and the keys already in the chain), and remembers which
 * findings' chains changed until they are announced.
 */
export class TaintFollower {
  // The latest chain of each finding this container followed (bounded), and those grown since announced.
  private readonly latest = new BoundedMap<string, TaintSummary>(10_000);
  private readonly grown = new Set<string>();

  constructor(
    private readonly tracker: TaintTracker,
    private readonly store: TaintStore,
    private readonly clock: () => number,
  ) {}

  async follow(findings: readonly StoredFinding[], records: readonly unknown[]): Promise<void> {
    const followed = findings.filter((finding) => FOLLOWED_FINDING_TYPES.has(finding.detail.type));
    // The latest detail, so that a chain growing in a later file can be announced without the detector.
    for (const { detail } of followed) await this.store.putFinding(detail, this.clock());
    const changes = await this.tracker.follow(
      followed.map((finding) => rootOf(finding.detail)),
      records,
    );
    for (const change of changes) {
      this.latest.set(change.findingId, change.summary);
      if (change.grew) this.grown.add(change.findingId);
    }
  }

  /** The finding with its chain, when it has one this container saw change. */
  withTaint(detail: FindingDetail): FindingDetail {
    const summary = this.latest.get(detail.findingId);
    return summary === undefined ? detail : { ...detail, taint: summary };
  }

  /** Findings whose chain grew (new session or persistence), not among `announced`: updates to publish. */
  async grownElsewhere(announced: ReadonlySet<string>): Promise<FindingDetail[]> {
    const details: FindingDetail[] = [];
    for (const findingId of this.grown) {
      if (announced.has(findingId)) continue;
      const detail = await this.store.getFinding(findingId);
      if (detail !== undefined) details.push(this.withTaint(detail));
    }
    return details;
  }

  /** Whether this finding's chain grew since it was last announced. */
  grew(findingId: string): boolean {
    return this.grown.has(findingId);
  }

  /** Called once the announcements went out. */
  settle(findingIds: Iterable<string>): void {
    for (const findingId of findingIds) this.grown.delete(findingId);
  }
}
