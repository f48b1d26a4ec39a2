/**
 * `npm run bench:latency`: how long from a thief's first call to on-call's email and to the
 * responder's plan, by the log files alone and with the real-time path, p50 and p95 over repeated
 * runs of a generated organisation day (the real detector, simulated delivery; see latency-model.ts).
 *   tsx scripts/bench/latency.ts [--runs N] [--hours H] [--out FILE]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExceptionList, parseExceptions } from '../../lib/engine/credential-exception';
import { InventoryDirectory } from '../../lib/inventory/inventory-directory';
import { generateOrganisationDay } from '../scenario/organisation-day';
import { RandomSource } from '../scenario/random-source';
import { writeScenario } from '../scenario/write-scenario';
import {
  DEFAULT_ASSUMPTIONS,
  percentile,
  simulateLatency,
  type LogFile,
  type TheftLatency,
} from './latency-model';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

const minutes = (ms: number | undefined) => {
  if (ms === undefined) return 'missed';
  return ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 60_000).toFixed(1)} min`;
};

async function main(): Promise<void> {
  const runs = Number(option('runs', '10'));
  const hours = Number(option('hours', '6'));
  const out = option('out', 'bench-results/latency.md');
  const day = generateOrganisationDay({ hours });
  const dir = await mkdtemp(join(tmpdir(), 'credtrail-latency-'));
  try {
    await writeScenario(dir, day);
    const networks = await InventoryDirectory.load(join(dir, 'inventory'));
    const files: LogFile[] = [];
    for (const file of day.files()) if (file.kind === 'log') files.push(file);
    const exceptions = new ExceptionList(parseExceptions(day.exceptions));
    const results: Record<'files' | 'realtime', TheftLatency[]> = { files: [], realtime: [] };
    for (let run = 0; run < runs; run++) {
      for (const path of ['files', 'realtime'] as const) {
        results[path].push(
          ...(await simulateLatency({
            files,
            thefts: day.manifest.thefts,
            networks,
            exceptions,
            trustedAccounts: networks.ownerAccounts,
            realtime: path === 'realtime',
            assumptions: DEFAULT_ASSUMPTIONS,
            random: new RandomSource('latency', run),
          })),
        );
      }
    }
    const lines = report(
      day.manifest.thefts.map((theft) => theft.label),
      results,
      runs,
      hours,
    );
    process.stdout.write(`${lines.join('\n')}\n`);
    await writeFile(out, `${lines.join('\n')}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function report(
  labels: readonly string[],
  results: Record<'files' | 'realtime', TheftLatency[]>,
  runs: number,
  hours: number,
): string[] {
  const a = DEFAULT_ASSUMPTIONS;
  const figures = (rows: TheftLatency[], key: 'emailMs' | 'planMs') => {
    const values = rows.flatMap((row) => (row[key] === undefined ? [] : [row[key]]));
    const missed = rows.length - values.length;
    return `${minutes(percentile(values, 50))} / ${minutes(percentile(values, 95))}${missed > 0 ? ` (${missed} missed)` : ''}`;
  };
  const lines = [
    '# Latency: thief’s first call to email and to plan (p50 / p95)',
    '',
    `${runs} runs of a generated ${hours}-hour organisation day through the real detector. Assumptions: ` +
      `log files every 5 min, delivered ${minutes(a.fileDelay.medianMs)} (p95 ${minutes(a.fileDelay.p95Ms)}) after their window; ` +
      `EventBridge gets a call ${a.eventBridgeDelay.medianMs / 1000} s (p95 ${a.eventBridgeDelay.p95Ms / 1000} s) after it, ` +
      `the queue batches ${a.batchWindowMs / 1000} s, ${a.dropRate * 100}% of events never arrive (the files backfill); ` +
      `email ${a.notifyMs / 1000} s and plan ${a.planMs / 1000} s after the finding.`,
    '',
    '| planted theft | email, files only | email, with real-time | plan, files only | plan, with real-time |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const label of [...labels, 'all thefts']) {
    const pick = (rows: TheftLatency[]) =>
      label === 'all thefts' ? rows : rows.filter((row) => row.label === label);
    lines.push(
      `| ${label} | ${figures(pick(results.files), 'emailMs')} | ${figures(pick(results.realtime), 'emailMs')} | ` +
        `${figures(pick(results.files), 'planMs')} | ${figures(pick(results.realtime), 'planMs')} |`,
    );
  }
  return lines;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
