import type { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';

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
// would take the process down with it.
const MAX_LOG_FILE_BYTES = 512 * 1024 * 1024;

/**
 * Reads one CloudTrail log file: `{"Records":[…]}` (what CloudTrail writes), a bare list of records, or
 * one EventBridge event. Gzip is recognised by its magic bytes, not the name. Anything unreadable
 * becomes a CorruptLogFileError naming the file, so the caller can report it and go on.
 */
export async function readLogFile(fileName: string, body: Readable | Uint8Array): Promise<unknown[]> {
  const bytes = await readAll(fileName, body);
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new CorruptLogFileError(fileName, `invalid JSON (${messageOf(error)})`);
  }
  if (Array.isArray(parsed)) return parsed as unknown[];
  if (typeof parsed === 'object' && parsed !== null) {
    const records = (parsed as Record<string, unknown>)['Records'];
    if (Array.isArray(records)) return records as unknown[];
    if ('eventID' in parsed || 'detail' in parsed) return [parsed];
  }
  throw new CorruptLogFileError(fileName, 'no "Records" list: not a CloudTrail log file');
}

async function readAll(fileName: string, body: Readable | Uint8Array): Promise<Buffer> {
  let raw: Buffer;
  try {
    raw = body instanceof Uint8Array ? Buffer.from(body) : await collect(fileName, body);
  } catch (error) {
    if (error instanceof CorruptLogFileError) throw error;
    throw new CorruptLogFileError(fileName, `could not be read (${messageOf(error)})`);
  }
  if (raw.length === 0) throw new CorruptLogFileError(fileName, 'empty file');
  if (raw[0] !== 0x1f || raw[1] !== 0x8b) return raw;
  try {
    // Synchronous on purpose: a CloudTrail file inflates in well under a millisecond to a few, and the
    // asynchronous form costs more in chunk callbacks than it saves, measured by `npm run bench`.
    return gunzipSync(raw, { maxOutputLength: MAX_LOG_FILE_BYTES });
  } catch (error) {
    throw new CorruptLogFileError(fileName, `corrupt or truncated gzip (${messageOf(error)})`);
  }
}

async function collect(fileName: string, stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += bytes.length;
    if (total > MAX_LOG_FILE_BYTES)
      throw new CorruptLogFileError(fileName, `larger than ${MAX_LOG_FILE_BYTES} bytes`);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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

export function looksLikeLogFile(name: string): boolean {
  return (name.endsWith('.json') || name.endsWith('.json.gz')) && !isDigestFile(name);
}
