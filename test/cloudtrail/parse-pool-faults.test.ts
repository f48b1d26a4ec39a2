import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import { eventsInProcess, type FileEventsOutcome } from '../../lib/cloudtrail/file-events';
import { MAX_LOG_FILE_BYTES } from '../../lib/cloudtrail/log-file';
import { listLogFiles, type LogFileRef } from '../../lib/cloudtrail/log-sources';
import { eventsInWorkers } from '../../lib/cloudtrail/parse-pool';
import { useRecord } from '../support/cloudtrail-records';

/**
 * A parse worker that dies must end the hunt with an error that says which worker and how, soon, with no
 * thread left running: a hunt that hangs, or reports as complete without some files, would be a lie.
 * The workers here are real threads, started from small scripts that fail the way a worker can.
 */

/** Long enough for a thread to start and fail on a slow machine; a hang is far longer. */
const BOUND_MS = 10_000;

/** A worker that does nothing: it never answers and stays alive until it is terminated. */
const IDLE = `require('node:worker_threads').parentPort.on('message', () => {});`;
const onFirstRequest = (act: string) =>
  `require('node:worker_threads').parentPort.once('message', () => { ${act} });`;

/** The real parse worker (lib/cloudtrail/parse-worker.ts through tsx), after `prelude` has run in it. */
function parseWorkerAfter(prelude: string): string {
  const tsx = require.resolve('tsx/cjs/api');
  const source = join(__dirname, '../../lib/cloudtrail/parse-worker.ts');
  return `${prelude}; require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(source)});`;
}

describe('a parse pool whose worker fails', () => {
  let started: Worker[] = [];
  // Each test says what its workers run, in the order the pool starts them (worker 0, worker 1…).
  const starting =
    (...scripts: string[]) =>
    () => {
      const worker = new Worker(scripts[started.length] as string, { eval: true });
      started.push(worker);
      return worker;
    };

  afterEach(async () => {
    // Whatever a test left running must not outlive it (the tests assert it never does).
    await Promise.all(started.map((worker) => worker.terminate()));
    started = [];
  });

  /** Rejects if `promise` has not settled within the bound: a hunt that hangs fails the test. */
  async function withinBound<T>(promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`not settled within ${BOUND_MS} ms`)), BOUND_MS);
    });
    try {
      return await Promise.race([promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Every started thread has ended (Node sets threadId to -1 once a worker has stopped). */
  async function allStopped(): Promise<boolean> {
    const deadline = Date.now() + BOUND_MS;
    while (started.some((worker) => worker.threadId !== -1) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    return started.every((worker) => worker.threadId === -1);
  }

  async function collect(
    generator: AsyncGenerator<[LogFileRef, FileEventsOutcome]>,
  ): Promise<Array<[LogFileRef, FileEventsOutcome]>> {
    const yielded: Array<[LogFileRef, FileEventsOutcome]> = [];
    for await (const entry of generator) yielded.push(entry);
    return yielded;
  }

  const unreadFiles = (count: number): LogFileRef[] =>
    Array.from({ length: count }, (_, i) => ({
      name: `f${i}.json`,
      path: `/nonexistent/f${i}.json`,
      open: () => Promise.reject(new Error('read by the workers only')),
    }));

  it.each([
    ['exits with code 3', onFirstRequest('process.exit(3)'), 'parse worker 1 stopped (exit code 3)'],
    [
      'throws an uncaught error',
      onFirstRequest(`throw new Error('disk on fire')`),
      'parse worker 1 failed: disk on fire',
    ],
    [
      'stops silently with code 0, never answering',
      onFirstRequest(`require('node:worker_threads').parentPort.close()`),
      'parse worker 1 stopped (exit code 0)',
    ],
  ])(
    'ends the hunt with an error naming the worker when it %s, and stops every worker',
    async (_, faulty, message) => {
      // Arrange: worker 0 never answers, so the hunt waits on it while worker 1 fails.
      const files = unreadFiles(20);
      const hunt = eventsInWorkers(files, MAX_LOG_FILE_BYTES, 2, starting(IDLE, faulty));

      // Act
      const outcome = withinBound(collect(hunt));

      // Assess
      await expect(outcome).rejects.toThrow(`${message}; --workers 0 reads on the main thread`);
      expect(started).toHaveLength(2);
      expect(await allStopped()).toBe(true);
    },
    3 * BOUND_MS,
  );

  describe('over real log files', () => {
    let dir: string;
    let files: LogFileRef[];

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'credtrail-pool-faults-'));
      // 40 files: a worker is asked for runs of 16. The third is not gzip, to be skipped with its reason.
      for (let i = 0; i < 40; i++) {
        const name = `111111111111_CloudTrail_eu-west-1_20250314T${String(1000 + i)}Z_f${i}.json.gz`;
        const eventTime = `2025-03-14T10:${String(i).padStart(2, '0')}:00Z`;
        const records = [useRecord({ eventTime, sourceIp: `52.1.1.${i + 1}` }), useRecord({ eventTime })];
        await writeFile(
          join(dir, name),
          i === 2 ? 'not gzip' : gzipSync(JSON.stringify({ Records: records })),
        );
      }
      files = await listLogFiles([dir], () => Promise.reject(new Error('no S3 in this test')));
    });

    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('yields the files read before a worker dies, as the main thread reads them, then the error', async () => {
      // Arrange: one real worker, that exits right after answering its first run (files 0 to 15).
      const exitAfterFirstReply = `
        const port = require('node:worker_threads').parentPort;
        const post = port.postMessage.bind(port);
        port.postMessage = (reply, transfer) => { post(reply, transfer); process.exit(3); };`;
      const hunt = eventsInWorkers(
        files,
        MAX_LOG_FILE_BYTES,
        1,
        starting(parseWorkerAfter(exitAfterFirstReply)),
      );
      const yielded: Array<[LogFileRef, FileEventsOutcome]> = [];

      // Act
      const outcome = withinBound(
        (async () => {
          for await (const entry of hunt) yielded.push(entry);
        })(),
      );

      // Assess
      await expect(outcome).rejects.toThrow('parse worker 0 stopped (exit code 3)');
      const inProcess = await collect(eventsInProcess(files.slice(0, 16), MAX_LOG_FILE_BYTES));
      expect(yielded.map(([file]) => file.name)).toEqual(files.slice(0, 16).map((file) => file.name));
      expect(yielded).toEqual(inProcess);
      expect(yielded[2]?.[1]).toEqual({ reason: expect.any(String) });
      expect(yielded[0]?.[1]).toMatchObject({ records: 2, invalid: 0 });
      expect(await allStopped()).toBe(true);
    });

    it.each([
      ['breaks out of the loop', () => undefined, 'done'],
      [
        'throws',
        () => {
          throw new Error('judging failed');
        },
        'judging failed',
      ],
    ])(
      'stops every worker when the consumer %s after the first file',
      async (_, afterFirstFile, ending) => {
        // Arrange: two real parse workers, each asked for its runs at once and alive until terminated.
        const hunt = eventsInWorkers(
          files,
          MAX_LOG_FILE_BYTES,
          2,
          starting(parseWorkerAfter(''), parseWorkerAfter('')),
        );
        const read: LogFileRef[] = [];

        // Act
        const ended = await withinBound(
          (async () => {
            for await (const [file] of hunt) {
              read.push(file);
              afterFirstFile();
              break;
            }
          })(),
        ).then(
          () => 'done',
          (error: Error) => error.message,
        );

        // Assess
        expect(ended).toBe(ending);
        expect(read).toEqual([files[0]]);
        expect(started).toHaveLength(2);
        expect(await allStopped()).toBe(true);
      },
      3 * BOUND_MS,
    );
  });
});
