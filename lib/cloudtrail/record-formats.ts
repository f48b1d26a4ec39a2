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
export class UnrecognisedRecordsError extends Error {
  constructor(readonly detail: string) {
    super(detail);
    this.name = 'UnrecognisedRecordsError';
  }
}

export function recordsFromText(text: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const lines = jsonLines(text);
    if (lines !== undefined) return lines.flatMap(recordsOf);
    throw new UnrecognisedRecordsError(`invalid JSON (${messageOf(error)})`);
  }
  return recordsOf(parsed);
}

function recordsOf(parsed: unknown): unknown[] {
  if (Array.isArray(parsed)) return parsed as unknown[];
  if (typeof parsed === 'object' && parsed !== null) {
    const records = (parsed as Record<string, unknown>)['Records'];
    if (Array.isArray(records)) return records as unknown[];
    if ('eventID' in parsed || 'detail' in parsed) return [parsed];
  }
  throw new UnrecognisedRecordsError('no "Records" list: not a CloudTrail log file');
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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
