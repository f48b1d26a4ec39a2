/**
 * One benchmark measurement, run in its own process so that time and memory belong to it alone:
 *   tsx scripts/bench/measure.ts floor|engine|engine-main-thread|taint-trace DIR
 * `engine` is the hunt as `credtrail detect` runs it (parse workers on a large local hunt);
 * `engine-main-thread` the same with `--workers 0`, everything on one thread like the floor.
 * Prints one JSON line: records, seconds, records per second, peak heap and peak RSS.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { MAX_LOG_FILE_BYTES } from '../../lib/cloudtrail/log-file';
import { listLogFiles } from '../../lib/cloudtrail/log-sources';
import { readAhead } from '../../lib/cloudtrail/read-ahead';
import { NoInventory, runDetection } from '../../lib/cli/detect-run';
import { ExceptionList, parseExceptions } from '../../lib/engine/credential-exception';
import { InventoryDirectory } from '../../lib/inventory/inventory-directory';
import { MemoryStore } from '../../lib/state/memory-store';
import { normalizeRecord } from '../../lib/engine/cloudtrail-record';
import { traceIncidents } from '../../lib/investigate/incident-trace';

// The bench reads local files only.
const noS3 = (): never => {
  throw new Error('the bench reads no S3');
};

async function floor(dir: string): Promise<number> {
  // The least any reader must do: list, read, gunzip and JSON.parse every file, touching each record
  // once, through the engine's own reader (the same read-ahead, the same files in flight). The pair
  // then differs only by what the engine does with the records; a floor that read one file at a time
  // waited on the disk's thread pool most of its run, and swung with the machine's load.
  let records = 0;
  for await (const [, outcome] of readAhead(
    await listLogFiles([join(dir, 'cloudtrail')], noS3),
    MAX_LOG_FILE_BYTES,
  )) {
    if ('records' in outcome) records += outcome.records.length;
  }
  return records;
}

/**
 * What a hunt adds for one finding whose key minted credentials or left something behind: the taint
 * trace's read of the logs (the hunt hands it the minting calls it read). The key followed is the first
 * instance key of the day, so the files that mention it are parsed like the thief's would be. Returns
 * the files read: the bench compares its time with the floor's, not its records.
 */
async function taintTrace(dir: string): Promise<number> {
  const paths = [join(dir, 'cloudtrail')];
  const files = await listLogFiles(paths, noS3);
  let accessKeyId: string | undefined;
  for await (const [, outcome] of readAhead(files, MAX_LOG_FILE_BYTES)) {
    accessKeyId = 'records' in outcome ? outcome.records.map(instanceKeyOf).find(Boolean) : undefined;
    if (accessKeyId !== undefined) break;
  }
  if (accessKeyId === undefined) throw new Error('no instance key in the bench day');
  const root = { findingId: 'bench', accessKeyId, sourceIp: null, vpcEndpointId: null };
  const trace = await traceIncidents([root], paths, noS3, []);
  process.stderr.write(`taint trace: ${trace.files} files\n`);
  return trace.files;
}

function instanceKeyOf(record: unknown): string | undefined {
  const result = normalizeRecord(record);
  return result.status === 'event' && result.event.kind === 'use' ? result.event.accessKeyId : undefined;
}

async function engine(dir: string, withInventory: boolean, workers?: number): Promise<number> {
  const inventory = withInventory ? await InventoryDirectory.load(join(dir, 'inventory')) : undefined;
  const exceptions = parseExceptions(JSON.parse(await readFile(join(dir, 'exceptions.json'), 'utf8')));
  const report = await runDetection({
    paths: [join(dir, 'cloudtrail')],
    store: new MemoryStore(),
    networks: inventory ?? new NoInventory(),
    exceptions: new ExceptionList(exceptions),
    trustedAccounts: new Set(inventory?.ownerAccounts ?? []),
    trustRecipientAccounts: true,
    reorderWindowMs: 3_600_000,
    clock: Date.now,
    s3: noS3,
    workers,
  });
  process.stderr.write(`engine: ${report.findings.length} findings\n`);
  return report.records;
}

async function main(): Promise<void> {
  const [mode, dir] = process.argv.slice(2);
  const modes = ['floor', 'engine', 'engine-main-thread', 'taint-trace'];
  if (mode === undefined || !modes.includes(mode) || dir === undefined)
    throw new Error(`usage: measure.ts ${modes.join('|')} DIR`);
  let peakHeap = 0;
  // The V8 heap figure alone: process.memoryUsage() also reads the RSS from /proc, every 20 ms.
  const heapUsed = () => getHeapStatistics().used_heap_size;
  const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, heapUsed())), 20);
  const started = process.hrtime.bigint();
  const cpuAtStart = process.cpuUsage();
  const records =
    mode === 'floor'
      ? await floor(dir)
      : mode === 'taint-trace'
        ? await taintTrace(dir)
        : await engine(dir, true, mode === 'engine-main-thread' ? 0 : undefined);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuAtStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  clearInterval(sampler);
  peakHeap = Math.max(peakHeap, heapUsed());
  process.stdout.write(
    `${JSON.stringify({
      mode,
      records,
      seconds,
      recordsPerSecond: records / seconds,
      // Every thread of the process (reads run on the thread pool): what the work cost, waiting aside.
      recordsPerCpuSecond: records / cpuSeconds,
      peakHeapMiB: peakHeap / 2 ** 20,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
