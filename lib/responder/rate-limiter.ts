import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';

export interface RateDecision {
  allowed: boolean;
  /** Incidents acted on in this hour, including this one when allowed. */
  count: number | null;
}

/** Counts incidents acted on per clock hour; refuses beyond `max`. */
export interface RateLimiter {
  tryAcquire(now: Date, max: number): Promise<RateDecision>;
}

function hourBucket(now: Date): string {
  return now.toISOString().slice(0, 13);
}

/**
 * A conditional atomic counter per hour in the audit table: the increment and the check are one
 * UpdateItem, so concurrent Lambdas cannot both take the last slot.
 */
export class DynamoRateLimiter implements RateLimiter {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.documents = DynamoDBDocumentClient.from(client);
  }

  async tryAcquire(now: Date, max: number): Promise<RateDecision> {
    if (max <= 0) return { allowed: false, count: null };
    try {
      const result = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `RATE#${hourBucket(now)}`, sk: 'COUNT' },
          UpdateExpression: 'ADD #count :one SET expiresAt = if_not_exists(expiresAt, :expiresAt)',
          ConditionExpression: 'attribute_not_exists(#count) OR #count < :max',
          ExpressionAttributeNames: { '#count': 'count' },
          ExpressionAttributeValues: {
            ':one': 1,
            ':max': max,
            ':expiresAt': Math.floor(now.getTime() / 1000) + 2 * 86_400,
          },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const count: unknown = result.Attributes?.count;
      return { allowed: true, count: typeof count === 'number' ? count : null };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { allowed: false, count: max };
      throw error;
    }
  }
}

/** In-process counter: the CLI, where a person decides each response. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly counts = new Map<string, number>();

  tryAcquire(now: Date, max: number): Promise<RateDecision> {
    const bucket = hourBucket(now);
    const count = this.counts.get(bucket) ?? 0;
    if (count >= max) return Promise.resolve({ allowed: false, count });
    this.counts.set(bucket, count + 1);
    return Promise.resolve({ allowed: true, count: count + 1 });
  }
}
