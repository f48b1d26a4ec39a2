import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { FindingType, type FindingDetail } from '../../lib/contracts/finding-event';
import { ExceptionList } from '../../lib/engine/credential-exception';
import { Detector } from '../../lib/engine/detector';
import type { DetectorStore, NetworkDirectory, NetworkLookup } from '../../lib/engine/detector-store';
import { DynamoDbStore } from '../../lib/state/dynamodb-store';
import { SIGHTING_TAKEOVER_MS } from '../../lib/state/event-sightings';
import { sourceIdOf } from '../../lib/state/finding-merge-policy';
import { MemoryStore } from '../../lib/state/memory-store';
import { ensureTable, stateTableDefinition } from '../../lib/state/state-table';
import { deliveryRecord, toEvents, useRecord } from '../fixtures/detector/cloudtrail-records';
import { startLocalDynamo, type LocalDynamo } from '../support/dynalite';

/**
 * Issue 14: the real-time path (one forwarded call per message, source `eventbridge:<eventID>`) and the
 * log files bring the same calls, in either order, to different containers sharing one table. Each
 * "container" here is its own DynamoDbStore and Detector (its own caches), as Lambda concurrency makes
 * them; a finding must come out once, created by whichever path saw a call first, at the true count.
 */
const START = Date.parse('2024-08-02T09:00:00Z');
const noNetworks: NetworkDirectory = { lookup: () => Promise.resolve(new Map<string, NetworkLookup>()) };

const key = { accessKeyId: 'ASIATHEFT', instanceId: 'i-0theft' };
const delivery = deliveryRecord({ eventId: 'd-1', ...key, eventTime: '2024-08-02T08:00:00Z' });
const ownCall = useRecord({
  eventId: 'o-1',
  ...key,
  sourceIp: '203.0.113.10',
  eventTime: '2024-08-02T08:01:00Z',
});
// The thief's four calls from a stranger's address: the true count of the finding is 4.
const thiefCalls = ['GetCallerIdentity', 'ListBuckets', 'GetObject', 'ListSecrets'].map((eventName, index) =>
  useRecord({
    eventId: `t-${index + 1}`,
    ...key,
    sourceIp: '198.51.100.7',
    eventName,
    eventTime: `2024-08-02T08:0${index + 2}:00Z`,
  }),
);
const logFile = [delivery, ownCall, ...thiefCalls];
const FILE = 's3://trail/AWSLogs/111122223333/CloudTrail/eu-west-1/2024/08/02/file-0805.json.gz';
const TRUE_COUNT = thiefCalls.length;

interface Container {
  readonly store: DynamoDbStore;
  readonly detector: Detector;
}

type Path = 'eventbridge' | 'file';

describe('one sighting per eventID across the real-time path and the log files', () => {
  let dynamo: LocalDynamo;
  let tableName: string;
  let tables = 0;
  let now = START;
  const clock = () => now;

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  afterAll(() => dynamo.stop());
  beforeEach(async () => {
    now = START;
    tableName = `sightings-${++tables}`;
    await ensureTable(dynamo.client, stateTableDefinition(tableName));
  });

  const container = (findingWrites: 'meaningful' | 'always' = 'meaningful'): Container => {
    const store = new DynamoDbStore({ client: dynamo.client, tableName, clock, findingWrites });
    return { store, detector: detectorOver(store, clock) };
  };

  /** As DetectorService handles the real-time queue: one forwarded call per message, its own source. */
  const viaEvents = async (into: Container, records: readonly Record<string, unknown>[]) => {
    const created: Path[] = [];
    for (const record of records) {
      const result = await into.store.withSource(`eventbridge:${String(record['eventID'])}`, () =>
        into.detector.process(toEvents([record]), { imdsv1Findings: false }),
      );
      if (result.findings.some((f) => f.created)) created.push('eventbridge');
    }
    return created;
  };
  const viaFile = async (into: Container, records: readonly Record<string, unknown>[], uri = FILE) => {
    const result = await into.store.withSource(uri, () => into.detector.process(toEvents(records)));
    return result.findings.some((f) => f.created) ? (['file'] as Path[]) : [];
  };

  /** The findings as the table holds them, after every container wrote what it held back. */
  const storedFindings = async (...containers: Container[]): Promise<FindingDetail[]> => {
    for (const c of containers) await c.store.flush();
    const documents = DynamoDBDocumentClient.from(dynamo.client);
    const { Items = [] } = await documents.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'sk = :finding',
        ExpressionAttributeValues: { ':finding': 'FINDING' },
      }),
    );
    return Items.map((item) => item['detail'] as FindingDetail);
  };

  it.each(['meaningful', 'always'] as const)(
    'real-time first, files later, in two containers: created by the real-time path, counted once (%s writes)',
    async (writes) => {
      // Prepare
      const [live, files] = [container(writes), container(writes)];

      // Act
      const createdLive = await viaEvents(live, logFile);
      now += 6 * 60_000;
      const createdByFile = await viaFile(files, logFile);

      // Assess
      expect([...createdLive, ...createdByFile]).toEqual(['eventbridge']);
      const findings = await storedFindings(live, files);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({
        type: FindingType.UnexpectedOrigin,
        sourceIp: '198.51.100.7',
        eventCount: TRUE_COUNT,
      });
      expect(findings[0]?.eventNames).toEqual([
        'GetCallerIdentity',
        'ListBuckets',
        'GetObject',
        'ListSecrets',
      ]);
    },
  );

  it.each(['meaningful', 'always'] as const)(
    'files first, real-time late, in two containers: the late events add nothing (%s writes)',
    async (writes) => {
      // Prepare
      const [files, live] = [container(writes), container(writes)];

      // Act
      const createdByFile = await viaFile(files, logFile);
      const createdLive = await viaEvents(live, logFile);

      // Assess
      expect([...createdByFile, ...createdLive]).toEqual(['file']);
      const findings = await storedFindings(files, live);
      expect(findings.map((f) => f.eventCount)).toEqual([TRUE_COUNT]);
    },
  );

  it('backfills from the files what the real-time path dropped, and counts the rest once', async () => {
    // Prepare: the real-time path lost t-2 and t-4 (EventBridge delivery is best effort here).
    const [live, files] = [container(), container()];
    const forwarded = logFile.filter((r) => r['eventID'] !== 't-2' && r['eventID'] !== 't-4');

    // Act
    await viaEvents(live, forwarded);
    const afterLive = await storedFindings(live);
    await viaFile(files, logFile);

    // Assess
    expect(afterLive.map((f) => f.eventCount)).toEqual([2]);
    expect((await storedFindings(live, files)).map((f) => f.eventCount)).toEqual([TRUE_COUNT]);
  });

  it('counts once when the paths interleave: two calls live, the file, two calls arriving late', async () => {
    // Prepare
    const [live, files] = [container('always'), container('always')];

    // Act
    await viaEvents(live, [delivery, ownCall, thiefCalls[0], thiefCalls[1]].filter(isRecord));
    await viaFile(files, logFile);
    await viaEvents(live, [thiefCalls[2], thiefCalls[3]].filter(isRecord));

    // Assess
    expect((await storedFindings(live, files)).map((f) => f.eventCount)).toEqual([TRUE_COUNT]);
  });

  it('counts once when both paths race in parallel containers', async () => {
    // Prepare
    const [live, files] = [container('always'), container('always')];
    await viaEvents(live, [delivery, ownCall]);

    // Act
    await Promise.all([viaEvents(live, thiefCalls), viaFile(files, logFile)]);

    // Assess
    const findings = await storedFindings(live, files);
    expect(findings.map((f) => f.eventCount)).toEqual([TRUE_COUNT]);
  });

  it('lets a retry of the same file, in a third container, count what its failed attempt claimed', async () => {
    // Prepare: the first attempt claims the thief's calls, then its finding write is throttled for good.
    const throttled = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    throttled.middlewareStack.add(
      (next, context) => async (args) => {
        // The document client's input: plain values, marshalled further down the stack.
        const item = (args.input as { Item?: Record<string, unknown> }).Item;
        if (context.commandName === 'PutItemCommand' && item?.['sk'] === 'FINDING')
          throw Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
            name: 'ProvisionedThroughputExceededException',
            $metadata: {},
          });
        return next(args);
      },
      { step: 'initialize', name: 'throttleFindingPuts' },
    );
    const failingStore = new DynamoDbStore({ client: throttled, tableName, clock });
    const failing = { store: failingStore, detector: detectorOver(failingStore, clock) };
    await expect(viaFile(failing, logFile)).rejects.toThrow('allowed throughput');
    throttled.destroy();

    // Act: SQS redelivers the message to another container.
    const retry = container();
    const created = await viaFile(retry, logFile);

    // Assess
    expect(created).toEqual(['file']);
    expect((await storedFindings(retry)).map((f) => f.eventCount)).toEqual([TRUE_COUNT]);
  });

  it('hands the files a call whose real-time claimant never stored its finding, once the claim is stale', async () => {
    // Prepare: a forwarded message claimed t-1 and died before creating the finding (dead-lettered).
    const seed = container('always');
    const findingId = await findingIdOfTheft();
    const documents = DynamoDBDocumentClient.from(dynamo.client);
    await documents.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          pk: `FINDING#${findingId}`,
          sk: 'EVENT#t-1',
          owner: sourceIdOf('eventbridge:t-1'),
          sightedAt: now,
        },
      }),
    );

    // Act: the file arrives within the claimant's possible lifetime, then (in a table without the
    // finding) after it.
    now += 5 * 60_000;
    await viaFile(seed, logFile);
    const early = await storedFindings(seed);

    // Assess: within the window the claim is honoured (one call fewer, never one too many) ...
    expect(early.map((f) => f.eventCount)).toEqual([TRUE_COUNT - 1]);

    // ... and a finding never stored is taken over once the claimant is surely gone.
    tableName = `sightings-${++tables}`;
    await ensureTable(dynamo.client, stateTableDefinition(tableName));
    now = START;
    await documents.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          pk: `FINDING#${findingId}`,
          sk: 'EVENT#t-1',
          owner: sourceIdOf('eventbridge:t-1'),
          sightedAt: now,
        },
      }),
    );
    now += SIGHTING_TAKEOVER_MS + 60_000;
    const late = container('always');
    await viaFile(late, logFile);
    expect((await storedFindings(late)).map((f) => f.eventCount)).toEqual([TRUE_COUNT]);
  });

  it('leaves the IMDSv1 finding to the files: a legacy instance costs no sighting per call', async () => {
    // Prepare: an IMDSv1 instance's ordinary calls, forwarded and in the file.
    const legacy = { accessKeyId: 'ASIALEGACY', instanceId: 'i-0legacy' };
    const calls = [1, 2, 3].map((n) =>
      useRecord({ eventId: `v1-${n}`, ...legacy, sourceIp: '203.0.113.20', roleDelivery: '1.0' }),
    );
    const [live, files] = [container('always'), container('always')];

    // Act
    await viaEvents(live, calls);
    const afterLive = await storedFindings(live);
    await viaFile(files, calls);

    // Assess
    expect(afterLive).toEqual([]);
    const findings = await storedFindings(live, files);
    expect(findings.map((f) => [f.type, f.eventCount])).toEqual([[FindingType.Imdsv1Delivery, 3]]);
    const documents = DynamoDBDocumentClient.from(dynamo.client);
    const { Items = [] } = await documents.send(new ScanCommand({ TableName: tableName }));
    expect(Items.filter((item) => String(item['sk']).startsWith('EVENT#'))).toEqual([]);
  });

  /** The theft's finding id, as the detector derives it (key and origin). */
  async function findingIdOfTheft(): Promise<string> {
    const store = new MemoryStore();
    const { findings } = await detectorOver(store, clock).process(toEvents(logFile));
    const id = findings[0]?.detail.findingId;
    if (id === undefined) throw new Error('no theft finding');
    return id;
  }
});

describe('the memory store, shared by two detectors', () => {
  it.each([
    ['real-time first', ['eventbridge', 'file']],
    ['files first', ['file', 'eventbridge']],
  ] as const)('counts a call once whichever brings it (%s)', async (_, order) => {
    // Prepare: the demo's two detectors (the real-time container and the files') over one store.
    const store = new MemoryStore();
    const clock = () => START;
    const [live, files] = [detectorOver(store, clock), detectorOver(store, clock)];

    // Act
    const counts: number[] = [];
    for (const path of order) {
      const batches = path === 'file' ? [logFile] : logFile.map((record) => [record]);
      for (const batch of batches) {
        const detector = path === 'file' ? files : live;
        const { findings } = await detector.process(toEvents(batch));
        counts.push(...findings.map((f) => f.detail.eventCount));
      }
    }

    // Assess
    expect(Math.max(...counts)).toBe(TRUE_COUNT);
  });
});

function detectorOver(store: DetectorStore, clock: () => number): Detector {
  return new Detector({
    store,
    networks: noNetworks,
    exceptions: new ExceptionList([]),
    trustedAccounts: new Set(),
    clock,
  });
}

function isRecord(value: Record<string, unknown> | undefined): value is Record<string, unknown> {
  return value !== undefined;
}
