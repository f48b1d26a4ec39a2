import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

/**
 * The detector's state table: one table, a generic `pk`/`sk` pair, every item kind told apart by its
 * key prefix. The CDK stack mirrors these constants, so a rename here fails its tests, not production.
 *
 * | item               | pk                    | sk          | holds                                            |
 * |--------------------|-----------------------|-------------|--------------------------------------------------|
 * | delivery           | `SESSION#<ASIA…>`     | `DELIVERY`  | instance, role, account, region, issue time       |
 * | first origins      | `SESSION#<ASIA…>`     | `BASELINES` | `address` / `endpoint` first origins (claimed)    |
 * | finding            | `FINDING#<findingId>` | `FINDING`   | the finding detail, version, replay sources       |
 * | instance network   | `NETWORK#<i-…>`       | `NETWORK`   | EC2's description of the instance's network       |
 * | outbox entry       | `OUTBOX`              | `FINDING#…` | a stored finding not yet announced (the sweep's)  |
 * | sighting           | `FINDING#<findingId>` | `EVENT#<eventID>` | which source counted this call in the finding |
 * | learned network    | `LEARNED#<acct>#<i-…>` / `EGRESS#<acct>#<region>` | see learned-network-dynamodb.ts |
 * | trail signals      | `SIGNALS#<acct>` / `LEARNED#<acct>#<i-…>` (`PLATFORMS`) | see trail-signals-dynamodb.ts |
 *
 * Delivery and first origins are two items so that deliveries can be written in batches
 * (BatchWriteItem only puts whole items) without ever overwriting a claimed first origin.
 */
export const STATE_PARTITION_KEY = 'pk';
export const STATE_SORT_KEY = 'sk';
/** Epoch seconds; DynamoDB's TTL deletes the item some time after it passes. */
export const STATE_TTL_ATTRIBUTE = 'expiresAt';

export const ItemKind = {
  Delivery: 'DELIVERY',
  Baselines: 'BASELINES',
  Finding: 'FINDING',
  Network: 'NETWORK',
} as const;

/**
 * The outbox: one partition listing findings stored but not yet announced, so a sweep finds them with a
 * single Query. Findings are rare, so the partition stays small and cold.
 */
export const OUTBOX_PARTITION = 'OUTBOX';

export const sessionKey = (accessKeyId: string) => `SESSION#${accessKeyId}`;
export const findingKey = (findingId: string) => `FINDING#${findingId}`;
export const networkKey = (instanceId: string) => `NETWORK#${instanceId}`;
/** A sighting lives in its finding's partition: one call counted in one finding, by one source. */
export const sightingSortKey = (eventId: string) => `EVENT#${eventId}`;

const HOUR_SECONDS = 3600;

/**
 * How long each item kind is worth keeping. Instance-profile keys live about 6 h (EC2 rotates them
 * hourly, the old one stays valid until it expires); log files arrive up to ~20 min late and SQS may
 * retry for a while, so sessions get twice that.
 */
export const StateTtlSeconds = {
  session: 12 * HOUR_SECONDS,
  // A finding only grows while its key is valid; a week keeps replays of old files from re-alerting.
  finding: 7 * 24 * HOUR_SECONDS,
  // EIPs and NAT gateways change: re-read EC2 at most hourly per instance.
  network: HOUR_SECONDS,
  // An instance EC2 does not know (terminated, wrong region): ask again soon.
  unknownNetwork: 15 * 60,
  // What an instance's keys showed (issue 13): kept while it runs, refreshed by every write.
  learned: 14 * 24 * HOUR_SECONDS,
  // An operator's access (trail signals): its 30-minute window, and as long again for late log files.
  operatorAccess: HOUR_SECONDS,
  // A stop or start: a key delivered before a stop stays valid for hours, as long as a session is kept.
  powerChange: 12 * HOUR_SECONDS,
} as const;

export function ttlFrom(nowMs: number, seconds: number): number {
  return Math.floor(nowMs / 1000) + seconds;
}

export const EXCEPTIONS_PARTITION_KEY = 'exceptionId';

export function stateTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: STATE_PARTITION_KEY, AttributeType: 'S' },
      { AttributeName: STATE_SORT_KEY, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: STATE_PARTITION_KEY, KeyType: 'HASH' },
      { AttributeName: STATE_SORT_KEY, KeyType: 'RANGE' },
    ],
  };
}

export function exceptionsTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: EXCEPTIONS_PARTITION_KEY, AttributeType: 'S' }],
    KeySchema: [{ AttributeName: EXCEPTIONS_PARTITION_KEY, KeyType: 'HASH' }],
  };
}

/**
 * Creates a table unless it exists: for tests and the local store only. In AWS the CDK stack owns the
 * tables (and turns TTL on, which dynalite does not implement).
 */
export async function ensureTable(
  client: DynamoDBClient,
  definition: CreateTableCommandInput,
): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: definition.TableName }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    await client.send(new CreateTableCommand(definition));
  }
  // A new table is CREATING for a moment (dynalite too, on its next tick): wait until it is usable.
  for (let attempt = 0; attempt < 100; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: definition.TableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`table ${definition.TableName} did not become ACTIVE`);
}
