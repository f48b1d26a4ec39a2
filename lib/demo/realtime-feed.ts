import type { S3Client } from '@aws-sdk/client-s3';
import type { FindingDetail } from '../contracts/finding-event';
import { deliveryTimeOf, readLogFile } from '../cloudtrail/log-file';
import { listLogFiles } from '../cloudtrail/log-sources';
import { parseForwardedCall } from '../detector/queue-message';
import { normalizeRecord } from '../engine/cloudtrail-record';
import type { ExceptionList } from '../engine/credential-exception';
import { Detector } from '../engine/detector';
import type { DetectorStore, NetworkDirectory } from '../engine/detector-store';
import { matchesEventPattern } from '../infra/event-pattern-matcher';
import { CLOUDTRAIL_API_CALL_DETAIL_TYPE, INSTANCE_CREDENTIAL_CALL_PATTERN } from '../infra/event-patterns';

export interface RealtimeFeedOptions {
  /** The CloudTrail files the calls are taken from (they reach the detector later, by the file path). */
  readonly cloudtrailDir: string;
  /** The real-time path runs over the sample's first minutes only, so the demo shows both paths. */
  readonly minutes: number;
  /** Shared with the file path: the state both Lambda paths share. */
  readonly store: DetectorStore;
  readonly networks: NetworkDirectory;
  readonly exceptions: ExceptionList;
  readonly trustedAccounts: ReadonlySet<string>;
  readonly clock: () => number;
  readonly s3: () => S3Client | Promise<S3Client>;
}

/** A finding the real-time path created: which forwarded call created it, and when its file came. */
export interface RealtimeArrival {
  readonly detail: FindingDetail;
  /** The queue message's source, as the Lambda names it: `eventbridge:<eventID>`. */
  readonly source: string;
  readonly callTime: string;
  /** When CloudTrail delivered the log file holding that call (from the file's name). */
  readonly fileDelivered: string | null;
}

export interface RealtimeReport {
  readonly forwarded: number;
  readonly from: string;
  readonly until: string;
  readonly arrivals: readonly RealtimeArrival[];
}

/**
 * The real-time path, played over the sample: every record the member accounts' rule would forward
 * (the deployed pattern, checked with the project's matcher) is wrapped as EventBridge delivers it and
 * handed, one queue message each and in call order, to a detector of its own (another Lambda
 * container) over the shared store, as DetectorService does. The files are read afterwards by the file
 * path; the store counts a call once, whichever path brings it first.
 */
export async function playRealtimePath(options: RealtimeFeedOptions): Promise<RealtimeReport> {
  const calls: {
    readonly time: number;
    readonly body: string;
    readonly fileDelivered: number | undefined;
  }[] = [];
  for (const file of await listLogFiles([options.cloudtrailDir], options.s3)) {
    const records = await readLogFile(file.name, await file.open());
    for (const record of records) {
      const event = asForwardedEvent(record);
      if (event === undefined || !matchesEventPattern(INSTANCE_CREDENTIAL_CALL_PATTERN, event)) continue;
      calls.push({
        time: Date.parse(event.time),
        body: JSON.stringify(event),
        fileDelivered: deliveryTimeOf(file.name),
      });
    }
  }
  calls.sort((a, b) => a.time - b.time);
  const from = calls[0]?.time ?? options.clock();
  const until = from + options.minutes * 60_000;
  const live = calls.filter((call) => call.time < until);

  const detector = new Detector({
    store: options.store,
    networks: options.networks,
    exceptions: options.exceptions,
    trustedAccounts: options.trustedAccounts,
    trustRecipientAccounts: true,
    clock: options.clock,
  });
  const arrivals = new Map<string, RealtimeArrival>();
  for (const call of live) {
    const forwarded = parseForwardedCall(call.body);
    if (forwarded === null) continue;
    const normalised = normalizeRecord(forwarded.record);
    if (normalised.status !== 'event') continue;
    const { findings } = await detector.process([normalised.event], { imdsv1Findings: false });
    for (const finding of findings) {
      const id = finding.detail.findingId;
      const known = arrivals.get(id);
      if (known === undefined && !finding.created) continue;
      arrivals.set(id, {
        source: known?.source ?? `eventbridge:${forwarded.eventId}`,
        callTime: known?.callTime ?? new Date(call.time).toISOString(),
        fileDelivered:
          known?.fileDelivered ??
          (call.fileDelivered === undefined ? null : new Date(call.fileDelivered).toISOString()),
        // The finding as the real-time path last saw it.
        detail: finding.detail,
      });
    }
  }
  return {
    forwarded: live.length,
    from: new Date(from).toISOString(),
    until: new Date(until).toISOString(),
    arrivals: [...arrivals.values()],
  };
}

interface ForwardedEvent {
  readonly source: string;
  readonly 'detail-type': string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly detail: Record<string, unknown>;
}

/** A CloudTrail record as EventBridge puts it on the default bus ("AWS API Call via CloudTrail"). */
function asForwardedEvent(record: unknown): ForwardedEvent | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  const detail = record as Record<string, unknown>;
  const text = (key: string) => (typeof detail[key] === 'string' ? detail[key] : '');
  const service = text('eventSource').split('.')[0] ?? '';
  if (service === '' || text('eventTime') === '') return undefined;
  return {
    source: `aws.${service}`,
    'detail-type': CLOUDTRAIL_API_CALL_DETAIL_TYPE,
    account: text('recipientAccountId'),
    time: text('eventTime'),
    region: text('awsRegion'),
    detail,
  };
}
