import type { Artefact, FindingDetail, TaintSummary } from '../contracts/finding-event';
import { toDerivedSession, type TaintedKey } from '../engine/taint-chain';
import { artefactKey, buildSummary, isRead, type CountedRead } from '../engine/taint-store';
import type { IncidentTrace, TracedCall } from './incident-trace';

export interface TimelineKey {
  readonly accessKeyId: string;
  /** `stolen`: the finding's own key (its calls from the thief's origin); `derived`: minted from it. */
  readonly kind: 'stolen' | 'derived';
  readonly via: string | null;
  readonly roleArn: string | null;
  readonly sessionName: string | null;
  readonly parentAccessKeyId: string | null;
  readonly accountId: string;
  readonly region: string | null;
  readonly mintedAt: string | null;
  readonly expiresAt: string | null;
  readonly calls: number;
}

export interface TimelineCall {
  readonly eventTime: string;
  readonly eventName: string;
  readonly service: string;
  readonly accessKeyId: string;
  readonly sourceIp: string | null;
  readonly vpcEndpointId: string | null;
  readonly errorCode: string | null;
  /** Identifiers of what the call left behind or took out. */
  readonly artefacts: readonly string[];
  readonly eventId: string;
}

export interface TimelineGroup {
  readonly accountId: string;
  readonly region: string;
  readonly persistent: number;
  readonly calls: readonly TimelineCall[];
}

/** The incident as `credtrail investigate` prints it: `--output json` is exactly this. */
export interface IncidentTimeline {
  readonly finding: Pick<
    FindingDetail,
    | 'findingId'
    | 'title'
    | 'severity'
    | 'accountId'
    | 'region'
    | 'roleArn'
    | 'accessKeyId'
    | 'sourceIp'
    | 'vpcEndpointId'
  >;
  readonly keys: readonly TimelineKey[];
  readonly persistence: readonly Artefact[];
  readonly reads: readonly CountedRead[];
  /** Calls by account and region; groups where something was left behind come first. */
  readonly groups: readonly TimelineGroup[];
  readonly files: number;
  readonly skippedFiles: readonly { name: string; reason: string }[];
}

/** One finding's share of a trace, arranged for people and tools. Pure. */
export function buildTimeline(finding: FindingDetail, trace: IncidentTrace): IncidentTimeline {
  const calls = trace.calls.filter((call) => call.findingId === finding.findingId);
  const keys = trace.keys.filter((key) => key.findingId === finding.findingId).sort(byMinted);
  const callsByKey = countBy(calls, (call) => call.accessKeyId);
  const { persistence, reads } = artefactsOf(calls);
  const groups = new Map<string, TracedCall[]>();
  for (const call of calls) {
    const id = `${call.accountId}|${call.region}`;
    groups.set(id, [...(groups.get(id) ?? []), call]);
  }
  const timelineGroups = [...groups.values()].map((list) => ({
    accountId: list[0]?.accountId ?? '',
    region: list[0]?.region ?? '',
    persistent: list.filter((call) => call.artefacts.some((artefact) => !isRead(artefact))).length,
    first: list[0]?.eventTime ?? 0,
    calls: list.map(toTimelineCall),
  }));
  timelineGroups.sort((a, b) => Number(b.persistent > 0) - Number(a.persistent > 0) || a.first - b.first);
  return {
    finding: {
      findingId: finding.findingId,
      title: finding.title,
      severity: finding.severity,
      accountId: finding.accountId,
      region: finding.region,
      roleArn: finding.roleArn,
      accessKeyId: finding.accessKeyId,
      sourceIp: finding.sourceIp,
      vpcEndpointId: finding.vpcEndpointId,
    },
    keys: [
      {
        accessKeyId: finding.accessKeyId,
        kind: 'stolen',
        via: null,
        roleArn: finding.roleArn,
        sessionName: finding.instanceId,
        parentAccessKeyId: null,
        accountId: finding.accountId,
        region: finding.region,
        mintedAt: finding.keyIssuedAt,
        expiresAt: null,
        calls: callsByKey.get(finding.accessKeyId) ?? 0,
      },
      ...keys.map((key) => ({
        ...toDerivedSession(key),
        kind: 'derived' as const,
        calls: callsByKey.get(key.accessKeyId) ?? 0,
      })),
    ],
    persistence,
    reads,
    groups: timelineGroups.map(({ first: _first, ...group }) => group),
    files: trace.files,
    skippedFiles: trace.skippedFiles,
  };
}

/** What the finding carries from a trace (the CLI's `detect` attaches it). */
export function summaryOf(finding: FindingDetail, trace: IncidentTrace): TaintSummary | undefined {
  const calls = trace.calls.filter((call) => call.findingId === finding.findingId);
  const { persistence, reads } = artefactsOf(calls);
  const derived = new Set(
    calls.filter((call) => call.accessKeyId !== finding.accessKeyId).map((call) => call.callId),
  );
  const keys = trace.keys.filter((key) => key.findingId === finding.findingId);
  return buildSummary(keys, derived.size, persistence, reads);
}

function artefactsOf(calls: readonly TracedCall[]): { persistence: Artefact[]; reads: CountedRead[] } {
  const persistence = new Map<string, Artefact>();
  const reads = new Map<string, CountedRead>();
  const counted = new Set<string>();
  for (const call of calls) {
    // One call recorded in two accounts counts once.
    if (counted.has(call.callId)) continue;
    counted.add(call.callId);
    for (const artefact of call.artefacts) {
      const id = artefactKey(artefact);
      if (isRead(artefact)) {
        const known = reads.get(id);
        reads.set(id, { ...(known ?? artefact), count: (known?.count ?? 0) + 1 });
      } else if (!persistence.has(id)) persistence.set(id, artefact);
    }
  }
  return { persistence: [...persistence.values()], reads: [...reads.values()] };
}

function toTimelineCall(call: TracedCall): TimelineCall {
  return {
    eventTime: new Date(call.eventTime).toISOString(),
    eventName: call.eventName,
    service: call.eventSource.replace(/\.amazonaws\.com$/, ''),
    accessKeyId: call.accessKeyId,
    sourceIp: call.sourceIp,
    vpcEndpointId: call.vpcEndpointId,
    errorCode: call.errorCode,
    artefacts: call.artefacts.map((artefact) => `${artefact.kind} ${artefact.id}`),
    eventId: call.eventId,
  };
}

function byMinted(a: TaintedKey, b: TaintedKey): number {
  return a.mintedAt - b.mintedAt || a.depth - b.depth;
}

function countBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(keyOf(item), (counts.get(keyOf(item)) ?? 0) + 1);
  return counts;
}
