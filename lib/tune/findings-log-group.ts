import { paginateFilterLogEvents, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { readFindingLines, type FindingLinesRead } from './finding-lines';

/**
 * The findings the detector wrote to its log group (`{"kind":"finding",…}` lines, see
 * FindingsLogWriter) between two times, every stream. Each event is named by stream and event id when
 * it is not a finding.
 */
export async function readFindingsLogGroup(
  client: CloudWatchLogsClient,
  logGroupName: string,
  window: { readonly startMs: number; readonly endMs: number },
): Promise<FindingLinesRead> {
  const sources: { name: string; text: string }[] = [];
  for await (const page of paginateFilterLogEvents(
    { client },
    { logGroupName, startTime: window.startMs, endTime: window.endMs },
  )) {
    for (const event of page.events ?? []) {
      if (event.message === undefined) continue;
      sources.push({
        name: `${logGroupName} ${event.logStreamName ?? '?'} ${event.eventId ?? '?'}`,
        text: event.message,
      });
    }
  }
  return readFindingLines(sources);
}
