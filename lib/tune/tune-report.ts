import type { FindingDetail } from '../contracts/finding-event';
import type { ResponseConfig } from '../responder/response-config-schema';
import type { ResponsePlan } from '../responder/response-plan';
import { proposeExceptions, type GroupVerdict } from './exception-proposals';
import { groupFindings, HOUR_MS } from './finding-groups';
import { goLiveReport, type GoLiveReport } from './go-live-report';
import type { TuneThresholds } from './tune-thresholds';

export interface TuneInput {
  readonly findings: readonly FindingDetail[];
  readonly recordedPlans: readonly ResponsePlan[];
  readonly config: ResponseConfig;
  readonly thresholds: TuneThresholds;
  readonly severityThreshold: number;
  readonly now: Date;
}

export interface Timeline {
  readonly start: number;
  readonly bucketMs: number;
  readonly buckets: number;
}

export interface TuneReport {
  readonly generatedAt: string;
  readonly findings: number;
  readonly timeline: Timeline;
  readonly verdicts: GroupVerdict[];
  /** Findings without an origin (IMDSv1 exposure): nothing to except, reported apart. */
  readonly ungrouped: FindingDetail[];
  readonly goLive: GoLiveReport;
  readonly thresholds: TuneThresholds;
}

/** Everything `credtrail tune` says, from data and a `now`: groups, proposals and the go-live view. */
export function buildTuneReport(input: TuneInput): TuneReport {
  const { groups, ungrouped } = groupFindings(input.findings);
  const verdicts = proposeExceptions(groups, input.findings, input.thresholds, input.now);
  const goLive = goLiveReport({ ...input, verdicts });
  return {
    generatedAt: input.now.toISOString(),
    findings: input.findings.length,
    timeline: timelineOf(input.findings),
    verdicts,
    ungrouped,
    goLive,
    thresholds: input.thresholds,
  };
}

function timelineOf(findings: readonly FindingDetail[]): Timeline {
  if (findings.length === 0) return { start: 0, bucketMs: HOUR_MS, buckets: 0 };
  const first = Math.min(...findings.map((finding) => Date.parse(finding.firstSeen)));
  const last = Math.max(...findings.map((finding) => Date.parse(finding.lastSeen)));
  // Hours for up to four days, days beyond: a week of findings is read day by day.
  const bucketMs = last - first <= 4 * 24 * HOUR_MS ? HOUR_MS : 24 * HOUR_MS;
  const start = Math.floor(first / bucketMs) * bucketMs;
  return { start, bucketMs, buckets: Math.floor((last - start) / bucketMs) + 1 };
}

/** Findings active in each bucket of the timeline (from their first to their last sighting). */
export function countsOver(timeline: Timeline, findings: readonly FindingDetail[]): number[] {
  const counts = new Array<number>(timeline.buckets).fill(0);
  for (const finding of findings) {
    const from = Math.floor((Date.parse(finding.firstSeen) - timeline.start) / timeline.bucketMs);
    const to = Math.floor((Date.parse(finding.lastSeen) - timeline.start) / timeline.bucketMs);
    for (let bucket = Math.max(0, from); bucket <= Math.min(to, timeline.buckets - 1); bucket++) {
      counts[bucket] = (counts[bucket] ?? 0) + 1;
    }
  }
  return counts;
}
