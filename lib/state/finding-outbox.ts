import {
  BatchWriteCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import {
  OUTBOX_PARTITION,
  STATE_PARTITION_KEY as PK,
  STATE_SORT_KEY as SK,
  STATE_TTL_ATTRIBUTE as TTL,
  StateTtlSeconds,
  findingKey,
  ttlFrom,
} from './state-table';
import { parseItem } from './state-items';

const OutboxItemSchema = z.object({ findingId: z.string(), enteredAt: z.number() });
export type OutboxEntry = z.infer<typeof OutboxItemSchema>;

const BATCH_WRITE_ITEMS = 25;

/**
 * Findings stored but not yet announced, one item each in the `OUTBOX` partition. An entry is written
 * before its finding and removed after the announcement is recorded, so whatever fails in between
 * (PutEvents, the container, `markAnnounced`) a sweep still finds the finding and announces it.
 */
export class FindingOutbox {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: () => number,
  ) {}

  /** Idempotent: an entry written again keeps its first time, so its age stays honest. */
  async enter(findingId: string): Promise<void> {
    const now = this.clock();
    await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { [PK]: OUTBOX_PARTITION, [SK]: findingKey(findingId) },
        UpdateExpression:
          'SET findingId = :findingId, enteredAt = if_not_exists(enteredAt, :now), #ttl = :ttl',
        ExpressionAttributeNames: { '#ttl': TTL },
        ExpressionAttributeValues: {
          ':findingId': findingId,
          ':now': now,
          ':ttl': ttlFrom(now, StateTtlSeconds.finding),
        },
      }),
    );
  }

  async list(): Promise<OutboxEntry[]> {
    const entries: OutboxEntry[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :outbox',
          ExpressionAttributeNames: { '#pk': PK },
          ExpressionAttributeValues: { ':outbox': OUTBOX_PARTITION },
          ...(startKey !== undefined ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of page.Items ?? []) entries.push(parseItem(OutboxItemSchema, item, OUTBOX_PARTITION));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return entries;
  }

  /** Removes entries; one left behind (throttled) is only announced again, and dropped by the next sweep. */
  async leave(findingIds: readonly string[]): Promise<void> {
    for (let start = 0; start < findingIds.length; start += BATCH_WRITE_ITEMS) {
      const requests = findingIds.slice(start, start + BATCH_WRITE_ITEMS).map((findingId) => ({
        DeleteRequest: { Key: { [PK]: OUTBOX_PARTITION, [SK]: findingKey(findingId) } },
      }));
      await this.documents.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }));
    }
  }
}
