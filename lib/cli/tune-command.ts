import { Option, type Command } from 'commander';
import { readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_RESPONDER_SEVERITY_THRESHOLD } from '../infra/event-patterns';
import { parseExceptions, type CredentialException } from '../engine/credential-exception';
import { IncidentRecordSchema } from '../responder/audit-store';
import { parseResponseConfig, ResponseConfigSchema } from '../responder/response-config-schema';
import type { ResponsePlan } from '../responder/response-plan';
import { describeMatchers, mergeExceptions } from '../tune/exceptions-merge';
import { readFindingLines } from '../tune/finding-lines';
import { buildTuneReport, type TuneReport } from '../tune/tune-report';
import { renderTuneHtml } from '../tune/tune-html';
import { printable, renderTuneText } from '../tune/tune-text';
import { checkThresholds, DEFAULT_THRESHOLDS, type TuneThresholds } from '../tune/tune-thresholds';
import { processIo, UsageError, type CliIo } from './detect-command';

export const TuneExitCode = { Ok: 0, Error: 2 } as const;

export interface TuneIo extends CliIo {
  now(): Date;
}

interface TuneFlags {
  auditDir?: string;
  config?: string;
  severityThreshold: string;
  minKeys: string;
  minHours: string;
  minInstances: string;
  prefixFloor: string;
  expiresInDays: string;
  write?: string;
  accept?: string;
  html?: string;
  output: 'text' | 'json';
}

export function registerTuneCommand(
  program: Command,
  io: TuneIo = { ...processIo, now: () => new Date() },
): void {
  program
    .command('tune')
    .description(
      'From what dry-run produced, propose scoped exceptions and show, role by role, what enforce would have done',
    )
    .argument(
      '<findings...>',
      'findings as JSON lines (credtrail detect --output jsonl, the findings log group export), files or folders',
    )
    .option('--audit-dir <dir>', "recorded plans (the responder's file audit store); otherwise planned here")
    .option('--config <file>', 'response configuration JSON (actions, per-role rules) for the go-live view')
    .option(
      '--severity-threshold <score>',
      'findings at or above it reach the responder',
      String(DEFAULT_RESPONDER_SEVERITY_THRESHOLD),
    )
    .option(
      '--min-keys <n>',
      'distinct access keys a group needs (at least 2)',
      String(DEFAULT_THRESHOLDS.minKeys),
    )
    .option(
      '--min-hours <n>',
      'distinct hours a group was seen in',
      String(DEFAULT_THRESHOLDS.minActiveHours),
    )
    .option(
      '--min-instances <n>',
      "distinct instances for origins other than the instances' own VPC endpoints",
      String(DEFAULT_THRESHOLDS.minInstancesElsewhere),
    )
    .option(
      '--prefix-floor <bits>',
      'widen a private CIDR to at least this prefix',
      String(DEFAULT_THRESHOLDS.privatePrefixFloor),
    )
    .option(
      '--expires-in-days <n>',
      'expiry of proposed exceptions',
      String(DEFAULT_THRESHOLDS.expiresInDays),
    )
    .option('--write <file>', 'merge accepted proposals into this exceptions file (created if absent)')
    .option('--accept <ids>', 'comma-separated proposal ids to write (default: every proposal)')
    .option('--html <file>', 'also write the report as one self-contained HTML file')
    .addOption(
      new Option('--output <format>', 'text for people, json for machines')
        .choices(['text', 'json'])
        .default('text'),
    )
    .action(async (paths: string[], flags: TuneFlags) => {
      try {
        io.setExitCode(await tune(paths, flags, io));
      } catch (error) {
        io.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
        io.setExitCode(TuneExitCode.Error);
      }
    });
}

async function tune(paths: string[], flags: TuneFlags, io: TuneIo): Promise<number> {
  const thresholds = checkThresholds({
    minKeys: whole('--min-keys', flags.minKeys),
    minActiveHours: whole('--min-hours', flags.minHours),
    minInstancesElsewhere: whole('--min-instances', flags.minInstances),
    privatePrefixFloor: whole('--prefix-floor', flags.prefixFloor),
    expiresInDays: whole('--expires-in-days', flags.expiresInDays),
  } satisfies TuneThresholds);
  const severityThreshold = Number(flags.severityThreshold);
  if (!Number.isFinite(severityThreshold)) throw new UsageError('--severity-threshold must be a number');
  const config =
    flags.config === undefined
      ? ResponseConfigSchema.parse({})
      : parseResponseConfig(await readFile(flags.config, 'utf8'));
  const sources = await Promise.all(
    (await listInputs(paths)).map(async (name) => ({ name, text: await readFile(name, 'utf8') })),
  );
  const { findings, skipped } = readFindingLines(sources);
  for (const line of skipped.slice(0, 20)) io.stderr.write(`skipped ${printable(line)}\n`);
  if (skipped.length > 20) io.stderr.write(`skipped ${skipped.length - 20} more lines\n`);
  const recordedPlans = flags.auditDir === undefined ? [] : await readRecordedPlans(flags.auditDir, io);
  const now = io.now();
  const report = buildTuneReport({ findings, recordedPlans, config, thresholds, severityThreshold, now });

  io.stdout.write(
    flags.output === 'json' ? `${JSON.stringify(jsonView(report), null, 2)}\n` : renderTuneText(report),
  );
  if (flags.html !== undefined) {
    await writeFile(flags.html, renderTuneHtml(report));
    io.stderr.write(`wrote ${flags.html}\n`);
  }
  if (flags.write !== undefined) await writeAccepted(report, flags.write, flags.accept, now, io);
  return TuneExitCode.Ok;
}

function whole(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value)) throw new UsageError(`${flag} must be a whole number, not "${text}"`);
  return value;
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
async function readRecordedPlans(directory: string, io: TuneIo): Promise<ResponsePlan[]> {
  const plans: ResponsePlan[] = [];
  const incidents = await readdir(directory, { withFileTypes: true }).catch((error: unknown) => {
    throw new UsageError(`--audit-dir ${directory}: cannot read (${String(error)})`);
  });
  for (const incident of incidents.filter((entry) => entry.isDirectory())) {
    for (const mode of ['dry-run', 'enforce']) {
      const path = join(directory, incident.name, `plan-${mode}.json`);
      const text = await readFile(path, 'utf8').catch(() => null);
      if (text === null) continue;
      try {
        plans.push(IncidentRecordSchema.parse(JSON.parse(text)).plan);
      } catch {
        io.stderr.write(`skipped ${path}: not a recorded plan\n`);
      }
    }
  }
  return plans;
}

async function writeAccepted(
  report: TuneReport,
  path: string,
  acceptText: string | undefined,
  now: Date,
  io: TuneIo,
): Promise<void> {
  const offered = new Map(
    report.verdicts.flatMap(({ decision }) =>
      decision.status === 'not-proposed' ? [] : [[decision.proposalId, decision] as const],
    ),
  );
  const wanted =
    acceptText === undefined
      ? [...offered.values()]
          .filter((decision) => decision.status === 'proposed')
          .map((decision) => decision.proposalId)
      : acceptText
          .split(',')
          .map((id) => id.trim())
          .filter((id) => id !== '');
  const accepted: CredentialException[] = [];
  for (const id of wanted) {
    const decision = offered.get(id);
    if (decision === undefined)
      throw new UsageError(
        `--accept: no proposal ${id} (proposals: ${[...offered.keys()].join(', ') || 'none'})`,
      );
    if (decision.status === 'withheld')
      throw new UsageError(`--accept: ${id} is withheld: ${decision.reason}`);
    accepted.push(decision.exception);
  }
  const existing = await readExisting(path);
  const merge = mergeExceptions(existing, accepted, now);
  const lines = [
    `${path}: ${merge.added.length} added, ${merge.kept.length} kept, ${merge.expired.length} expired, ${merge.duplicates.length} already there`,
    ...merge.added.map(
      (entry) => `  added: ${describeMatchers(entry)} (expires ${entry.expiresAt ?? 'never'})`,
    ),
    ...merge.expired.map(
      (entry) =>
        `  expired (kept in the file, suppresses nothing; renew or delete it): ${describeMatchers(entry)} since ${entry.expiresAt ?? '?'}`,
    ),
    ...merge.duplicates.map((entry) => `  already there, not added: ${describeMatchers(entry)}`),
  ];
  io.stderr.write(`${lines.map(printable).join('\n')}\n`);
  if (merge.added.length === 0) return;
  // Written beside the file and renamed over it: a crash never leaves half a file.
  const temporary = `${path}.credtrail-tune.tmp`;
  await writeFile(temporary, `${JSON.stringify(merge.entries, null, 2)}\n`);
  await rename(temporary, path);
}

/** The current file, validated; anything unparseable stops the write so nothing in it is lost. */
async function readExisting(path: string): Promise<CredentialException[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT') return [];
    throw new UsageError(`--write ${path}: cannot read the existing file (${String(error)})`);
  }
  if (text.trim() === '') return [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `--write ${path}: refusing to overwrite a file that is not JSON (${error instanceof Error ? error.message : String(error)}); nothing was written`,
    );
  }
  try {
    return parseExceptions(json, path);
  } catch (error) {
    throw new UsageError(
      `--write: refusing to overwrite ${path}: ${error instanceof Error ? error.message : String(error)}; nothing was written`,
    );
  }
}

/** The report without the findings themselves (they are the input). */
function jsonView(report: TuneReport): unknown {
  return {
    generatedAt: report.generatedAt,
    findings: report.findings,
    thresholds: report.thresholds,
    groups: report.verdicts.map(({ group, stats, decision }) => ({
      id: group.id,
      accountId: group.accountId,
      roleName: group.roleName,
      vpcId: group.vpcId,
      kind: group.kind,
      network: group.network,
      findings: stats.findings,
      keys: stats.keys.size,
      instances: stats.instances.size,
      firstSeen: new Date(stats.firstSeen).toISOString(),
      lastSeen: new Date(stats.lastSeen).toISOString(),
      decision,
    })),
    roles: report.goLive.roles.map(({ findings, remaining, ...role }) => ({
      ...role,
      findings: findings.length,
      remaining: remaining.length,
    })),
    suggestedRoleRules: report.goLive.suggestedRoleRules,
  };
}
