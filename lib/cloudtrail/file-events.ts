import { normalizeRecord } from '../engine/cloudtrail-record';
import type { CredentialEvent } from '../engine/credential-event';
import type { LogFileRef } from './log-sources';
import { readAhead } from './read-ahead';

/** One file's part of a hunt: its events in record order, or why it was skipped. */
export type FileEventsOutcome = FileEvents | { readonly reason: string };

export interface FileEvents {
  readonly records: number;
  readonly events: CredentialEvent[];
  /** Records that look like instance-credential activity but lack what the engine needs. */
  readonly invalid: number;
  readonly firstReason: string;
}

/** The engine's events of one file's records, and how many records were invalid (with the first why). */
export function eventsOfRecords(records: readonly unknown[]): FileEvents {
  const events: CredentialEvent[] = [];
  let invalid = 0;
  let firstReason = '';
  for (const record of records) {
    const result = normalizeRecord(record);
    if (result.status === 'event') events.push(result.event);
    else if (result.status === 'invalid' && invalid++ === 0) firstReason = result.reason;
  }
  return { records: records.length, events, invalid, firstReason };
}

/** Each file in order with its events, read and parsed on this thread (S3, and small hunts). */
export async function* eventsInProcess(
  files: readonly LogFileRef[],
  maxFileBytes: number,
): AsyncGenerator<[LogFileRef, FileEventsOutcome]> {
  for await (const [file, outcome] of readAhead(files, maxFileBytes)) {
    yield [file, 'reason' in outcome ? outcome : eventsOfRecords(outcome.records)];
  }
}
