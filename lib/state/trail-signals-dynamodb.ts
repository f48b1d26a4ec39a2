import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { instanceRef } from '../engine/learned-network';
import type { InstanceKey } from '../engine/learned-network-store';
import {
  ACCESS_BUCKET_MS,
  ACCESS_CODES,
  MAX_ENTRIES_PER_BUCKET,
  MAX_SIGNAL_ITEMS_PER_ACCOUNT,
  PLATFORMS,
  POWER_BUCKET_MS,
  POWER_CODES,
  type AccessEventName,
  type AccountSignals,
  type OperatorAccess,
  type Platform,
  type PlatformSighting,
  type PowerChange,
  type PowerEventName,
  type TrailSignalStore,
} from '../engine/trail-signal-store';
import type { BatchRequests } from './batch-requests';
import { learnedKey } from './learned-network-dynamodb';
import { queryPartition } from './partition-query';
import { StateItemError, isConditionFailure, parseItem } from './state-items';
import {
  STATE_PARTITION_KEY as PK,
  STATE_SORT_KEY as SK,
  STATE_TTL_ATTRIBUTE as TTL,
  StateTtlSeconds,
  ttlFrom,
} from './state-table';

/**
 * The trail signals in the detector's state table:
 *
 * | item          | pk                        | sk                       | holds                                  |
 * |---------------|---------------------------|--------------------------|----------------------------------------|
 * | accesses      | `SIGNALS#<account>`       | `A#<i-…>#<bucket start>` | string set `<ms>\|<ip>\|<C/S/K>`, 1 h TTL |
 * | power changes | `SIGNALS#<account>`       | `P#<i-…>#<bucket start>` | string set `<ms>\|<S/T/R>`, 12 h TTL     |
 * | platforms     | `LEARNED#<account>#<i-…>` | `PLATFORMS`              | string set of platforms, 14 d TTL        |
 *
 * An account's signals are one partition: the detector reads them with one Query (at most
 * MAX_SIGNAL_ITEMS_PER_ACCOUNT items), usually empty (0.5 RCU). Entries are added to string sets (`ADD`),
 * so concurrent writers merge and a retry adds nothing; each item holds at most MAX_ENTRIES_PER_BUCKET
 * (a condition), and items are per time bucket, so a full one never hides a later action. A platform is
 * written once per instance and container; it is read only when a desktop user agent needs it.
 */
export const signalsKey = (accountId: string) => `SIGNALS#${accountId}`;
const PLATFORMS_SORT_KEY = 'PLATFORMS';
const ACCOUNT_ID = /^\d{12}$/;
const SORT_KEY = /^([AP])#(i-[0-9a-f]{8,17})#\d+$/;
const ACCESS_ENTRY = /^(\d+)\|([0-9a-fA-F.:]+)\|([CSK])$/;
const POWER_ENTRY = /^(\d+)\|([STR])$/;
const ACCESS_NAMES = inverse(ACCESS_CODES);
const POWER_NAMES = inverse(POWER_CODES);

const SignalItemSchema = z.object({
  [SK]: z.string().regex(SORT_KEY),
  entries: z.set(z.string()),
  [TTL]: z.number().optional(),
});
const PlatformsItemSchema = z.object({ platforms: z.set(z.enum(PLATFORMS as [Platform, ...Platform[]])) });

export interface DynamoTrailSignalOptions {
  readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly batch: BatchRequests;
  readonly clock: () => number;
}

interface PendingItem {
  readonly accountId: string;
  readonly sortKey: string;
  readonly entries: Set<string>;
  expiresAt: number;
}

export class DynamoTrailSignalStore implements TrailSignalStore {
  constructor(private readonly options: DynamoTrailSignalOptions) {}

  async getSignals(accountIds: readonly string[]): Promise<Map<string, AccountSignals>> {
    const found = new Map<string, AccountSignals>();
    const now = Math.floor(this.options.clock() / 1000);
    for (const accountId of new Set(accountIds)) {
      const accesses: OperatorAccess[] = [];
      const power: PowerChange[] = [];
      found.set(accountId, { accesses, power });
      if (!ACCOUNT_ID.test(accountId)) continue;
      for (const raw of await this.query(signalsKey(accountId))) {
        const item = parseItem(SignalItemSchema, raw, `${signalsKey(accountId)}/${String(raw[SK])}`);
        // DynamoDB deletes expired items lazily (dynalite never): an expired signal is none.
        if (item[TTL] !== undefined && item[TTL] <= now) continue;
        const [, kind, instanceId = ''] = SORT_KEY.exec(item[SK]) ?? [];
        for (const entry of item.entries) {
          if (kind === 'A') accesses.push(readAccess(accountId, instanceId, entry));
          else power.push(readPower(accountId, instanceId, entry));
        }
      }
    }
    return found;
  }

  async noteSignals(accesses: readonly OperatorAccess[], power: readonly PowerChange[]): Promise<void> {
    const now = this.options.clock();
    // One write per (account, item): a file's or a batch's actions on one instance and bucket together.
    const items = new Map<string, PendingItem>();
    const add = (accountId: string, sortKey: string, entry: string, expiresAt: number) => {
      const id = `${accountId}/${sortKey}`;
      let item = items.get(id);
      if (item === undefined) items.set(id, (item = { accountId, sortKey, entries: new Set(), expiresAt }));
      item.entries.add(entry);
      item.expiresAt = Math.max(item.expiresAt, expiresAt);
    };
    for (const a of accesses) {
      const bucket = a.at - (a.at % ACCESS_BUCKET_MS);
      const ttl = ttlFrom(Math.max(now, bucket + ACCESS_BUCKET_MS), StateTtlSeconds.operatorAccess);
      add(
        a.accountId,
        `A#${a.instanceId}#${bucket}`,
        `${a.at}|${a.sourceIp}|${ACCESS_CODES[a.eventName]}`,
        ttl,
      );
    }
    for (const p of power) {
      const bucket = p.at - (p.at % POWER_BUCKET_MS);
      const ttl = ttlFrom(Math.max(now, p.at), StateTtlSeconds.powerChange);
      add(p.accountId, `P#${p.instanceId}#${bucket}`, `${p.at}|${POWER_CODES[p.eventName]}`, ttl);
    }
    for (const item of items.values()) {
      if (!ACCOUNT_ID.test(item.accountId) || !SORT_KEY.test(item.sortKey)) continue;
      const entries = [...item.entries].sort().slice(-MAX_ENTRIES_PER_BUCKET);
      try {
        await this.options.documents.send(
          new UpdateCommand({
            TableName: this.options.tableName,
            Key: { [PK]: signalsKey(item.accountId), [SK]: item.sortKey },
            UpdateExpression: 'ADD entries :entries SET #ttl = :ttl',
            ConditionExpression: 'attribute_not_exists(entries) OR size(entries) < :max',
            ExpressionAttributeNames: { '#ttl': TTL },
            ExpressionAttributeValues: {
              ':entries': new Set(entries),
              ':ttl': item.expiresAt,
              ':max': MAX_ENTRIES_PER_BUCKET,
            },
          }),
        );
      } catch (error) {
        // Full: this instance's bucket already holds all the actions it can.
        if (!isConditionFailure(error)) throw error;
      }
    }
  }

  async getPlatforms(instances: readonly InstanceKey[]): Promise<Map<string, ReadonlySet<Platform>>> {
    const keys = [...new Map(instances.map((i) => [instanceRef(i.accountId, i.instanceId), i])).values()].map(
      (i) => ({ [PK]: learnedKey(i.accountId, i.instanceId), [SK]: PLATFORMS_SORT_KEY }),
    );
    const found = new Map<string, ReadonlySet<Platform>>();
    for (const item of await this.options.batch.get(keys, false)) {
      const pk = String(item[PK]);
      const [, accountId = '', instanceId = ''] = pk.split('#');
      found.set(instanceRef(accountId, instanceId), parseItem(PlatformsItemSchema, item, pk).platforms);
    }
    return found;
  }

  async notePlatforms(sightings: readonly PlatformSighting[]): Promise<void> {
    const byInstance = new Map<string, { key: InstanceKey; platforms: Set<Platform> }>();
    for (const sighting of sightings) {
      const ref = instanceRef(sighting.accountId, sighting.instanceId);
      let entry = byInstance.get(ref);
      if (entry === undefined) byInstance.set(ref, (entry = { key: sighting, platforms: new Set() }));
      entry.platforms.add(sighting.platform);
    }
    const ttl = ttlFrom(this.options.clock(), StateTtlSeconds.learned);
    for (const { key, platforms } of byInstance.values()) {
      // A set of at most three values: no bound to check.
      await this.options.documents.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { [PK]: learnedKey(key.accountId, key.instanceId), [SK]: PLATFORMS_SORT_KEY },
          UpdateExpression: 'ADD platforms :platforms SET #ttl = :ttl',
          ExpressionAttributeNames: { '#ttl': TTL },
          ExpressionAttributeValues: { ':platforms': platforms, ':ttl': ttl },
        }),
      );
    }
  }

  private query(partition: string): Promise<Record<string, unknown>[]> {
    const { documents, tableName } = this.options;
    return queryPartition(documents, tableName, partition, MAX_SIGNAL_ITEMS_PER_ACCOUNT);
  }
}

function readAccess(accountId: string, instanceId: string, entry: string): OperatorAccess {
  const [, at, sourceIp, code] = ACCESS_ENTRY.exec(entry) ?? [];
  const eventName = ACCESS_NAMES.get(code ?? '') as AccessEventName | undefined;
  if (at === undefined || sourceIp === undefined || eventName === undefined)
    throw new StateItemError(signalsKey(accountId), `access entry "${entry.slice(0, 80)}"`);
  return { accountId, instanceId, sourceIp, at: Number(at), eventName };
}

function readPower(accountId: string, instanceId: string, entry: string): PowerChange {
  const [, at, code] = POWER_ENTRY.exec(entry) ?? [];
  const eventName = POWER_NAMES.get(code ?? '') as PowerEventName | undefined;
  if (at === undefined || eventName === undefined)
    throw new StateItemError(signalsKey(accountId), `power entry "${entry.slice(0, 80)}"`);
  return { accountId, instanceId, at: Number(at), eventName };
}

function inverse(codes: Readonly<Record<string, string>>): Map<string, string> {
  return new Map(Object.entries(codes).map(([name, code]) => [code, name]));
}
