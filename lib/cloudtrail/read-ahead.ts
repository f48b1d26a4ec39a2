import { CorruptLogFileError, readLogBytes, recordsOfLogBytes } from './log-file';
import type { LogFileRef } from './log-sources';

export type ReadOutcome = { readonly records: unknown[] } | { readonly reason: string };

/**
 * Files in flight at once: an S3 object's download runs while earlier files are judged. (A local file
 * is read in place, lib/cloudtrail/log-sources.ts, so fetching it ahead only moves when it is read.)
 * Memory holds at most this many files' bytes.
 */
export const READ_AHEAD = 4;

/**
 * Each file in order with its records, or why it was skipped. The next files' bytes are fetched ahead;
 * a file is inflated and parsed only when its turn comes, so its records die young (before the next
 * file is parsed) instead of waiting, parsed, for the garbage collector to move them.
 */
export async function* readAhead(
  files: readonly LogFileRef[],
  maxFileBytes: number,
  depth = READ_AHEAD,
): AsyncGenerator<[LogFileRef, ReadOutcome]> {
  const pending: Promise<Buffer | { reason: string }>[] = [];
  const start = (file: LogFileRef): Promise<Buffer | { reason: string }> =>
    file
      .open()
      .then((body) => readLogBytes(file.name, body, maxFileBytes))
      .catch((error: unknown) => skipped(error));
  for (let index = 0; index < files.length; index++) {
    while (pending.length < depth && index + pending.length < files.length) {
      pending.push(start(files[index + pending.length] as LogFileRef));
    }
    const file = files[index] as LogFileRef;
    const bytes = await (pending.shift() as Promise<Buffer | { reason: string }>);
    if (!Buffer.isBuffer(bytes)) {
      yield [file, bytes];
      continue;
    }
    let outcome: ReadOutcome;
    try {
      outcome = { records: recordsOfLogBytes(file.name, bytes, maxFileBytes) };
    } catch (error) {
      outcome = skipped(error);
    }
    yield [file, outcome];
  }
}

function skipped(error: unknown): { reason: string } {
  return { reason: error instanceof CorruptLogFileError ? error.detail : messageOf(error) };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
