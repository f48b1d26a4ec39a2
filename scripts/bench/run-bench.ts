/**
 * credtrail's speed and cost, measured in one run (`npm run bench`; not part of the tests). Every time
 * figure is paired with its baseline measured in the same run, because this machine is shared and noisy:
 *   - engine vs floor: the floor (the engine's own reader: read ahead, gunzip, JSON.parse, nothing
 *     after) and the detector engine (the CLI's path) run alternately, one process each, the order
 *     swapped every repeat; each repeat gives a ratio (wall time, and CPU time), reported
 *     min/median/max over every repeat;
 *     on two mixes: the generated day as it is, and an instance-heavy day;
 *   - peak memory of the engine at 100k records and at the full size;
 *   - billed DynamoDB read and write units per 1,000 records, whole run, for one and four containers
 *     (scripts/bench-dynamodb.ts on dynalite), and what the real-time path adds per 1,000 calls it
 *     forwards (the same day with `--realtime`, against the files alone); and the same day without
 *     inventory (`--no-inventory`: the learned network's and the trail signals' state, issue 13);
 *   - CLI start-up (`--help`, `detect` on one local file) against `node -e 0`;
 *   - each Lambda bundle's size and its cold `require` against `node -e 0`.
 * Figures go to bench-results/latest.json and bench-results/latest.md.
 *
 *   npm run bench -- [--quick] [--records 1000000] [--repeats 5] [--keep DIR]
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { workersOnThisMachine } from '../../lib/cloudtrail/parse-pool';
import { generateOrganisationDay, writeScenario, type OrganisationDayOptions } from '../scenario';
import { cliStartup, lambdaStartup } from './startup';
import { median, summary, type Summary } from './timing';

const ROOT = resolve(__dirname, '../..');
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    records: { type: 'string' },
    repeats: { type: 'string' },
    keep: { type: 'string' },
  },
});
const QUICK = values.quick;
const RECORDS = Number(values.records ?? (QUICK ? 100_000 : 1_000_000));
// Pairs are cheap at 100k records (seconds each), so the quick run takes more of them.
const REPEATS = Number(values.repeats ?? (QUICK ? 7 : 5));

// The two mixes. The generator's default day carries about 25,000 records per account, two noise calls
// (other principals) per instance-credential call; the instance-heavy day has few noise calls.
const MIXES = [
  { name: 'bench day', story: 'the generator as it is, about 38% instance-credential calls', noiseRatio: 2 },
  {
    name: 'instance-heavy day',
    story: 'noise ratio 0.15, about 87% instance-credential calls',
    noiseRatio: 0.15,
  },
] as const;
const recordsPerAccount = (noiseRatio: number) => (25_000 * (1 + noiseRatio)) / 3;

interface Measurement {
  records: number;
  seconds: number;
  recordsPerSecond: number;
  recordsPerCpuSecond: number;
  peakHeapMiB: number;
  peakRssMiB: number;
}

/**
 * The measuring program as plain JavaScript, as the built CLI runs: no TypeScript loader in the timings.
 * The hunt's parse worker is bundled beside it, where the pool looks for it (parse-worker.js).
 */
async function bundleMeasure(outDir: string): Promise<string> {
  const outfile = join(outDir, 'measure.js');
  const bundle = (entry: string, out: string) =>
    build({
      entryPoints: [join(ROOT, entry)],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      outfile: out,
      logLevel: 'error',
    });
  await bundle('scripts/bench/measure.ts', outfile);
  await bundle('lib/cloudtrail/parse-worker.ts', join(outDir, 'parse-worker.js'));
  return outfile;
}

function measure(
  program: string,
  mode: 'floor' | 'engine' | 'engine-main-thread' | 'taint-trace',
  dir: string,
): Measurement {
  const output = execFileSync(process.execPath, [program, mode, dir], { cwd: ROOT, encoding: 'utf8' });
  return JSON.parse(output.trim().split('\n').pop() as string) as Measurement;
}

async function dataset(base: string, noiseRatio: number, records: number): Promise<string> {
  const dir = join(base, `noise-${noiseRatio}-${records}`);
  if (!existsSync(join(dir, 'cloudtrail'))) {
    const accounts = Math.max(3, Math.ceil(records / recordsPerAccount(noiseRatio)));
    const options: OrganisationDayOptions = { accounts, noiseRatio };
    process.stderr.write(`  generating about ${records} records (${accounts} accounts) in ${dir}\n`);
    await writeScenario(dir, generateOrganisationDay(options));
  }
  return dir;
}

interface MixResult {
  mix: string;
  story: string;
  records: number;
  floorRecordsPerSecond: number;
  engineRecordsPerSecond: number;
  /** engine records/s ÷ floor records/s, one per repeat, the two measured back to back. */
  engineToFloor: Summary;
  /** The same by CPU time (records per CPU-second, all threads): what waiting for a core leaves out. */
  engineToFloorCpu: Summary;
  /** The engine with `--workers 0` (one thread, like the floor), paired with the same repeat's floor. */
  mainThreadRecordsPerSecond: number;
  mainThreadToFloor: Summary;
  mainThreadToFloorCpu: Summary;
  workers: number;
  /** The taint trace's time for one chain finding ÷ the floor's time, paired per repeat. */
  taintToFloorTime: Summary;
  peakRssMiB: { small: number; full: number };
  smallRecords: number;
}

async function mixes(base: string, program: string): Promise<MixResult[]> {
  const results: MixResult[] = [];
  for (const mix of MIXES) {
    process.stderr.write(`${mix.name}:\n`);
    const full = await dataset(base, mix.noiseRatio, RECORDS);
    const small = RECORDS > 100_000 ? await dataset(base, mix.noiseRatio, 100_000) : full;
    const floors: Measurement[] = [];
    const engines: Measurement[] = [];
    const mainThread: Measurement[] = [];
    const taint: Measurement[] = [];
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      // Reverse the order every repeat, so a slow spell of the machine does not always land on one side.
      const runs = [
        () => floors.push(measure(program, 'floor', full)),
        () => engines.push(measure(program, 'engine', full)),
        () => mainThread.push(measure(program, 'engine-main-thread', full)),
        () => taint.push(measure(program, 'taint-trace', full)),
      ];
      for (const run of repeat % 2 === 0 ? runs : runs.reverse()) run();
      const last = engines.length - 1;
      process.stderr.write(
        `  repeat ${repeat + 1}: floor ${Math.round(floors[last]?.recordsPerSecond ?? 0)}/s, engine ${Math.round(engines[last]?.recordsPerSecond ?? 0)}/s, on the main thread ${Math.round(mainThread[last]?.recordsPerSecond ?? 0)}/s, taint trace ${(taint[last]?.seconds ?? 0).toFixed(1)} s\n`,
      );
    }
    const smallRun = small === full ? engines[0] : measure(program, 'engine', small);
    results.push({
      mix: mix.name,
      story: mix.story,
      records: engines[0]?.records ?? 0,
      floorRecordsPerSecond: Math.round(median(floors.map((m) => m.recordsPerSecond))),
      engineRecordsPerSecond: Math.round(median(engines.map((m) => m.recordsPerSecond))),
      engineToFloor: summary(
        engines.map((e, i) => e.recordsPerSecond / (floors[i]?.recordsPerSecond ?? NaN)),
      ),
      engineToFloorCpu: summary(
        engines.map((e, i) => e.recordsPerCpuSecond / (floors[i]?.recordsPerCpuSecond ?? NaN)),
      ),
      mainThreadRecordsPerSecond: Math.round(median(mainThread.map((m) => m.recordsPerSecond))),
      mainThreadToFloor: summary(
        mainThread.map((e, i) => e.recordsPerSecond / (floors[i]?.recordsPerSecond ?? NaN)),
      ),
      mainThreadToFloorCpu: summary(
        mainThread.map((e, i) => e.recordsPerCpuSecond / (floors[i]?.recordsPerCpuSecond ?? NaN)),
      ),
      workers: workersOnThisMachine(),
      taintToFloorTime: summary(taint.map((t, i) => t.seconds / (floors[i]?.seconds ?? NaN))),
      peakRssMiB: {
        small: Math.round(smallRun?.peakRssMiB ?? 0),
        full: Math.round(median(engines.map((m) => m.peakRssMiB))),
      },
      smallRecords: smallRun?.records ?? 0,
    });
  }
  return results;
}

interface DynamoResult {
  containers: number;
  inventory: boolean;
  records: number;
  readUnitsPer1000: number;
  writeUnitsPer1000: number;
  requestsPer1000: number;
  steadyReadUnitsPer1000: number;
  steadyWriteUnitsPer1000: number;
  flushWriteUnits: number;
  exceptionsRefreshReadUnits: number;
  /** With --realtime: the calls forwarded and the units their own handling billed. */
  secondPath?: { forwarded: number; readUnits: number; writeUnits: number; requests: number };
}

/** What the second path adds: the run with it minus the files alone, per 1,000 forwarded calls. */
interface SecondPathCost {
  forwarded: number;
  records: number;
  readUnitsPer1000Forwarded: number;
  writeUnitsPer1000Forwarded: number;
  requestsPer1000Forwarded: number;
  ownReadUnitsPer1000Forwarded: number;
  ownWriteUnitsPer1000Forwarded: number;
}

function secondPathCost(files: DynamoResult, both: DynamoResult): SecondPathCost {
  const forwarded = both.secondPath?.forwarded ?? 0;
  const per1000 = (withBoth: number, alone: number) =>
    Math.round(((withBoth - alone) * both.records * 1000) / Math.max(1, forwarded)) / 1000;
  const own = (units: number) => Math.round((units * 1_000_000) / Math.max(1, forwarded)) / 1000;
  return {
    forwarded,
    records: both.records,
    readUnitsPer1000Forwarded: per1000(both.readUnitsPer1000, files.readUnitsPer1000),
    writeUnitsPer1000Forwarded: per1000(both.writeUnitsPer1000, files.writeUnitsPer1000),
    requestsPer1000Forwarded: per1000(both.requestsPer1000, files.requestsPer1000),
    ownReadUnitsPer1000Forwarded: own(both.secondPath?.readUnits ?? 0),
    ownWriteUnitsPer1000Forwarded: own(both.secondPath?.writeUnits ?? 0),
  };
}

function dynamoDb(containers: number, realtime = false, inventory = true): DynamoResult {
  const hours = QUICK ? '4' : '24';
  const output = execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'scripts/bench-dynamodb.ts'),
      '--containers',
      String(containers),
      '--hours',
      hours,
      ...(realtime ? ['--realtime'] : []),
      ...(inventory ? [] : ['--no-inventory']),
    ],
    { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const report = JSON.parse(output.slice(output.indexOf('{'))) as {
    allRecords: number;
    billedPerThousandRecords: {
      wholeRun: { readUnits: number; writeUnits: number };
      afterWarmup: { readUnits: number; writeUnits: number };
      requestsWholeRun: number;
    };
    billedUnits: { flushAtEnd: { writeUnits: number }; exceptionsRefreshReadUnits: number };
    secondPath?: {
      forwardedRecords: number;
      billedUnits: { readUnits: number; writeUnits: number };
      requests: number;
    };
  };
  const second = report.secondPath;
  const billed = report.billedPerThousandRecords;
  return {
    containers,
    inventory,
    records: report.allRecords,
    readUnitsPer1000: billed.wholeRun.readUnits,
    writeUnitsPer1000: billed.wholeRun.writeUnits,
    requestsPer1000: billed.requestsWholeRun,
    steadyReadUnitsPer1000: billed.afterWarmup.readUnits,
    steadyWriteUnitsPer1000: billed.afterWarmup.writeUnits,
    flushWriteUnits: report.billedUnits.flushAtEnd.writeUnits,
    exceptionsRefreshReadUnits: report.billedUnits.exceptionsRefreshReadUnits,
    ...(second === undefined
      ? {}
      : {
          secondPath: {
            forwarded: second.forwardedRecords,
            readUnits: second.billedUnits.readUnits,
            writeUnits: second.billedUnits.writeUnits,
            requests: second.requests,
          },
        }),
  };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (s: Summary) =>
  `${Math.round(s.median * 100)}% (min ${Math.round(s.min * 100)}%, max ${Math.round(s.max * 100)}%)`;
const times = (s: Summary) => `${s.median.toFixed(1)}× (min ${s.min.toFixed(1)}×, max ${s.max.toFixed(1)}×)`;
const ms = (s: Summary) => `${Math.round(s.median)} ms (min ${Math.round(s.min)}, max ${Math.round(s.max)})`;

async function main(): Promise<void> {
  const base = values.keep ?? mkdtempSync(join(tmpdir(), 'credtrail-bench-'));
  const loadBefore = loadavg()[0] ?? 0;
  try {
    const program = await bundleMeasure(base);
    process.stderr.write(`engine vs floor, ${REPEATS} paired repeats per mix\n`);
    const mixResults = await mixes(base, program);
    process.stderr.write('DynamoDB billed units, one and four containers\n');
    const dynamo = [dynamoDb(1), dynamoDb(4)];
    process.stderr.write('DynamoDB billed units without inventory (learned network, trail signals)\n');
    const learned = [dynamoDb(1, false, false), dynamoDb(4, false, false)];
    process.stderr.write('DynamoDB billed units, the same day with the real-time path\n');
    const realtime = secondPathCost(dynamo[0] as DynamoResult, dynamoDb(1, true));
    process.stderr.write('CLI start-up\n');
    const rounds = QUICK ? 5 : 9;
    const startup = cliStartup(ROOT, base, rounds);
    process.stderr.write('Lambda bundles\n');
    const bundleDir = join(base, 'bundles');
    mkdirSync(bundleDir, { recursive: true });
    const lambdas = await lambdaStartup(ROOT, bundleDir, rounds);

    const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`;
    const load = `load average ${loadBefore.toFixed(1)} at start, ${(loadavg()[0] ?? 0).toFixed(1)} at end`;
    const results = {
      date: new Date().toISOString(),
      machine,
      load,
      quick: QUICK,
      repeats: REPEATS,
      mixes: mixResults,
      dynamoDb: dynamo,
      dynamoDbNoInventory: learned,
      realtimeDynamoDb: realtime,
      cliStartup: startup,
      lambdas,
    };
    const table = [
      '| figure | value |',
      '| --- | --- |',
      ...mixResults.flatMap((m) => [
        `| ${m.mix}: records | ${fmt(m.records)} (${m.story}) |`,
        `| ${m.mix}: floor (one thread: the engine's reader, gunzip, JSON.parse), median | ${fmt(m.floorRecordsPerSecond)} records/s |`,
        `| ${m.mix}: engine (${m.workers} parse workers, as \`detect\` runs), median | ${fmt(m.engineRecordsPerSecond)} records/s |`,
        `| ${m.mix}: engine ÷ floor, paired per repeat (${REPEATS} repeats, order reversed each repeat) | ${pct(m.engineToFloor)} |`,
        `| ${m.mix}: engine ÷ floor by CPU time (all threads), paired per repeat | ${pct(m.engineToFloorCpu)} |`,
        `| ${m.mix}: engine on the main thread alone (\`--workers 0\`), median; ÷ floor | ${fmt(m.mainThreadRecordsPerSecond)} records/s; ${pct(m.mainThreadToFloor)} |`,
        `| ${m.mix}: engine on the main thread alone ÷ floor by CPU time | ${pct(m.mainThreadToFloorCpu)} |`,
        `| ${m.mix}: a finding's taint trace (the hunt's read of the logs for one chain finding) ÷ the floor's time, paired per repeat | ${pct(m.taintToFloorTime)} |`,
        `| ${m.mix}: engine peak RSS | ${m.peakRssMiB.small} MiB at ${fmt(m.smallRecords)} records, ${m.peakRssMiB.full} MiB at ${fmt(m.records)} |`,
      ]),
      ...[...dynamo, ...learned].map(
        (d) =>
          `| DynamoDB${d.inventory ? '' : ' without inventory (learned network, trail signals)'}, ${d.containers} container${d.containers > 1 ? 's' : ''}, per 1,000 records (whole run, ${fmt(d.records)} records) | ${d.readUnitsPer1000} RCU, ${d.writeUnitsPer1000} WCU, ${d.requestsPer1000} requests (after warm-up: ${d.steadyReadUnitsPer1000} RCU, ${d.steadyWriteUnitsPer1000} WCU; end flush ${d.flushWriteUnits} WCU; exceptions refresh ${d.exceptionsRefreshReadUnits} RCU in all) |`,
      ),
      `| DynamoDB, real-time path on top of the files, 1 container, per 1,000 forwarded calls (${fmt(realtime.forwarded)} of ${fmt(realtime.records)} records) | +${realtime.readUnitsPer1000Forwarded} RCU, +${realtime.writeUnitsPer1000Forwarded} WCU, +${realtime.requestsPer1000Forwarded} requests (its own handling: ${realtime.ownReadUnitsPer1000Forwarded} RCU, ${realtime.ownWriteUnitsPer1000Forwarded} WCU; the files then find sessions and findings written) |`,
      `| CLI \`--help\` ÷ \`node -e 0\` | ${times(startup.helpRatio)}: ${startup.helpMs} ms vs ${startup.nodeMs} ms |`,
      `| CLI \`investigate --help\` ÷ \`node -e 0\` | ${times(startup.investigateHelpRatio)}: ${startup.investigateHelpMs} ms |`,
      `| CLI \`detect\` one local file ÷ \`node -e 0\` | ${times(startup.detectRatio)}: ${startup.detectMs} ms |`,
      ...lambdas.bundles.map(
        (l) =>
          `| ${l.name}: bundle; cold \`require\` CPU time (wall time); process beyond \`node -e 0\` | ${l.kib} KiB; ${ms(l.requireCpuMs)} (wall ${ms(l.requireWallMs)}); ${ms(l.coldInitMs)} |`,
      ),
      `| EC2 client (runtime's SDK, on first use): \`require\` CPU time (wall time) | ${ms(lambdas.ec2ClientFirstUse.requireCpuMs)} (wall ${ms(lambdas.ec2ClientFirstUse.requireWallMs)}) |`,
    ].join('\n');
    mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench-results/latest.json'), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(
      join(ROOT, 'bench-results/latest.md'),
      `Measured ${results.date} on ${machine} (${load})${QUICK ? ', --quick' : ''}.\n\n${table}\n`,
    );
    process.stdout.write(`${machine} (${load})\n\n${table}\n`);
  } finally {
    if (values.keep === undefined) rmSync(base, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
