import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import * as parsePool from '../../lib/cloudtrail/parse-pool';
import { ExitCode, registerDetectCommand } from '../../lib/cli/detect-command';
import { useRecord } from '../support/cloudtrail-records';
import { runCli } from '../support/cli-run';

const run = (args: string[]) => runCli(['detect', ...args], registerDetectCommand);

/**
 * A hunt whose parse worker dies is not a hunt with fewer files: `credtrail detect` must fail with the
 * worker's error and the way around it, and print no report that reads as complete. The pool runs for
 * real; only its workers are replaced, by a real thread that exits when asked for its first files.
 */
describe('credtrail detect when a parse worker dies', () => {
  const realEventsInWorkers = parsePool.eventsInWorkers;
  let dir: string;
  let started: Worker[];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'credtrail-worker-crash-'));
    for (const time of ['1000', '1005']) {
      const records = [useRecord({ eventTime: `2026-11-26T${time.slice(0, 2)}:${time.slice(2)}:00Z` })];
      writeFileSync(
        join(dir, `111111111111_CloudTrail_us-east-1_20261126T${time}Z_abcdEFGH12345678.json.gz`),
        gzipSync(JSON.stringify({ Records: records })),
      );
    }
    started = [];
    jest.spyOn(parsePool, 'eventsInWorkers').mockImplementation((files, maxFileBytes, workerCount) =>
      realEventsInWorkers(files, maxFileBytes, workerCount, () => {
        const script = `require('node:worker_threads').parentPort.once('message', () => process.exit(3));`;
        const worker = new Worker(script, { eval: true });
        started.push(worker);
        return worker;
      }),
    );
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await Promise.all(started.map((worker) => worker.terminate()));
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(['text', 'jsonl'])(
    'exits 2 with the error and the --workers 0 hint, printing no findings or summary (--output %s)',
    async (output) => {
      // Act
      const result = await run([dir, '--workers', '1', '--output', output]);

      // Assess
      expect(started).toHaveLength(1);
      expect(result.exitCode).toBe(ExitCode.Error);
      expect(result.stdout).toBe('');
      // The only line: no summary (jsonl writes it to stderr), no "no findings".
      expect(result.stderr).toBe(
        'error: parse worker 0 stopped (exit code 3); --workers 0 reads on the main thread\n',
      );
    },
  );

  it('reads the same files with --workers 0, as the hint says', async () => {
    // Act
    const result = await run([dir, '--workers', '0']);

    // Assess
    expect(started).toHaveLength(0);
    expect(result.exitCode).not.toBe(ExitCode.Error);
    expect(result.stdout).toContain('2 files');
  });
});
