import type { Command } from 'commander';

// The responder, its AWS clients and zod schemas load only when `respond` or `undo` runs
// (./respond-run.ts): `credtrail --help` and `detect` do not pay for them (issue 15).

export const RespondExitCode = { Ok: 0, NotDone: 1, Error: 2 } as const;
export const DEFAULT_AUDIT_DIR = '.credtrail-state/audit';

/** Where the commands write; the process by default, strings in tests. */
export interface RespondIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  setExitCode(code: number): void;
}

const processIo: RespondIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

export interface CommonFlags {
  auditDir: string;
  auditTable?: string;
  memberRole?: string;
  json: boolean;
}

export interface RespondFlags extends CommonFlags {
  enforce: boolean;
  config?: string;
  offline: boolean;
}

export interface UndoFlags extends CommonFlags {
  dryRun: boolean;
  lambda?: string;
}

export function registerRespondCommands(program: Command, io: RespondIo = processIo): void {
  const respond = program
    .command('respond')
    .description('Plan the response to a finding (GuardDuty or credtrail) and, with --enforce, carry it out')
    .argument(
      '<finding>',
      'an EventBridge event (GuardDuty or credtrail) or one credtrail finding detail, as JSON',
    )
    .option('--enforce', 'apply the plan (default: print it only)', false)
    .option(
      '--config <file>',
      'responder configuration JSON (mode, actions, protected, rateLimit, quarantine, pin)',
    )
    .option('--offline', 'plan from the finding alone, reading nothing from AWS (cannot be enforced)', false);
  withAuditOptions(respond).action(async (findingPath: string, flags: RespondFlags) => {
    await guarded(io, async () => (await import('./respond-run')).respond(findingPath, flags, io));
  });

  const undo = program
    .command('undo')
    .description('Restore what an enforced response replaced, from its audit record')
    .argument('<incidentId>', 'the incident id printed by respond (inc-…)')
    .option('--dry-run', 'print the restoring calls without making them', false)
    .option(
      '--lambda <function>',
      'ask the deployed responder Lambda to undo (needs lambda:InvokeFunction on it)',
    );
  withAuditOptions(undo).action(async (incidentId: string, flags: UndoFlags) => {
    await guarded(io, async () => (await import('./respond-run')).undo(incidentId, flags, io));
  });
}

function withAuditOptions(command: Command): Command {
  return command
    .option('--audit-dir <dir>', 'where plans and step outcomes are recorded', DEFAULT_AUDIT_DIR)
    .option('--audit-table <name>', 'use this DynamoDB audit table instead of --audit-dir')
    .option(
      '--member-role <name>',
      "assume this role in the incident's account (default: current credentials); not the deployed member response role, which trusts only the responder Lambda",
    )
    .option('--json', 'print the outcome as JSON', false);
}

async function guarded(io: RespondIo, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    io.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    io.setExitCode(RespondExitCode.Error);
  }
}
