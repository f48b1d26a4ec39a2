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
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { FindingDetailSchema, type FindingDetail } from '../contracts/finding-event';
import { BoundedMap } from '../engine/bounded-map';
import {
  BASELINE_KINDS,
  MAX_EVENT_NAMES,
  MAX_USER_AGENTS,
  mergeFinding,
  type BaselineKind,
  type DetectorStore,
  type FindingObservation,
  type SessionState,
  type StoredFinding,
} from '../engine/detector-store';
import type { InstanceNetwork } from '../engine/instance-network';
import type { Origin } from '../engine/origin';
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

export const OriginSchema = z.union([
  z.object({ kind: z.literal('address'), sourceIp: z.string() }),
  z.object({
    kind: z.literal('endpoint'),
    sourceIp: z.string(),
    vpcEndpointId: z.string(),
    vpcEndpointAccountId: z.string().optional(),
  }),
]);

const DeliveryItemSchema = z.object({
  instanceId: z.string(),
  roleArn: z.string(),
  accountId: z.string(),
  region: z.string().optional(),
  issuedAt: z.number().optional(),
});

const BaselinesItemSchema = z.object({
  instanceId: z.string(),
  roleArn: z.string(),
  accountId: z.string(),
  address: OriginSchema.optional(),
  ipv6: OriginSchema.optional(),
  endpoint: OriginSchema.optional(),
});

const FindingItemSchema = z.object({
  detail: FindingDetailSchema,
  version: z.number().int().positive(),
  sources: z.array(z.string()),
  announced: z.boolean(),
  createdAt: z.number(),
});
type FindingItem = z.infer<typeof FindingItemSchema>;

const InstanceNetworkSchema = z.object({
  instanceId: z.string(),
  accountId: z.string().optional(),
  region: z.string().optional(),
  vpcId: z.string().optional(),
  subnetId: z.string().optional(),
  privateIps: z.array(z.string()),
  publicIps: z.array(z.string()),
  ipv6Addresses: z.array(z.string()),
  prefixes: z.array(z.string()),
  natGatewayIps: z.array(z.string()),
  vpcEndpointIds: z.array(z.string()),
  source: z.enum(['inventory', 'ec2']),
});

const NetworkItemSchema = z.union([
  z.object({ status: z.literal('found'), network: InstanceNetworkSchema }),
  z.object({ status: z.literal('unknown'), instanceId: z.string() }),
]);

/** What EC2 said about an instance, as cached in the state table. */
export type CachedNetwork =
  | { readonly status: 'found'; readonly network: InstanceNetwork }
  | { readonly status: 'unknown'; readonly instanceId: string };

/** The network cache the EC2 directory keeps in the state table (one item per instance). */
export interface NetworkCache {
  getNetworks(instanceIds: readonly string[]): Promise<Map<string, CachedNetwork>>;
  putNetworks(entries: readonly CachedNetwork[]): Promise<void>;
}

export class StateItemError extends Error {
  constructor(key: string, detail: string) {
    super(`state item ${key} is malformed: ${detail}`);
    this.name = 'StateItemError';
  }
}

export class UnprocessedItemsError extends Error {
  constructor(operation: string, remaining: number) {
    super(`${operation}: ${remaining} items still unprocessed after retries (throttled?)`);
    this.name = 'UnprocessedItemsError';
  }
}

export class FindingContentionError extends Error {
  constructor(findingId: string) {
    super(`finding ${findingId}: too many concurrent writers, gave up merging`);
    this.name = 'FindingContentionError';
  }
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

/** A creator that never announced its finding (it crashed, PutEvents failed) is taken over after this. */
export const ANNOUNCE_GRACE_MS = 2 * 60_000;
// Finding items remember the last source files that fed them, to spot replays across containers.
const MAX_SOURCES = 100;
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

interface PendingDelta {
  readonly observation: FindingObservation;
  readonly sources: readonly string[];
}

/**
 * The detector's memory in one DynamoDB table (see state-table.ts for the keys). Built to make as few
 * requests as the engine allows: reads are batched (BatchGetItem, 100 keys), deliveries are written
 * in batches of 25, a first origin is one conditional write per new (session, kind), and what this
 * container wrote or read is remembered so it is never written or read again.
 *
 * Findings use optimistic concurrency (a `version` attribute): two containers merging the same
 * finding never lose each other's counts, and exactly one of them creates it.
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
  private readonly pending = new Map<string, PendingDelta>();
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
    const source = this.source.getStore();
    const unknown = observations.map((o) => o.detail.findingId).filter((id) => !this.findings.has(id));
    if (unknown.length > 0) await this.loadFindings(unknown);
    const results: StoredFinding[] = [];
    for (const observation of observations) results.push(await this.saveFinding(observation, source));
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

  /** Records that a finding's alert went out, so no retry or other container announces it again. */
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
    for (const findingId of [...this.pending.keys()]) {
      const delta = this.pending.get(findingId);
      if (delta === undefined) continue;
      this.pending.delete(findingId);
      await this.writeUpdate(findingId, delta);
    }
  }

  private async saveFinding(
    observation: FindingObservation,
    source: string | undefined,
  ): Promise<StoredFinding> {
    const findingId = observation.detail.findingId;
    const known = this.findings.get(findingId);
    const held = this.pending.get(findingId);
    if (
      source !== undefined &&
      (known?.sources.includes(source) === true || held?.sources.includes(source) === true)
    ) {
      // A replay of a file already counted: nothing new, nothing to say.
      const view =
        known === undefined
          ? undefined
          : held === undefined
            ? known.detail
            : mergeFinding(known.detail, held.observation);
      if (view !== undefined) return { detail: view, created: false, previousEventCount: view.eventCount };
    }
    const sources = source === undefined ? [] : [source];
    if (known === undefined) {
      const created = await this.create(observation, sources);
      if (created !== undefined) return { detail: created.detail, created: true, previousEventCount: 0 };
    }
    const delta: PendingDelta =
      held === undefined ? { observation, sources } : combine(held, observation, sources);
    const base = this.findings.get(findingId);
    if (base === undefined) throw new StateItemError(findingKey(findingId), 'neither created nor readable');
    const before = held === undefined ? base.detail : mergeFinding(base.detail, held.observation);
    const merged = mergeFinding(base.detail, delta.observation);
    if (this.deferUpdates && !isMeaningfulUpdate(base.detail, merged)) {
      this.pending.set(findingId, delta);
    } else {
      this.pending.delete(findingId);
      await this.writeUpdate(findingId, delta);
    }
    const current = this.findings.get(findingId) ?? base;
    return { detail: merged, created: this.shouldAnnounce(current), previousEventCount: before.eventCount };
  }

  /** Creates the finding unless it exists; undefined when another writer created it first. */
  private async create(
    observation: FindingObservation,
    sources: readonly string[],
  ): Promise<FindingItem | undefined> {
    const findingId = observation.detail.findingId;
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

  private async writeUpdate(findingId: string, delta: PendingDelta): Promise<void> {
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const stored = this.findings.get(findingId);
      if (stored === undefined)
        throw new StateItemError(findingKey(findingId), 'update of an unknown finding');
      const newSources = delta.sources.filter((s) => !stored.sources.includes(s));
      if (delta.sources.length > 0 && newSources.length === 0) return;
      const item: FindingItem = {
        ...stored,
        detail: mergeFinding(stored.detail, delta.observation),
        version: stored.version + 1,
        sources: [...stored.sources, ...newSources].slice(-MAX_SOURCES),
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

  private shouldAnnounce(item: FindingItem): boolean {
    return !item.announced && this.clock() - item.createdAt >= ANNOUNCE_GRACE_MS;
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

/**
 * Whether an update changes what a reader would conclude: the count doubled, a new API or user agent,
 * or the activity went on for another six hours (GuardDuty's default re-publishing period for a
 * finding that keeps happening). Smaller changes wait for the next one that matters.
 */
const ONGOING_ACTIVITY_UPDATE_MS = 6 * 60 * 60_000;

export function isMeaningfulUpdate(before: FindingDetail, after: FindingDetail): boolean {
  return (
    after.eventCount >= 2 * Math.max(1, before.eventCount) ||
    after.eventNames.length > before.eventNames.length ||
    after.userAgents.length > before.userAgents.length ||
    Date.parse(after.lastSeen) - Date.parse(before.lastSeen) >= ONGOING_ACTIVITY_UPDATE_MS ||
    Date.parse(after.firstSeen) < Date.parse(before.firstSeen)
  );
}

export function sourceIdOf(sourceUri: string): string {
  return createHash('sha256').update(sourceUri).digest('hex').slice(0, 16);
}

function combine(
  held: PendingDelta,
  observation: FindingObservation,
  sources: readonly string[],
): PendingDelta {
  const a = held.observation;
  return {
    observation: {
      detail: a.detail,
      firstSeen: Math.min(a.firstSeen, observation.firstSeen),
      lastSeen: Math.max(a.lastSeen, observation.lastSeen),
      eventCount: a.eventCount + observation.eventCount,
      eventNames: unionCapped(a.eventNames, observation.eventNames, MAX_EVENT_NAMES),
      userAgents: unionCapped(a.userAgents, observation.userAgents, MAX_USER_AGENTS),
    },
    sources: [...new Set([...held.sources, ...sources])],
  };
}

function unionCapped(a: readonly string[], b: readonly string[], cap: number): string[] {
  return [...new Set([...a, ...b])].slice(0, cap);
}

function parseItem<T>(schema: z.ZodType<T>, item: unknown, key: string): T {
  const parsed = schema.safeParse(item);
  if (!parsed.success) throw new StateItemError(key, parsed.error.issues[0]?.message ?? 'invalid');
  return parsed.data;
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

function backoff(attempt: number): number {
  // Full jitter, as AWS recommends for batch retries: https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
  return Math.random() * Math.min(2000, 50 * 2 ** attempt);
}
