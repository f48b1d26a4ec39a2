import type { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { messageOf } from './error-message';
import { recordsFromText, UnrecognisedRecordsError } from './record-formats';

export class CorruptLogFileError extends Error {
  constructor(
    readonly fileName: string,
    readonly detail: string,
  ) {
    super(`${fileName}: ${detail}`);
    this.name = 'CorruptLogFileError';
  }
}

// CloudTrail log files are a few MB at most; a file far beyond this is not one, and reading it whole
// would take the process down with it. Local files, S3 objects and gzip output all stop here.
export const MAX_LOG_FILE_BYTES = 512 * 1024 * 1024;

export function tooLarge(fileName: string, maxBytes: number): CorruptLogFileError {
  return new CorruptLogFileError(fileName, `larger than ${maxBytes} bytes`);
}

/**
 * Reads one file of CloudTrail records: a CloudTrail log file, a bare list, JSON Lines, EventBridge
 * events (lib/cloudtrail/record-formats.ts). Gzip is recognised by its magic bytes, not the name. Anything unreadable
 * becomes a CorruptLogFileError naming the file, so the caller can report it and go on.
 */
export async function readLogFile(
  fileName: string,
  body: Readable | Uint8Array,
  maxBytes = MAX_LOG_FILE_BYTES,
): Promise<unknown[]> {
  return recordsOfLogBytes(fileName, await readLogBytes(fileName, body, maxBytes), maxBytes);
}

/**
 * The first half of `readLogFile`: the file's bytes as stored (gzip or not), checked against the cap.
 * A reader that fetches files ahead holds these, not parsed records: parsed records kept alive while
 * other files are judged would outlive the young generation and cost the garbage collector dearly.
 */
export async function readLogBytes(
  fileName: string,
  body: Readable | Uint8Array,
  maxBytes = MAX_LOG_FILE_BYTES,
): Promise<Buffer> {
  let raw: Buffer;
  try {
    raw =
      body instanceof Uint8Array
        ? Buffer.from(body.buffer, body.byteOffset, body.byteLength)
        : await collect(fileName, body, maxBytes);
  } catch (error) {
    if (error instanceof CorruptLogFileError) throw error;
    throw new CorruptLogFileError(fileName, `could not be read (${messageOf(error)})`);
  }
  if (raw.length > maxBytes) throw tooLarge(fileName, maxBytes);
  if (raw.length === 0) throw new CorruptLogFileError(fileName, 'empty file');
  return raw;
}

/** The second half of `readLogFile`: the records of bytes `readLogBytes` returned. */
export function recordsOfLogBytes(fileName: string, raw: Buffer, maxBytes = MAX_LOG_FILE_BYTES): unknown[] {
  return recordsOfLogText(fileName, textOfLogBytes(fileName, raw, maxBytes));
}

/** The text of bytes `readLogBytes` returned, inflated: for a caller that looks before it parses. */
export function textOfLogBytes(fileName: string, raw: Buffer, maxBytes = MAX_LOG_FILE_BYTES): string {
  return inflated(fileName, raw, maxBytes).toString('utf8');
}

/** The records of a log file's text (`textOfLogBytes`). */
export function recordsOfLogText(fileName: string, text: string): unknown[] {
  try {
    return recordsFromText(text);
  } catch (error) {
    if (error instanceof UnrecognisedRecordsError) throw new CorruptLogFileError(fileName, error.detail);
    throw error;
  }
}

function inflated(fileName: string, raw: Buffer, maxBytes: number): Buffer {
  if (raw[0] !== 0x1f || raw[1] !== 0x8b) return raw;
  try {
    // Synchronous on purpose: a CloudTrail file inflates in well under a millisecond to a few, and the
    // asynchronous form costs more in chunk callbacks than it saves, measured by `npm run bench`.
    return gunzipSync(raw, { maxOutputLength: maxBytes });
  } catch (error) {
    throw new CorruptLogFileError(fileName, `corrupt or truncated gzip (${messageOf(error)})`);
  }
}

async function collect(fileName: string, stream: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += bytes.length;
    if (total > maxBytes) {
      stream.destroy();
      throw tooLarge(fileName, maxBytes);
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

const CLOUDTRAIL_TIME = /_(\d{8}T\d{4}Z)_/;

/** The delivery time CloudTrail puts in a log file's name (…_20240802T0825Z_…), for ordering. */
export function deliveryTimeOf(name: string): number | undefined {
  const match = CLOUDTRAIL_TIME.exec(name);
  if (!match?.[1]) return undefined;
  const t = match[1];
  const time = Date.UTC(
    +t.slice(0, 4),
    +t.slice(4, 6) - 1,
    +t.slice(6, 8),
    +t.slice(9, 11),
    +t.slice(11, 13),
  );
  return Number.isNaN(time) ? undefined : time;
}

/** Digest files sit beside the logs (…/CloudTrail-Digest/…) and hold hashes, not records. */
export function isDigestFile(name: string): boolean {
  return name.includes('CloudTrail-Digest') || name.includes('_CloudTrail-Digest_');
}

// CloudTrail writes .json.gz; exports and archives of EventBridge events are often JSON Lines.
const RECORD_FILE = /\.(json|jsonl|ndjson)(\.gz)?$/;

export function looksLikeLogFile(name: string): boolean {
  return RECORD_FILE.test(name) && !isDigestFile(name);
}
