import type { S3Client } from '@aws-sdk/client-s3';
import { EventReorderBuffer } from '../cloudtrail/event-order';
import { MAX_LOG_FILE_BYTES } from '../cloudtrail/log-file';
import { listLogFiles, type LogFileRef } from '../cloudtrail/log-sources';
import { eventsInProcess } from '../cloudtrail/file-events';
import { eventsInWorkers, workerCount } from '../cloudtrail/parse-pool';
import { attachTaint } from '../investigate/finding-taint';
import type { FindingDetail } from '../contracts/finding-event';
import type { CredentialEvent } from '../engine/credential-event';
import type { SignedCall } from '../engine/taint-call';
import type { ExceptionList } from '../engine/credential-exception';
import { addBatchStats, emptyBatchStats, type BatchStats } from '../engine/batch-stats';
import { Detector } from '../engine/detector';
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
  /**
   * Threads that read and parse local files while the main thread judges (lib/cloudtrail/parse-pool.ts);
   * 0 reads on the main thread. Default: one per core up to four, for 64 local files or more.
   */
  readonly workers?: number;
  /**
   * Minting calls kept for the taint trace (default 200,000, a few hundred bytes each); past it the hunt
   * keeps none and the trace finds them itself, with one more read of the logs.
   */
  readonly maxMintingCalls?: number;
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
  // Every minting call read: the taint trace starts from them instead of reading the logs for them.
  let minting: SignedCall[] | undefined = [];
  const maxMintingCalls = options.maxMintingCalls ?? MAX_MINTING_CALLS;
  // Events out of the reorder window, waiting to make a batch worth the detector's per-batch work.
  let ready: CredentialEvent[] = [];

  const processBatch = async (events: CredentialEvent[]) => {
    if (events.length === 0) return;
    const result = await detector.process(events);
    for (const { detail } of result.findings) findings.set(detail.findingId, detail);
    addBatchStats(stats, result.stats);
  };

  const workers = workerCount(files, options.workers);
  const perFile =
    workers > 0 ? eventsInWorkers(files, maxFileBytes, workers) : eventsInProcess(files, maxFileBytes);
  for await (const [file, outcome] of perFile) {
    if ('reason' in outcome) {
      const skipped = { name: file.name, reason: outcome.reason };
      skippedFiles.push(skipped);
      progress.onSkippedFile?.(skipped);
      continue;
    }
    records += outcome.records;
    for (const event of outcome.events) buffer.push(event);
    if (minting !== undefined) {
      for (const call of outcome.minting) minting.push(call);
      if (minting.length > maxMintingCalls) minting = undefined;
    }
    if (outcome.invalid > 0) {
      const entry = { name: file.name, count: outcome.invalid, firstReason: outcome.firstReason };
      invalidRecords.push(entry);
      progress.onInvalidRecords?.(entry);
    }
    progress.onFile?.(file, outcome.records);
    for (const event of buffer.drainReady()) ready.push(event);
    if (ready.length >= MIN_BATCH_EVENTS) {
      await processBatch(ready);
      ready = [];
    }
  }
  for (const event of buffer.drainAll()) ready.push(event);
  await processBatch(ready);

  // Issue 17: what the stolen keys went on to do (derived sessions, persistence), read from the same logs.
  const traced = await attachTaint([...findings.values()], options.paths, options.s3, minting);
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

/**
 * The detector is handed events in batches of at least this many (the last one excepted), in the
 * order the window releases them. A day of small log files released a dozen events per file, and
 * each batch pays the same rounds of store work (prefetching verdicts, networks and sessions, saving
 * findings, flushing learned state and trail signals): with a shared store (`--state dynamodb:`,
 * `local:`) those are round trips. In CPU time on a quiet machine the change was within noise
 * (×0.97–1.14 in 6 runs paired with the engine before, 340k instance-heavy records), with the same
 * findings. Verdicts do not depend on batch boundaries: events are judged one by one, in order,
 * against the state earlier events left (test/engine/detector-batching.test.ts).
 */
const MIN_BATCH_EVENTS = 1024;

const MAX_MINTING_CALLS = 200_000;

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
