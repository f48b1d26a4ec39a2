import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ExitCode, registerDetectCommand } from '../../lib/cli/detect-command';
import { runDetection } from '../../lib/cli/detect-run';
import { FindingDetailSchema } from '../../lib/contracts/finding-event';
import { useRecord } from '../support/cloudtrail-records';
import { runCli } from '../support/cli-run';
import { huntOptions } from '../support/hunt-options';

const ATTACKER = '185.220.101.7';
// The module object itself (not an import namespace), so one test can refuse a readdir.
const fsPromises = jest.requireActual<typeof import('node:fs/promises')>('node:fs/promises');

const run = (args: string[]) => runCli(['detect', ...args], registerDetectCommand);

/** Two keys of the instance, each used from the instance's address first, then from the attacker's. */
function theftFiles(dir: string): void {
  const calls = (key: string, own: string, hour: string) => [
    useRecord({ accessKeyId: key, sourceIp: own, eventTime: `2026-11-26T${hour}:00:00Z` }),
    useRecord({ accessKeyId: key, sourceIp: ATTACKER, eventTime: `2026-11-26T${hour}:05:00Z` }),
    useRecord({ accessKeyId: key, sourceIp: ATTACKER, eventTime: `2026-11-26T${hour}:06:00Z` }),
  ];
  writeFileSync(
    join(dir, 'a.json'),
    JSON.stringify({ Records: calls('ASIATESTKEY00000000A', '52.1.1.1', '10') }),
  );
  writeFileSync(
    join(dir, 'b.json.gz'),
    gzipSync(JSON.stringify({ Records: calls('ASIATESTKEY00000000B', '52.1.1.1', '11') })),
  );
  writeFileSync(
    join(dir, 'c.jsonl'),
    `${JSON.stringify(useRecord({ accessKeyId: 'ASIATESTKEY00000000A', sourceIp: ATTACKER, eventTime: '2026-11-26T10:07:00Z' }))}\n${JSON.stringify(useRecord({ accessKeyId: 'ASIATESTKEY00000000A', sourceIp: ATTACKER, eventTime: '2026-11-26T10:08:00Z' }))}\n`,
  );
}

const counts = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => FindingDetailSchema.parse(JSON.parse(line)))
    .map((finding) => [finding.accessKeyId, finding.eventCount])
    .sort();

describe('credtrail detect: what it reads', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'credtrail-input-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 2 with one clear line when no file holds CloudTrail (a folder of other JSON)', async () => {
    // Prepare: JSON, but not CloudTrail: a package manifest, a list of GuardDuty-like events, JSON Lines.
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'x', version: '1.0.0' }));
    writeFileSync(join(dir, 'events.json'), JSON.stringify([{ detail: { severity: 8 } }, { id: 2 }]));
    writeFileSync(join(dir, 'lines.jsonl'), '{"level":"info"}\n{"level":"warn"}\n');

    // Act
    const result = await run([dir]);

    // Assess
    expect(result.exitCode).toBe(ExitCode.Error);
    const errors = result.stderr.split('\n').filter((line) => line.startsWith('error:'));
    expect(errors).toEqual([
      'error: none of the 3 files holds CloudTrail records (each is listed above with the reason)',
    ]);
    expect(result.stderr).toMatch(/warning: skipped .*events\.json: no CloudTrail records/);
    expect(result.stdout).not.toContain('No instance credentials were used');
  });

  it('reports the files that hold no CloudTrail and judges the rest', async () => {
    // Prepare
    theftFiles(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'x', version: '1.0.0' }));

    // Act
    const result = await run([dir, '--output', 'jsonl']);

    // Assess
    expect(result.exitCode).toBe(ExitCode.Findings);
    expect(result.stderr).toMatch(/warning: skipped .*package\.json: no CloudTrail records/);
    expect(counts(result.stdout)).toEqual([
      ['ASIATESTKEY00000000A', 4],
      ['ASIATESTKEY00000000B', 2],
    ]);
  });

  it('--workers 2 finds the same thefts in the same files as the main thread alone', async () => {
    // Prepare
    theftFiles(dir);

    // Act
    const alone = await run([dir, '--output', 'jsonl', '--workers', '0']);
    const inWorkers = await run([dir, '--output', 'jsonl', '--workers', '2']);

    // Assess
    expect(alone.exitCode).toBe(ExitCode.Findings);
    expect(inWorkers).toEqual(alone);
  });

  it('skips a local file above the size cap without reading it, and judges the rest', async () => {
    // Prepare: a 600 MB file (sparse: no disk, but read whole it would take 600 MB of memory).
    theftFiles(dir);
    const huge = join(dir, 'huge.json');
    writeFileSync(huge, '');
    truncateSync(huge, 600 * 1024 * 1024);

    // Act
    const result = await run([dir, '--output', 'jsonl']);

    // Assess
    expect(result.exitCode).toBe(ExitCode.Findings);
    expect(result.stderr).toMatch(/warning: skipped .*huge\.json: larger than 536870912 bytes/);
    expect(counts(result.stdout)).toHaveLength(2);
  });

  it('applies the same cap to every source: a file above a lowered cap is reported and skipped', async () => {
    // Prepare
    theftFiles(dir);
    const big = join(dir, 'big.json');
    writeFileSync(big, JSON.stringify({ Records: Array.from({ length: 50 }, () => useRecord()) }));

    // Act
    const report = await runDetection(
      huntOptions({ paths: [dir], reorderWindowMs: 0, maxFileBytes: 16 * 1024 }),
    );

    // Assess
    expect(report.skippedFiles).toEqual([{ name: big, reason: 'larger than 16384 bytes' }]);
    expect(report.findings.map((finding) => finding.eventCount).sort()).toEqual([2, 4]);
  });

  it('refuses an S3 object above the cap from its listed size, without a GET', async () => {
    // Prepare
    const s3 = mockClient(S3Client);
    s3.on(ListObjectsV2Command).resolves({
      Contents: [{ Key: 'AWSLogs/huge.json.gz', Size: 600 * 1024 * 1024 }],
      IsTruncated: false,
    });

    // Act
    const result = await run(['s3://trail-bucket/AWSLogs/']);

    // Assess
    expect(result.exitCode).toBe(ExitCode.Error);
    expect(result.stderr).toContain('s3://trail-bucket/AWSLogs/huge.json.gz: larger than 536870912 bytes');
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
    s3.restore();
  });

  it('skips an unreadable subfolder by name, like an unreadable file, and judges the rest', async () => {
    // Prepare: readdir refused on one subfolder (chmod cannot refuse root, who runs some CI).
    theftFiles(dir);
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    writeFileSync(join(locked, 'x.json'), JSON.stringify({ Records: [useRecord({ sourceIp: ATTACKER })] }));
    const realReaddir = fsPromises.readdir;
    const spy = jest
      .spyOn(fsPromises, 'readdir')
      .mockImplementation(((path: string, options: never) =>
        path === locked
          ? Promise.reject(Object.assign(new Error('permission denied'), { code: 'EACCES' }))
          : realReaddir(path, options)) as typeof fsPromises.readdir);

    // Act
    const result = await run([dir, '--output', 'jsonl']).finally(() => spy.mockRestore());

    // Assess
    expect(result.exitCode).toBe(ExitCode.Findings);
    expect(result.stderr).toMatch(/warning: skipped .*locked: folder could not be read \(EACCES\)/);
    expect(counts(result.stdout)).toHaveLength(2);
  });

  it('a second hunt over the same files with --state local:DIR leaves every count unchanged', async () => {
    // Prepare
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    theftFiles(logs);
    const state = `local:${join(dir, 'state')}`;

    // Act
    const first = await run([logs, '--state', state, '--output', 'jsonl']);
    const second = await run([logs, '--state', state, '--output', 'jsonl']);

    // Assess
    expect(first.exitCode).toBe(ExitCode.Findings);
    expect(counts(first.stdout)).toEqual([
      ['ASIATESTKEY00000000A', 4],
      ['ASIATESTKEY00000000B', 2],
    ]);
    expect(counts(second.stdout)).toEqual(counts(first.stdout));
  });

  it('two concurrent hunts on one --state local:DIR: one runs, the other says the directory is busy, exit 2', async () => {
    // Prepare
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    theftFiles(logs);
    const state = `local:${join(dir, 'state')}`;

    // Act
    const results = await Promise.all([
      run([logs, '--state', state, '--output', 'jsonl']),
      run([logs, '--state', state, '--output', 'jsonl']),
    ]);
    const after = await run([logs, '--state', state, '--output', 'jsonl']);

    // Assess
    const codes = results.map((result) => result.exitCode).sort();
    expect(codes).toEqual([ExitCode.Findings, ExitCode.Error]);
    const busy = results.find((result) => result.exitCode === ExitCode.Error);
    expect(busy?.stderr.trim()).toMatch(
      /^error: --state local:.* is in use by another credtrail run \(pid [^)]+\)/,
    );
    expect(busy?.stderr).not.toMatch(/Database is closed|at .*\.ts:\d+/);
    expect(after.exitCode).toBe(ExitCode.Findings);
    expect(counts(after.stdout)).toEqual([
      ['ASIATESTKEY00000000A', 4],
      ['ASIATESTKEY00000000B', 2],
    ]);
  });
});
