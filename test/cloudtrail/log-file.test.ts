import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import {
  CorruptLogFileError,
  deliveryTimeOf,
  isDigestFile,
  looksLikeLogFile,
  readLogFile,
} from '../../lib/cloudtrail/log-file';
import { useRecord } from '../support/cloudtrail-records';

const RECORDS = [useRecord({ eventId: 'a' }), useRecord({ eventId: 'b' })];
const BODY = JSON.stringify({ Records: RECORDS });

describe('readLogFile', () => {
  it('reads a gzipped CloudTrail file from a stream, whatever its name', async () => {
    const records = await readLogFile('x.json', Readable.from([gzipSync(BODY)]));

    expect(records).toEqual(RECORDS);
  });

  it('reads plain JSON, a bare list of records, and a single EventBridge event', async () => {
    expect(await readLogFile('a.json', Buffer.from(BODY))).toEqual(RECORDS);
    expect(await readLogFile('b.json', Buffer.from(JSON.stringify(RECORDS)))).toEqual(RECORDS);
    const event = { 'detail-type': 'AWS API Call via CloudTrail', detail: RECORDS[0] };
    expect(await readLogFile('c.json', Buffer.from(JSON.stringify(event)))).toEqual([event]);
  });

  it.each([
    ['a truncated gzip', gzipSync(BODY).subarray(0, 40), /bad.json.gz: corrupt or truncated gzip/],
    ['invalid JSON', Buffer.from('{"Records": [ {"eventID": '), /bad.json.gz: invalid JSON/],
    ['JSON without Records', Buffer.from('{"hello": "world"}'), /no "Records" list/],
    ['an empty file', Buffer.alloc(0), /bad.json.gz: empty file/],
  ])('reports %s by file name', async (_name, bytes, message) => {
    const read = readLogFile('bad.json.gz', Readable.from([bytes]));

    await expect(read).rejects.toThrow(CorruptLogFileError);
    await expect(readLogFile('bad.json.gz', Readable.from([bytes]))).rejects.toThrow(message);
  });

  it('reports a stream that fails midway', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('connection reset'));
      },
    });

    await expect(readLogFile('s3://b/k.json.gz', failing)).rejects.toThrow(
      /s3:\/\/b\/k.json.gz: could not be read \(connection reset\)/,
    );
  });
});

describe('log file names', () => {
  const name =
    'AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/26/111111111111_CloudTrail_us-east-1_20261126T1005Z_abcdEFGH12345678.json.gz';

  it('reads the delivery time CloudTrail puts in the name', () => {
    expect(deliveryTimeOf(name)).toBe(Date.parse('2026-11-26T10:05:00Z'));
    expect(deliveryTimeOf('notes.json')).toBeUndefined();
  });

  it('skips digests and non-JSON files', () => {
    const digest =
      'AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2026/11/26/111111111111_CloudTrail-Digest_us-east-1_trail_us-east-1_20261126T100500Z.json.gz';

    expect(looksLikeLogFile(name)).toBe(true);
    expect(looksLikeLogFile(digest)).toBe(false);
    expect(isDigestFile(digest)).toBe(true);
    expect(looksLikeLogFile('README.md')).toBe(false);
  });
});
