import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import * as z from 'zod';
import {
  ArtefactSchema,
  DerivedSessionSchema,
  FindingDetailSchema,
  type Artefact,
  type FindingDetail,
  type TaintSummary,
} from '../contracts/finding-event';
import { lazySchema } from '../contracts/lazy-schema';
import type { TaintedKey } from '../engine/taint-chain';
import {
  TAINT_FOLLOW_SLACK_MS,
  artefactKey,
  buildSummary,
  isRead,
  type CountedRead,
  type TaintObservation,
  type TaintStore,
} from '../engine/taint-store';
import {
  STATE_PARTITION_KEY as PK,
  STATE_SORT_KEY as SK,
  STATE_TTL_ATTRIBUTE as TTL,
  StateTtlSeconds,
  ttlFrom,
} from './state-table';

/**
 * The chain in the detector's state table, in item kinds of its own (the detector's items are not
 * touched):
 *
 * | item             | pk                  | sk              | holds                                   | TTL                 |
 * |------------------|---------------------|-----------------|-----------------------------------------|---------------------|
 * | followed key     | `TAINTED`           | `KEY#<ASIA…>`   | the key, its finding, parent, lifetime  | key expiry + 1 day  |
 * | chain key        | `TAINT#<findingId>` | `KEY#<ASIA…>`   | the same, kept with the finding         | finding (7 days)    |
 * | persistence      | `TAINT#<findingId>` | `ART#<hash>`    | one artefact, first sighting            | finding             |
 * | read             | `TAINT#<findingId>` | `READ#<hash>`   | one secret/parameter/object, a count    | finding             |
 * | derived calls    | `TAINT#<findingId>` | `COUNTS`        | derived-key calls counted               | finding             |
 * | finding snapshot | `TAINT#<findingId>` | `FINDING`       | the latest finding detail               | finding             |
 * | counted call     | `TAINTCALL#<eventID>` | `CALL`        | marks an eventID as counted             | finding             |
 *
 * Tainted keys are few (a thief's sessions), so the one `TAINTED` partition is read whole per log file:
 * one small Query, whichever container minted the key.
 */
export const TAINTED_KEYS_PARTITION = 'TAINTED';
export const taintChainKey = (findingId: string) => `TAINT#${findingId}`;
export const taintCallKey = (eventId: string) => `TAINTCALL#${eventId}`;

const DAY_MS = 24 * 3_600_000;

const TaintedKeyItemSchema = lazySchema(() =>
  DerivedSessionSchema.omit({ mintedAt: true, expiresAt: true }).extend({
    findingId: z.string(),
    mintedAt: z.number(),
    expiresAt: z.number(),
    depth: z.number().int().positive(),
    eventId: z.string(),
  }),
);

export class TaintItemError extends Error {
  constructor(key: string, options?: ErrorOptions) {
    super(`taint item ${key} is malformed`, options);
    this.name = 'TaintItemError';
  }
}

export interface DynamoDbTaintStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

export class DynamoDbTaintStore implements TaintStore {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: DynamoDbTaintStoreOptions) {
    this.documents = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.tableName = options.tableName;
  }

  async activeKeys(now: number): Promise<TaintedKey[]> {
    const items = await this.queryAll(TAINTED_KEYS_PARTITION, 'KEY#');
    // TTL deletes expired items some time later, not at once: filter as well.
    return items.map((item) => parseKey(item)).filter((key) => key.expiresAt + TAINT_FOLLOW_SLACK_MS > now);
  }

  async record(observations: readonly TaintObservation[], now: number): Promise<Set<string>> {
    const grown = new Set<string>();
    const findingTtl = ttlFrom(now, StateTtlSeconds.finding);
    for (const { findingId, keys, calls } of observations) {
      for (const key of keys) {
        // Nested: the table's TTL attribute is itself called `expiresAt`.
        const item = { key };
        // The chain's copy first (idempotent), then the claim that tells whether the key is news: a
        // failure between the two is retried whole and loses nothing.
        await this.documents.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              [PK]: taintChainKey(findingId),
              [SK]: `KEY#${key.accessKeyId}`,
              ...item,
              [TTL]: findingTtl,
            },
          }),
        );
        const fresh = await this.putIfAbsent(
          { [PK]: TAINTED_KEYS_PARTITION, [SK]: `KEY#${key.accessKeyId}` },
          { ...item, [TTL]: Math.floor((key.expiresAt + DAY_MS) / 1000) },
        );
        if (fresh) grown.add(findingId);
      }
      let derivedCalls = 0;
      for (const call of calls) {
        // Persistence is idempotent (one item per artefact) and goes first; counts and reads come after
        // the eventID's marker, so a retry never counts a call twice (a crash in between undercounts).
        for (const artefact of call.artefacts) {
          if (isRead(artefact)) continue;
          const fresh = await this.putIfAbsent(
            { [PK]: taintChainKey(findingId), [SK]: `ART#${digest(artefactKey(artefact))}` },
            { artefact, [TTL]: findingTtl },
          );
          if (fresh) grown.add(findingId);
        }
        const counted = await this.putIfAbsent(
          { [PK]: taintCallKey(call.eventId), [SK]: 'CALL' },
          { [TTL]: findingTtl },
        );
        if (!counted) continue;
        if (call.derived) derivedCalls++;
        for (const artefact of call.artefacts) {
          if (isRead(artefact)) await this.countRead(findingId, artefact, findingTtl);
        }
      }
      if (derivedCalls > 0) {
        await this.documents.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { [PK]: taintChainKey(findingId), [SK]: 'COUNTS' },
            UpdateExpression: 'ADD derivedCalls :n SET #ttl = :ttl',
            ExpressionAttributeNames: { '#ttl': TTL },
            ExpressionAttributeValues: { ':n': derivedCalls, ':ttl': findingTtl },
          }),
        );
      }
    }
    return grown;
  }

  async summary(findingId: string): Promise<TaintSummary | undefined> {
    const items = await this.queryAll(taintChainKey(findingId));
    const keys: TaintedKey[] = [];
    const persistence: Artefact[] = [];
    const reads: CountedRead[] = [];
    let derivedCalls = 0;
    for (const item of items) {
      const sk = String(item[SK]);
      if (sk.startsWith('KEY#')) keys.push(parseKey(item));
      else if (sk.startsWith('ART#')) persistence.push(parseArtefact(item, sk));
      else if (sk.startsWith('READ#')) {
        const count = z.number().int().positive().safeParse(item['count']);
        if (!count.success) throw new TaintItemError(sk, { cause: count.error });
        reads.push({ ...parseArtefact(item, sk), count: count.data });
      } else if (sk === 'COUNTS') derivedCalls = Number(item['derivedCalls'] ?? 0);
    }
    return buildSummary(keys, derivedCalls, persistence, reads);
  }

  async putFinding(detail: FindingDetail, now: number): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          [PK]: taintChainKey(detail.findingId),
          [SK]: 'FINDING',
          detail,
          [TTL]: ttlFrom(now, StateTtlSeconds.finding),
        },
      }),
    );
  }

  async getFinding(findingId: string): Promise<FindingDetail | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { [PK]: taintChainKey(findingId), [SK]: 'FINDING' } }),
    );
    if (Item === undefined) return undefined;
    const parsed = FindingDetailSchema.safeParse(Item['detail']);
    if (!parsed.success)
      throw new TaintItemError(`${taintChainKey(findingId)}/FINDING`, { cause: parsed.error });
    return parsed.data;
  }

  private async countRead(findingId: string, artefact: Artefact, ttl: number): Promise<void> {
    await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { [PK]: taintChainKey(findingId), [SK]: `READ#${digest(artefactKey(artefact))}` },
        // The first sighting names the read; later ones only count.
        UpdateExpression: 'ADD #count :one SET artefact = if_not_exists(artefact, :artefact), #ttl = :ttl',
        ExpressionAttributeNames: { '#count': 'count', '#ttl': TTL },
        ExpressionAttributeValues: { ':one': 1, ':artefact': artefact, ':ttl': ttl },
      }),
    );
  }

  /** Puts an item unless its key exists; true when this call created it. */
  private async putIfAbsent(
    key: Record<string, string>,
    attributes: Record<string, unknown>,
  ): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...attributes, ...key },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  private async queryAll(partition: string, prefix?: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression:
            prefix === undefined ? '#pk = :pk' : '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: prefix === undefined ? { '#pk': PK } : { '#pk': PK, '#sk': SK },
          ExpressionAttributeValues:
            prefix === undefined ? { ':pk': partition } : { ':pk': partition, ':prefix': prefix },
          ExclusiveStartKey: start,
          // Strongly consistent: a key minted by another container a moment ago must be seen.
          ConsistentRead: true,
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return items;
  }
}

function parseKey(item: Record<string, unknown>): TaintedKey {
  const parsed = TaintedKeyItemSchema.safeParse(item['key']);
  if (!parsed.success)
    throw new TaintItemError(`${String(item[PK])}/${String(item[SK])}`, { cause: parsed.error });
  return parsed.data;
}

function parseArtefact(item: Record<string, unknown>, sk: string): Artefact {
  const parsed = ArtefactSchema.safeParse(item['artefact']);
  if (!parsed.success) throw new TaintItemError(sk, { cause: parsed.error });
  return parsed.data;
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}
