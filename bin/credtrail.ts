#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ExitCode, registerDetectCommand } from '../lib/cli/detect-command';
import { registerDemoCommand } from '../lib/cli/demo-command';
import { registerInvestigateCommand } from '../lib/cli/investigate-command';
import { registerRespondCommands } from '../lib/cli/respond-command';
import { registerTuneCommand } from '../lib/cli/tune-command';

const program = new Command('credtrail')
  .description('Catch stolen EC2 instance-profile credentials in CloudTrail, and answer them.')
  .version('0.1.0')
  .exitOverride();

registerDetectCommand(program);
registerRespondCommands(program);
registerTuneCommand(program);
registerInvestigateCommand(program);
registerDemoCommand(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  // Commander throws for --help and --version too; those are not errors.
  if (error instanceof CommanderError && (error.exitCode === 0 || error.code === 'commander.helpDisplayed')) {
    process.exitCode = 0;
    return;
  }
  if (!(error instanceof CommanderError)) process.stderr.write(`error: ${String(error)}\n`);
  process.exitCode = ExitCode.Error;
});
