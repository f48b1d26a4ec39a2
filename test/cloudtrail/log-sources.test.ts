import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { listLogFiles } from '../../lib/cloudtrail/log-sources';
import { readAhead } from '../../lib/cloudtrail/read-ahead';
import { useRecord } from '../support/cloudtrail-records';

const noS3 = () => Promise.reject(new Error('no S3 in this test'));

describe('local log files', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'credtrail-sources-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, count: number) =>
    writeFileSync(
      join(dir, name),
      gzipSync(JSON.stringify({ Records: Array.from({ length: count }, () => useRecord()) })),
    );

  it('reads every listed file whole, in delivery-time order', async () => {
    // Prepare: names out of order on disk, sizes that differ
    write('111111111111_CloudTrail_eu-west-1_20250314T1010Z_b.json.gz', 3);
    write('111111111111_CloudTrail_eu-west-1_20250314T1005Z_a.json.gz', 1);
    write('111111111111_CloudTrail_eu-west-1_20250314T1015Z_c.json.gz', 200);

    // Act
    const read: [string, number][] = [];
    for await (const [file, outcome] of readAhead(await listLogFiles([dir], noS3), 1 << 20)) {
      read.push([file.name.slice(-9), 'records' in outcome ? outcome.records.length : -1]);
    }

    // Assess
    expect(read).toEqual([
      ['a.json.gz', 1],
      ['b.json.gz', 3],
      ['c.json.gz', 200],
    ]);
  });

  it('reports a file that vanished between listing and reading, and reads the rest', async () => {
    // Prepare
    write('111111111111_CloudTrail_eu-west-1_20250314T1005Z_a.json.gz', 2);
    write('111111111111_CloudTrail_eu-west-1_20250314T1010Z_b.json.gz', 2);
    write('111111111111_CloudTrail_eu-west-1_20250314T1015Z_c.json.gz', 2);
    const files = await listLogFiles([dir], noS3);
    unlinkSync(join(dir, '111111111111_CloudTrail_eu-west-1_20250314T1010Z_b.json.gz'));

    // Act
    const outcomes = [];
    for await (const [, outcome] of readAhead(files, 1 << 20)) outcomes.push(outcome);

    // Assess
    expect(
      outcomes.map((outcome) => ('records' in outcome ? outcome.records.length : outcome.reason)),
    ).toEqual([2, expect.stringMatching(/ENOENT: no such file or directory, open .*b\.json\.gz/), 2]);
  });

  it('refuses a file above the cap by its size, and reads one exactly at the cap', async () => {
    // Prepare
    const body = JSON.stringify({ Records: [useRecord()] });
    writeFileSync(join(dir, 'at-cap.json'), body);
    writeFileSync(join(dir, 'over-cap.json'), `${body} `);

    // Act
    const outcomes = new Map<string, unknown>();
    for await (const [file, outcome] of readAhead(await listLogFiles([dir], noS3), body.length)) {
      outcomes.set(
        file.name.slice(dir.length + 1),
        'records' in outcome ? outcome.records.length : outcome.reason,
      );
    }

    // Assess
    expect(outcomes).toEqual(
      new Map<string, unknown>([
        ['at-cap.json', 1],
        ['over-cap.json', `larger than ${body.length} bytes`],
      ]),
    );
  });
});
