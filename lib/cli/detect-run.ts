import type { S3Client } from '@aws-sdk/client-s3';
import { EventReorderBuffer } from '../cloudtrail/event-order';
import { CorruptLogFileError, MAX_LOG_FILE_BYTES, readLogFile } from '../cloudtrail/log-file';
import { listLogFiles, type LogFileRef } from '../cloudtrail/log-sources';
import { attachTaint } from '../investigate/finding-taint';
import type { FindingDetail } from '../contracts/finding-event';
import { normalizeRecord } from '../engine/cloudtrail-record';
import type { CredentialEvent } from '../engine/credential-event';
import type { ExceptionList } from '../engine/credential-exception';
import { Detector, addBatchStats, emptyBatchStats, type BatchStats } from '../engine/detector';
import type { DetectorStore, NetworkDirectory, NetworkLookup } from '../engine/detector-store';

export interface DetectionOptions {
  readonly paths: readonly string[];
  readonly store: DetectorStore;
  readonly networks: NetworkDirectory;
  readonly exceptions: ExceptionList;
  readonly trustedAccounts: ReadonlySet<string>;
  /** Trust the accounts that receive the logs (recipientAccountId): the default when none are named. */
  readonly trustRecipientAccounts: boolean;
  readonly reorderWindowMs: number;
  readonly clock: () => number;
  readonly s3: () => S3Client | Promise<S3Client>;
  /** The size cap of one file, local or S3 (default MAX_LOG_FILE_BYTES, 512 MiB). */
  readonly maxFileBytes?: number;
}

export interface SkippedFile {
  readonly name: string;
  readonly reason: string;
}

export interface InvalidRecords {
  readonly name: string;
  readonly count: number;
  readonly firstReason: string;
}

export interface DetectionReport {
  readonly findings: FindingDetail[];
  readonly files: number;
  readonly records: number;
  readonly skippedFiles: SkippedFile[];
  readonly invalidRecords: InvalidRecords[];
  readonly lateEvents: number;
  readonly stats: BatchStats;
}

export interface DetectionProgress {
  onStart?(files: readonly LogFileRef[]): void;
  onFile?(file: LogFileRef, records: number): void;
  onSkippedFile?(skipped: SkippedFile): void;
  onInvalidRecords?(invalid: InvalidRecords): void;
}

/**
 * The offline hunt: every log file under the paths, in event-time order, through the same Detector the
 * Lambda runs. A file that cannot be read is reported and skipped; the others are still processed.
 */
export async function runDetection(
  options: DetectionOptions,
  progress: DetectionProgress = {},
): Promise<DetectionReport> {
  const maxFileBytes = options.maxFileBytes ?? MAX_LOG_FILE_BYTES;
  const files = await listLogFiles(options.paths, options.s3, { maxFileBytes });
  progress.onStart?.(files);
  const detector = new Detector({
    store: options.store,
    networks: options.networks,
    exceptions: options.exceptions,
    trustedAccounts: options.trustedAccounts,
    trustRecipientAccounts: options.trustRecipientAccounts,
    clock: options.clock,
  });
  const buffer = new EventReorderBuffer(options.reorderWindowMs);
  const findings = new Map<string, FindingDetail>();
  const stats = emptyBatchStats();
  const skippedFiles: SkippedFile[] = [];
  const invalidRecords: InvalidRecords[] = [];
  let records = 0;

  const processBatch = async (events: CredentialEvent[]) => {
    if (events.length === 0) return;
    const result = await detector.process(events);
    for (const { detail } of result.findings) findings.set(detail.findingId, detail);
    addBatchStats(stats, result.stats);
  };

  for (const [file, read] of readAhead(files, READ_AHEAD, maxFileBytes)) {
    const outcome = await read;
    if ('reason' in outcome) {
      const skipped = { name: file.name, reason: outcome.reason };
      skippedFiles.push(skipped);
      progress.onSkippedFile?.(skipped);
      continue;
    }
    const raw = outcome.records;
    records += raw.length;
    let invalid = 0;
    let firstReason = '';
    for (const record of raw) {
      const result = normalizeRecord(record);
      if (result.status === 'event') buffer.push(result.event);
      else if (result.status === 'invalid') {
        if (invalid++ === 0) firstReason = result.reason;
      }
    }
    if (invalid > 0) {
      const entry = { name: file.name, count: invalid, firstReason };
      invalidRecords.push(entry);
      progress.onInvalidRecords?.(entry);
    }
    progress.onFile?.(file, raw.length);
    await processBatch(buffer.drainReady());
  }
  await processBatch(buffer.drainAll());

  // Issue 17: what the stolen keys went on to do (derived sessions, persistence), read from the same logs.
  const traced = await attachTaint([...findings.values()], options.paths, options.s3);
  return {
    findings: sortFindings(traced),
    files: files.length,
    records,
    skippedFiles,
    invalidRecords,
    lateEvents: buffer.lateEvents,
    stats,
  };
}

// Files in flight at once: reading and gunzip run off the main thread, so while one file is judged the
// next ones are already arriving. Memory holds at most this many parsed files.
const READ_AHEAD = 4;

type ReadOutcome = { readonly records: unknown[] } | { readonly reason: string };

/** Yields each file with the promise of its records, starting the next reads before they are awaited. */
function* readAhead(
  files: readonly LogFileRef[],
  depth: number,
  maxFileBytes: number,
): Generator<[LogFileRef, Promise<ReadOutcome>]> {
  const pending: Promise<ReadOutcome>[] = [];
  const skipped = (error: unknown): ReadOutcome => ({
    reason: error instanceof CorruptLogFileError ? error.detail : messageOf(error),
  });
  const start = (file: LogFileRef): Promise<ReadOutcome> =>
    file
      .open()
      .then(
        (body) => readLogFile(file.name, body, maxFileBytes).then((records) => ({ records }), skipped),
        skipped,
      );
  for (let index = 0; index < files.length; index++) {
    while (pending.length < depth && index + pending.length < files.length) {
      pending.push(start(files[index + pending.length] as LogFileRef));
    }
    yield [files[index] as LogFileRef, pending.shift() as Promise<ReadOutcome>];
  }
}

const SEVERITY_ORDER = { HIGH: 0, MEDIUM: 1, LOW: 2 } as const;

function sortFindings(findings: FindingDetail[]): FindingDetail[] {
  return findings.sort(
    (a, b) =>
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.firstSeen.localeCompare(b.firstSeen),
  );
}

/** Without --inventory every instance's network is unknown and the first-seen method decides. */
export class NoInventory implements NetworkDirectory {
  lookup(): Promise<Map<string, NetworkLookup>> {
    return Promise.resolve(new Map<string, NetworkLookup>());
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
