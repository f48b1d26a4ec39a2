import { Command } from 'commander';
import type { CliIo } from '../../lib/cli/detect-command';

export interface CliRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | undefined;
}

/** Registers one command (or a family) on the program, as bin/credtrail does. */
export type RegisterCommand = (program: Command, io: CliIo) => void;

/**
 * `credtrail ARGS` in this process with the given commands registered, output captured: the CLI
 * tests' one harness (ARGS start with the command's name).
 */
export async function runCli(
  args: readonly string[],
  ...commands: readonly RegisterCommand[]
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  let exitCode: number | undefined;
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    setExitCode: (code) => (exitCode = code),
  };
  const program = new Command('credtrail').exitOverride();
  for (const register of commands) register(program, io);
  await program.parseAsync(['node', 'credtrail', ...args]);
  return { stdout, stderr, exitCode };
}
