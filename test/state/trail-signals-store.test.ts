import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { instanceRef } from '../../lib/engine/learned-network';
import {
  MAX_ACCESSES_PER_INSTANCE,
  type OperatorAccess,
  type TrailSignalStore,
} from '../../lib/engine/trail-signal-store';
import { DynamoDbStore } from '../../lib/state/dynamodb-store';
import { signalsKey } from '../../lib/state/trail-signals-dynamodb';
import { MemoryTrailSignalStore } from '../../lib/state/trail-signals-memory';
import {
  STATE_TTL_ATTRIBUTE,
  StateTtlSeconds,
  ensureTable,
  stateTableDefinition,
} from '../../lib/state/state-table';
import { startLocalDynamo, type LocalDynamo } from '../support/dynalite';

const NOW = Date.parse('2026-11-26T12:00:00Z');
const ACCOUNT = '111111111111';
const OTHER_ACCOUNT = '222222222222';
const MINUTE = 60_000;
const T0 = Date.parse('2026-11-26T10:00:00Z');
const access = (minute: number, sourceIp = '81.2.69.160', instanceId = 'i-0aaaaaaaaaaaaaaaa') =>
  ({
    accountId: ACCOUNT,
    instanceId,
    sourceIp,
    at: T0 + minute * MINUTE,
    eventName: 'SendCommand',
  }) satisfies OperatorAccess;

/** The same contract, whichever store keeps it. */
function storeContract(name: string, open: () => Promise<TrailSignalStore>) {
  describe(`${name}: the trail signals' store`, () => {
    it('reads back what was noted, once however often it was written, per account', async () => {
      // Prepare
      const store = await open();
      const stop = {
        accountId: ACCOUNT,
        instanceId: 'i-0bbbbbbbbbbbbbbbb',
        at: T0,
        eventName: 'StopInstances',
      } as const;
      const start = { ...stop, at: T0 + 30 * MINUTE, eventName: 'StartInstances' } as const;

      // Act: a retried batch writes the same again.
      await store.noteSignals([access(1), access(2, '2001:db8::7')], [stop]);
      await store.noteSignals([access(1)], [stop, start]);
      const signals = await store.getSignals([ACCOUNT, OTHER_ACCOUNT]);

      // Assess
      const mine = signals.get(ACCOUNT);
      expect([...(mine?.accesses ?? [])].sort((a, b) => a.at - b.at)).toEqual([
        access(1),
        access(2, '2001:db8::7'),
      ]);
      expect([...(mine?.power ?? [])].sort((a, b) => a.at - b.at)).toEqual([stop, start]);
      expect(signals.get(OTHER_ACCOUNT)).toEqual({ accesses: [], power: [] });
    });

    it('bounds an instance’s accesses without hiding a later one behind a busy spell', async () => {
      // Prepare
      const store = await open();
      const busy = Array.from({ length: 40 }, (_, n) => access(n / 10, `81.2.69.${n}`));

      // Act
      await store.noteSignals(busy, []);
      await store.noteSignals([access(45, '81.2.69.250')], []);
      const accesses = (await store.getSignals([ACCOUNT])).get(ACCOUNT)?.accesses ?? [];

      // Assess
      expect(accesses.length).toBeLessThanOrEqual(MAX_ACCESSES_PER_INSTANCE);
      expect(accesses).toContainEqual(access(45, '81.2.69.250'));
    });

    it('merges the platforms two writers saw', async () => {
      // Prepare
      const store = await open();
      const instance = { accountId: ACCOUNT, instanceId: 'i-0cccccccccccccccc' };

      // Act
      await store.notePlatforms([{ ...instance, platform: 'linux' }]);
      await store.notePlatforms([
        { ...instance, platform: 'linux' },
        { ...instance, platform: 'windows' },
      ]);
      const platforms = await store.getPlatforms([
        instance,
        { ...instance, instanceId: 'i-0dddddddddddddddd' },
      ]);

      // Assess
      expect(platforms.size).toBe(1);
      expect([...(platforms.get(instanceRef(ACCOUNT, instance.instanceId)) ?? [])].sort()).toEqual([
        'linux',
        'windows',
      ]);
    });
  });
}

describe('trail signal state', () => {
  let dynamo: LocalDynamo;
  let tables = 0;
  const newTable = async () => {
    const tableName = `signals-${++tables}`;
    await ensureTable(dynamo.client, stateTableDefinition(tableName));
    return tableName;
  };

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  afterAll(() => dynamo.stop());

  storeContract('memory', () => Promise.resolve(new MemoryTrailSignalStore()));
  storeContract('DynamoDB (dynalite)', async () => {
    const store = new DynamoDbStore({ client: dynamo.client, tableName: await newTable(), clock: () => NOW });
    return store.trailSignals;
  });

  it('DynamoDB: an access lives an hour, a stop as long as a session, and an expired item is not read', async () => {
    // Prepare
    const tableName = await newTable();
    let now = NOW;
    const store = new DynamoDbStore({ client: dynamo.client, tableName, clock: () => now });
    const stop = { accountId: ACCOUNT, instanceId: 'i-0eeeeeeeeeeeeeeee', at: NOW - MINUTE } as const;

    // Act
    await store.trailSignals.noteSignals(
      [{ ...access(0), at: NOW - 2 * MINUTE }],
      [{ ...stop, eventName: 'StopInstances' }],
    );
    const { Items = [] } = await DynamoDBDocumentClient.from(dynamo.client).send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': signalsKey(ACCOUNT) },
      }),
    );
    now = NOW + 2 * 3_600_000;
    const later = (await store.trailSignals.getSignals([ACCOUNT])).get(ACCOUNT);

    // Assess
    const ttlOf = (prefix: string) =>
      Items.find((item) => String(item['sk']).startsWith(prefix))?.[STATE_TTL_ATTRIBUTE] as number;
    const seconds = Math.floor(NOW / 1000);
    expect(ttlOf('A#') - seconds).toBe(StateTtlSeconds.operatorAccess);
    expect(ttlOf('P#') - seconds).toBe(StateTtlSeconds.powerChange);
    expect(later?.accesses).toEqual([]);
    expect(later?.power.map((change) => change.eventName)).toEqual(['StopInstances']);
  });

  it('DynamoDB: a malformed stored entry is an error, not a silent miss', async () => {
    // Prepare
    const tableName = await newTable();
    const store = new DynamoDbStore({ client: dynamo.client, tableName, clock: () => NOW });
    await DynamoDBDocumentClient.from(dynamo.client).send(
      new PutCommand({
        TableName: tableName,
        Item: { pk: signalsKey(ACCOUNT), sk: 'A#i-0aaaaaaaaaaaaaaaa#0', entries: new Set(['nonsense']) },
      }),
    );

    // Act
    const read = store.trailSignals.getSignals([ACCOUNT]);

    // Assess
    await expect(read).rejects.toThrow(/malformed/);
  });
});
