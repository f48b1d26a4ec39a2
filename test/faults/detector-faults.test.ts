import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { processDetectorBatch } from '../../lib/detector/detector-batch';
import { createDetectorRuntime } from '../../lib/detector/detector-runtime';
import { ANNOUNCE_GRACE_MS } from '../../lib/detector/detector-service';
import { ensureTable, exceptionsTableDefinition, stateTableDefinition } from '../../lib/state/state-table';
import sqsRecord from '../fixtures/detector/sqs-record.json';
import { startLocalDynamo, type LocalDynamo } from '../support/dynalite';
import { lambdaContext } from '../support/lambda-context';
import {
  FILE_1,
  FILE_2,
  FILE_QUIET,
  INSTANCES,
  TRUE_COUNTS,
  busFindings,
  emailsPerFinding,
  notice,
  outside,
  primeAws,
  storedState,
  type StoredState,
} from './detector-world';
import { faults, injectDynamoFaults, type Site } from './fault-switch';

/**
 * Fault injection for the detector: each AWS call site fails in turn, once and persistently, with one
 * and with two "containers" (two detector runtimes, own clients and memory, over one dynalite table;
 * SQS hands each retry to the next). SQS as deployed: a failed message is received again after the
 * visibility timeout (6 × the 5-minute Lambda timeout), at most 5 times, then the DLQ.
 */
const MAX_RECEIVES = 5;
const VISIBILITY_TIMEOUT_MS = 30 * 60_000;
const MESSAGE = notice(FILE_1, FILE_2);
const QUIET = notice(FILE_QUIET);

const SITES: Site[] = [
  {
    name: 'S3 GetObject of the message’s second file',
    matches: (c) => c.service === 'S3' && c.target === FILE_2,
    failsMessage: true,
  },
  {
    name: 'DynamoDB Scan of the exceptions table',
    matches: (c) => c.command === 'Scan',
    failsMessage: true,
  },
  {
    name: 'DynamoDB BatchGetItem (sessions, findings, network cache)',
    matches: (c) => c.command === 'BatchGetItem',
    failsMessage: true,
  },
  {
    name: 'DynamoDB UpdateItem claiming a first origin',
    matches: (c) => c.command === 'UpdateItem' && (c.target ?? '').startsWith('SESSION#'),
    failsMessage: true,
  },
  {
    name: 'DynamoDB UpdateItem entering the outbox',
    matches: (c) => c.command === 'UpdateItem' && c.target === 'OUTBOX',
    failsMessage: true,
  },
  {
    name: 'DynamoDB PutItem creating the file’s second finding',
    matches: (c) => c.command === 'PutItem' && c.target === `FINDING#${findingIdOf('B')}`,
    failsMessage: true,
  },
  {
    name: 'DynamoDB UpdateItem merging growth into a finding',
    matches: (c) => c.command === 'UpdateItem' && (c.expression ?? '').includes('detail ='),
    failsMessage: true,
  },
  {
    name: 'DynamoDB UpdateItem marking a finding announced',
    matches: (c) => c.command === 'UpdateItem' && (c.expression ?? '').includes('announced'),
    failsMessage: false,
    duplicates: true,
  },
  {
    name: 'DynamoDB BatchWriteItem leaving the outbox',
    matches: (c) => c.command === 'BatchWriteItem' && c.writes === 'delete',
    failsMessage: false,
  },
  {
    name: 'DynamoDB BatchWriteItem of held deliveries and networks',
    matches: (c) => c.command === 'BatchWriteItem' && c.writes === 'put',
    failsMessage: false,
  },
  {
    name: 'DynamoDB Query of the outbox (the sweep)',
    matches: (c) => c.command === 'Query' && c.target === 'OUTBOX',
    failsMessage: false,
  },
  {
    name: 'EventBridge PutEvents throwing',
    matches: (c) => c.command === 'PutEvents',
    failsMessage: true,
    alarm: 'UnannouncedFindings',
  },
  {
    name: 'EventBridge PutEvents refusing every entry',
    matches: (c) => c.command === 'PutEvents',
    failsMessage: true,
    failure: 'failed-entries',
    alarm: 'UnannouncedFindings',
  },
  {
    name: 'CloudWatch Logs CreateLogStream',
    matches: (c) => c.command === 'CreateLogStream',
    failsMessage: true,
    duplicates: true,
  },
  {
    name: 'CloudWatch Logs PutLogEvents',
    matches: (c) => c.command === 'PutLogEvents',
    failsMessage: true,
    duplicates: true,
  },
  {
    name: 'STS GetCallerIdentity (enrichment)',
    matches: (c) => c.command === 'GetCallerIdentity',
    failsMessage: false,
  },
  { name: 'STS AssumeRole (enrichment)', matches: (c) => c.command === 'AssumeRole', failsMessage: false },
  {
    name: 'EC2 DescribeInstances (enrichment)',
    matches: (c) => c.command === 'DescribeInstances',
    failsMessage: false,
  },
];

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const logger = new Logger({ logLevel: 'SILENT' });
let dynamo: LocalDynamo;
let now = Date.parse('2026-11-26T10:20:00Z');
let tables = 0;
/** The finding id of each instance's theft, learnt from a fault-free run. */
const ids = new Map<string, string>();
function findingIdOf(name: keyof typeof INSTANCES): string {
  return ids.get(INSTANCES[name].instanceId) ?? 'unknown';
}

interface Container {
  receive(bodies: string[]): Promise<SQSBatchResponse>;
}

/** Metric values the handler emitted, summed per name over the case. */
let metrics = new Map<string, number>();

/** One "container": a detector runtime with its own clients and memory, over the shared tables. */
function container(table: { state: string; exceptions: string }): Container {
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials,
    maxAttempts: 1,
  });
  injectDynamoFaults(client);
  const runtime = createDetectorRuntime(
    {
      STATE_TABLE_NAME: table.state,
      EXCEPTIONS_TABLE_NAME: table.exceptions,
      EVENT_BUS_NAME: 'credtrail',
      FINDINGS_LOG_GROUP_NAME: '/credtrail/findings',
      MEMBER_READ_ROLE_NAME: 'credtrail-read',
      TRUSTED_ACCOUNTS: '',
      INSTANCE_REGIONS: '',
      EXCEPTIONS_CACHE_SECONDS: 300,
    },
    {
      s3: new S3Client({ region: 'us-east-1', credentials }),
      dynamodb: client,
      sts: new STSClient({ region: 'us-east-1', credentials }),
      eventBridge: new EventBridgeClient({ region: 'us-east-1', credentials }),
      logs: new CloudWatchLogsClient({ region: 'us-east-1', credentials }),
      ec2: (region, assumed) => new EC2Client({ region, credentials: assumed ?? credentials }),
    },
    { region: 'us-east-1', logger, clock: () => now, sleep: () => Promise.resolve() },
  );
  return {
    receive: (bodies) => {
      const event: SQSEvent = {
        Records: bodies.map((body, index) => ({
          ...structuredClone(sqsRecord),
          messageId: `m-${index}`,
          body,
        })),
      };
      const recorder = new Metrics({ namespace: 'test' });
      jest.spyOn(recorder, 'addMetric').mockImplementation((name, _unit, value) => {
        metrics.set(name, (metrics.get(name) ?? 0) + value);
        return recorder;
      });
      return processDetectorBatch(event, lambdaContext('credtrail-detector'), runtime, {
        logger,
        metrics: recorder,
      });
    },
  };
}

async function freshTables(): Promise<{ state: string; exceptions: string }> {
  tables++;
  const table = { state: `state-${tables}`, exceptions: `exceptions-${tables}` };
  await ensureTable(dynamo.client, stateTableDefinition(table.state));
  await ensureTable(dynamo.client, exceptionsTableDefinition(table.exceptions));
  return table;
}

/** The highest event count each finding ever showed: on the bus, in the findings log, in the table. */
const highest = new Map<string, number>();
function sawCount(findingId: string, eventCount: number): void {
  highest.set(findingId, Math.max(highest.get(findingId) ?? 0, eventCount));
}

/** What left the detector so far. Stored counts only ever grow, so the table is checked at the end. */
function observe(): void {
  for (const detail of busFindings()) sawCount(detail.findingId, detail.eventCount);
  for (const line of outside.findingsLog) sawCount(line.findingId, line.eventCount);
}
function observeStored(state: StoredState): void {
  for (const [findingId, stored] of state.findings) sawCount(findingId, stored.eventCount);
}

/** SQS: receive, fail, wait out the visibility timeout, receive again (the next container), then the DLQ. */
async function deliver(
  body: string,
  containers: Container[],
): Promise<{ dlq: boolean; failedReceives: number }> {
  for (let receive = 0; receive < MAX_RECEIVES; receive++) {
    const target = containers[receive % containers.length] as Container;
    const response = await target.receive([body]);
    observe();
    now += VISIBILITY_TIMEOUT_MS;
    if (response.batchItemFailures.length === 0) return { dlq: false, failedReceives: receive };
  }
  return { dlq: true, failedReceives: MAX_RECEIVES };
}

const NAMES = Object.keys(INSTANCES) as (keyof typeof INSTANCES)[];
function trueCountOf(findingId: string): number {
  const name = NAMES.find((key) => findingIdOf(key) === findingId);
  if (name === undefined) throw new Error(`finding ${findingId} is none of the scenario's`);
  return TRUE_COUNTS[name];
}

describe('detector under injected faults', () => {
  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    // The truth, from a run where nothing fails: which findings the files hold, and their counts.
    primeAws();
    faults.heal();
    const table = await freshTables();
    const clean = await deliver(MESSAGE, [container(table)]);
    if (clean.dlq || clean.failedReceives > 0) throw new Error('the fault-free run failed');
    const found = await storedState(dynamo.client, table.state);
    for (const [findingId, stored] of found.findings) ids.set(stored.instanceId, findingId);
    const counts = NAMES.map((name) => found.findings.get(findingIdOf(name))?.eventCount);
    if (JSON.stringify(counts) !== JSON.stringify(NAMES.map((name) => TRUE_COUNTS[name])))
      throw new Error(`the fault-free run counted ${JSON.stringify(counts)}, not the scenario's truth`);
  });
  afterAll(() => dynamo.stop());

  beforeEach(() => {
    primeAws();
    faults.heal();
    highest.clear();
    metrics = new Map();
  });

  const cases = SITES.flatMap((site) =>
    [false, true].flatMap((persistent) => [1, 2].map((containers) => ({ site, persistent, containers }))),
  );

  it.each(cases.map((c) => [c.site.name, c.persistent ? 'persistently' : 'once', c.containers, c] as const))(
    '%s failing %s, %i container(s): every finding on the bus, no count above the truth, one email each',
    async (_name, _how, _count, { site, persistent, containers }) => {
      // Prepare
      const table = await freshTables();
      const runtimes = Array.from({ length: containers }, () => container(table));
      faults.arm(site, persistent);

      // Act: SQS delivers until the message succeeds or goes to the DLQ; then the fault heals, a later
      // batch (any message) runs the sweep, and an operator redrives the DLQ.
      const first = await deliver(MESSAGE, runtimes);
      const announcedDuringFault = new Set(busFindings().map((d) => d.findingId));
      // A later batch while the fault lasts: end-of-batch writes and the sweep meet it too.
      const later = await (runtimes[0] as Container).receive([QUIET]);
      now += VISIBILITY_TIMEOUT_MS;
      const fired = faults.fired;
      const alarmed = new Map(metrics);
      faults.heal();
      now += ANNOUNCE_GRACE_MS;
      await deliver(QUIET, runtimes.slice(-1));
      const afterSweep = await storedState(dynamo.client, table.state);
      const onBusAfterSweep = new Set(busFindings().map((d) => d.findingId));
      const redrive = first.dlq ? await deliver(MESSAGE, runtimes) : { dlq: false };
      observe();

      // Assess
      const all = [...ids.values()].sort();
      const final = await storedState(dynamo.client, table.state);
      observeStored(final);
      const onBus = busFindings();
      const seen = {
        faultFired: fired > 0,
        dlq: first.dlq,
        // Every failed receive is counted (DetectorFailedMessages), though the invocation succeeds.
        failedMessagesMetric: alarmed.get('FailedMessages') ?? 0,
        alarm: site.alarm === undefined ? null : (alarmed.get(site.alarm) ?? 0) > 0,
        announcedWhileFaulty: [...announcedDuringFault].sort(),
        outboxAfterSweep: afterSweep.outbox,
        storedNotAnnouncedAfterSweep: [...afterSweep.findings.keys()].filter(
          (id) => !onBusAfterSweep.has(id),
        ),
        redriveDlq: redrive.dlq,
        onBus: [...new Set(onBus.map((d) => d.findingId))].sort(),
        inFindingsLog: [...new Set(outside.findingsLog.map((line) => line.findingId))].sort(),
        countsAboveTruth: [...highest].filter(([id, count]) => count > trueCountOf(id)),
        storedCounts: [...final.findings].map(([id, f]) => [id, f.eventCount]).sort(),
        busCarriedDuplicates: onBus.length > all.length,
        emails: [...(await emailsPerFinding(dynamo.client))].sort(),
      };
      const someList: unknown = expect.any(Array);
      const eitherWay: unknown = expect.any(Boolean);
      expect(seen).toEqual({
        faultFired: true,
        dlq: persistent && site.failsMessage,
        failedMessagesMetric: first.failedReceives + later.batchItemFailures.length,
        alarm: site.alarm === undefined ? null : persistent,
        // A fault that heals within SQS's retries costs no finding; a persistent one may hold some back.
        announcedWhileFaulty: persistent ? someList : all,
        outboxAfterSweep: [],
        storedNotAnnouncedAfterSweep: [],
        redriveDlq: false,
        onBus: all,
        inFindingsLog: all,
        countsAboveTruth: [],
        storedCounts: all.map((id) => [id, trueCountOf(id)]),
        busCarriedDuplicates: site.duplicates === true ? true : eitherWay,
        // Downstream dedupes by finding id: at-least-once on the bus is once for people.
        emails: all.map((id) => [id, 1]),
      });
    },
  );

  it('two containers on the same message at once (SQS delivered it twice): true counts, one email each', async () => {
    // Prepare
    const table = await freshTables();
    const [one, two] = [container(table), container(table)];

    // Act
    const responses = await Promise.all([one.receive([MESSAGE]), two.receive([MESSAGE])]);
    now += VISIBILITY_TIMEOUT_MS;
    // Whichever lost a race on a finding's merge retries it, as SQS would.
    for (const response of responses)
      if (response.batchItemFailures.length > 0) await deliver(MESSAGE, [one, two]);
    observe();
    const stored = await storedState(dynamo.client, table.state);
    observeStored(stored);

    // Assess
    const all = [...ids.values()].sort();
    expect([...stored.findings].map(([id, f]) => [id, f.eventCount]).sort()).toEqual(
      all.map((id) => [id, trueCountOf(id)]),
    );
    expect([...highest].filter(([id, count]) => count > trueCountOf(id))).toEqual([]);
    expect([...(await emailsPerFinding(dynamo.client))].sort()).toEqual(all.map((id) => [id, 1]));
  });
});
