import { Option, type Command } from 'commander';
import { readFile } from 'node:fs/promises';
import type { NetworkDirectory } from '../engine/detector-store';
import type { DetectionProgress } from './detect-run';
import { FAIL_ON_CHOICES, failsRun, type FailOn } from './fail-on';

// Everything past option parsing is loaded when the command runs, and the AWS SDK only for the input
// that needs it (s3://, --state dynamodb:): `credtrail --help` and a local hunt start in a blink
// instead of paying for clients they never use (issue 15).

/** Exit statuses a script can branch on. */
export const ExitCode = { NoFindings: 0, Findings: 1, Error: 2 } as const;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

interface DetectFlags {
  inventory?: string;
  exceptions?: string;
  trustedAccounts?: string;
  output: 'text' | 'jsonl';
  state?: string;
  reorderWindow: string;
  progress: boolean;
  workers?: string;
  failOn: FailOn;
}

/** Where a command writes; the process by default, strings in tests. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
  setExitCode(code: number): void;
}

export const processIo: CliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

export function registerDetectCommand(program: Command, io: CliIo = processIo): void {
  program
    .command('detect')
    .description('Find instance credentials used away from their instance in CloudTrail logs')
    .argument('<paths...>', 'CloudTrail files (.json, .json.gz), folders, or s3://bucket/prefix')
    .option(
      '--inventory <dir>',
      'JSON from aws ec2 describe-instances / describe-nat-gateways / describe-vpc-endpoints',
    )
    .option(
      '--exceptions <file>',
      'JSON list of accepted origins: {cidr|vpcEndpointId|accountId|roleName|instanceId|subnetId, reason, expiresAt?}',
    )
    .option(
      '--trusted-accounts <ids>',
      'comma-separated affiliated accounts (default: accounts receiving the logs, and inventory owners)',
    )
    .addOption(
      new Option('--output <format>', 'text for people, jsonl for machines')
        .choices(['text', 'jsonl'])
        .default('text'),
    )
    .option(
      '--state <spec>',
      'keep detector state: dynamodb:TABLE (a deployed stack) or local:DIR (on this machine); default in memory',
    )
    .option('--reorder-window <minutes>', 'how late a record may arrive and still be judged in order', '60')
    .option('--no-progress', 'no progress bar, even on a terminal')
    .option(
      '--workers <count>',
      'threads that read and parse local files while the main thread judges (default: one per core, up to 4, for 64 files or more; 0: none)',
    )
    .addOption(
      new Option(
        '--fail-on <severity>',
        'exit 1 when a finding at or above this severity is found (default: theft only, not posture or LOW session-name findings)',
      )
        .choices(FAIL_ON_CHOICES)
        .default('theft'),
    )
    .action(async (paths: string[], flags: DetectFlags) => {
      io.setExitCode(await detect(paths, flags, io));
    });
}

async function detect(paths: string[], flags: DetectFlags, io: CliIo): Promise<number> {
  const { stdout, stderr } = io;
  try {
    const reorderMinutes = Number(flags.reorderWindow);
    if (!Number.isFinite(reorderMinutes) || reorderMinutes < 0) {
      throw new UsageError(`--reorder-window must be a number of minutes, got "${flags.reorderWindow}"`);
    }
    const workers = flags.workers === undefined ? undefined : Number(flags.workers);
    if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0 && workers <= 64)) {
      throw new UsageError(`--workers must be a whole number from 0 to 64, got "${flags.workers}"`);
    }
    const trusted = parseAccountList(flags.trustedAccounts);
    const [
      { ExceptionList, exceptionWarnings },
      { NoInventory, runDetection },
      { formatFinding, formatSummary },
    ] = await Promise.all([
      import('../engine/credential-exception'),
      import('./detect-run'),
      import('./finding-text'),
    ]);
    const entries = flags.exceptions === undefined ? [] : await loadExceptions(flags.exceptions);
    // Entries written for the old one-matcher rules that now vouch for less: say so, keep going.
    for (const warning of exceptionWarnings(entries, flags.exceptions)) stderr.write(`warning: ${warning}\n`);
    let networks: NetworkDirectory = new NoInventory();
    let endpointVpcs: ReadonlyMap<string, string> = new Map();
    const trustedAccounts = new Set(trusted ?? []);
    if (flags.inventory !== undefined) {
      const { InventoryDirectory } = await import('../inventory/inventory-directory');
      const inventory = await InventoryDirectory.load(flags.inventory);
      networks = inventory;
      endpointVpcs = inventory.endpointVpcs;
      if (trusted === undefined) for (const account of inventory.ownerAccounts) trustedAccounts.add(account);
    }
    const exceptions = new ExceptionList(entries, endpointVpcs);
    const { openStateStore } = await import('../state/state-spec');
    const state = await openStateStore(flags.state);
    const bar =
      flags.progress && stderr.isTTY
        ? new (await import('cli-progress')).SingleBar({
            format: 'reading {bar} {value}/{total} files | {records} records',
            stream: process.stderr,
            clearOnComplete: true,
          })
        : undefined;
    let records = 0;
    const progress: DetectionProgress = {
      onStart: (files) => bar?.start(files.length, 0, { records: 0 }),
      onFile: (_file, count) => {
        records += count;
        bar?.increment(1, { records });
      },
      onSkippedFile: (skipped) => {
        bar?.increment(1);
        if (bar === undefined) stderr.write(`warning: skipped ${skipped.name}: ${skipped.reason}\n`);
      },
    };
    let report;
    try {
      report = await runDetection(
        {
          paths,
          store: state.store,
          networks,
          exceptions,
          trustedAccounts,
          trustRecipientAccounts: trusted === undefined,
          reorderWindowMs: reorderMinutes * 60_000,
          clock: Date.now,
          s3: async () => new (await import('@aws-sdk/client-s3')).S3Client({ followRegionRedirects: true }),
          workers,
        },
        progress,
      );
    } finally {
      bar?.stop();
      await state.close();
    }

    if (flags.output === 'jsonl') {
      for (const finding of report.findings) stdout.write(`${JSON.stringify(finding)}\n`);
      stderr.write(`${formatSummary(report)}\n`);
    } else {
      for (const finding of report.findings) stdout.write(`${formatFinding(finding)}\n\n`);
      // Said only when some file was judged: when none was, the error below explains why.
      if (report.findings.length === 0 && report.files > report.skippedFiles.length)
        stdout.write('No instance credentials were used away from their instance.\n\n');
      stdout.write(`${formatSummary(report)}\n`);
    }
    if (report.files === 0) {
      stderr.write('error: no CloudTrail log files found under the given paths\n');
      return ExitCode.Error;
    }
    if (report.files === report.skippedFiles.length) {
      // Nothing was judged: "no findings" would be a lie (a folder of other JSON, every file corrupt).
      stderr.write(
        `error: none of the ${report.files} files holds CloudTrail records (each is listed above with the reason)\n`,
      );
      return ExitCode.Error;
    }
    return report.findings.some((finding) => failsRun(finding, flags.failOn))
      ? ExitCode.Findings
      : ExitCode.NoFindings;
  } catch (error) {
    stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.Error;
  }
}

async function loadExceptions(path: string) {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new UsageError(`--exceptions ${path}: cannot read the file`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `--exceptions ${path}: invalid JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const { parseExceptions } = await import('../engine/credential-exception');
  return parseExceptions(json, path);
}

function parseAccountList(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const accounts = text
    .split(',')
    .map((account) => account.trim())
    .filter((account) => account !== '');
  const bad = accounts.find((account) => !/^\d{12}$/.test(account));
  if (bad !== undefined) throw new UsageError(`--trusted-accounts: "${bad}" is not a 12-digit account id`);
  return accounts;
}
