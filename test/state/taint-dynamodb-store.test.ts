import findingEvent from '../fixtures/events/credtrail-finding-unexpected-origin.json';
import { FindingDetailSchema } from '../../lib/contracts/finding-event';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { TaintRoot } from '../../lib/engine/taint-chain';
import { TaintTracker } from '../../lib/engine/taint-tracker';
import { ensureTable, stateTableDefinition, STATE_TTL_ATTRIBUTE } from '../../lib/state/state-table';
import {
  DynamoDbTaintStore,
  TAINTED_KEYS_PARTITION,
  TaintItemError,
  taintChainKey,
} from '../../lib/state/taint-dynamodb-store';
import { MemoryTaintStore } from '../../lib/state/taint-memory-store';
import { startLocalDynamo, type LocalDynamo } from '../support/dynalite';
import { TRAIL, taintTrail } from '../support/taint-trail';

const NOW = Date.parse('2026-11-26T10:20:00Z');
const FINDING = 'a'.repeat(32);
const root: TaintRoot = {
  findingId: FINDING,
  accessKeyId: TRAIL.stolenKey,
  sourceIp: TRAIL.thiefAddress,
  vpcEndpointId: null,
};

let dynamo: LocalDynamo;
let table = 0;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo.stop();
});

async function freshTable(): Promise<string> {
  const name = `taint-${++table}`;
  await ensureTable(dynamo.client, stateTableDefinition(name));
  return name;
}

function filesInDeliveryOrder(): Record<string, unknown>[][] {
  const files = taintTrail();
  return Object.keys(files)
    .sort((a, b) => (a.split('_')[3] ?? '').localeCompare(b.split('_')[3] ?? ''))
    .map((name) => files[name]?.Records ?? []);
}

async function followAll(
  tracker: TaintTracker,
  files: Record<string, unknown>[][] = filesInDeliveryOrder(),
): Promise<void> {
  const [first, ...rest] = files;
  await tracker.follow([root], first ?? []);
  for (const file of rest) await tracker.follow([], file);
}

describe('DynamoDbTaintStore on dynalite', () => {
  it('keeps the same chain as the memory store, across two containers', async () => {
    const tableName = await freshTable();
    // Two containers: the first file in one, the rest in another; they share only the table.
    const [first, ...rest] = filesInDeliveryOrder();
    await new TaintTracker(new DynamoDbTaintStore({ client: dynamo.client, tableName }), () => NOW).follow(
      [root],
      first ?? [],
    );
    const other = new DynamoDbTaintStore({ client: dynamo.client, tableName });
    for (const file of rest) await new TaintTracker(other, () => NOW).follow([], file);

    const memory = new MemoryTaintStore();
    await followAll(new TaintTracker(memory, () => NOW));
    const summary = await other.summary(FINDING);
    expect(summary).toEqual(await memory.summary(FINDING));
    expect(summary?.derivedSessions.map((session) => session.accessKeyId)).toEqual([
      TRAIL.hop1Key,
      TRAIL.hop2Key,
    ]);
    expect(summary?.persistence).toHaveLength(4);
  });

  it('counts a redelivered file once and reports no growth for it', async () => {
    const tableName = await freshTable();
    const store = new DynamoDbTaintStore({ client: dynamo.client, tableName });
    const tracker = new TaintTracker(store, () => NOW);
    const files = filesInDeliveryOrder();
    await followAll(tracker, files);
    const before = await store.summary(FINDING);
    const again = await tracker.follow([], files[1] ?? []);
    expect(again.some((change) => change.grew)).toBe(false);
    expect(await store.summary(FINDING)).toEqual(before);
  });

  it('gives followed keys a TTL a day past their expiry and chain items the finding TTL', async () => {
    const tableName = await freshTable();
    const store = new DynamoDbTaintStore({ client: dynamo.client, tableName });
    await followAll(new TaintTracker(store, () => NOW));
    const followed = await dynamo.client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { pk: { S: TAINTED_KEYS_PARTITION }, sk: { S: `KEY#${TRAIL.hop1Key}` } },
      }),
    );
    // Hop 1 expires 2026-11-26T11:01:00Z.
    expect(Number(followed.Item?.[STATE_TTL_ATTRIBUTE]?.N)).toBe(Date.parse('2026-11-27T11:01:00Z') / 1000);
    const chainKey = await dynamo.client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { pk: { S: taintChainKey(FINDING) }, sk: { S: `KEY#${TRAIL.hop1Key}` } },
      }),
    );
    expect(Number(chainKey.Item?.[STATE_TTL_ATTRIBUTE]?.N)).toBe(NOW / 1000 + 7 * 24 * 3600);
    // Expired keys are no longer followed, even before TTL has deleted them.
    expect(await store.activeKeys(Date.parse('2026-11-26T12:10:00Z'))).toEqual([]);
  });

  it('keeps a finding snapshot for update announcements', async () => {
    const tableName = await freshTable();
    const store = new DynamoDbTaintStore({ client: dynamo.client, tableName });
    expect(await store.getFinding(FINDING)).toBeUndefined();
    const detail = FindingDetailSchema.parse(findingEvent.detail);
    await store.putFinding(detail, NOW);
    expect(await store.getFinding(detail.findingId)).toEqual(detail);
  });

  it('refuses a malformed key item with a typed error', async () => {
    const tableName = await freshTable();
    await dynamo.client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          pk: { S: TAINTED_KEYS_PARTITION },
          sk: { S: 'KEY#ASIABROKEN' },
          accessKeyId: { S: 'ASIABROKEN' },
        },
      }),
    );
    await expect(
      new DynamoDbTaintStore({ client: dynamo.client, tableName }).activeKeys(NOW),
    ).rejects.toBeInstanceOf(TaintItemError);
  });
});
