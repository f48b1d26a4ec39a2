import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { looksLikeLogFile, tooLarge } from './log-file';
import { LogSourceError, type LogFileRef } from './log-sources';

/** Every log file under s3://bucket/prefix, each opened as a stream when it is read. */
export async function listS3(url: string, s3: S3Client, maxBytes: number): Promise<LogFileRef[]> {
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
      const size = object.Size;
      refs.push({
        name: `s3://${bucket}/${key}`,
        open: async () => {
          // The listing's size refuses a huge object without a GET; the stream's cap catches the rest.
          if (size !== undefined && size > maxBytes) throw tooLarge(`s3://${bucket}/${key}`, maxBytes);
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
