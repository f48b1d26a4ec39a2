import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import {
  MAX_EGRESS_SIGHTINGS,
  egressScope,
  instanceRef,
  type EgressAddress,
  type InstanceHistory,
  type LearnedOrigin,
} from '../engine/learned-network';
import type {
  EgressScope,
  EgressSighting,
  InstanceActivity,
  InstanceKey,
  LearnedNetworkStore,
  OriginLearning,
} from '../engine/learned-network-store';
import { BoundedMap } from '../engine/bounded-map';
import { originKey } from '../engine/origin';
import type { BatchRequests } from './batch-requests';
import { queryPartition } from './partition-query';
import { OriginSchema, StateItemError, isConditionFailure, parseItem } from './state-items';
import {
  STATE_PARTITION_KEY as PK,
  STATE_SORT_KEY as SK,
  STATE_TTL_ATTRIBUTE as TTL,
  StateTtlSeconds,
  ttlFrom,
} from './state-table';

/**
 * The learned network in the detector's state table, in item kinds of its own:
 *
 * | item              | pk                               | sk               | holds                                   |
 * |-------------------|----------------------------------|------------------|-----------------------------------------|
 * | instance history  | `LEARNED#<account>#<i-…>`        | `ORIGINS`        | one attribute `O#<originKey>` per origin |
 * | instance activity | `LEARNED#<account>#<i-…>`        | `ACTIVE`         | `lastActive` (epoch ms)                  |
 * | egress address    | `EGRESS#<account>#<region>`      | `ADDRESS#<ip>`   | string set of `instance/key` sightings   |
 *
 * Origins are top-level attributes set with `if_not_exists`, so concurrent learners merge and a retry
 * learns nothing twice; sightings are a string set grown with `ADD`. Both are bounded (the tracker stops
 * at MAX_LEARNED_ORIGINS per instance and MAX_EGRESS_ADDRESSES per scope; the set by a condition) and
 * expire with `learned` TTL, refreshed by every write.
 *
 * Cost (issue 13): a write is billed per KB of the item, and a history of 32 origins is 3-4 KB. So the
 * history is written only when an origin is new, and the hourly activity goes to a small item of its own
 * (1 WCU, one conditional write that only moves it forward); the history's TTL is renewed by the activity
 * write at most once a week (`RENEW_HISTORY_TTL_MS`), not by every write. Older items that keep
 * `lastActive` in the history are still read.
 */
export const learnedKey = (accountId: string, instanceId: string) => `LEARNED#${accountId}#${instanceId}`;
export const egressKey = (accountId: string, region: string) => `EGRESS#${accountId}#${region}`;
const HISTORY_SORT_KEY = 'ORIGINS';
const ACTIVITY_SORT_KEY = 'ACTIVE';
// Renew an active instance's history TTL when less than this is left of it (one large write a week).
const RENEW_HISTORY_TTL_MS = 7 * 24 * 3_600_000;
const TTL_CACHE_SIZE = 100_000;
const ORIGIN_PREFIX = 'O#';
const ADDRESS_PREFIX = 'ADDRESS#';

const LearnedOriginItemSchema = z.object({
  origin: OriginSchema,
  kind: z.enum(['address', 'ipv6', 'endpoint']),
  learnedAt: z.number(),
  teacher: z.string(),
});

const EgressItemSchema = z.object({
  sightings: z.set(z.string()),
  firstSeen: z.number(),
  lastSeen: z.number(),
});

export interface DynamoLearnedNetworkOptions {
  readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly batch: BatchRequests;
  readonly clock: () => number;
}

export class DynamoLearnedNetworkStore implements LearnedNetworkStore {
  /** The history items' TTLs (epoch seconds) as last read or written, by instance ref. */
  private readonly historyTtls = new BoundedMap<string, number>(TTL_CACHE_SIZE);

  constructor(private readonly options: DynamoLearnedNetworkOptions) {}

  async getHistories(instances: readonly InstanceKey[]): Promise<Map<string, InstanceHistory>> {
    const keys = [
      ...new Map(instances.map((i) => [instanceRef(i.accountId, i.instanceId), i])).values(),
    ].flatMap((i) =>
      [HISTORY_SORT_KEY, ACTIVITY_SORT_KEY].map((sk) => ({
        [PK]: learnedKey(i.accountId, i.instanceId),
        [SK]: sk,
      })),
    );
    const found = new Map<
      string,
      { accountId: string; instanceId: string; origins: Map<string, LearnedOrigin>; lastActive: number }
    >();
    for (const item of await this.options.batch.get(keys, false)) {
      const pk = String(item[PK]);
      const [, accountId = '', instanceId = ''] = pk.split('#');
      const ref = instanceRef(accountId, instanceId);
      let history = found.get(ref);
      if (history === undefined)
        found.set(ref, (history = { accountId, instanceId, origins: new Map(), lastActive: -Infinity }));
      if (typeof item['lastActive'] === 'number')
        history.lastActive = Math.max(history.lastActive, item['lastActive']);
      if (item[SK] !== HISTORY_SORT_KEY) continue;
      if (typeof item[TTL] === 'number') this.historyTtls.set(ref, item[TTL]);
      for (const [name, value] of Object.entries(item)) {
        if (!name.startsWith(ORIGIN_PREFIX)) continue;
        const learned = parseItem(LearnedOriginItemSchema, value, `${pk}/${name}`);
        history.origins.set(originKey(learned.origin), learned);
      }
    }
    return found;
  }

  async learn(learnings: readonly OriginLearning[], activity: readonly InstanceActivity[]): Promise<void> {
    const now = this.options.clock();
    const ttl = ttlFrom(now, StateTtlSeconds.learned);
    // One history write per instance with new origins, one small activity write per instance the
    // tracker says moved (it sends one an hour at most).
    const origins = new Map<string, { key: InstanceKey; learnings: OriginLearning[] }>();
    const latest = new Map<string, { key: InstanceKey; at: number }>();
    const activeAt = (key: InstanceKey, at: number) => {
      const ref = instanceRef(key.accountId, key.instanceId);
      const known = latest.get(ref);
      if (known === undefined || known.at < at) latest.set(ref, { key, at });
    };
    for (const learning of learnings) {
      const ref = instanceRef(learning.accountId, learning.instanceId);
      let entry = origins.get(ref);
      if (entry === undefined) origins.set(ref, (entry = { key: learning, learnings: [] }));
      entry.learnings.push(learning);
    }
    for (const seen of activity) activeAt(seen, seen.at);
    for (const [ref, { key, learnings: learnt }] of origins) {
      await this.writeOrigins(key, learnt, ttl);
      this.historyTtls.set(ref, ttl);
    }
    for (const [ref, { key, at }] of latest) {
      // Only a history this container read or wrote (the tracker reads it before judging with it).
      const known = this.historyTtls.get(ref);
      const renew = known !== undefined && known * 1000 - now < RENEW_HISTORY_TTL_MS;
      await this.advanceActivity(key, at, ttl);
      if (renew && !origins.has(ref)) await this.renewHistory(key, ttl);
      if (renew) this.historyTtls.set(ref, ttl);
    }
  }

  private async writeOrigins(
    key: InstanceKey,
    learnings: readonly OriginLearning[],
    ttl: number,
  ): Promise<void> {
    const names: Record<string, string> = { '#ttl': TTL };
    // A first clock for a new history, should no activity come with it (the tracker sends one).
    const at = Math.max(...learnings.map((learning) => learning.at));
    const values: Record<string, unknown> = { ':ttl': ttl, ':at': at };
    const sets = learnings.map((learning, index) => {
      names[`#o${index}`] = `${ORIGIN_PREFIX}${originKey(learning.origin)}`;
      values[`:o${index}`] = {
        origin: learning.origin,
        kind: learning.kind,
        learnedAt: learning.at,
        teacher: learning.teacher,
      };
      return `#o${index} = if_not_exists(#o${index}, :o${index})`;
    });
    await this.options.documents.send(
      new UpdateCommand({
        TableName: this.options.tableName,
        Key: { [PK]: learnedKey(key.accountId, key.instanceId), [SK]: HISTORY_SORT_KEY },
        UpdateExpression: `SET ${['lastActive = if_not_exists(lastActive, :at)', '#ttl = :ttl', ...sets].join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  /** Keeps an active instance's history from expiring (only if there is one: a condition). */
  private async renewHistory(key: InstanceKey, ttl: number): Promise<void> {
    try {
      await this.options.documents.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { [PK]: learnedKey(key.accountId, key.instanceId), [SK]: HISTORY_SORT_KEY },
          UpdateExpression: 'SET #ttl = :ttl',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#ttl': TTL, '#pk': PK },
          ExpressionAttributeValues: { ':ttl': ttl },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async getEgress(scopes: readonly EgressScope[]): Promise<Map<string, Map<string, EgressAddress>>> {
    const found = new Map<string, Map<string, EgressAddress>>();
    for (const { accountId, region } of scopes) {
      const addresses = new Map<string, EgressAddress>();
      for (const item of await this.query(egressKey(accountId, region))) {
        const address = String(item[SK]).slice(ADDRESS_PREFIX.length);
        const parsed = parseItem(EgressItemSchema, item, `${String(item[PK])}/${String(item[SK])}`);
        addresses.set(address, {
          accountId,
          region,
          address,
          sightings: [...parsed.sightings],
          firstSeen: parsed.firstSeen,
          lastSeen: parsed.lastSeen,
        });
      }
      found.set(egressScope(accountId, region), addresses);
    }
    return found;
  }

  async noteEgress(sightings: readonly EgressSighting[]): Promise<void> {
    const ttl = ttlFrom(this.options.clock(), StateTtlSeconds.learned);
    for (const sighting of sightings) {
      try {
        await this.options.documents.send(
          new UpdateCommand({
            TableName: this.options.tableName,
            Key: {
              [PK]: egressKey(sighting.accountId, sighting.region),
              [SK]: `${ADDRESS_PREFIX}${sighting.address}`,
            },
            UpdateExpression:
              'ADD sightings :sighting SET firstSeen = if_not_exists(firstSeen, :at), lastSeen = :at, #ttl = :ttl',
            ConditionExpression: 'attribute_not_exists(sightings) OR size(sightings) < :max',
            ExpressionAttributeNames: { '#ttl': TTL },
            ExpressionAttributeValues: {
              ':sighting': new Set([sighting.sighting]),
              ':at': sighting.at,
              ':ttl': ttl,
              ':max': MAX_EGRESS_SIGHTINGS,
            },
          }),
        );
      } catch (error) {
        // Full: the address already has all the votes it can hold.
        if (!isConditionFailure(error)) throw error;
      }
    }
  }

  /** lastActive only moves forward: another container may have written a later one. */
  private async advanceActivity(key: InstanceKey, at: number, ttl: number): Promise<void> {
    try {
      await this.options.documents.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { [PK]: learnedKey(key.accountId, key.instanceId), [SK]: ACTIVITY_SORT_KEY },
          UpdateExpression: 'SET lastActive = :at, #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(lastActive) OR lastActive < :at',
          ExpressionAttributeNames: { '#ttl': TTL },
          ExpressionAttributeValues: { ':at': at, ':ttl': ttl },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  private async query(partition: string): Promise<Record<string, unknown>[]> {
    const items = await queryPartition(this.options.documents, this.options.tableName, partition);
    if (items.some((item) => typeof item[SK] !== 'string'))
      throw new StateItemError(partition, 'an item without a sort key');
    return items;
  }
}
