import type { S3Client } from '@aws-sdk/client-s3';
import { EventReorderBuffer } from '../cloudtrail/event-order';
import { CorruptLogFileError, readLogFile } from '../cloudtrail/log-file';
import { listLogFiles, type LogFileRef } from '../cloudtrail/log-sources';
import type { FindingDetail } from '../contracts/finding-event';
import { normalizeRecord } from '../engine/cloudtrail-record';
import type { CredentialEvent } from '../engine/credential-event';
import type { ExceptionList } from '../engine/credential-exception';
import { Detector, type BatchStats } from '../engine/detector';
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
  readonly s3: () => S3Client;
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
  const files = await listLogFiles(options.paths, options.s3);
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
  const stats: BatchStats = {
    credentialUses: 0,
    deliveries: 0,
    expected: 0,
    suppressed: 0,
    suspicious: 0,
    duplicates: 0,
  };
  const skippedFiles: SkippedFile[] = [];
  const invalidRecords: InvalidRecords[] = [];
  let records = 0;

  const processBatch = async (events: CredentialEvent[]) => {
    if (events.length === 0) return;
    const result = await detector.process(events);
    for (const { detail } of result.findings) findings.set(detail.findingId, detail);
    for (const key of Object.keys(stats) as (keyof BatchStats)[]) stats[key] += result.stats[key];
  };

  for (const file of files) {
    let raw: unknown[];
    try {
      raw = await readLogFile(file.name, await file.open());
    } catch (error) {
      const skipped = {
        name: file.name,
        reason: error instanceof CorruptLogFileError ? error.detail : messageOf(error),
      };
      skippedFiles.push(skipped);
      progress.onSkippedFile?.(skipped);
      continue;
    }
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

  return {
    findings: sortFindings([...findings.values()]),
    files: files.length,
    records,
    skippedFiles,
    invalidRecords,
    lateEvents: buffer.lateEvents,
    stats,
  };
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
