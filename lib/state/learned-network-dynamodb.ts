import { QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
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
import { originKey } from '../engine/origin';
import type { BatchRequests } from './batch-requests';
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
 * | instance history  | `LEARNED#<account>#<i-…>`        | `ORIGINS`        | one attribute `O#<originKey>` per origin, `lastActive` |
 * | egress address    | `EGRESS#<account>#<region>`      | `ADDRESS#<ip>`   | string set of `instance/key` sightings   |
 *
 * Origins are top-level attributes set with `if_not_exists`, so concurrent learners merge and a retry
 * learns nothing twice; sightings are a string set grown with `ADD`. Both are bounded (the tracker stops
 * at MAX_LEARNED_ORIGINS per instance and MAX_EGRESS_ADDRESSES per scope; the set by a condition) and
 * expire with `learned` TTL, refreshed by every write.
 */
export const learnedKey = (accountId: string, instanceId: string) => `LEARNED#${accountId}#${instanceId}`;
export const egressKey = (accountId: string, region: string) => `EGRESS#${accountId}#${region}`;
const HISTORY_SORT_KEY = 'ORIGINS';
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
  constructor(private readonly options: DynamoLearnedNetworkOptions) {}

  async getHistories(instances: readonly InstanceKey[]): Promise<Map<string, InstanceHistory>> {
    const keys = [...new Map(instances.map((i) => [instanceRef(i.accountId, i.instanceId), i])).values()].map(
      (i) => ({ [PK]: learnedKey(i.accountId, i.instanceId), [SK]: HISTORY_SORT_KEY }),
    );
    const found = new Map<string, InstanceHistory>();
    for (const item of await this.options.batch.get(keys, false)) {
      const pk = String(item[PK]);
      const [, accountId = '', instanceId = ''] = pk.split('#');
      const origins = new Map<string, LearnedOrigin>();
      for (const [name, value] of Object.entries(item)) {
        if (!name.startsWith(ORIGIN_PREFIX)) continue;
        const learned = parseItem(LearnedOriginItemSchema, value, `${pk}/${name}`);
        origins.set(originKey(learned.origin), learned);
      }
      const lastActive = typeof item['lastActive'] === 'number' ? item['lastActive'] : -Infinity;
      found.set(instanceRef(accountId, instanceId), { accountId, instanceId, origins, lastActive });
    }
    return found;
  }

  async learn(learnings: readonly OriginLearning[], activity: readonly InstanceActivity[]): Promise<void> {
    // One UpdateItem per instance: its new origins and its latest activity together.
    const byInstance = new Map<string, { key: InstanceKey; origins: OriginLearning[]; at: number }>();
    const entry = (key: InstanceKey, at: number) => {
      const ref = instanceRef(key.accountId, key.instanceId);
      let found = byInstance.get(ref);
      if (found === undefined) byInstance.set(ref, (found = { key, origins: [], at }));
      found.at = Math.max(found.at, at);
      return found;
    };
    for (const learning of learnings) entry(learning, learning.at).origins.push(learning);
    for (const seen of activity) entry(seen, seen.at);
    const ttl = ttlFrom(this.options.clock(), StateTtlSeconds.learned);
    for (const { key, origins, at } of byInstance.values()) {
      const names: Record<string, string> = { '#ttl': TTL };
      const values: Record<string, unknown> = { ':at': at, ':ttl': ttl };
      const sets = origins.map((learning, index) => {
        names[`#o${index}`] = `${ORIGIN_PREFIX}${originKey(learning.origin)}`;
        values[`:o${index}`] = {
          origin: learning.origin,
          kind: learning.kind,
          learnedAt: learning.at,
          teacher: learning.teacher,
        };
        return `#o${index} = if_not_exists(#o${index}, :o${index})`;
      });
      const { Attributes } = await this.options.documents.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { [PK]: learnedKey(key.accountId, key.instanceId), [SK]: HISTORY_SORT_KEY },
          UpdateExpression: `SET ${['lastActive = if_not_exists(lastActive, :at)', '#ttl = :ttl', ...sets].join(', ')}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      // lastActive only moves forward (another container may have written a later one): a second,
      // conditional write only when the stored one is older.
      const before: unknown = Attributes?.['lastActive'];
      if (typeof before === 'number' && before < at) await this.advanceActivity(key, at);
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

  private async advanceActivity(key: InstanceKey, at: number): Promise<void> {
    try {
      await this.options.documents.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { [PK]: learnedKey(key.accountId, key.instanceId), [SK]: HISTORY_SORT_KEY },
          UpdateExpression: 'SET lastActive = :at',
          ConditionExpression: 'lastActive < :at',
          ExpressionAttributeValues: { ':at': at },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  private async query(partition: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.options.documents.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': PK },
          ExpressionAttributeValues: { ':pk': partition },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    if (items.some((item) => typeof item[SK] !== 'string'))
      throw new StateItemError(partition, 'an item without a sort key');
    return items;
  }
}
