import { PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FindingDetail } from '../contracts/finding-event';
import { BoundedMap } from '../engine/bounded-map';
import { mergeFinding, type FindingObservation, type StoredFinding } from '../engine/detector-store';
import type { BatchRequests } from './batch-requests';
import { EventSightings } from './event-sightings';
import {
  combineParts,
  countOnly,
  freshParts,
  isMeaningfulUpdate,
  isReplay,
  mergeSources,
  needsSightings,
  sightingOwnerOf,
  sourcesOf,
  type PendingPart,
} from './finding-merge-policy';
import { FindingOutbox } from './finding-outbox';
import {
  FindingContentionError,
  FindingItemSchema,
  StateItemError,
  isConditionFailure,
  parseItem,
  type FindingItem,
} from './state-items';
import {
  ItemKind,
  STATE_PARTITION_KEY as PK,
  STATE_SORT_KEY as SK,
  STATE_TTL_ATTRIBUTE as TTL,
  StateTtlSeconds,
  findingKey,
  ttlFrom,
} from './state-table';

/** A stored finding the outbox still lists: the sweep announces it. */
export interface UnannouncedFinding {
  readonly detail: FindingDetail;
  /** When its outbox entry was written (epoch ms). */
  readonly enteredAt: number;
}

export interface FindingStoreOptions {
  readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly clock: () => number;
  readonly batch: BatchRequests;
  /** Hold small updates of known findings in memory until they matter (see `isMeaningfulUpdate`). */
  readonly deferUpdates: boolean;
}

const CACHE_SIZE = 200_000;
const WRITE_ATTEMPTS = 5;

/**
 * The findings half of the state table: optimistic merges (a `version` attribute, so two containers
 * never lose each other's counts and exactly one creates a finding), replay detection by source ids
 * (files, and fingerprints of the events counted: an SQS retry, the same records under another key or a
 * second hunt never count twice), and the outbox (a new finding enters it before it is stored and leaves
 * it once announced). The policy itself is pure, in finding-merge-policy.ts.
 *
 * Across sources, a theft finding's calls are claimed one by one (event-sightings.ts) before they are
 * counted: a call that the real-time path and a log file both bring, in either order and in any two
 * containers, is counted by whichever claimed it first, and only there.
 */
export class DynamoFindingStore {
  private readonly findings = new BoundedMap<string, FindingItem>(CACHE_SIZE);
  private readonly pending = new Map<string, readonly PendingPart[]>();
  private readonly outbox: FindingOutbox;
  private readonly sightings: EventSightings;
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly clock: () => number;

  constructor(private readonly options: FindingStoreOptions) {
    this.documents = options.documents;
    this.tableName = options.tableName;
    this.clock = options.clock;
    this.outbox = new FindingOutbox(options.documents, options.tableName, options.clock);
    this.sightings = new EventSightings(options.documents, options.tableName, options.clock, options.batch);
  }

  async saveFindings(
    observations: readonly FindingObservation[],
    fileSource: string | undefined,
  ): Promise<StoredFinding[]> {
    const unknown = observations.map((o) => o.detail.findingId).filter((id) => !this.findings.has(id));
    if (unknown.length > 0) await this.loadFindings(unknown);
    const results: StoredFinding[] = [];
    for (const seen of observations) {
      const observation = await this.firstSightings(seen, fileSource);
      const saved = await this.saveFinding(observation, sourcesOf(observation, fileSource));
      if (saved !== undefined) results.push(saved);
    }
    return results;
  }

  /** The observation counting only the calls no other source counted in its finding before. */
  private async firstSightings(
    observation: FindingObservation,
    fileSource: string | undefined,
  ): Promise<FindingObservation> {
    if (!needsSightings(observation)) return observation;
    const findingId = observation.detail.findingId;
    const claimed = await this.sightings.claim(
      findingId,
      observation.eventIds,
      sightingOwnerOf(observation, fileSource),
      this.findings.has(findingId),
    );
    return countOnly(observation, claimed);
  }

  /** Records that a finding's alert went out, then takes it out of the outbox. */
  async markAnnounced(findingIds: readonly string[]): Promise<void> {
    for (const findingId of findingIds) {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PK]: findingKey(findingId), [SK]: ItemKind.Finding },
          UpdateExpression: 'SET announced = :true',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
          ExpressionAttributeValues: { ':true': true },
        }),
      );
      const known = this.findings.get(findingId);
      if (known !== undefined) this.findings.set(findingId, { ...known, announced: true });
    }
    await this.outbox.leave(findingIds);
  }

  /**
   * The outbox, read for the sweep: every stored finding not yet announced, whoever stored it. Entries
   * whose finding was announced (or expired) meanwhile are removed on the way.
   */
  async unannounced(): Promise<UnannouncedFinding[]> {
    const entries = await this.outbox.list();
    if (entries.length === 0) return [];
    await this.loadFindings(entries.map((entry) => entry.findingId));
    const found: UnannouncedFinding[] = [];
    const stale: string[] = [];
    for (const entry of entries) {
      const item = this.findings.get(entry.findingId);
      if (item === undefined || item.announced) stale.push(entry.findingId);
      else found.push({ detail: this.viewOf(item), enteredAt: entry.enteredAt });
    }
    if (stale.length > 0) await this.outbox.leave(stale);
    return found;
  }

  /** Writes the updates held back (the CLI's end of run). */
  async flush(): Promise<void> {
    for (const [findingId, parts] of [...this.pending]) {
      this.pending.delete(findingId);
      await this.writeUpdate(findingId, parts);
    }
  }

  private async saveFinding(
    observation: FindingObservation,
    sources: readonly string[],
  ): Promise<StoredFinding | undefined> {
    const findingId = observation.detail.findingId;
    let known = this.findings.get(findingId);
    if (known === undefined) {
      // Only repeats named a finding this table no longer holds (expired): nothing to count or say.
      if (observation.eventCount === 0) return undefined;
      const created = await this.create(observation, sources);
      if (created !== undefined)
        return { detail: created.detail, created: true, unannounced: true, previousEventCount: 0 };
      // Another writer created it first; its item is loaded now.
      known = this.findings.get(findingId);
      if (known === undefined)
        throw new StateItemError(findingKey(findingId), 'neither created nor readable');
    }
    const held = this.pending.get(findingId) ?? [];
    const before = this.viewOf(known);
    if (!isReplay(observation, sources, [known.sources, ...held.map((part) => part.sources)])) {
      const parts = [...held, { observation, sources }];
      const merged = mergeFinding(known.detail, combineParts(parts) ?? observation);
      if (this.options.deferUpdates && !isMeaningfulUpdate(known.detail, merged)) {
        this.pending.set(findingId, parts);
      } else {
        this.pending.delete(findingId);
        await this.writeUpdate(findingId, parts);
      }
    }
    // What the table (plus this container's held parts) says now: never a count that another writer's
    // merge already holds added again.
    const current = this.findings.get(findingId) ?? known;
    return {
      detail: this.viewOf(current),
      created: false,
      unannounced: !current.announced,
      previousEventCount: before.eventCount,
    };
  }

  /** A stored finding with the parts this container holds back merged in. */
  private viewOf(item: FindingItem): FindingDetail {
    const held = combineParts(freshParts(this.pending.get(item.detail.findingId) ?? [], item.sources));
    return held === undefined ? item.detail : mergeFinding(item.detail, held);
  }

  /**
   * Creates the finding unless it exists; undefined when another writer created it first. The outbox
   * entry goes first: a finding is never stored without one, whatever fails next.
   */
  private async create(
    observation: FindingObservation,
    sources: readonly string[],
  ): Promise<FindingItem | undefined> {
    const findingId = observation.detail.findingId;
    await this.outbox.enter(findingId);
    const now = this.clock();
    const item: FindingItem = {
      detail: mergeFinding(undefined, observation),
      version: 1,
      sources: [...sources],
      announced: false,
      createdAt: now,
    };
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            [PK]: findingKey(findingId),
            [SK]: ItemKind.Finding,
            ...item,
            [TTL]: ttlFrom(now, StateTtlSeconds.finding),
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      );
      this.findings.set(findingId, item);
      return item;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      await this.loadFindings([findingId], true);
      return undefined;
    }
  }

  /** Merges the held parts whose sources the stored finding lacks; re-reads and retries on a conflict. */
  private async writeUpdate(findingId: string, parts: readonly PendingPart[]): Promise<void> {
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const stored = this.findings.get(findingId);
      if (stored === undefined)
        throw new StateItemError(findingKey(findingId), 'update of an unknown finding');
      const fresh = freshParts(parts, stored.sources);
      const observation = combineParts(fresh);
      if (observation === undefined) return;
      const item: FindingItem = {
        ...stored,
        detail: mergeFinding(stored.detail, observation),
        version: stored.version + 1,
        sources: mergeSources(
          stored.sources,
          fresh.flatMap((part) => part.sources),
        ),
      };
      try {
        // An update, not a put: `announced` may be set meanwhile and must not be overwritten.
        await this.documents.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { [PK]: findingKey(findingId), [SK]: ItemKind.Finding },
            UpdateExpression: 'SET detail = :detail, version = :next, sources = :sources, #ttl = :ttl',
            ConditionExpression: 'version = :version',
            ExpressionAttributeNames: { '#ttl': TTL },
            ExpressionAttributeValues: {
              ':detail': item.detail,
              ':next': item.version,
              ':version': stored.version,
              ':sources': item.sources,
              ':ttl': ttlFrom(this.clock(), StateTtlSeconds.finding),
            },
          }),
        );
        this.findings.set(findingId, item);
        return;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        await this.loadFindings([findingId], true);
      }
    }
    throw new FindingContentionError(findingId);
  }

  private async loadFindings(findingIds: readonly string[], consistent = true): Promise<void> {
    const items = await this.options.batch.get(
      findingIds.map((id) => ({ [PK]: findingKey(id), [SK]: ItemKind.Finding })),
      consistent,
    );
    for (const item of items) {
      const pk = String(item[PK]);
      const parsed = parseItem(FindingItemSchema, item, pk);
      this.findings.set(parsed.detail.findingId, parsed);
    }
  }
}
