import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { isDigestFile, looksLikeLogFile, readLogFile } from '../cloudtrail/log-file';
import type { S3ObjectRef } from './queue-message';

export type LogObject =
  | { readonly status: 'records'; readonly uri: string; readonly records: unknown[] }
  /** Not a log file (a digest, a folder marker, anything else in the bucket): nothing to do. */
  | { readonly status: 'skipped'; readonly uri: string; readonly reason: string };

export class LogObjectReadError extends Error {
  constructor(
    readonly uri: string,
    cause: unknown,
  ) {
    const name = cause instanceof Error ? cause.name : 'Error';
    super(`${uri}: could not be read (${name}: ${cause instanceof Error ? cause.message : String(cause)})`);
    this.name = 'LogObjectReadError';
  }
}

export class S3LogGateway {
  constructor(private readonly s3: S3Client) {}

  /** Reads one CloudTrail log file; a corrupt one throws CorruptLogFileError naming it. */
  async read(ref: S3ObjectRef): Promise<LogObject> {
    const uri = `s3://${ref.bucket}/${ref.key}`;
    if (isDigestFile(ref.key)) return { status: 'skipped', uri, reason: 'digest file' };
    if (!looksLikeLogFile(ref.key)) return { status: 'skipped', uri, reason: 'not a CloudTrail log file' };
    let output;
    try {
      output = await this.s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
    } catch (error) {
      // NoSuchKey after an S3 notice means someone deleted the log: the message fails (and after its
      // retries lands in the dead-letter queue) with the object's name, so the gap can be found.
      throw new LogObjectReadError(uri, error);
    }
    const body = output.Body;
    // In Node the SDK's body is an IncomingMessage (a Readable); gunzip follows by the magic bytes.
    const records = await readLogFile(uri, body instanceof Readable ? body : await bytesOf(body));
    return { status: 'records', uri, records };
  }
}

async function bytesOf(
  body: { transformToByteArray(): Promise<Uint8Array> } | undefined,
): Promise<Uint8Array> {
  return body === undefined ? new Uint8Array() : body.transformToByteArray();
}
