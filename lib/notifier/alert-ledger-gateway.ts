import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

/** Remembers which alerts went out, so a finding re-sent by GuardDuty or re-published is emailed once. */
export interface AlertLedger {
  /** True when this caller may send the alert now; false when it was sent or is being sent. */
  claim(key: string, now: Date): Promise<boolean>;
  markSent(key: string, now: Date): Promise<void>;
  /** Gives the claim back after a failed send, so the retry sends it. */
  release(key: string): Promise<void>;
  /** Issue 17: the chain items (chain-version.ts ids) earlier emails of this finding showed. */
  chainSeen(findingId: string): Promise<ReadonlySet<string>>;
  /** Adds the items an email showed to what was seen (a set: redelivery adds nothing). */
  recordChainSeen(findingId: string, ids: readonly string[], now: Date): Promise<void>;
}

/** A claim expires after this, so a Lambda that died between claim and send does not swallow the alert. */
export const CLAIM_LEASE_MS = 5 * 60 * 1000;
/** Sent alerts are remembered this long (DynamoDB TTL); GuardDuty keeps updating a finding for 90 days. */
export const SENT_RETENTION_S = 90 * 24 * 3600;

function chainSeenKey(findingId: string): string {
  return `chain-seen/${findingId}`;
}

/**
 * The ledger in the idempotency table (partition key `id`, TTL attribute `expiration`, as Powertools'
 * idempotency layer uses it). Keys are prefixed `notifier#`, apart from Powertools' own records.
 */
export class AlertLedgerGateway implements AlertLedger {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async claim(key: string, now: Date): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            id: { S: this.id(key) },
            status: { S: 'claimed' },
            leaseUntil: { N: String(now.getTime() + CLAIM_LEASE_MS) },
            expiration: { N: String(Math.floor(now.getTime() / 1000) + SENT_RETENTION_S) },
          },
          ConditionExpression: 'attribute_not_exists(id) OR (#status = :claimed AND leaseUntil < :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':claimed': { S: 'claimed' }, ':now': { N: String(now.getTime()) } },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async markSent(key: string, now: Date): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { id: { S: this.id(key) } },
        UpdateExpression: 'SET #status = :sent, sentAt = :now REMOVE leaseUntil',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':sent': { S: 'sent' }, ':now': { S: now.toISOString() } },
      }),
    );
  }

  async release(key: string): Promise<void> {
    await this.client
      .send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: { id: { S: this.id(key) } },
          ConditionExpression: '#status = :claimed',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':claimed': { S: 'claimed' } },
        }),
      )
      .catch((error: unknown) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  }

  async chainSeen(findingId: string): Promise<ReadonlySet<string>> {
    const output = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { id: { S: this.id(chainSeenKey(findingId)) } },
        ConsistentRead: true,
      }),
    );
    return new Set(output.Item?.['items']?.SS ?? []);
  }

  async recordChainSeen(findingId: string, ids: readonly string[], now: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { id: { S: this.id(chainSeenKey(findingId)) } },
        UpdateExpression: 'ADD #items :ids SET expiration = :expiration',
        ExpressionAttributeNames: { '#items': 'items' },
        ExpressionAttributeValues: {
          ':ids': { SS: [...new Set(ids)] },
          ':expiration': { N: String(Math.floor(now.getTime() / 1000) + SENT_RETENTION_S) },
        },
      }),
    );
  }

  private id(key: string): string {
    return `notifier#${key}`;
  }
}
