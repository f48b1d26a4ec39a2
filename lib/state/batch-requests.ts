import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UnprocessedItemsError } from './state-items';

const BATCH_GET_KEYS = 100;
export const BATCH_WRITE_ITEMS = 25;
const BATCH_RETRIES = 8;

/** BatchGetItem and BatchWriteItem in full-size requests, retrying what DynamoDB leaves unprocessed. */
export class BatchRequests {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  async get(
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

  async put(items: readonly Record<string, unknown>[]): Promise<void> {
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
