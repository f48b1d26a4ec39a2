import { readFile, writeFile } from 'node:fs/promises';
import { parseResponseConfig, ResponseConfigSchema } from '../responder/response-config-schema';
import { buildTuneReport, type TuneReport } from '../tune/tune-report';
import { renderTuneHtml } from '../tune/tune-html';
import { renderTuneText } from '../tune/tune-text';
import { checkThresholds, type TuneThresholds } from '../tune/tune-thresholds';
import { UsageError } from './detect-command';
import { TuneExitCode, type TuneFlags, type TuneIo } from './tune-command';
import { readDryRun, TuneClients } from './tune-sources';
import { acceptedProposals, writeExceptionsFile, writeExceptionsTable } from './tune-write';

/** `credtrail tune`: read what dry-run produced, report, and write accepted proposals where asked. */
export async function tune(paths: string[], flags: TuneFlags, io: TuneIo): Promise<number> {
  const thresholds = checkThresholds({
    minKeys: whole('--min-keys', flags.minKeys),
    minActiveHours: whole('--min-hours', flags.minHours),
    minInstancesElsewhere: whole('--min-instances', flags.minInstances),
    privatePrefixFloor: whole('--prefix-floor', flags.prefixFloor),
    expiresInDays: whole('--expires-in-days', flags.expiresInDays),
  } satisfies TuneThresholds);
  const severityThreshold = Number(flags.severityThreshold);
  if (!Number.isFinite(severityThreshold)) throw new UsageError('--severity-threshold must be a number');
  if (flags.confirm && flags.table === undefined) throw new UsageError('--confirm goes with --table');
  const config =
    flags.config === undefined
      ? ResponseConfigSchema.parse({})
      : parseResponseConfig(await readFile(flags.config, 'utf8'));

  const clients = new TuneClients(io.clients);
  try {
    const now = io.now();
    const { findings, recordedPlans, described } = await readDryRun(paths, flags, clients, now, io);
    io.stderr.write(`read ${described.join(', ')}\n`);
    const report = buildTuneReport({ findings, recordedPlans, config, thresholds, severityThreshold, now });

    io.stdout.write(
      flags.output === 'json' ? `${JSON.stringify(jsonView(report), null, 2)}\n` : renderTuneText(report),
    );
    if (flags.html !== undefined) {
      await writeFile(flags.html, renderTuneHtml(report));
      io.stderr.write(`wrote ${flags.html}\n`);
    }
    if (flags.write === undefined && flags.table === undefined) return TuneExitCode.Ok;
    const accepted = acceptedProposals(report, flags.accept);
    if (flags.write !== undefined) await writeExceptionsFile(flags.write, accepted, now, io);
    if (flags.table === undefined) return TuneExitCode.Ok;
    return await writeExceptionsTable(
      flags.table,
      await clients.dynamoDb(),
      accepted,
      { now, confirm: flags.confirm },
      io,
    );
  } finally {
    clients.destroy();
  }
}

function whole(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value)) throw new UsageError(`${flag} must be a whole number, not "${text}"`);
  return value;
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
