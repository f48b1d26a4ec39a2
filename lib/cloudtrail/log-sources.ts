import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { readFile as readFileCallback } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { deliveryTimeOf, isDigestFile, looksLikeLogFile } from './log-file';

/** One log file to read, wherever it lives. */
export interface LogFileRef {
  /** A path or s3:// URL, as it is reported to the user. */
  readonly name: string;
  /** The file's bytes: whole for a local file (one read), a stream for S3. */
  open(): Promise<Readable | Uint8Array>;
}

export class LogSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LogSourceError';
  }
}

/**
 * Expands files, folders (recursively: CloudTrail's AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD
 * layout) and s3://bucket/prefix into log files, skipping digests, in delivery-time order.
 */
export async function listLogFiles(paths: readonly string[], s3: () => S3Client): Promise<LogFileRef[]> {
  const refs: LogFileRef[] = [];
  for (const path of paths) {
    if (path.startsWith('s3://')) refs.push(...(await listS3(path, s3())));
    else refs.push(...(await listLocal(path)));
  }
  return sortByDeliveryTime(refs);
}

/** CloudTrail names carry the delivery time; order by it so the engine sees the day in order. */
export function sortByDeliveryTime(refs: readonly LogFileRef[]): LogFileRef[] {
  return refs
    .map((ref) => ({ ref, time: deliveryTimeOf(ref.name) ?? 0 }))
    .sort((a, b) => a.time - b.time || (a.ref.name < b.ref.name ? -1 : a.ref.name > b.ref.name ? 1 : 0))
    .map(({ ref }) => ref);
}

async function listLocal(path: string): Promise<LogFileRef[]> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new LogSourceError(`${path}: no such file or folder`);
  }
  if (info.isFile()) return [localRef(path)];
  if (!info.isDirectory()) throw new LogSourceError(`${path}: not a file or folder`);
  const refs: LogFileRef[] = [];
  const walk = async (folder: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch (error) {
      // An unreadable subfolder is skipped and counted like an unreadable file, not the end of the hunt.
      if (folder === path) throw new LogSourceError(`${path}: folder could not be read (${codeOf(error)})`);
      refs.push(unreadableRef(folder, error));
      return;
    }
    for (const entry of entries) {
      const full = join(folder, entry.name);
      if (entry.isDirectory()) {
        if (!isDigestFile(entry.name)) await walk(full);
      } else if (entry.isFile() && looksLikeLogFile(entry.name)) {
        refs.push(localRef(full));
      }
    }
  };
  await walk(path);
  return refs;
}

// The callback readFile reads a small file in one go; fs/promises' version costs several round trips
// to the thread pool per file (open, fstat, read, close), which shows over thousands of files.
export const readLocalFile = promisify(readFileCallback);

function localRef(path: string): LogFileRef {
  return { name: path, open: () => readLocalFile(path) };
}

async function listS3(url: string, s3: S3Client): Promise<LogFileRef[]> {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!match?.[1]) throw new LogSourceError(`${url}: expected s3://bucket/prefix`);
  const bucket = match[1];
  const prefix = match[2] ?? '';
  const refs: LogFileRef[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const object of page.Contents ?? []) {
      const key = object.Key;
      if (key === undefined || !looksLikeLogFile(key)) continue;
      refs.push({
        name: `s3://${bucket}/${key}`,
        open: async () => {
          const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          if (response.Body === undefined) throw new LogSourceError(`s3://${bucket}/${key}: empty response`);
          return response.Body as Readable;
        },
      });
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return refs;
}

function unreadableRef(folder: string, error: unknown): LogFileRef {
  return {
    name: folder,
    open: () => Promise.reject(new LogSourceError(`folder could not be read (${codeOf(error)})`)),
  };
}

function codeOf(error: unknown): string {
  return (error as NodeJS.ErrnoException | undefined)?.code ?? String(error);
}
