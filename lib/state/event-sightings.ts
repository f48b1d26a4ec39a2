import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { BatchRequests } from './batch-requests';
import { isConditionFailure, parseItem } from './state-items';
import {
  STATE_PARTITION_KEY as PK,
  STATE_SORT_KEY as SK,
  STATE_TTL_ATTRIBUTE as TTL,
  StateTtlSeconds,
  findingKey,
  sightingSortKey,
  ttlFrom,
} from './state-table';

const SightingItemSchema = z.object({ owner: z.string(), sightedAt: z.number() });

/**
 * A sighting older than this whose finding was never stored belongs to a source that died between
 * claiming the call and creating the finding (and whose retries ended in a dead-letter queue): the
 * other path may take it over. Lambda's longest timeout is 15 minutes, so by then the owner's
 * invocation is over; a later retry of the owner finds the call taken and counts it not.
 */
export const SIGHTING_TAKEOVER_MS = 15 * 60_000;

/** Conditional puts in flight at once: a theft's file holds tens of calls, a forwarded message one. */
const CLAIMS_IN_FLIGHT = 16;

/**
 * One sighting per call and finding, across both paths and every container: before a source counts a
 * call in a finding it claims the call with a conditional put (`EVENT#<eventID>` in the finding's
 * partition, naming the source). Whoever claims first counts it; a retry of the same source (same file,
 * same forwarded event) may count it again, and the finding's replay check keeps that from adding twice.
 * Only calls that feed a theft finding are claimed (see `needsSightings`): expected traffic costs nothing.
 */
export class EventSightings {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: () => number,
    private readonly batch: BatchRequests,
  ) {}

  /**
   * The eventIDs among `eventIds` that `owner` may count in the finding: claimed now, or earlier by the
   * same owner. `findingStored`: whether the finding exists; if not, stale claims of others are taken over.
   */
  async claim(
    findingId: string,
    eventIds: readonly string[],
    owner: string,
    findingStored: boolean,
  ): Promise<Set<string>> {
    const now = this.clock();
    const won = new Set<string>();
    const lost: string[] = [];
    await inBatches([...new Set(eventIds)], CLAIMS_IN_FLIGHT, async (eventId) => {
      if (await this.put(findingId, eventId, owner, now)) won.add(eventId);
      else lost.push(eventId);
    });
    if (!findingStored && lost.length > 0) {
      for (const eventId of await this.takeOverStale(findingId, lost, owner, now)) won.add(eventId);
    }
    return won;
  }

  /** True when the call is ours: nobody had claimed it, or we had. */
  private async put(
    findingId: string,
    eventId: string,
    owner: string,
    now: number,
    previous?: z.infer<typeof SightingItemSchema>,
  ): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            [PK]: findingKey(findingId),
            [SK]: sightingSortKey(eventId),
            owner,
            sightedAt: now,
            [TTL]: ttlFrom(now, StateTtlSeconds.finding),
          },
          ...(previous === undefined
            ? {
                ConditionExpression: 'attribute_not_exists(#pk) OR #owner = :owner',
                ExpressionAttributeNames: { '#pk': PK, '#owner': 'owner' },
                ExpressionAttributeValues: { ':owner': owner },
              }
            : {
                // Taking over: only if nobody changed the sighting since we read it.
                ConditionExpression: '#owner = :previous AND sightedAt = :at',
                ExpressionAttributeNames: { '#owner': 'owner' },
                ExpressionAttributeValues: { ':previous': previous.owner, ':at': previous.sightedAt },
              }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * No count can be anywhere but in the finding item, and there is none: a claim older than
   * SIGHTING_TAKEOVER_MS was left by a source that never stored what it claimed.
   */
  private async takeOverStale(
    findingId: string,
    eventIds: readonly string[],
    owner: string,
    now: number,
  ): Promise<string[]> {
    const items = await this.batch.get(
      eventIds.map((eventId) => ({ [PK]: findingKey(findingId), [SK]: sightingSortKey(eventId) })),
      true,
    );
    const taken: string[] = [];
    for (const item of items) {
      const key = `${String(item[PK])}/${String(item[SK])}`;
      const sighting = parseItem(SightingItemSchema, item, key);
      if (now - sighting.sightedAt < SIGHTING_TAKEOVER_MS) continue;
      const eventId = String(item[SK]).slice(sightingSortKey('').length);
      if (await this.put(findingId, eventId, owner, now, sighting)) taken.push(eventId);
    }
    return taken;
  }
}

async function inBatches<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>) {
  for (let start = 0; start < items.length; start += size) {
    await Promise.all(items.slice(start, start + size).map(work));
  }
}
