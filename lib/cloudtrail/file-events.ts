import { eventsOfRecords, type FileEvents } from '../engine/cloudtrail-record';
import type { LogFileRef } from './log-sources';
import { readAhead } from './read-ahead';

/** One file's part of a hunt: its events in record order, or why it was skipped. */
export type FileEventsOutcome = FileEvents | { readonly reason: string };

/** Each file in order with its events, read and parsed on this thread (S3, and small hunts). */
export async function* eventsInProcess(
  files: readonly LogFileRef[],
  maxFileBytes: number,
): AsyncGenerator<[LogFileRef, FileEventsOutcome]> {
  for await (const [file, outcome] of readAhead(files, maxFileBytes)) {
    yield [file, 'reason' in outcome ? outcome : eventsOfRecords(outcome.records, { keepMinting: true })];
  }
}
