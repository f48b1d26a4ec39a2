import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FindingType } from '../../lib/contracts/finding-event';
import { ExceptionList } from '../../lib/engine/credential-exception';
import { Detector } from '../../lib/engine/detector';
import type { DetectorStore, NetworkLookup } from '../../lib/engine/detector-store';
import { MAX_EGRESS_SIGHTINGS, instanceRef } from '../../lib/engine/learned-network';
import type { LearnedNetworkStore } from '../../lib/engine/learned-network-store';
import { DynamoDbStore } from '../../lib/state/dynamodb-store';
import { learnedKey } from '../../lib/state/learned-network-dynamodb';
import { MemoryLearnedNetworkStore } from '../../lib/state/learned-network-memory';
import { MemoryStore } from '../../lib/state/memory-store';
import { openStateStore } from '../../lib/state/state-spec';
import {
  STATE_TTL_ATTRIBUTE,
  StateTtlSeconds,
  ensureTable,
  stateTableDefinition,
} from '../../lib/state/state-table';
import { deliveryOf, use } from '../support/cloudtrail-records';
import { startLocalDynamo, type LocalDynamo } from '../support/dynalite';

const NOW = Date.parse('2026-11-27T00:00:00Z');
const ACCOUNT = '111111111111';
const at = (hour: number, minute: number) => new Date(Date.UTC(2026, 10, 26, hour, minute)).toISOString();

/** The same contract, whichever store keeps it. */
function storeContract(name: string, open: () => Promise<LearnedNetworkStore>) {
  describe(`${name}: the learned network's store`, () => {
    it('merges origins learnt by two writers, keeps the first teacher, and bounds nothing away silently', async () => {
      // Prepare
      const store = await open();
      const instance = { accountId: ACCOUNT, instanceId: 'i-0one' };
      const nat = { kind: 'address', sourceIp: '52.1.1.1' } as const;
      const endpoint = { kind: 'endpoint', sourceIp: '10.0.1.5', vpcEndpointId: 'vpce-0s3' } as const;

      // Act
      await store.learn([{ ...instance, origin: nat, kind: 'address', at: 1_000, teacher: 'ASIAONE' }], []);
      await store.learn(
        [
          { ...instance, origin: nat, kind: 'address', at: 2_000, teacher: 'ASIATWO' },
          { ...instance, origin: endpoint, kind: 'endpoint', at: 2_000, teacher: 'ASIATWO' },
        ],
        [{ ...instance, at: 5_000 }],
      );
      const histories = await store.getHistories([instance, { accountId: ACCOUNT, instanceId: 'i-0none' }]);

      // Assess
      const history = histories.get(instanceRef(ACCOUNT, 'i-0one'));
      expect(histories.size).toBe(1);
      expect(history?.lastActive).toBe(5_000);
      expect(history?.origins.get('ip:52.1.1.1')).toEqual({
        origin: nat,
        kind: 'address',
        learnedAt: 1_000,
        teacher: 'ASIAONE',
      });
      expect(history?.origins.get('vpce:vpce-0s3|10.0.1.5')?.kind).toBe('endpoint');
    });

    it('counts egress sightings per scope, once each, up to the bound', async () => {
      // Prepare
      const store = await open();
      const sighting = (n: number, region = 'us-east-1') => ({
        accountId: ACCOUNT,
        region,
        address: '52.1.1.2',
        sighting: `i-0${n}/ASIA${n}`,
        at: 1_000 + n,
      });

      // Act
      await store.noteEgress([sighting(1), sighting(1), sighting(2), sighting(3, 'eu-west-1')]);
      await store.noteEgress(Array.from({ length: MAX_EGRESS_SIGHTINGS + 5 }, (_, n) => sighting(10 + n)));
      const egress = await store.getEgress([{ accountId: ACCOUNT, region: 'us-east-1' }]);

      // Assess
      const entry = egress.get(`${ACCOUNT}|us-east-1`)?.get('52.1.1.2');
      expect(entry?.sightings.length).toBe(MAX_EGRESS_SIGHTINGS);
      expect(entry?.sightings).toEqual(expect.arrayContaining(['i-01/ASIA1', 'i-02/ASIA2']));
      expect(entry?.firstSeen).toBe(1_001);
    });
  });
}

describe('learned network state', () => {
  let dynamo: LocalDynamo;
  let tables = 0;
  const newTable = async () => {
    const tableName = `learned-${++tables}`;
    await ensureTable(dynamo.client, stateTableDefinition(tableName));
    return tableName;
  };

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  afterAll(() => dynamo.stop());

  storeContract('memory', () => Promise.resolve(new MemoryLearnedNetworkStore()));
  storeContract('DynamoDB (dynalite)', async () => {
    const store = new DynamoDbStore({ client: dynamo.client, tableName: await newTable(), clock: () => NOW });
    return store.learnedNetwork;
  });

  it('writes the instance history with a TTL (DynamoDB)', async () => {
    // Prepare
    const tableName = await newTable();
    const store = new DynamoDbStore({ client: dynamo.client, tableName, clock: () => NOW });
    const origin = { kind: 'address', sourceIp: '52.1.1.1' } as const;

    // Act
    await store.learnedNetwork.learn(
      [{ accountId: ACCOUNT, instanceId: 'i-0ttl', origin, kind: 'address', at: 1, teacher: 'ASIA' }],
      [],
    );

    // Assess
    const { Item } = await DynamoDBDocumentClient.from(dynamo.client).send(
      new GetCommand({ TableName: tableName, Key: { pk: learnedKey(ACCOUNT, 'i-0ttl'), sk: 'ORIGINS' } }),
    );
    expect(Item?.[STATE_TTL_ATTRIBUTE]).toBe(Math.floor(NOW / 1000) + StateTtlSeconds.learned);
  });

  it('DynamoDB: activity is a small item of its own, moved only forward, without rewriting the history', async () => {
    // Prepare
    const tableName = await newTable();
    let now = NOW;
    const stores = [0, 1].map(
      () => new DynamoDbStore({ client: dynamo.client, tableName, clock: () => now }).learnedNetwork,
    );
    const instance = { accountId: ACCOUNT, instanceId: 'i-0active' };
    const origin = { kind: 'address', sourceIp: '52.1.1.1' } as const;
    const documents = DynamoDBDocumentClient.from(dynamo.client);
    const item = async (sk: string) =>
      (
        await documents.send(
          new GetCommand({ TableName: tableName, Key: { pk: learnedKey(ACCOUNT, 'i-0active'), sk } }),
        )
      ).Item;
    await stores[0]?.learn(
      [{ ...instance, origin, kind: 'address', at: 1_000, teacher: 'ASIA' }],
      [{ ...instance, at: 1_000 }],
    );
    const historyBefore = await item('ORIGINS');

    // Act: a day later, two containers report activity out of order.
    now = NOW + 24 * 3_600_000;
    await stores[0]?.learn([], [{ ...instance, at: 9_000 }]);
    await stores[1]?.learn([], [{ ...instance, at: 5_000 }]);

    // Assess
    expect((await item('ACTIVE'))?.['lastActive']).toBe(9_000);
    expect(await item('ORIGINS')).toEqual(historyBefore);
    expect(
      (await stores[1]?.getHistories([instance]))?.get(instanceRef(ACCOUNT, 'i-0active'))?.lastActive,
    ).toBe(9_000);
  });

  it('DynamoDB: an active instance’s history is kept from expiring, once a week', async () => {
    // Prepare
    const tableName = await newTable();
    let now = NOW;
    const store = new DynamoDbStore({ client: dynamo.client, tableName, clock: () => now }).learnedNetwork;
    const instance = { accountId: ACCOUNT, instanceId: 'i-0renew' };
    const origin = { kind: 'address', sourceIp: '52.1.1.1' } as const;
    const ttl = async () =>
      (
        await DynamoDBDocumentClient.from(dynamo.client).send(
          new GetCommand({
            TableName: tableName,
            Key: { pk: learnedKey(ACCOUNT, 'i-0renew'), sk: 'ORIGINS' },
          }),
        )
      ).Item?.[STATE_TTL_ATTRIBUTE] as number;
    await store.learn(
      [{ ...instance, origin, kind: 'address', at: 1, teacher: 'ASIA' }],
      [{ ...instance, at: 1 }],
    );
    const first = await ttl();

    // Act
    now = NOW + 3 * 24 * 3_600_000;
    await store.learn([], [{ ...instance, at: 2 }]);
    const afterThreeDays = await ttl();
    now = NOW + 8 * 24 * 3_600_000;
    await store.learn([], [{ ...instance, at: 3 }]);

    // Assess
    expect(afterThreeDays).toBe(first);
    expect(await ttl()).toBe(Math.floor(now / 1000) + StateTtlSeconds.learned);
  });

  // What one container learnt judges the keys another container sees: the history is in the table.
  const detector = (store: DetectorStore) =>
    new Detector({
      store,
      networks: { lookup: () => Promise.resolve(new Map<string, NetworkLookup>()) },
      exceptions: new ExceptionList([]),
      trustedAccounts: new Set(),
      clock: () => NOW,
    });
  const instanceId = 'i-0shared';
  const learnHour0 = (store: DetectorStore) =>
    detector(store).process([
      deliveryOf({ accessKeyId: 'ASIAHOUR0', instanceId, eventTime: at(0, 0) }),
      use({ accessKeyId: 'ASIAHOUR0', instanceId, sourceIp: '52.1.1.1', eventTime: at(0, 2) }),
    ]);
  const judgeHour1 = async (store: DetectorStore) => {
    const result = await detector(store).process([
      deliveryOf({ accessKeyId: 'ASIAHOUR1', instanceId, eventTime: at(1, 0) }),
      use({ accessKeyId: 'ASIAHOUR1', instanceId, sourceIp: '185.220.101.7', eventTime: at(1, 1) }),
      use({ accessKeyId: 'ASIAHOUR1', instanceId, sourceIp: '52.1.1.1', eventTime: at(1, 3) }),
    ]);
    return result.findings.map(({ detail }) => [detail.type, detail.sourceIp, detail.expected.source]);
  };
  const attackerFirstAcrossContainers = async (first: DetectorStore, second: DetectorStore) => {
    await learnHour0(first);
    return judgeHour1(second);
  };
  const ATTACKER_FIRST = [[FindingType.UnexpectedOrigin, '185.220.101.7', 'learned']];

  it('DynamoDB: a key delivered in another container is judged against the history the first one wrote', async () => {
    // Prepare
    const tableName = await newTable();
    const stores = [0, 1].map(
      () => new DynamoDbStore({ client: dynamo.client, tableName, clock: () => NOW }),
    );

    // Act
    const findings = await attackerFirstAcrossContainers(
      stores[0] as DynamoDbStore,
      stores[1] as DynamoDbStore,
    );

    // Assess
    expect(findings).toEqual(ATTACKER_FIRST);
  });

  it('memory: the same within one process', async () => {
    // Prepare
    const store = new MemoryStore();

    // Act
    const findings = await attackerFirstAcrossContainers(store, store);

    // Assess
    expect(findings).toEqual(ATTACKER_FIRST);
  });

  it('local store (local:DIR): the history survives between runs', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'credtrail-learned-'));
    try {
      // Act: the first run learns and closes; the second reopens the same directory.
      const firstRun = await openStateStore(`local:${join(dir, 'state')}`, { clock: () => NOW });
      try {
        await learnHour0(firstRun.store);
      } finally {
        await firstRun.close();
      }
      const secondRun = await openStateStore(`local:${join(dir, 'state')}`, { clock: () => NOW });
      let findings;
      try {
        findings = await judgeHour1(secondRun.store);
      } finally {
        await secondRun.close();
      }

      // Assess
      expect(findings).toEqual(ATTACKER_FIRST);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
