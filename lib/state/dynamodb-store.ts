import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { z } from 'zod';
import type { FindingDetail } from '../contracts/finding-event';
import { BoundedMap } from '../engine/bounded-map';
import {
  BASELINE_KINDS,
  mergeFinding,
  type BaselineKind,
  type DetectorStore,
  type FindingObservation,
  type SessionState,
  type StoredFinding,
} from '../engine/detector-store';
import type { Origin } from '../engine/origin';
import {
  combineParts,
  freshParts,
  isMeaningfulUpdate,
  isReplay,
  mergeSources,
  sourceIdOf,
  sourcesOf,
  type PendingPart,
} from './finding-merge-policy';
import { FindingOutbox } from './finding-outbox';
import {
  BaselinesItemSchema,
  DeliveryItemSchema,
  FindingContentionError,
  FindingItemSchema,
  NetworkItemSchema,
  StateItemError,
  UnprocessedItemsError,
  isConditionFailure,
  parseItem,
  type CachedNetwork,
  type FindingItem,
  type NetworkCache,
} from './state-items';
import {
  ItemKind,
  STATE_PARTITION_KEY as PK,
  STATE_SORT_KEY as SK,
  STATE_TTL_ATTRIBUTE as TTL,
  StateTtlSeconds,
  findingKey,
  networkKey,
  sessionKey,
  ttlFrom,
} from './state-table';

export { isMeaningfulUpdate, sourceIdOf } from './finding-merge-policy';
export type { CachedNetwork, NetworkCache } from './state-items';

/** A stored finding the outbox still lists: the sweep announces it. */
export interface UnannouncedFinding {
  readonly detail: FindingDetail;
  /** When its outbox entry was written (epoch ms). */
  readonly enteredAt: number;
}

export interface DynamoDbStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly clock: () => number;
  /**
   * `meaningful` (the default) writes an update of a known finding only when it matters (see
   * `isMeaningfulUpdate`) and keeps smaller deltas in memory until then; `always` writes every batch.
   */
  readonly findingWrites?: 'meaningful' | 'always';
  /**
   * Hold delivery and network-cache items until `flush()` (the Lambda flushes once per SQS batch), so
   * ten files cost one BatchWriteItem instead of ten. Both are hints another container can live without.
   */
  readonly deferBatchWrites?: boolean;
  /** Waits between retries of unprocessed batch items; injectable so tests need no timers. */
  readonly sleep?: (ms: number) => Promise<void>;
}

const BATCH_GET_KEYS = 100;
const BATCH_WRITE_ITEMS = 25;
/**
 * Held delivery and network items are written in full BatchWriteItem requests; a partial one waits at
 * most this long. A container that dies loses at most these hints (issue time, region, cached network),
 * never a first origin or a finding, which are written at once.
 */
const HELD_WRITE_MAX_AGE_MS = 10 * 60_000;
const BATCH_RETRIES = 8;
const WRITE_ATTEMPTS = 5;
const CACHE_SIZE = 200_000;

/**
 * The detector's memory in one DynamoDB table (see state-table.ts for the keys). Built to make as few
 * requests as the engine allows: reads are batched (BatchGetItem, 100 keys), deliveries are written
 * in batches of 25, a first origin is one conditional write per new (session, kind), and what this
 * container wrote or read is remembered so it is never written or read again.
 *
 * Findings use optimistic concurrency (a `version` attribute): two containers merging the same
 * finding never lose each other's counts, and exactly one of them creates it. Each finding remembers
 * the source ids merged into its count (files, and fingerprints of the events counted), so a replay
 * (an SQS retry, the same records under another key, a second hunt) never counts twice. A new finding
 * enters the outbox before it is stored and leaves it once announced (see finding-outbox.ts).
 */
export class DynamoDbStore implements DetectorStore, NetworkCache {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly clock: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly deferUpdates: boolean;
  private readonly source = new AsyncLocalStorage<string>();
  private readonly writtenDeliveries = new BoundedMap<string, true>(CACHE_SIZE);
  private readonly claims = new BoundedMap<string, Origin>(CACHE_SIZE);
  private readonly findings = new BoundedMap<string, FindingItem>(CACHE_SIZE);
  private readonly pending = new Map<string, readonly PendingPart[]>();
  private readonly outbox: FindingOutbox;
  private readonly deferBatchWrites: boolean;
  private heldItems: Record<string, unknown>[] = [];
  private heldSince = Infinity;

  constructor(options: DynamoDbStoreOptions) {
    this.documents = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.tableName = options.tableName;
    this.clock = options.clock;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.deferUpdates = (options.findingWrites ?? 'meaningful') === 'meaningful';
    this.deferBatchWrites = options.deferBatchWrites ?? false;
    this.outbox = new FindingOutbox(this.documents, this.tableName, this.clock);
  }

  /**
   * Runs `work` (a `detector.process` call) on behalf of one source file. Findings it feeds remember
   * the file, so a replay of the same file (an SQS retry, in another container) does not count twice.
   */
  withSource<T>(sourceUri: string, work: () => Promise<T>): Promise<T> {
    return this.source.run(sourceIdOf(sourceUri), work);
  }

  async getSessions(accessKeyIds: readonly string[]): Promise<Map<string, SessionState>> {
    const keys = [...new Set(accessKeyIds)].flatMap((id) => [
      { [PK]: sessionKey(id), [SK]: ItemKind.Delivery },
      { [PK]: sessionKey(id), [SK]: ItemKind.Baselines },
    ]);
    // Eventually consistent is enough: a stale miss of a first origin is settled by claimBaseline's
    // conditional write, which returns the real winner.
    const items = await this.batchGet(keys, false);
    const deliveries = new Map<string, z.infer<typeof DeliveryItemSchema>>();
    const baselines = new Map<string, z.infer<typeof BaselinesItemSchema>>();
    for (const item of items) {
      const pk = String(item[PK]);
      const accessKeyId = pk.slice('SESSION#'.length);
      if (item[SK] === ItemKind.Delivery)
        deliveries.set(accessKeyId, parseItem(DeliveryItemSchema, item, pk));
      else baselines.set(accessKeyId, parseItem(BaselinesItemSchema, item, pk));
    }
    const found = new Map<string, SessionState>();
    for (const accessKeyId of new Set([...deliveries.keys(), ...baselines.keys()])) {
      const delivery = deliveries.get(accessKeyId);
      const claimed = baselines.get(accessKeyId);
      const identity = delivery ?? claimed;
      if (identity === undefined) continue;
      if (delivery !== undefined) this.writtenDeliveries.set(accessKeyId, true);
      const claimedBaselines: Partial<Record<BaselineKind, Origin>> = {};
      for (const kind of BASELINE_KINDS) {
        const origin = claimed?.[kind];
        if (origin === undefined) continue;
        claimedBaselines[kind] = origin;
        this.claims.set(`${accessKeyId}|${kind}`, origin);
      }
      found.set(accessKeyId, {
        accessKeyId,
        instanceId: identity.instanceId,
        roleArn: identity.roleArn,
        accountId: identity.accountId,
        ...(delivery?.region !== undefined ? { region: delivery.region } : {}),
        ...(delivery?.issuedAt !== undefined ? { issuedAt: delivery.issuedAt } : {}),
        baselines: claimedBaselines,
      });
    }
    return found;
  }

  async putDeliveries(sessions: readonly SessionState[]): Promise<void> {
    const expiresAt = ttlFrom(this.clock(), StateTtlSeconds.session);
    const fresh = new Map<string, SessionState>();
    for (const session of sessions) {
      if (!this.writtenDeliveries.has(session.accessKeyId)) fresh.set(session.accessKeyId, session);
    }
    // The delivery item holds no first origin, so a whole-item put can never reset one.
    const items = [...fresh.values()].map((session) => ({
      [PK]: sessionKey(session.accessKeyId),
      [SK]: ItemKind.Delivery,
      instanceId: session.instanceId,
      roleArn: session.roleArn,
      accountId: session.accountId,
      region: session.region,
      issuedAt: session.issuedAt,
      [TTL]: expiresAt,
    }));
    await this.write(items);
    for (const accessKeyId of fresh.keys()) this.writtenDeliveries.set(accessKeyId, true);
  }

  async claimBaseline(session: SessionState, kind: BaselineKind, origin: Origin): Promise<Origin> {
    const claimKey = `${session.accessKeyId}|${kind}`;
    const known = this.claims.get(claimKey);
    if (known !== undefined) return known;
    const key = { [PK]: sessionKey(session.accessKeyId), [SK]: ItemKind.Baselines };
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression:
            'SET #kind = :origin, instanceId = if_not_exists(instanceId, :instanceId), ' +
            'roleArn = if_not_exists(roleArn, :roleArn), accountId = if_not_exists(accountId, :accountId), ' +
            '#ttl = if_not_exists(#ttl, :ttl)',
          ConditionExpression: 'attribute_not_exists(#kind)',
          ExpressionAttributeNames: { '#kind': kind, '#ttl': TTL },
          ExpressionAttributeValues: {
            ':origin': origin,
            ':instanceId': session.instanceId,
            ':roleArn': session.roleArn,
            ':accountId': session.accountId,
            ':ttl': ttlFrom(this.clock(), StateTtlSeconds.session),
          },
        }),
      );
      this.claims.set(claimKey, origin);
      return origin;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    // Another worker was first: read its origin back, strongly consistent so we see its write.
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    const winner = parseItem(BaselinesItemSchema, Item, key[PK])[kind];
    if (winner === undefined)
      throw new StateItemError(key[PK], `${kind} first origin vanished after a lost claim`);
    this.claims.set(claimKey, winner);
    return winner;
  }

  async saveFindings(observations: readonly FindingObservation[]): Promise<StoredFinding[]> {
    const fileSource = this.source.getStore();
    const unknown = observations.map((o) => o.detail.findingId).filter((id) => !this.findings.has(id));
    if (unknown.length > 0) await this.loadFindings(unknown);
    const results: StoredFinding[] = [];
    for (const observation of observations) {
      const saved = await this.saveFinding(observation, sourcesOf(observation, fileSource));
      if (saved !== undefined) results.push(saved);
    }
    return results;
  }

  async getNetworks(instanceIds: readonly string[]): Promise<Map<string, CachedNetwork>> {
    const now = Math.floor(this.clock() / 1000);
    const keys = [...new Set(instanceIds)].map((id) => ({ [PK]: networkKey(id), [SK]: ItemKind.Network }));
    const found = new Map<string, CachedNetwork>();
    for (const item of await this.batchGet(keys, false)) {
      // DynamoDB deletes expired items lazily (and dynalite never): an expired network is no network.
      if (typeof item[TTL] === 'number' && item[TTL] <= now) continue;
      const entry = parseItem(NetworkItemSchema, item, String(item[PK]));
      found.set(entry.status === 'found' ? entry.network.instanceId : entry.instanceId, entry);
    }
    return found;
  }

  async putNetworks(entries: readonly CachedNetwork[]): Promise<void> {
    const now = this.clock();
    await this.write(
      entries.map((entry) => {
        const instanceId = entry.status === 'found' ? entry.network.instanceId : entry.instanceId;
        const ttl = entry.status === 'found' ? StateTtlSeconds.network : StateTtlSeconds.unknownNetwork;
        return { [PK]: networkKey(instanceId), [SK]: ItemKind.Network, ...entry, [TTL]: ttlFrom(now, ttl) };
      }),
    );
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

  /**
   * The Lambda's end of batch: writes the delivery and network items held back (`deferBatchWrites`) in
   * full requests of 25, and the rest too once the oldest has waited ten minutes.
   */
  async flushBatchWrites(): Promise<void> {
    const overdue = this.clock() - this.heldSince >= HELD_WRITE_MAX_AGE_MS;
    await this.writeHeld(
      overdue ? this.heldItems.length : this.heldItems.length - (this.heldItems.length % BATCH_WRITE_ITEMS),
    );
  }

  private async writeHeld(count: number): Promise<void> {
    if (count <= 0) return;
    const items = this.heldItems.slice(0, count);
    this.heldItems = this.heldItems.slice(count);
    this.heldSince = this.heldItems.length > 0 ? this.clock() : Infinity;
    await this.batchPut(items);
  }

  /** Writes everything held back, finding updates not yet meaningful included: the CLI's end of run. */
  async flush(): Promise<void> {
    await this.writeHeld(this.heldItems.length);
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
      if (this.deferUpdates && !isMeaningfulUpdate(known.detail, merged)) {
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
    const items = await this.batchGet(
      findingIds.map((id) => ({ [PK]: findingKey(id), [SK]: ItemKind.Finding })),
      consistent,
    );
    for (const item of items) {
      const pk = String(item[PK]);
      const parsed = parseItem(FindingItemSchema, item, pk);
      this.findings.set(parsed.detail.findingId, parsed);
    }
  }

  private async batchGet(
    keys: readonly Record<string, string>[],
    consistent: boolean,
  ): Promise<Record<string, unknown>[]> {
    const found: Record<string, unknown>[] = [];
    for (let start = 0; start < keys.length; start += BATCH_GET_KEYS) {
      let remaining: Record<string, unknown>[] = keys.slice(start, start + BATCH_GET_KEYS);
      for (let attempt = 0; remaining.length > 0; attempt++) {
        if (attempt > BATCH_RETRIES) throw new UnprocessedItemsError('BatchGetItem', remaining.length);
        if (attempt > 0) await this.sleep(backoff(attempt));
        const output = await this.documents.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: remaining, ConsistentRead: consistent } },
          }),
        );
        found.push(...(output.Responses?.[this.tableName] ?? []));
        remaining = output.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    return found;
  }

  private async write(items: Record<string, unknown>[]): Promise<void> {
    if (this.deferBatchWrites) {
      if (this.heldItems.length === 0 && items.length > 0) this.heldSince = this.clock();
      this.heldItems.push(...items);
    } else await this.batchPut(items);
  }

  private async batchPut(items: readonly Record<string, unknown>[]): Promise<void> {
    for (let start = 0; start < items.length; start += BATCH_WRITE_ITEMS) {
      let requests = items.slice(start, start + BATCH_WRITE_ITEMS).map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > BATCH_RETRIES) throw new UnprocessedItemsError('BatchWriteItem', requests.length);
        if (attempt > 0) await this.sleep(backoff(attempt));
        const output = await this.documents.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }),
        );
        requests = (output.UnprocessedItems?.[this.tableName] ?? []).flatMap((request) =>
          request.PutRequest?.Item === undefined ? [] : [{ PutRequest: { Item: request.PutRequest.Item } }],
        );
      }
    }
  }
}

function backoff(attempt: number): number {
  // Full jitter, as AWS recommends for batch retries: https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
  return Math.random() * Math.min(2000, 50 * 2 ** attempt);
}
