import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { Detector } from '../../lib/engine/detector';
import { ExceptionList } from '../../lib/engine/credential-exception';
import type { NetworkDirectory, NetworkLookup, SessionState } from '../../lib/engine/detector-store';
import type { Origin } from '../../lib/engine/origin';
import { DynamoDbStore } from '../../lib/state/dynamodb-store';
import { ExceptionsTable } from '../../lib/state/exceptions-table';
import { RequestCounter } from '../../lib/state/request-counter';
import {
  STATE_TTL_ATTRIBUTE,
  StateTtlSeconds,
  ensureTable,
  exceptionsTableDefinition,
  stateTableDefinition,
} from '../../lib/state/state-table';
import { deliveryRecord, toEvents, useRecord } from '../fixtures/detector/cloudtrail-records';
import { startLocalDynamo, type LocalDynamo } from '../support/dynalite';

const NOW = Date.parse('2024-08-02T09:00:00Z');
const clock = () => NOW;
const noNetworks: NetworkDirectory = { lookup: () => Promise.resolve(new Map<string, NetworkLookup>()) };

function session(accessKeyId: string): SessionState {
  return {
    accessKeyId,
    instanceId: 'i-0abc',
    roleArn: 'arn:aws:iam::111122223333:role/web-server',
    accountId: '111122223333',
    baselines: {},
  };
}

function detectorFor(store: DynamoDbStore): Detector {
  return new Detector({
    store,
    networks: noNetworks,
    exceptions: new ExceptionList([]),
    trustedAccounts: new Set(),
    clock,
  });
}

// One log file: the instance's own first call, then two calls from a stranger's address.
const logFile = [
  deliveryRecord({ eventId: 'd-1', accessKeyId: 'ASIAFILE', instanceId: 'i-0file' }),
  useRecord({ eventId: 'u-1', accessKeyId: 'ASIAFILE', instanceId: 'i-0file', sourceIp: '203.0.113.10' }),
  useRecord({ eventId: 'u-2', accessKeyId: 'ASIAFILE', instanceId: 'i-0file', sourceIp: '198.51.100.7' }),
  useRecord({
    eventId: 'u-3',
    accessKeyId: 'ASIAFILE',
    instanceId: 'i-0file',
    sourceIp: '198.51.100.7',
    eventName: 'ListBuckets',
  }),
];

describe('DynamoDbStore against dynalite', () => {
  let dynamo: LocalDynamo;
  let tableName: string;
  let tableCount = 0;

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  afterAll(() => dynamo.stop());
  beforeEach(async () => {
    tableName = `state-${++tableCount}`;
    await ensureTable(dynamo.client, stateTableDefinition(tableName));
  });

  const newStore = (options: Partial<ConstructorParameters<typeof DynamoDbStore>[0]> = {}) =>
    new DynamoDbStore({ client: dynamo.client, tableName, clock, ...options });

  it('lets exactly one of two racing stores claim a first origin, and both return the winner', async () => {
    // Prepare
    const first = newStore();
    const second = newStore();
    const keys = Array.from({ length: 20 }, (_, index) => `ASIARACE${index}`);
    const mine: Origin = { kind: 'address', sourceIp: '203.0.113.1' };
    const theirs: Origin = { kind: 'address', sourceIp: '198.51.100.2' };

    // Act
    const results = await Promise.all(
      keys.map((key) =>
        Promise.all([
          first.claimBaseline(session(key), 'address', mine),
          second.claimBaseline(session(key), 'address', theirs),
        ]),
      ),
    );

    // Assess
    const stored = await newStore().getSessions(keys);
    for (const [index, [a, b]] of results.entries()) {
      expect(a).toEqual(b);
      expect([mine, theirs]).toContainEqual(a);
      expect(stored.get(keys[index] ?? '')?.baselines.address).toEqual(a);
    }
  });

  it('keeps a claimed first origin when the delivery arrives later, and sets the TTL on both items', async () => {
    // Prepare
    const store = newStore();
    const origin: Origin = {
      kind: 'endpoint',
      sourceIp: '10.0.1.5',
      vpcEndpointId: 'vpce-0aa',
      vpcEndpointAccountId: '111122223333',
    };
    await store.claimBaseline(session('ASIALATE'), 'endpoint', origin);

    // Act
    await store.putDeliveries([{ ...session('ASIALATE'), region: 'eu-west-1', issuedAt: NOW - 60_000 }]);

    // Assess
    const found = (await newStore().getSessions(['ASIALATE'])).get('ASIALATE');
    expect(found).toEqual({
      ...session('ASIALATE'),
      region: 'eu-west-1',
      issuedAt: NOW - 60_000,
      baselines: { endpoint: origin },
    });
    for (const sk of ['DELIVERY', 'BASELINES']) {
      const { Item } = await dynamo.client.send(
        new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'SESSION#ASIALATE' }, sk: { S: sk } } }),
      );
      expect(Number(Item?.[STATE_TTL_ATTRIBUTE]?.N)).toBe(NOW / 1000 + StateTtlSeconds.session);
    }
  });

  it('remembers in a warm container what it wrote: a known first origin or delivery costs no request', async () => {
    // Prepare
    const counter = new RequestCounter().attach(dynamo.client);
    const store = newStore();
    const origin: Origin = { kind: 'address', sourceIp: '203.0.113.1' };
    await store.claimBaseline(session('ASIAWARM'), 'address', origin);
    await store.putDeliveries([session('ASIAWARM')]);
    counter.take();

    // Act
    const again = await store.claimBaseline(session('ASIAWARM'), 'address', {
      kind: 'address',
      sourceIp: '192.0.2.9',
    });
    await store.putDeliveries([session('ASIAWARM')]);

    // Assess
    expect(again).toEqual(origin);
    expect(counter.total).toBe(0);
  });

  it('survives a cold start: a new store instance reads sessions and findings back', async () => {
    // Prepare
    const warm = newStore();
    const { findings } = await warm.withSource('s3://trail/file-1.json.gz', () =>
      detectorFor(warm).process(toEvents(logFile)),
    );

    // Act
    const cold = newStore();
    const sessions = await cold.getSessions(['ASIAFILE', 'ASIAUNKNOWN']);
    const later = useRecord({
      eventId: 'u-9',
      accessKeyId: 'ASIAFILE',
      instanceId: 'i-0file',
      sourceIp: '198.51.100.7',
    });
    const after = await cold.withSource('s3://trail/file-2.json.gz', () =>
      detectorFor(cold).process(toEvents([later])),
    );

    // Assess
    expect(findings).toHaveLength(1);
    expect(findings[0]?.created).toBe(true);
    expect([...sessions.keys()]).toEqual(['ASIAFILE']);
    expect(sessions.get('ASIAFILE')?.baselines.address).toEqual({
      kind: 'address',
      sourceIp: '203.0.113.10',
    });
    expect(sessions.get('ASIAFILE')?.issuedAt).toBe(Date.parse('2024-08-02T08:00:00Z'));
    expect(after.findings[0]).toMatchObject({
      created: false,
      previousEventCount: 2,
      detail: { eventCount: 3 },
    });
  });

  it('keeps an IPv6 first origin apart from the IPv4 one, across a cold start', async () => {
    // Prepare
    const warm = newStore();
    const v4: Origin = { kind: 'address', sourceIp: '203.0.113.10' };
    const v6: Origin = { kind: 'address', sourceIp: '2600:1f18:abcd::15' };
    await warm.claimBaseline(session('ASIADUAL'), 'address', v4);
    await warm.claimBaseline(session('ASIADUAL'), 'ipv6', v6);

    // Act
    const sessions = await newStore().getSessions(['ASIADUAL']);

    // Assess
    expect(sessions.get('ASIADUAL')?.baselines).toEqual({ address: v4, ipv6: v6 });
  });

  it('creates no duplicate finding and does not double-count when the same file is replayed', async () => {
    // Prepare
    const warm = newStore({ findingWrites: 'always' });
    const detector = detectorFor(warm);
    const file = 's3://trail/AWSLogs/111122223333/CloudTrail/eu-west-1/2024/08/02/file.json.gz';
    const first = await warm.withSource(file, () => detector.process(toEvents(logFile)));

    // Act: the same container retries it, then a fresh container does
    const warmReplay = await warm.withSource(file, () => detector.process(toEvents(logFile)));
    const cold = newStore({ findingWrites: 'always' });
    const coldReplay = await cold.withSource(file, () => detectorFor(cold).process(toEvents(logFile)));

    // Assess
    expect(first.findings.map((f) => f.created)).toEqual([true]);
    // The warm replay counts nothing but still hands the (unannounced) finding back to be announced.
    expect(warmReplay.findings).toEqual([
      expect.objectContaining({
        created: false,
        unannounced: true,
        detail: expect.objectContaining({ eventCount: 2 }),
      }),
    ]);
    expect(coldReplay.findings).toHaveLength(1);
    expect(coldReplay.findings[0]).toMatchObject({ created: false, detail: { eventCount: 2 } });
    const { Item } = await dynamo.client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { pk: { S: `FINDING#${first.findings[0]?.detail.findingId}` }, sk: { S: 'FINDING' } },
      }),
    );
    expect(Item?.['version']?.N).toBe('1');
    expect(Number(Item?.[STATE_TTL_ATTRIBUTE]?.N)).toBe(NOW / 1000 + StateTtlSeconds.finding);
  });

  it('lets exactly one of two racing stores create a finding, and loses no count', async () => {
    // Prepare
    const [a, b] = [newStore({ findingWrites: 'always' }), newStore({ findingWrites: 'always' })];
    const probe = newStore();
    const { findings } = await probe.withSource('s3://probe', () =>
      detectorFor(probe).process(toEvents(logFile)),
    );
    const observation = {
      detail: { ...(findings[0]?.detail ?? fail('no finding')), findingId: 'f'.repeat(32) },
      firstSeen: NOW - 1000,
      lastSeen: NOW,
      eventCount: 3,
      eventNames: ['GetObject'],
      userAgents: [],
    };

    // Act
    const [fromA, fromB] = await Promise.all([
      a.withSource('s3://one', () => a.saveFindings([{ ...observation, eventIds: ['a-1', 'a-2', 'a-3'] }])),
      b.withSource('s3://two', () => b.saveFindings([{ ...observation, eventIds: ['b-1', 'b-2', 'b-3'] }])),
    ]);

    // Assess
    expect([fromA[0]?.created, fromB[0]?.created].filter(Boolean)).toHaveLength(1);
    expect(Math.max(fromA[0]?.detail.eventCount ?? 0, fromB[0]?.detail.eventCount ?? 0)).toBe(6);
  });

  it('holds back small finding updates until they matter, and writes them on flush (each call: one sighting)', async () => {
    // Prepare
    const counter = new RequestCounter().attach(dynamo.client);
    const store = newStore();
    const detector = detectorFor(store);
    await store.withSource('s3://f1', () => detector.process(toEvents(logFile)));
    const more = (id: string) =>
      useRecord({
        eventId: id,
        accessKeyId: 'ASIAFILE',
        instanceId: 'i-0file',
        sourceIp: '198.51.100.7',
        eventTime: '2024-08-02T08:31:00Z',
      });
    counter.take();

    // Act
    const small = await store.withSource('s3://f2', () => detector.process(toEvents([more('m-1')])));
    const writesWhileSmall = counter.take();
    const doubled = await store.withSource('s3://f3', () => detector.process(toEvents([more('m-2')])));
    const writesWhenDoubled = counter.take();
    await store.withSource('s3://f4', () => detector.process(toEvents([more('m-3')])));
    const writesWhileHeld = counter.take();
    await store.flush();
    const writesOnFlush = counter.take();

    // Assess
    expect(small.findings[0]?.detail.eventCount).toBe(3);
    // The call's sighting (so the real-time path cannot count it again) is the only write.
    expect(writesWhileSmall).toEqual({ PutItem: 1 });
    expect(doubled.findings[0]?.detail.eventCount).toBe(4);
    expect(writesWhenDoubled).toEqual({ PutItem: 1, UpdateItem: 1 });
    expect(writesWhileHeld).toEqual({ PutItem: 1 });
    expect(writesOnFlush).toEqual({ UpdateItem: 1 });
  });

  it('reads exceptions from their table and reports the malformed ones', async () => {
    // Prepare
    await ensureTable(dynamo.client, exceptionsTableDefinition(`${tableName}-exceptions`));
    const table = new ExceptionsTable(dynamo.client, `${tableName}-exceptions`);
    await table.put('eks-nodes', { subnetId: 'subnet-0eks', reason: 'kubelets proxy IMDS' });
    await table.put('office', {
      cidr: '192.0.2.0/24',
      reason: 'office egress',
      expiresAt: '2030-01-01T00:00:00Z',
    });
    await table.put('typo', { cidr: '192.0.2.0/33', reason: 'broken' });

    // Act
    const loaded = await table.load();

    // Assess
    expect(loaded.exceptions).toEqual([
      { cidr: '192.0.2.0/24', reason: 'office egress', expiresAt: '2030-01-01T00:00:00Z' },
      { subnetId: 'subnet-0eks', reason: 'kubelets proxy IMDS' },
    ]);
    expect(loaded.rejected).toEqual([{ exceptionId: 'typo', problem: expect.stringContaining('CIDR') }]);
  });

  it('keeps every matcher of a scoped exception read from the table: none dropped, none widened', async () => {
    // Prepare
    await ensureTable(dynamo.client, exceptionsTableDefinition(`${tableName}-scoped`));
    const table = new ExceptionsTable(dynamo.client, `${tableName}-scoped`);
    const scoped = {
      cidr: '100.64.0.0/21',
      accountId: '111122223333',
      roleName: 'eks-node',
      vpcId: 'vpc-0eks',
      reason: 'EKS pods',
    };
    await table.put('eks-pods', scoped);

    // Act
    const loaded = await table.load();

    // Assess
    expect(loaded.exceptions).toEqual([scoped]);
  });
});

function fail(message: string): never {
  throw new Error(message);
}
