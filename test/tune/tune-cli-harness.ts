import { Command } from 'commander';
import { registerTuneCommand, type TuneIo } from '../../lib/cli/tune-command';

export interface TuneRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | undefined;
}

/** `credtrail tune ARGS` in this process, with its output captured and `now` fixed. */
export async function runTune(
  args: readonly string[],
  now: Date,
  clients: TuneIo['clients'] = {},
): Promise<TuneRun> {
  let stdout = '';
  let stderr = '';
  let exitCode: number | undefined;
  const io: TuneIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    setExitCode: (code) => {
      exitCode = code;
    },
    now: () => now,
    clients,
  };
  const program = new Command('credtrail').exitOverride();
  registerTuneCommand(program, io);
  await program.parseAsync(['node', 'credtrail', 'tune', ...args]);
  return { stdout, stderr, exitCode };
}
