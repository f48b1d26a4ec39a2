/**
 * One benchmark measurement, run in its own process so that time and memory belong to it alone:
 *   tsx scripts/bench/measure.ts floor|engine DIR
 * Prints one JSON line: records, seconds, records per second, peak heap and peak RSS.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { listLogFiles, readLocalFile } from '../../lib/cloudtrail/log-sources';
import { NoInventory, runDetection } from '../../lib/cli/detect-run';
import { ExceptionList, parseExceptions } from '../../lib/engine/credential-exception';
import { InventoryDirectory } from '../../lib/inventory/inventory-directory';
import { MemoryStore } from '../../lib/state/memory-store';

// The bench reads local files only.
const noS3 = (): never => {
  throw new Error('the bench reads no S3');
};

async function floor(dir: string): Promise<number> {
  // The least any reader must do: gunzip and JSON.parse every file, touching each record once.
  let records = 0;
  for (const file of await listLogFiles([join(dir, 'cloudtrail')], noS3)) {
    const body = JSON.parse(gunzipSync(await readLocalFile(file.name)).toString('utf8')) as {
      Records: unknown[];
    };
    records += body.Records.length;
  }
  return records;
}

async function engine(dir: string, withInventory: boolean): Promise<number> {
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
  });
  process.stderr.write(`engine: ${report.findings.length} findings\n`);
  return report.records;
}

async function main(): Promise<void> {
  const [mode, dir] = process.argv.slice(2);
  if ((mode !== 'floor' && mode !== 'engine') || dir === undefined)
    throw new Error('usage: measure.ts floor|engine DIR');
  let peakHeap = 0;
  const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 20);
  const started = process.hrtime.bigint();
  const records = mode === 'floor' ? await floor(dir) : await engine(dir, true);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  process.stdout.write(
    `${JSON.stringify({
      mode,
      records,
      seconds,
      recordsPerSecond: records / seconds,
      peakHeapMiB: peakHeap / 2 ** 20,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
