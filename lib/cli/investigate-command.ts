import { Option, type Command } from 'commander';
import { processIo, type CliIo } from './detect-command';

// The investigation, zod and the finding schema load only when `investigate` runs
// (./investigate-run.ts): `credtrail --help` does not pay for them (issue 15).

export const InvestigateExitCode = { Ok: 0, Error: 2 } as const;

export interface InvestigateFlags {
  output: 'text' | 'json';
}

export function registerInvestigateCommand(program: Command, io: CliIo = processIo): void {
  program
    .command('investigate')
    .description("What the thief did: every key minted from a finding's stolen key, and every call they made")
    .argument('<finding>', 'one finding: a credtrail finding detail, or its EventBridge event, as JSON')
    .argument('<paths...>', 'CloudTrail files (.json, .json.gz), folders, or s3://bucket/prefix')
    .addOption(
      new Option('--output <format>', 'text for people, json for tools')
        .choices(['text', 'json'])
        .default('text'),
    )
    .action(async (finding: string, paths: string[], flags: InvestigateFlags) => {
      const { investigate } = await import('./investigate-run');
      io.setExitCode(await investigate(finding, paths, flags, io));
    });
}
