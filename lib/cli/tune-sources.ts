import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FindingDetail } from '../contracts/finding-event';
import { IncidentRecordSchema } from '../responder/audit-store';
import type { ResponsePlan } from '../responder/response-plan';
import { InvalidStateSpecError } from '../state/state-spec';
import { scanRecordedPlans, scanStateFindings } from '../tune/dry-run-tables';
import { latestOf, readFindingLines } from '../tune/finding-lines';
import { printable } from '../tune/tune-text';
import { UsageError } from './detect-command';
import type { TuneFlags, TuneIo } from './tune-command';

const DAY_MS = 24 * 3_600_000;

export interface DryRunOutput {
  /** Every finding once, in its latest form, whichever sources named it. */
  readonly findings: FindingDetail[];
  readonly recordedPlans: ResponsePlan[];
  /** Where each came from, for the report's first line on stderr. */
  readonly described: string[];
}

/**
 * The AWS clients a run needs, made on first use with the SDK's own resolution (AWS_REGION, profile)
 * and destroyed at the end; the SDK modules load only then, so a run over files never pays for them.
 */
export class TuneClients {
  private dynamodb?: DynamoDBClient;
  private logs?: CloudWatchLogsClient;
  private readonly owned: { destroy(): void }[] = [];

  constructor(given: TuneIo['clients'] = {}) {
    this.dynamodb = given.dynamodb;
    this.logs = given.logs;
  }

  async dynamoDb(): Promise<DynamoDBClient> {
    if (this.dynamodb === undefined) {
      const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
      this.dynamodb = new DynamoDBClient({});
      this.owned.push(this.dynamodb);
    }
    return this.dynamodb;
  }

  async cloudWatchLogs(): Promise<CloudWatchLogsClient> {
    if (this.logs === undefined) {
      const { CloudWatchLogsClient } = await import('@aws-sdk/client-cloudwatch-logs');
      this.logs = new CloudWatchLogsClient({});
      this.owned.push(this.logs);
    }
    return this.logs;
  }

  destroy(): void {
    for (const client of this.owned) client.destroy();
  }
}

/** Findings and recorded plans from every source the flags name; lines and items it cannot use are named on stderr. */
export async function readDryRun(
  paths: readonly string[],
  flags: TuneFlags,
  clients: TuneClients,
  now: Date,
  io: TuneIo,
): Promise<DryRunOutput> {
  if (paths.length === 0 && flags.state === undefined && flags.logGroup === undefined)
    throw new UsageError('no findings to read: give files or folders, --state or --log-group');
  const findings: FindingDetail[] = [];
  const skipped: string[] = [];
  const described: string[] = [];
  const files = await listInputs(paths);
  if (files.length > 0) {
    const read = readFindingLines(
      await Promise.all(files.map(async (name) => ({ name, text: await readFile(name, 'utf8') }))),
    );
    findings.push(...read.findings);
    skipped.push(...read.skipped);
    described.push(`${read.findings.length} from ${files.length} file(s)`);
  }
  if (flags.state !== undefined) {
    const read = await readStateFindings(flags.state, clients);
    findings.push(...read.items);
    skipped.push(...read.skipped);
    described.push(`${read.items.length} from ${read.describe}`);
  }
  if (flags.logGroup !== undefined) {
    const days = Number(flags.logDays);
    if (!Number.isFinite(days) || days <= 0) throw new UsageError('--log-days must be a positive number');
    const { readFindingsLogGroup } = await import('../tune/findings-log-group');
    const read = await readFindingsLogGroup(await clients.cloudWatchLogs(), flags.logGroup, {
      startMs: now.getTime() - days * DAY_MS,
      endMs: now.getTime(),
    });
    findings.push(...read.findings);
    skipped.push(...read.skipped);
    described.push(`${read.findings.length} from log group ${flags.logGroup} (${days} day(s))`);
  }

  const recordedPlans: ResponsePlan[] = [];
  if (flags.auditDir !== undefined) {
    const read = await readRecordedPlans(flags.auditDir);
    recordedPlans.push(...read.items);
    skipped.push(...read.skipped);
  }
  if (flags.auditTable !== undefined) {
    const read = await scanRecordedPlans(await clients.dynamoDb(), flags.auditTable);
    recordedPlans.push(...read.items);
    skipped.push(...read.skipped);
  }

  for (const line of skipped.slice(0, 20)) io.stderr.write(`skipped ${printable(line)}\n`);
  if (skipped.length > 20) io.stderr.write(`skipped ${skipped.length - 20} more\n`);
  return { findings: latestOf(findings), recordedPlans, described };
}

/** `dynamodb:TABLE` reads the deployed table; `local:DIR` the embedded store `detect --state local:DIR` kept. */
async function readStateFindings(
  spec: string,
  clients: TuneClients,
): Promise<Awaited<ReturnType<typeof scanStateFindings>> & { describe: string }> {
  const separator = spec.indexOf(':');
  const [scheme, target] = [spec.slice(0, separator), spec.slice(separator + 1)];
  if (separator <= 0 || target === '') throw new InvalidStateSpecError(spec);
  if (scheme === 'dynamodb')
    return {
      ...(await scanStateFindings(await clients.dynamoDb(), target)),
      describe: `state table ${target}`,
    };
  if (scheme !== 'local') throw new InvalidStateSpecError(spec);
  // Opening a directory that holds no state would create one: an empty result that looks like "no findings".
  if (!(await stat(target).catch(() => undefined))?.isDirectory())
    throw new UsageError(`--state ${spec}: no such directory (detect --state ${spec} creates it)`);
  const [{ lockStateDirectory }, { startLocalDynamoServer }] = await Promise.all([
    import('../state/state-directory-lock'),
    import('../state/local-store'),
  ]);
  const unlock = await lockStateDirectory(target);
  try {
    const server = await startLocalDynamoServer(target);
    try {
      return {
        ...(await scanStateFindings(server.client, server.tableName)),
        describe: `local state in ${target}`,
      };
    } finally {
      await server.stop();
    }
  } finally {
    await unlock();
  }
}

/** Files as given; folders searched (not recursively into hidden ones) for .jsonl, .json, .log and .ndjson files. */
async function listInputs(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => {
      throw new UsageError(`${path}: no such file or folder`);
    });
    if (!info.isDirectory()) {
      files.push(path);
      continue;
    }
    for (const entry of (await readdir(path, { withFileTypes: true, recursive: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      if (entry.isFile() && /\.(jsonl|ndjson|json|log)$/.test(entry.name))
        files.push(join(entry.parentPath, entry.name));
    }
  }
  return files;
}

/** The file audit store: `<incident>/plan-<mode>.json`. An unreadable record is named, never dropped silently. */
async function readRecordedPlans(directory: string): Promise<{ items: ResponsePlan[]; skipped: string[] }> {
  const items: ResponsePlan[] = [];
  const skipped: string[] = [];
  const incidents = await readdir(directory, { withFileTypes: true }).catch((error: unknown) => {
    throw new UsageError(`--audit-dir ${directory}: cannot read (${String(error)})`);
  });
  for (const incident of incidents.filter((entry) => entry.isDirectory())) {
    for (const mode of ['dry-run', 'enforce']) {
      const path = join(directory, incident.name, `plan-${mode}.json`);
      const text = await readFile(path, 'utf8').catch(() => null);
      if (text === null) continue;
      try {
        items.push(IncidentRecordSchema.parse(JSON.parse(text)).plan);
      } catch {
        skipped.push(`${path}: not a recorded plan`);
      }
    }
  }
  return { items, skipped };
}
