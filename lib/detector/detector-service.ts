import type { Logger } from '@aws-lambda-powertools/logger';
import type { FindingDetail } from '../contracts/finding-event';
import { BoundedMap } from '../engine/bounded-map';
import { normalizeRecord } from '../engine/cloudtrail-record';
import { compareEvents, type CredentialEvent } from '../engine/credential-event';
import { addBatchStats, emptyBatchStats, type BatchStats, type Detector } from '../engine/detector';
import type { StoredFinding } from '../engine/detector-store';
import type { ExceptionsRefresher } from './exceptions-refresher';
import type { FindingAnnouncement, FindingsPublisher } from './findings-publisher';
import type { FindingsLogWriter } from './findings-log-writer';
import { parseQueueMessage } from './queue-message';
import type { S3LogGateway } from './s3-log-gateway';
import type { TaintFollower } from './taint-follower';

/** What the service needs from the store beyond the engine's interface. */
export interface FindingLedger {
  withSource<T>(sourceUri: string, work: () => Promise<T>): Promise<T>;
  markAnnounced(findingIds: readonly string[]): Promise<void>;
  flushBatchWrites(): Promise<void>;
}

export interface DetectorServiceDependencies {
  readonly logs: S3LogGateway;
  readonly detector: Detector;
  readonly ledger: FindingLedger;
  readonly directory: { noteCalls(events: readonly CredentialEvent[]): void };
  readonly exceptions: ExceptionsRefresher;
  readonly publisher: FindingsPublisher;
  readonly findingsLog: FindingsLogWriter;
  readonly logger: Logger;
  /** Issue 17: follows stolen keys through role chains; absent, findings carry no chain. */
  readonly taint?: TaintFollower;
}

/** Counts over one SQS batch, sent as metrics once per invocation rather than per event. */
export interface DetectorBatchCounts extends BatchStats {
  files: number;
  skippedFiles: number;
  records: number;
  invalidRecords: number;
  newFindings: number;
  updatedFindings: number;
}

export function emptyCounts(): DetectorBatchCounts {
  return {
    files: 0,
    skippedFiles: 0,
    records: 0,
    invalidRecords: 0,
    newFindings: 0,
    updatedFindings: 0,
    ...emptyBatchStats(),
  };
}

/**
 * One queue message in, findings out: reads the files it names, runs the engine over each, then puts
 * new findings (and meaningful growth of known ones) on the bus and in the SIEM log group. Throws when
 * the message must go back to the queue: unreadable file, PutEvents failing for good.
 */
export class DetectorService {
  private counts = emptyCounts();
  // New findings whose announcement failed: retried with the next message this container handles,
  // because the engine will not return them again for the same events (it dedupes by eventID).
  private readonly owed = new Map<string, FindingDetail>();
  // The event count each finding had when last put on the bus from this container.
  private readonly reported = new BoundedMap<string, number>(100_000);

  constructor(private readonly deps: DetectorServiceDependencies) {}

  async processMessage(body: string): Promise<void> {
    const refs = parseQueueMessage(body);
    const exceptions = await this.deps.exceptions.refresh();
    if (exceptions !== undefined) this.deps.detector.setExceptions(exceptions);

    const found: StoredFinding[] = [];
    for (const ref of refs) {
      const object = await this.deps.logs.read(ref);
      this.counts.files++;
      if (object.status === 'skipped') {
        this.counts.skippedFiles++;
        this.deps.logger.debug('file skipped', { uri: object.uri, reason: object.reason });
        continue;
      }
      const events = this.credentialEvents(object.uri, object.records);
      this.deps.directory.noteCalls(events);
      const result = await this.deps.ledger.withSource(object.uri, () => this.deps.detector.process(events));
      addBatchStats(this.counts, result.stats);
      found.push(...result.findings);
      await this.deps.taint?.follow(result.findings, object.records);
    }
    await this.announce(found);
  }

  /** Writes what the store held back during the batch; a failure costs hints and counts, never findings. */
  async endBatch(): Promise<void> {
    try {
      await this.deps.ledger.flushBatchWrites();
    } catch (error) {
      this.deps.logger.warn('state flush failed', { error: error as Error });
    }
  }

  /** The counts since the last call; the handler turns them into metrics once per batch. */
  takeCounts(): DetectorBatchCounts {
    const counts = this.counts;
    this.counts = emptyCounts();
    return counts;
  }

  private credentialEvents(uri: string, records: readonly unknown[]): CredentialEvent[] {
    const events: CredentialEvent[] = [];
    let invalid = 0;
    let firstReason = '';
    for (const record of records) {
      const result = normalizeRecord(record);
      if (result.status === 'event') events.push(result.event);
      else if (result.status === 'invalid' && invalid++ === 0) firstReason = result.reason;
    }
    this.counts.records += records.length;
    this.counts.invalidRecords += invalid;
    if (invalid > 0) this.deps.logger.warn('records not understood', { uri, invalid, firstReason });
    // Records in a file are in no particular order; first origins must go to the earliest call.
    return events.sort(compareEvents);
  }

  private async announce(found: readonly StoredFinding[]): Promise<void> {
    const announcements: FindingAnnouncement[] = [...this.owed.values()].map((detail) => ({
      kind: 'new',
      detail,
    }));
    const taint = this.deps.taint;
    for (const finding of found) {
      const detail = taint?.withTaint(finding.detail) ?? finding.detail;
      if (finding.created) {
        this.owed.delete(detail.findingId);
        announcements.push({ kind: 'new', detail });
      } else if (
        isCountJump(this.reported.get(detail.findingId) ?? finding.previousEventCount, detail.eventCount) ||
        // Issue 17: a new derived session or something left behind is news, whatever the count did.
        taint?.grew(detail.findingId) === true
      ) {
        announcements.push({ kind: 'update', detail });
      }
    }
    if (taint !== undefined) {
      const named = new Set(announcements.map((announcement) => announcement.detail.findingId));
      for (const detail of await taint.grownElsewhere(named)) announcements.push({ kind: 'update', detail });
    }
    if (announcements.length === 0) return;
    const created = announcements.filter((a) => a.kind === 'new').map((a) => a.detail);
    try {
      await this.deps.publisher.publish(announcements);
      await this.deps.findingsLog.write(announcements);
      await this.deps.ledger.markAnnounced(created.map((detail) => detail.findingId));
    } catch (error) {
      for (const detail of created) this.owed.set(detail.findingId, detail);
      throw error;
    }
    for (const detail of created) this.owed.delete(detail.findingId);
    taint?.settle(announcements.map((announcement) => announcement.detail.findingId));
    for (const { detail } of announcements) this.reported.set(detail.findingId, detail.eventCount);
    this.counts.newFindings += created.length;
    this.counts.updatedFindings += announcements.length - created.length;
    for (const { kind, detail } of announcements) {
      this.deps.logger.info(kind === 'new' ? 'finding' : 'finding updated', {
        findingId: detail.findingId,
        severity: detail.severity,
        instanceId: detail.instanceId,
        eventCount: detail.eventCount,
      });
    }
  }
}

/**
 * An update worth telling the bus about: the event count at least doubled since it was last reported
 * (or, in a fresh container, since before this batch). Doubling keeps an active thief to a handful of
 * updates a day instead of one per log file.
 */
export function isCountJump(previous: number, now: number): boolean {
  return previous > 0 && now >= 2 * previous;
}
