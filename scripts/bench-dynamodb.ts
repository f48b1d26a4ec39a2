/**
 * What the detector's DynamoDB use costs per 1,000 CloudTrail records on a generated day of an
 * organisation's logs: requests, and the billed read and write capacity units (./bench/capacity-meter.ts),
 * for the whole run (warm-up, the end-of-run flush and the exceptions table's refresh included) and for
 * the steady part after warm-up. The real DynamoDbStore, EC2 network directory and exceptions refresher
 * run against dynalite on loopback; middlewares on the real client count every HTTP request and unit.
 *
 *   npx tsx scripts/bench-dynamodb.ts [--accounts N] [--hours H] [--containers C] [--warmup-hours W]
 *     [--no-inventory]
 *
 * Files are processed one by one in delivery order, as the Lambda does (one `detector.process` per
 * file, new findings marked announced, the store flushed after each SQS batch of `--batch-size` files);
 * with `--containers C` the batches are dealt round-robin to C independent warm containers sharing the
 * table, which is what Lambda concurrency does to the caches.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { parseArgs } from 'node:util';
import { NETWORK_REFRESH_MS } from '../lib/detector/detector-runtime';
import { Ec2NetworkDirectory } from '../lib/detector/ec2-network-directory';
import { normalizeRecord } from '../lib/engine/cloudtrail-record';
import { compareEvents, type CredentialEvent } from '../lib/engine/credential-event';
import { ExceptionList } from '../lib/engine/credential-exception';
import { Detector } from '../lib/engine/detector';
import { originKey, originOf } from '../lib/engine/origin';
import { DynamoDbStore } from '../lib/state/dynamodb-store';
import { startLocalDynamoServer } from '../lib/state/local-store';
import { ExceptionsRefresher } from '../lib/detector/exceptions-refresher';
import { ExceptionsTable } from '../lib/state/exceptions-table';
import { RequestCounter } from '../lib/state/request-counter';
import { ensureTable, exceptionsTableDefinition } from '../lib/state/state-table';
import { CapacityMeter, type Capacity } from './bench/capacity-meter';
import { InventoryGateway } from './bench/inventory-gateway';
import { REALTIME_BATCH, forwardedCalls, type ForwardedCall } from './bench/forwarded-calls';
import { generateOrganisationDay, type ScenarioFile } from './scenario';
import { planSignalThefts } from './scenario/trail-signal-thefts';

const { values } = parseArgs({
  options: {
    accounts: { type: 'string', default: '3' },
    hours: { type: 'string', default: '24' },
    containers: { type: 'string', default: '1' },
    'batch-size': { type: 'string', default: '10' },
    'warmup-hours': { type: 'string', default: '1' },
    // As the detector's EXCEPTIONS_CACHE_SECONDS default.
    'exceptions-cache-seconds': { type: 'string', default: '300' },
    realtime: { type: 'boolean', default: false },
    'no-inventory': { type: 'boolean', default: false },
    // EventBridge's typical delay (the latency bench's assumption, scripts/bench/latency-model.ts).
    'realtime-delay-seconds': { type: 'string', default: '15' },
  },
});

async function main(): Promise<void> {
  const containers = Number(values.containers);
  const batchSize = Number(values['batch-size']);
  // Without the landing-zone layouts: this gateway answers from the exports and does not follow a
  // Transit Gateway's owner or an appliance's interface, and the figures stay comparable with earlier runs.
  const day = generateOrganisationDay({
    accounts: Number(values.accounts),
    hours: Number(values.hours),
    landingZone: false,
  });
  const noInventory = values['no-inventory'];
  const logFiles = deliveryOrder(day.files(), noInventory ? planSignalThefts(day).files : []);
  const warmupEnd = day.start + Number(values['warmup-hours']) * 3_600_000;
  const server = await startLocalDynamoServer();
  const counter = new RequestCounter().attach(server.client);
  const meter = new CapacityMeter().attach(server.client);
  let now = day.start;
  const clock = () => now;
  const exceptions = new ExceptionList(day.exceptions.map((e) => ({ cidr: e.cidr, reason: e.reason })));
  // The exceptions live in their table, as deployed; each container re-reads it when its cache expires.
  const exceptionsTableName = 'credtrail-exceptions';
  await ensureTable(server.client, exceptionsTableDefinition(exceptionsTableName));
  const exceptionsTable = new ExceptionsTable(server.client, exceptionsTableName);
  for (const [index, exception] of day.exceptions.entries())
    await exceptionsTable.put(`bench-${index}`, { cidr: exception.cidr, reason: exception.reason });
  counter.take();
  meter.take();
  const quiet = new Logger({ logLevel: 'SILENT' });
  const trusted = new Set(day.options.accounts.filter((a) => a.affiliated).map((a) => a.accountId));

  const workers = Array.from({ length: containers }, () => {
    const store = new DynamoDbStore({
      client: server.client,
      tableName: server.tableName,
      clock,
      deferBatchWrites: true,
    });
    const directory = new Ec2NetworkDirectory({
      cache: store,
      gatewayFor: (accountId, region) => Promise.resolve(new InventoryGateway(day, accountId, region)),
      fallbackRegions: day.options.regions,
    });
    const detector = new Detector({
      store,
      networks: noInventory ? { lookup: () => Promise.resolve(new Map()) } : directory,
      exceptions,
      trustedAccounts: trusted,
      clock,
      // As the Lambda runtime sets it (lib/detector/detector-runtime.ts).
      networkRefreshMs: NETWORK_REFRESH_MS,
    });
    const refresher = new ExceptionsRefresher(
      exceptionsTable,
      Number(values['exceptions-cache-seconds']) * 1000,
      clock,
      quiet,
    );
    return { store, directory, detector, refresher };
  });
  // Units are banked per phase: warm-up (the first hour: empty caches, every pair new), steady, flush.
  const warmupCapacity: Capacity = { readUnits: 0, writeUnits: 0 };
  const steadyCapacity: Capacity = { readUnits: 0, writeUnits: 0 };
  const bank = (into: Capacity) => {
    const taken = meter.take();
    into.readUnits += taken.readUnits;
    into.writeUnits += taken.writeUnits;
    return taken;
  };
  let warmupRequests = 0;
  let exceptionReadUnits = 0;
  let allRecords = 0;

  let warm = false;
  let records = 0;
  let credentialEvents = 0;
  let files = 0;
  let findings = 0;
  const pairsSeen = new Set<string>();
  let newPairs = 0;
  let index = 0;
  // The second path (--realtime): its calls, metered apart.
  const forwarded = values.realtime
    ? forwardedCalls(day, Number(values['realtime-delay-seconds']) * 1000)
    : [];
  const realtimeCapacity: Capacity = { readUnits: 0, writeUnits: 0 };
  let realtimeRequests = 0;
  let realtimeCreated = 0;
  let next = 0;
  /** Hands the real-time queue every call that has arrived by `until`, as the Lambda takes them. */
  const drainForwarded = async (until: number) => {
    while (next < forwarded.length && (forwarded[next]?.arrival ?? Infinity) <= until) {
      const call = forwarded[next] as ForwardedCall;
      const worker = workers[Math.floor(next / REALTIME_BATCH) % workers.length];
      if (worker === undefined) throw new Error('no worker');
      next++;
      now = call.arrival;
      bank(warm ? steadyCapacity : warmupCapacity);
      const requestsBefore = counter.total;
      worker.directory.noteCalls([call.event]);
      const result = await worker.store.withSource(`eventbridge:${call.eventId}`, () =>
        worker.detector.process([call.event], { imdsv1Findings: false }),
      );
      const created = result.findings.filter((f) => f.created).map((f) => f.detail.findingId);
      if (created.length > 0) await worker.store.markAnnounced(created);
      realtimeCreated += created.length;
      if (next % REALTIME_BATCH === 0) await worker.store.flushBatchWrites();
      realtimeRequests += counter.total - requestsBefore;
      bank(realtimeCapacity);
    }
  };
  for (const file of logFiles) {
    // The file name carries its delivery time: the detector's "now" while it handles the file.
    const delivered = /_(\d{8}T\d{4})Z_/.exec(file.key)?.[1] ?? '';
    now = Date.parse(
      `${delivered.slice(0, 4)}-${delivered.slice(4, 6)}-${delivered.slice(6, 8)}T${delivered.slice(9, 11)}:${delivered.slice(11, 13)}:00Z`,
    );
    const delivery = now;
    await drainForwarded(delivery);
    now = delivery;
    if (!warm && now >= warmupEnd) {
      warm = true;
      warmupRequests = Object.values(counter.take()).reduce((a, b) => a + b, 0);
      bank(warmupCapacity);
    }
    const events: CredentialEvent[] = [];
    for (const record of file.records) {
      const result = normalizeRecord(record);
      if (result.status === 'event') events.push(result.event);
    }
    events.sort(compareEvents);
    // Each container takes an SQS batch of `batchSize` files and flushes its store at the end of it.
    const worker = workers[Math.floor(index / batchSize) % workers.length];
    if (worker === undefined) throw new Error('no worker');
    index++;
    // As DetectorService does before each batch: a fresh exceptions list when the cache expired.
    const phase = warm ? steadyCapacity : warmupCapacity;
    bank(phase);
    const refreshed = await worker.refresher.refresh();
    exceptionReadUnits += bank(phase).readUnits;
    if (refreshed !== undefined) worker.detector.setExceptions(refreshed);
    worker.directory.noteCalls(events);
    const result = await worker.store.withSource(`s3://bench/${file.key}`, () =>
      worker.detector.process(events),
    );
    for (const event of events) {
      if (event.kind !== 'use') continue;
      const pair = `${event.accessKeyId}|${originKey(originOf(event))}`;
      if (!pairsSeen.has(pair)) {
        pairsSeen.add(pair);
        if (warm) newPairs++;
      }
    }
    const announced = result.findings.filter((f) => f.created).map((f) => f.detail.findingId);
    if (announced.length > 0) await worker.store.markAnnounced(announced);
    if (index % batchSize === 0) await worker.store.flushBatchWrites();
    allRecords += file.records.length;
    if (warm) {
      records += file.records.length;
      credentialEvents += events.length;
      files++;
      findings += result.findings.filter((f) => f.created).length;
    }
  }
  await drainForwarded(Infinity);
  const byOperation = counter.take();
  bank(steadyCapacity);
  for (const worker of workers) await worker.store.flush();
  const flushWrites = counter.take();
  const flushCapacity = meter.take();
  await server.stop();
  const flushRequests = Object.values(flushWrites).reduce((a, b) => a + b, 0);

  const total = Object.values(byOperation).reduce((a, b) => a + b, 0);
  const writes =
    (byOperation['PutItem'] ?? 0) + (byOperation['UpdateItem'] ?? 0) + (byOperation['BatchWriteItem'] ?? 0);
  const report = {
    scenario: {
      inventory: !noInventory,
      accounts: day.options.accounts.length,
      regions: day.options.regions,
      hours: day.options.hours,
      containers,
    },
    afterWarmup: {
      files,
      cloudTrailRecords: records,
      credentialEvents,
      newSessionOriginPairs: newPairs,
      findingsCreated: findings,
    },
    dynamoDbRequests: { total, byOperation, flushAtEnd: flushWrites },
    // Billed units per 1,000 CloudTrail records. `wholeRun`: every unit from the first file to the final
    // flush (warm-up, exceptions refresh, flush and the second path included) over every record;
    // `afterWarmup`: the file path's steady part over the records after warm-up.
    billedPerThousandRecords: {
      wholeRun: perThousand(
        {
          readUnits:
            warmupCapacity.readUnits +
            steadyCapacity.readUnits +
            flushCapacity.readUnits +
            realtimeCapacity.readUnits,
          writeUnits:
            warmupCapacity.writeUnits +
            steadyCapacity.writeUnits +
            flushCapacity.writeUnits +
            realtimeCapacity.writeUnits,
        },
        allRecords,
      ),
      afterWarmup: perThousand(steadyCapacity, records),
      requestsWholeRun: round((1000 * (warmupRequests + total + flushRequests)) / allRecords),
    },
    billedUnits: {
      warmup: warmupCapacity,
      steady: steadyCapacity,
      flushAtEnd: flushCapacity,
      exceptionsRefreshReadUnits: exceptionReadUnits,
    },
    allRecords,
    // The real-time path's own units (--realtime): per 1,000 calls it forwarded, and per 1,000 records
    // of the whole trail. Included in `wholeRun` above, not in `afterWarmup`.
    ...(values.realtime
      ? {
          secondPath: {
            forwardedRecords: forwarded.length,
            findingsCreatedFirst: realtimeCreated,
            billedUnits: realtimeCapacity,
            requests: realtimeRequests,
            perThousandForwarded: {
              ...perThousand(realtimeCapacity, forwarded.length),
              requests: round((1000 * realtimeRequests) / Math.max(1, forwarded.length)),
            },
            perThousandCloudTrailRecords: perThousand(realtimeCapacity, allRecords),
          },
        }
      : {}),
    perThousandCloudTrailRecords: round((1000 * total) / records),
    perThousandCredentialEvents: round((1000 * total) / credentialEvents),
    writeRequestsPerNewPair: round(writes / Math.max(1, newPairs)),
  };
  console.log(JSON.stringify(report, null, 2));
}

type LogFile = Extract<ScenarioFile, { kind: 'log' }>;

/** The day's log files and any extra ones, in delivery order (the time in the file name). */
function deliveryOrder(
  files: Iterable<ScenarioFile>,
  extra: readonly { key: string; records: LogFile['records'] }[],
): { key: string; records: LogFile['records'] }[] {
  const logs: { key: string; records: LogFile['records'] }[] = [];
  for (const file of files) if (file.kind === 'log') logs.push(file);
  const stamp = (key: string) => /_(\d{8}T\d{4})Z_/.exec(key)?.[1] ?? '';
  // Stable: files delivered in the same minute keep the generator's order, the extra ones after them.
  return [...logs, ...extra].sort((a, b) => stamp(a.key).localeCompare(stamp(b.key)));
}

function perThousand(capacity: Capacity, records: number): Capacity {
  return {
    readUnits: round((1000 * capacity.readUnits) / records),
    writeUnits: round((1000 * capacity.writeUnits) / records),
  };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
