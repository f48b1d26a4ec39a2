import { Option, type Command } from 'commander';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DEFAULT_RESPONDER_SEVERITY_THRESHOLD } from '../infra/responder-threshold';
import { DEFAULT_THRESHOLDS } from '../tune/tune-thresholds';
import { processIo, type CliIo } from './detect-command';

// The tuning itself, the responder's planner and the AWS clients load only when `tune` runs
// (./tune-run.ts): `credtrail --help` and `detect` do not pay for them (issue 15).

/** 1: `--table` without `--confirm` showed changes it did not write. */
export const TuneExitCode = { Ok: 0, NotWritten: 1, Error: 2 } as const;

export interface TuneIo extends CliIo {
  now(): Date;
  /** Clients for the deployed tables and log group; made (and destroyed) by the run when absent. */
  readonly clients?: { readonly dynamodb?: DynamoDBClient; readonly logs?: CloudWatchLogsClient };
}

export interface TuneFlags {
  state?: string;
  logGroup?: string;
  logDays: string;
  auditDir?: string;
  auditTable?: string;
  config?: string;
  severityThreshold: string;
  minKeys: string;
  minHours: string;
  minInstances: string;
  prefixFloor: string;
  expiresInDays: string;
  write?: string;
  table?: string;
  confirm: boolean;
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
      '[findings...]',
      'findings as JSON lines (credtrail detect --output jsonl, the findings log group export), files or folders',
    )
    .option(
      '--state <spec>',
      'also read the findings a detector stored: dynamodb:TABLE (the deployed state table) or local:DIR (detect --state local:DIR)',
    )
    .option('--log-group <name>', 'also read findings from this log group (deployed: /credtrail/findings)')
    .option('--log-days <n>', 'how many days back to read --log-group', '7')
    .option('--audit-dir <dir>', "recorded plans (the responder's file audit store); otherwise planned here")
    .option('--audit-table <name>', "recorded plans from the deployed responder's audit table")
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
    .option(
      '--table <name>',
      'merge accepted proposals into the deployed exceptions table: shows the changes, writes them only with --confirm',
    )
    .option('--confirm', 'with --table: write the changes shown', false)
    .option('--accept <ids>', 'comma-separated proposal ids to write (default: every proposal)')
    .option('--html <file>', 'also write the report as one self-contained HTML file')
    .addOption(
      new Option('--output <format>', 'text for people, json for machines')
        .choices(['text', 'json'])
        .default('text'),
    )
    .action(async (paths: string[], flags: TuneFlags) => {
      try {
        io.setExitCode(await (await import('./tune-run')).tune(paths, flags, io));
      } catch (error) {
        io.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
        io.setExitCode(TuneExitCode.Error);
      }
    });
}
