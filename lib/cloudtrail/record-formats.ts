/**
 * The shapes CloudTrail records come in, beside CloudTrail's own log files: what CloudTrail Lake, SIEM
 * exports and an archive of EventBridge events hold. Every shape yields raw records (or EventBridge
 * events, which the record parser unwraps); the engine counts each `eventID` once, so the same call
 * in two shapes is one sighting.
 *
 * - `{"Records": [...]}`: a CloudTrail log file;
 * - `[...]`: a bare list of records or EventBridge events;
 * - one JSON object: a single record or EventBridge event;
 * - JSON Lines: one record, event or `{"Records": [...]}` per line (blank lines allowed).
 */

import { messageOf } from './error-message';

export class UnrecognisedRecordsError extends Error {
  constructor(readonly detail: string) {
    super(detail);
    this.name = 'UnrecognisedRecordsError';
  }
}

const NO_CLOUDTRAIL = 'no CloudTrail records (no "Records" list, no record with an eventID)';

/**
 * The records of a file, or UnrecognisedRecordsError when it holds no CloudTrail at all: a CloudTrail log
 * file counts even when its list is empty (nothing happened), any other shape only when at least one of
 * its values is a CloudTrail record, so a folder of unrelated JSON is an error rather than "no findings".
 */
export function recordsFromText(text: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const lines = jsonLines(text);
    if (lines === undefined) throw new UnrecognisedRecordsError(`invalid JSON (${messageOf(error)})`);
    return someCloudTrail(lines.flatMap(recordsOf));
  }
  if (isLogFile(parsed)) return parsed.Records;
  return someCloudTrail(recordsOf(parsed));
}

function isLogFile(parsed: unknown): parsed is { Records: unknown[] } {
  return (
    typeof parsed === 'object' &&
    parsed !== null &&
    Array.isArray((parsed as Record<string, unknown>)['Records'])
  );
}

function recordsOf(parsed: unknown): unknown[] {
  if (Array.isArray(parsed)) return parsed as unknown[];
  if (isLogFile(parsed)) return parsed.Records;
  return [parsed];
}

/** The values, unless none of them is a CloudTrail record (a bare `[]` holds nothing wrong either). */
function someCloudTrail(values: unknown[]): unknown[] {
  if (values.length > 0 && !values.some(isCloudTrailRecord))
    throw new UnrecognisedRecordsError(NO_CLOUDTRAIL);
  return values;
}

/** A CloudTrail record, or an EventBridge event carrying one ("AWS API Call via CloudTrail"). */
function isCloudTrailRecord(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  if (typeof record['eventID'] === 'string') return true;
  const detail = record['detail'];
  return (
    record['detail-type'] === 'AWS API Call via CloudTrail' &&
    typeof detail === 'object' &&
    detail !== null &&
    typeof (detail as Record<string, unknown>)['eventID'] === 'string'
  );
}

/**
 * JSON Lines, or undefined when the text is not that either. Only worth trying when the text holds more
 * than one line and its first line is a whole JSON value; a line that does not parse is an error
 * naming its number, so one broken line is not mistaken for "not JSON Lines at all".
 */
function jsonLines(text: string): unknown[] | undefined {
  const lines = text.split('\n');
  if (lines.filter((line) => line.trim() !== '').length < 2) return undefined;
  const values: unknown[] = [];
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    try {
      values.push(JSON.parse(line));
    } catch (error) {
      if (values.length === 0) return undefined;
      throw new UnrecognisedRecordsError(`JSON Lines: line ${index + 1} is not JSON (${messageOf(error)})`);
    }
  }
  return values;
}
