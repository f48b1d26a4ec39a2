import { FindingDetailSchema, type FindingDetail } from '../contracts/finding-event';

export interface FindingLinesRead {
  readonly findings: FindingDetail[];
  /** Lines that were not findings, each named by source and line number; never dropped silently. */
  readonly skipped: string[];
}

/**
 * Findings from what dry-run produced, one JSON document per line: `credtrail detect --output jsonl`
 * (bare details), the findings log group (`{"kind":"finding",…detail}`, also wrapped in a CloudWatch
 * Logs event's `message`), or EventBridge events (`{"detail":…}`). A finding seen several times (an
 * update, a second export) is kept once, in its latest form.
 */
export function readFindingLines(sources: readonly { name: string; text: string }[]): FindingLinesRead {
  const findings: FindingDetail[] = [];
  const skipped: string[] = [];
  for (const { name, text } of sources) {
    text.split('\n').forEach((line, index) => {
      const trimmed = line.trim();
      if (trimmed === '') return;
      const where = `${name}:${index + 1}`;
      let raw: unknown;
      try {
        raw = JSON.parse(trimmed);
      } catch {
        skipped.push(`${where}: not JSON`);
        return;
      }
      const parsed = FindingDetailSchema.safeParse(unwrap(raw));
      if (!parsed.success) {
        skipped.push(`${where}: not a credtrail finding (${parsed.error.issues[0]?.path.join('.') ?? '?'})`);
        return;
      }
      findings.push(parsed.data);
    });
  }
  return { findings: latestOf(findings), skipped };
}

/** Each finding once, in its latest form: sources overlap (a log group export and the state table). */
export function latestOf(findings: Iterable<FindingDetail>): FindingDetail[] {
  const latest = new Map<string, FindingDetail>();
  for (const finding of findings) {
    const known = latest.get(finding.findingId);
    if (known === undefined || newer(finding, known)) latest.set(finding.findingId, finding);
  }
  return [...latest.values()];
}

function unwrap(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null) return raw;
  const record = raw as Record<string, unknown>;
  if (typeof record['message'] === 'string') {
    try {
      return unwrap(JSON.parse(record['message']));
    } catch {
      return raw;
    }
  }
  if (typeof record['detail'] === 'object' && record['detail'] !== null) return record['detail'];
  if ('kind' in record) {
    const detail = { ...record };
    delete detail['kind'];
    return detail;
  }
  return raw;
}

function newer(candidate: FindingDetail, known: FindingDetail): boolean {
  const [a, b] = [Date.parse(candidate.lastSeen), Date.parse(known.lastSeen)];
  if (a !== b) return a > b;
  return candidate.eventCount > known.eventCount;
}
