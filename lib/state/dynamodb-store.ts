import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { z } from 'zod';
import { BoundedMap } from '../engine/bounded-map';
import {
  BASELINE_KINDS,
  type BaselineKind,
  type DetectorStore,
  type FindingObservation,
  type SessionState,
  type StoredFinding,
} from '../engine/detector-store';
import type { Origin } from '../engine/origin';
import { sourceIdOf } from './finding-merge-policy';
import { BATCH_WRITE_ITEMS, BatchRequests } from './batch-requests';
import { DynamoFindingStore, type UnannouncedFinding } from './finding-store';
import { DynamoLearnedNetworkStore } from './learned-network-dynamodb';
import { DynamoTrailSignalStore } from './trail-signals-dynamodb';
import {
  BaselinesItemSchema,
  DeliveryItemSchema,
  NetworkItemSchema,
  StateItemError,
  isConditionFailure,
  parseItem,
  type CachedNetwork,
  type NetworkCache,
} from './state-items';
import {
  ItemKind,
  STATE_PARTITION_KEY as PK,
  STATE_SORT_KEY as SK,
  STATE_TTL_ATTRIBUTE as TTL,
  StateTtlSeconds,
  networkKey,
  sessionKey,
  ttlFrom,
} from './state-table';

export { isMeaningfulUpdate, sourceIdOf } from './finding-merge-policy';
export type { CachedNetwork, NetworkCache } from './state-items';
export type { UnannouncedFinding } from './finding-store';

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

/**
 * Held delivery and network items are written in full BatchWriteItem requests; a partial one waits at
 * most this long. A container that dies loses at most these hints (issue time, region, cached network),
 * never a first origin or a finding, which are written at once.
 */
const HELD_WRITE_MAX_AGE_MS = 10 * 60_000;
const CACHE_SIZE = 200_000;

/**
 * The detector's memory in one DynamoDB table (see state-table.ts for the keys). Built to make as few
 * requests as the engine allows: reads are batched (BatchGetItem, 100 keys), deliveries are written
 * in batches of 25, a first origin is one conditional write per new (session, kind), and what this
 * container wrote or read is remembered so it is never written or read again.
 *
 * Findings (optimistic merges, replay detection, the outbox of unannounced ones) are in
 * finding-store.ts.
 */
export class DynamoDbStore implements DetectorStore, NetworkCache {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly clock: () => number;
  private readonly batch: BatchRequests;
  private readonly source = new AsyncLocalStorage<string>();
  private readonly writtenDeliveries = new BoundedMap<string, true>(CACHE_SIZE);
  private readonly claims = new BoundedMap<string, Origin>(CACHE_SIZE);
  private readonly findingStore: DynamoFindingStore;
  readonly learnedNetwork: DynamoLearnedNetworkStore;
  readonly trailSignals: DynamoTrailSignalStore;
  private readonly deferBatchWrites: boolean;
  private heldItems: Record<string, unknown>[] = [];
  private heldSince = Infinity;

  constructor(options: DynamoDbStoreOptions) {
    this.documents = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.tableName = options.tableName;
    this.clock = options.clock;
    this.batch = new BatchRequests(
      this.documents,
      this.tableName,
      options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    );
    this.deferBatchWrites = options.deferBatchWrites ?? false;
    this.learnedNetwork = new DynamoLearnedNetworkStore({
      documents: this.documents,
      tableName: this.tableName,
      batch: this.batch,
      clock: this.clock,
    });
    this.trailSignals = new DynamoTrailSignalStore({
      documents: this.documents,
      tableName: this.tableName,
      batch: this.batch,
      clock: this.clock,
    });
    this.findingStore = new DynamoFindingStore({
      documents: this.documents,
      tableName: this.tableName,
      clock: this.clock,
      batch: this.batch,
      deferUpdates: (options.findingWrites ?? 'meaningful') === 'meaningful',
    });
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
    const items = await this.batch.get(keys, false);
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

  saveFindings(observations: readonly FindingObservation[]): Promise<StoredFinding[]> {
    return this.findingStore.saveFindings(observations, this.source.getStore());
  }

  /** Records that a finding's alert went out, then takes it out of the outbox. */
  markAnnounced(findingIds: readonly string[]): Promise<void> {
    return this.findingStore.markAnnounced(findingIds);
  }

  /** The outbox, read for the sweep: every stored finding not yet announced, whoever stored it. */
  unannounced(): Promise<UnannouncedFinding[]> {
    return this.findingStore.unannounced();
  }

  async getNetworks(instanceIds: readonly string[]): Promise<Map<string, CachedNetwork>> {
    const now = Math.floor(this.clock() / 1000);
    const keys = [...new Set(instanceIds)].map((id) => ({ [PK]: networkKey(id), [SK]: ItemKind.Network }));
    const found = new Map<string, CachedNetwork>();
    for (const item of await this.batch.get(keys, false)) {
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
    await this.batch.put(items);
  }

  /** Writes everything held back, finding updates not yet meaningful included: the CLI's end of run. */
  async flush(): Promise<void> {
    await this.writeHeld(this.heldItems.length);
    await this.findingStore.flush();
  }

  private async write(items: Record<string, unknown>[]): Promise<void> {
    if (this.deferBatchWrites) {
      if (this.heldItems.length === 0 && items.length > 0) this.heldSince = this.clock();
      this.heldItems.push(...items);
    } else await this.batch.put(items);
  }
}
