import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { EventDecoder, type EncodedEvents } from './event-codec';
import type { SignedCall } from '../engine/taint-call';
import type { FileEventsOutcome } from './file-events';
import type { LogFileRef } from './log-sources';

/** A run of consecutive files for one worker: one message for many small files. */
export interface ParseRequest {
  readonly first: number;
  readonly paths: readonly string[];
  readonly maxFileBytes: number;
}

/** One file of a run: its counts and how many of the run's events are its own, or why it was skipped. */
export type FileSummary =
  | { readonly index: number; readonly reason: string }
  | {
      readonly index: number;
      readonly records: number;
      readonly invalid: number;
      readonly firstReason: string;
      readonly events: number;
      /** Its minting calls, structured-cloned (few: see FileEvents). */
      readonly minting: SignedCall[];
    };

/** A run's answer: its files in order, and their events one after another, encoded once. */
export interface ParseReply {
  readonly files: FileSummary[];
  readonly events: EncodedEvents;
}

/**
 * A worker is asked for runs of this many files and answers each run in one message: a CloudTrail file
 * often holds a dozen records, and a message each way per file cost more than reading it.
 */
const FILES_PER_REQUEST = 16;
/** Runs each worker has in hand at once: it starts the next while the main thread takes the last. */
const REQUESTS_PER_WORKER = 4;
/** Starting a worker costs tens of milliseconds: a hunt of a few files is read on the main thread. */
export const MIN_FILES_FOR_WORKERS = 64;
const MAX_WORKERS = 4;

/**
 * How many parse workers a hunt gets: none when it reads S3 (workers read local files only), the number
 * asked for otherwise, and by default none for a few files, else one per core (up to four). The
 * main thread judges while the workers read: on the bench's two cores the instance-heavy day ran at 71%
 * of the one-thread floor against 65% on the main thread alone, for about a third more CPU
 * (`npm run bench -- --quick`); more cores should gain more.
 */
export function workerCount(files: readonly LogFileRef[], requested?: number): number {
  if (files.some((file) => file.path === undefined)) return 0;
  if (requested !== undefined) return requested;
  return files.length < MIN_FILES_FOR_WORKERS ? 0 : workersOnThisMachine();
}

/** The parse workers a large local hunt gets on this machine. */
export function workersOnThisMachine(): number {
  return Math.min(availableParallelism(), MAX_WORKERS);
}

/** Starts one parse worker: `startWorker` in a hunt; tests give workers that fail. */
export type StartWorker = () => Worker;

/**
 * Each local file in order with its events, read, parsed and normalised by `workerCount` worker threads
 * (lib/cloudtrail/parse-worker.ts). Runs of files go to the workers in turn, so each worker's replies come
 * back in the order it was asked, which its string table needs. A worker that dies ends the hunt with its
 * error: no file is silently left out.
 */
export async function* eventsInWorkers(
  files: readonly LogFileRef[],
  maxFileBytes: number,
  workerCount: number,
  start: StartWorker = startWorker,
): AsyncGenerator<[LogFileRef, FileEventsOutcome]> {
  const workers = Array.from({ length: workerCount }, () => start());
  const results = new Map<number, FileEventsOutcome>();
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  workers.forEach((worker, number) => {
    const decoder = new EventDecoder();
    worker.on('message', (reply: ParseReply) => {
      const events = decoder.decode(reply.events);
      let taken = 0;
      for (const file of reply.files) {
        if ('reason' in file) {
          results.set(file.index, { reason: file.reason });
          continue;
        }
        const { index, records, invalid, firstReason, minting } = file;
        const own = events.slice(taken, (taken += file.events));
        results.set(index, { records, events: own, invalid, firstReason, minting });
      }
      wake?.();
    });
    // The hunt can still be read without workers: the error says how, as it is what the user sees.
    const failed = (what: string) =>
      new Error(`parse worker ${number} ${what}; --workers 0 reads on the main thread`);
    worker.on('error', (error) => {
      failure ??= failed(`failed: ${error.message}`);
      wake?.();
    });
    worker.on('exit', (code) => {
      failure ??= failed(`stopped (exit code ${code})`);
      wake?.();
    });
  });
  try {
    let asked = 0;
    let requests = 0;
    const inFlight = workerCount * REQUESTS_PER_WORKER * FILES_PER_REQUEST;
    for (let index = 0; index < files.length; index++) {
      while (asked < files.length && asked < index + inFlight) {
        const paths = files.slice(asked, asked + FILES_PER_REQUEST).map((file) => file.path as string);
        const request: ParseRequest = { first: asked, paths, maxFileBytes };
        (workers[requests++ % workerCount] as Worker).postMessage(request);
        asked += paths.length;
      }
      let outcome = results.get(index);
      while (outcome === undefined) {
        if (failure !== undefined) throw failure;
        await new Promise<void>((resolve) => (wake = resolve));
        outcome = results.get(index);
      }
      results.delete(index);
      yield [files[index] as LogFileRef, outcome];
    }
  } finally {
    for (const worker of workers) {
      worker.removeAllListeners('exit');
      void worker.terminate();
    }
  }
}

/**
 * The worker as built (parse-worker.js beside this file, in dist/ and in the bench's bundle), or its
 * TypeScript source through tsx where the code runs unbuilt (the tests).
 */
function startWorker(): Worker {
  const built = join(__dirname, 'parse-worker.js');
  if (existsSync(built)) return new Worker(built);
  const source = join(__dirname, 'parse-worker.ts');
  const tsx = require.resolve('tsx/cjs/api');
  return new Worker(`require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(source)});`, {
    eval: true,
  });
}
