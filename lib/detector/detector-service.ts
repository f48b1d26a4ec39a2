import type { Logger } from '@aws-lambda-powertools/logger';
import { BoundedMap } from '../engine/bounded-map';
import { eventsOfRecords } from '../engine/cloudtrail-record';
import { compareEvents, type CredentialEvent } from '../engine/credential-event';
import { addBatchStats, emptyBatchStats, type BatchStats } from '../engine/batch-stats';
import type { Detector } from '../engine/detector';
import { announcedDetail } from '../contracts/chain-version';
import type { FindingDetail } from '../contracts/finding-event';
import type { StoredFinding } from '../engine/detector-store';
import type { UnannouncedFinding } from '../state/dynamodb-store';
import type { ExceptionsRefresher } from './exceptions-refresher';
import type { FindingAnnouncement, FindingsPublisher } from './findings-publisher';
import type { FindingsLogWriter } from './findings-log-writer';
import { parseForwardedCall, parseQueueMessage } from './queue-message';
import type { S3LogGateway } from './s3-log-gateway';
import type { TaintFollower } from './taint-follower';

/** What the service needs from the store beyond the engine's interface. */
export interface FindingLedger {
  withSource<T>(sourceUri: string, work: () => Promise<T>): Promise<T>;
  markAnnounced(findingIds: readonly string[]): Promise<void>;
  /** The outbox: stored findings not yet announced, by any container. */
  unannounced(): Promise<readonly UnannouncedFinding[]>;
  flushBatchWrites(): Promise<void>;
}

/** A finding's creator gets this long to announce it before a sweep announces it in its place. */
export const ANNOUNCE_GRACE_MS = 2 * 60_000;
/** A finding unannounced for this long is counted in the `UnannouncedFindings` metric (alarmed). */
export const UNANNOUNCED_ALARM_MS = 5 * 60_000;
/** Each container reads the outbox at most this often (one Query): the sweep's whole cost. */
export const SWEEP_INTERVAL_MS = 60_000;

export interface DetectorServiceDependencies {
  readonly logs: S3LogGateway;
  readonly detector: Detector;
  readonly ledger: FindingLedger;
  readonly directory: { noteCalls(events: readonly CredentialEvent[]): void };
  /** Looks up the VPC of the endpoints a batch went through, when an exception is tied to a VPC. */
  readonly endpointVpcs?: { resolve(events: readonly CredentialEvent[]): Promise<void> };
  readonly exceptions: ExceptionsRefresher;
  readonly publisher: FindingsPublisher;
  readonly findingsLog: FindingsLogWriter;
  readonly logger: Logger;
  readonly clock: () => number;
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
  /** Set when the sweep ran: findings still unannounced after UNANNOUNCED_ALARM_MS. */
  unannouncedFindings?: number;
  /** Outbox entries the sweep announced (their creator did not). */
  sweptFindings: number;
}

export function emptyCounts(): DetectorBatchCounts {
  return {
    files: 0,
    skippedFiles: 0,
    records: 0,
    invalidRecords: 0,
    newFindings: 0,
    updatedFindings: 0,
    sweptFindings: 0,
    ...emptyBatchStats(),
  };
}

/**
 * One queue message in, findings out: reads the files it names, runs the engine over each, then puts
 * new findings (and meaningful growth of known ones) on the bus and in the SIEM log group. Throws when
 * the message must go back to the queue: unreadable file, PutEvents failing for good.
 *
 * Delivery is at least once: the store keeps every new finding in an outbox until its announcement is
 * recorded; a retry (the store hands back unannounced findings even for events already counted) or the
 * sweep announces what a failure left behind. Downstream dedupes by finding id.
 */
export class DetectorService {
  private counts = emptyCounts();
  private lastSweep = -Infinity;
  // The event count each finding had when last put on the bus from this container.
  private readonly reported = new BoundedMap<string, number>(100_000);

  private exceptionsNameVpcs = false;

  constructor(private readonly deps: DetectorServiceDependencies) {}

  /** What the directory and the exceptions must know before the engine judges the batch. */
  private async prepare(events: readonly CredentialEvent[]): Promise<void> {
    this.deps.directory.noteCalls(events);
    if (this.exceptionsNameVpcs) await this.deps.endpointVpcs?.resolve(events);
  }

  async processMessage(body: string): Promise<void> {
    const forwarded = parseForwardedCall(body);
    const refs = forwarded === null ? parseQueueMessage(body) : [];
    const exceptions = await this.deps.exceptions.refresh();
    if (exceptions !== undefined) {
      this.deps.detector.setExceptions(exceptions);
      this.exceptionsNameVpcs = exceptions.namesVpc;
    }

    const found: StoredFinding[] = [];
    if (forwarded !== null) {
      // The real-time path: one call, seconds old. The same engine and state as the files; its source
      // is the call itself, and the store counts a call once in a finding whichever path claims it first
      // (lib/state/event-sightings.ts). The IMDSv1 finding is left to the files (see ProcessOptions).
      const uri = `eventbridge:${forwarded.eventId}`;
      const events = this.credentialEvents(uri, [forwarded.record]);
      await this.prepare(events);
      const result = await this.deps.ledger.withSource(uri, () =>
        this.deps.detector.process(events, { imdsv1Findings: false }),
      );
      addBatchStats(this.counts, result.stats);
      found.push(...result.findings);
      await this.deps.taint?.follow(result.findings, [forwarded.record]);
    }
    for (const ref of refs) {
      const object = await this.deps.logs.read(ref);
      this.counts.files++;
      if (object.status === 'skipped') {
        this.counts.skippedFiles++;
        this.deps.logger.debug('file skipped', { uri: object.uri, reason: object.reason });
        continue;
      }
      const events = this.credentialEvents(object.uri, object.records);
      await this.prepare(events);
      const result = await this.deps.ledger.withSource(object.uri, () => this.deps.detector.process(events));
      addBatchStats(this.counts, result.stats);
      found.push(...result.findings);
      await this.deps.taint?.follow(result.findings, object.records);
    }
    await this.announce(found);
  }

  /**
   * Announces what the outbox holds past its creator's grace (at most once a minute per container) and
   * counts what is still unannounced for the alarm. A failure is logged: the next sweep tries again.
   */
  async sweep(): Promise<void> {
    const now = this.deps.clock();
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    let waiting: readonly UnannouncedFinding[];
    try {
      waiting = await this.deps.ledger.unannounced();
    } catch (error) {
      this.deps.logger.warn('outbox unreadable, sweep skipped', { error: error as Error });
      return;
    }
    const due = waiting.filter((entry) => now - entry.enteredAt >= ANNOUNCE_GRACE_MS);
    let left = waiting;
    try {
      await this.publish(due.map(({ detail }) => ({ kind: 'new', detail: this.withTaint(detail) })));
      this.counts.sweptFindings += due.length;
      left = waiting.filter((entry) => !due.includes(entry));
    } catch (error) {
      this.deps.logger.error('sweep could not announce findings', {
        count: due.length,
        error: error as Error,
      });
    }
    const overdue = left.filter((entry) => now - entry.enteredAt >= UNANNOUNCED_ALARM_MS).length;
    this.counts.unannouncedFindings = (this.counts.unannouncedFindings ?? 0) + overdue;
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
    const { events, invalid, firstReason } = eventsOfRecords(records);
    this.counts.records += records.length;
    this.counts.invalidRecords += invalid;
    if (invalid > 0) this.deps.logger.warn('records not understood', { uri, invalid, firstReason });
    // Records in a file are in no particular order; first origins must go to the earliest call.
    return events.sort(compareEvents);
  }

  private async announce(found: readonly StoredFinding[]): Promise<void> {
    // One message can feed a finding from several files: one announcement each, the latest view.
    const latest = new Map<string, StoredFinding & { firstPrevious: number }>();
    for (const finding of found) {
      const seen = latest.get(finding.detail.findingId);
      latest.set(finding.detail.findingId, {
        ...finding,
        firstPrevious: seen?.firstPrevious ?? finding.previousEventCount,
      });
    }
    const announcements: FindingAnnouncement[] = [];
    const taint = this.deps.taint;
    for (const finding of latest.values()) {
      const id = finding.detail.findingId;
      const detail = this.withTaint(finding.detail);
      // Issue 17: a new derived session or something left behind is news, whatever the count did.
      const chainGrew = taint?.grew(id) === true;
      if (finding.unannounced) announcements.push({ kind: 'new', detail: announcedDetail(detail, null) });
      else if (
        chainGrew ||
        isCountJump(this.reported.get(id) ?? finding.firstPrevious, finding.detail.eventCount)
      ) {
        announcements.push({ kind: 'update', detail: announcedDetail(detail, { chainGrew }) });
      }
    }
    // A chain can grow in a file where the finding's own key does not appear (a later hop's calls).
    for (const detail of (await taint?.grownElsewhere(new Set(latest.keys()))) ?? [])
      announcements.push({ kind: 'update', detail: announcedDetail(detail, { chainGrew: true }) });
    const created = await this.publish(announcements);
    taint?.settle(announcements.map((announcement) => announcement.detail.findingId));
    this.counts.newFindings += created;
    this.counts.updatedFindings += announcements.length - created;
  }

  private withTaint(detail: FindingDetail): FindingDetail {
    return this.deps.taint?.withTaint(detail) ?? detail;
  }

  /**
   * Bus, then SIEM log, then the store's record of the announcement. A failed bus or log write throws
   * (the message is retried and the outbox still lists the finding); a failed record is only logged:
   * the sweep announces the finding again and downstream dedupes it. Returns the new findings announced.
   */
  private async publish(announcements: readonly FindingAnnouncement[]): Promise<number> {
    if (announcements.length === 0) return 0;
    await this.deps.publisher.publish(announcements);
    await this.deps.findingsLog.write(announcements);
    const created = announcements.filter((a) => a.kind === 'new').map((a) => a.detail.findingId);
    try {
      await this.deps.ledger.markAnnounced(created);
    } catch (error) {
      this.deps.logger.warn('announcement not recorded, the sweep will repeat it', {
        findingIds: created,
        error: error as Error,
      });
    }
    for (const { kind, detail } of announcements) {
      this.reported.set(detail.findingId, detail.eventCount);
      this.deps.logger.info(kind === 'new' ? 'finding' : 'finding updated', {
        findingId: detail.findingId,
        severity: detail.severity,
        instanceId: detail.instanceId,
        eventCount: detail.eventCount,
      });
    }
    return created.length;
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
