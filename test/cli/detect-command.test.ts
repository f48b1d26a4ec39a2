import {
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type GetObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { FindingDetailSchema } from '../../lib/contracts/finding-event';
import { ExitCode, registerDetectCommand } from '../../lib/cli/detect-command';
import { deliveryRecord, useRecord } from '../support/cloudtrail-records';
import { runCli } from '../support/cli-run';

const INVENTORY = join(__dirname, '../fixtures/inventory');
const ATTACKER = '185.220.101.7';
const LOG_DIR = 'AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/26';

const run = (args: string[]) => runCli(['detect', ...args], registerDetectCommand);

function logFile(dir: string, time: string, records: unknown[]): string {
  const path = join(
    dir,
    LOG_DIR,
    `111111111111_CloudTrail_us-east-1_20261126T${time}Z_abcdEFGH1234567${time.length}.json.gz`,
  );
  writeFileSync(path, gzipSync(JSON.stringify({ Records: records })));
  return path;
}

describe('credtrail detect', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'credtrail-cli-'));
    mkdirSync(join(dir, LOG_DIR), { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the theft across files in event-time order, skips a corrupt file by name, and exits 1', async () => {
    // The attacker's call sits in an earlier-delivered file than the instance's own first call.
    logFile(dir, '1010', [
      useRecord({ sourceIp: '52.1.1.2', eventTime: '2026-11-26T10:01:00Z' }),
      deliveryRecord({ accessKeyId: 'ASIATESTKEY000000001', eventTime: '2026-11-26T09:59:00Z' }),
    ]);
    logFile(dir, '1005', [
      useRecord({ sourceIp: ATTACKER, eventTime: '2026-11-26T10:03:00Z', eventName: 'ListBuckets' }),
    ]);
    writeFileSync(
      join(dir, LOG_DIR, '111111111111_CloudTrail_us-east-1_20261126T1000Z_corruptcorrupt00.json.gz'),
      gzipSync('{"Records":[').subarray(0, 20),
    );

    const result = await run([dir, '--inventory', INVENTORY, '--output', 'jsonl']);

    expect(result.exitCode).toBe(ExitCode.Findings);
    const findings = result.stdout
      .trim()
      .split('\n')
      .map((line) => FindingDetailSchema.parse(JSON.parse(line)));
    expect(findings).toEqual([
      expect.objectContaining({
        sourceIp: ATTACKER,
        severity: 'HIGH',
        eventNames: ['ListBuckets'],
        keyIssuedAt: '2026-11-26T09:59:00.000Z',
      }),
    ]);
    expect(result.stderr).toMatch(/warning: skipped .*corruptcorrupt00\.json\.gz: corrupt or truncated gzip/);
    expect(result.stderr).toMatch(
      /Summary: 3 files \(1 skipped\), 3 records, 2 instance-credential calls, 1 credential delivery/,
    );
  });

  it('prints a readable text report and exits 0 when all is well', async () => {
    logFile(dir, '1005', [
      useRecord({ sourceIp: '52.1.1.1' }),
      useRecord({ sourceIp: '10.0.1.15', vpcEndpointId: 'vpce-0sts', vpcEndpointAccountId: '111111111111' }),
    ]);

    const result = await run([dir, '--inventory', INVENTORY]);

    expect(result.exitCode).toBe(ExitCode.NoFindings);
    expect(result.stdout).toContain('No instance credentials were used away from their instance.');
    expect(result.stdout).toContain('Findings: 0');
  });

  it('text output explains the finding', async () => {
    logFile(dir, '1005', [useRecord({ sourceIp: ATTACKER })]);

    const result = await run([dir, '--inventory', INVENTORY]);

    expect(result.stdout).toMatch(
      /^HIGH {3}Instance credentials of i-0a1b2c3d4e5f60718 used from 185\.220\.101\.7/m,
    );
    expect(result.stdout).toMatch(
      /expected \(inventory\) vpc-0prod: private 10\.0\.1\.15; NAT 52\.1\.1\.1, 52\.1\.1\.2; endpoints vpce-0sts/,
    );
    expect(result.stdout).toMatch(/why {5}Credentials of i-0a1b2c3d4e5f60718/);
  });

  it('without --inventory, the first-seen method still catches use from outside', async () => {
    logFile(dir, '1005', [
      useRecord({ sourceIp: '52.1.1.1', eventTime: '2026-11-26T10:00:00Z' }),
      useRecord({ sourceIp: ATTACKER, eventTime: '2026-11-26T10:02:00Z' }),
    ]);

    const result = await run([dir, '--output', 'jsonl']);

    expect(result.exitCode).toBe(ExitCode.Findings);
    expect(JSON.parse(result.stdout)).toEqual(
      expect.objectContaining({
        sourceIp: ATTACKER,
        expected: expect.objectContaining({ source: 'first-seen' }),
      }),
    );
  });

  it('applies --exceptions and rejects a malformed one with a message naming the entry', async () => {
    logFile(dir, '1005', [useRecord({ sourceIp: ATTACKER })]);
    const good = join(dir, 'good.json');
    const bad = join(dir, 'bad.json');
    writeFileSync(good, JSON.stringify([{ cidr: '185.220.101.0/24', reason: 'red team' }]));
    writeFileSync(bad, JSON.stringify([{ cidr: '185.220.101.0/24', reason: 'red team' }, { roleName: 'x' }]));

    const suppressed = await run([dir, '--inventory', INVENTORY, '--exceptions', good]);
    const rejected = await run([dir, '--inventory', INVENTORY, '--exceptions', bad]);

    expect(suppressed.exitCode).toBe(ExitCode.NoFindings);
    expect(suppressed.stdout).toContain('1 call matched an exception');
    expect(rejected.exitCode).toBe(ExitCode.Error);
    expect(rejected.stderr).toMatch(/bad\.json: entry 1 \(roleName x\): reason/);
  });

  it('warns on stderr where an old single private CIDR now vouches for less, and still runs', async () => {
    logFile(dir, '1005', [useRecord({ sourceIp: ATTACKER })]);
    const old = join(dir, 'old.json');
    writeFileSync(old, JSON.stringify([{ cidr: '10.0.0.0/16', reason: 'our VPC range' }]));

    const result = await run([dir, '--inventory', INVENTORY, '--exceptions', old]);

    expect(result.exitCode).toBe(ExitCode.Findings);
    expect(result.stderr).toMatch(/warning: .*old\.json: entry 0 \(cidr 10\.0\.0\.0\/16\): .*own VPC/);
  });

  it('treats a foreign endpoint as HIGH and an endpoint of --trusted-accounts as MEDIUM', async () => {
    logFile(dir, '1005', [
      useRecord({
        sourceIp: '10.0.1.15',
        vpcEndpointId: 'vpce-0other',
        vpcEndpointAccountId: '333333333333',
      }),
    ]);

    const foreign = await run([dir, '--inventory', INVENTORY, '--output', 'jsonl']);
    const affiliated = await run([
      dir,
      '--inventory',
      INVENTORY,
      '--output',
      'jsonl',
      '--trusted-accounts',
      '111111111111,333333333333',
    ]);

    expect(JSON.parse(foreign.stdout)).toEqual(expect.objectContaining({ severity: 'HIGH' }));
    expect(JSON.parse(affiliated.stdout)).toEqual(expect.objectContaining({ severity: 'MEDIUM' }));
  });

  it('--fail-on: an IMDSv1 posture finding alone exits 0 unless asked for, theft exits 1 unless raised above it', async () => {
    // A call from the instance's own NAT with IMDSv1-delivered credentials: posture, not theft.
    logFile(dir, '1005', [useRecord({ sourceIp: '52.1.1.1', roleDelivery: '1.0' })]);

    const byDefault = await run([dir, '--inventory', INVENTORY, '--output', 'jsonl']);
    const low = await run([dir, '--inventory', INVENTORY, '--output', 'jsonl', '--fail-on', 'low']);

    expect(JSON.parse(byDefault.stdout)).toEqual(
      expect.objectContaining({ type: 'InstanceCredentialExposure.IMDSv1', severity: 'LOW' }),
    );
    expect(byDefault.exitCode).toBe(ExitCode.NoFindings);
    expect(low.exitCode).toBe(ExitCode.Findings);

    // Theft through an affiliated account's endpoint: MEDIUM.
    logFile(dir, '1010', [
      useRecord({
        sourceIp: '10.0.1.15',
        vpcEndpointId: 'vpce-0other',
        vpcEndpointAccountId: '333333333333',
      }),
    ]);
    const trusted = ['--trusted-accounts', '111111111111,333333333333'];
    const theft = await run([dir, '--inventory', INVENTORY, ...trusted]);
    const high = await run([dir, '--inventory', INVENTORY, ...trusted, '--fail-on', 'high']);
    const never = await run([dir, '--inventory', INVENTORY, ...trusted, '--fail-on', 'never']);

    expect(theft.stdout).toMatch(/^MEDIUM Instance credentials/m);
    expect(theft.exitCode).toBe(ExitCode.Findings);
    expect(high.exitCode).toBe(ExitCode.NoFindings);
    expect(never.exitCode).toBe(ExitCode.NoFindings);
    // The findings are printed whatever decides the exit status.
    expect(never.stdout).toMatch(/^MEDIUM Instance credentials/m);
  });

  it('--fail-on rejects a severity it does not know', async () => {
    await expect(run([dir, '--fail-on', 'critical'])).rejects.toThrow(
      /Allowed choices are theft, high, medium, low, never/,
    );
  });

  it('exits 2 with a clear message for a missing path, bad options, or nothing to read', async () => {
    expect(await run([join(dir, 'nope')])).toEqual(
      expect.objectContaining({
        exitCode: ExitCode.Error,
        stderr: expect.stringContaining('no such file or folder'),
      }),
    );
    expect(await run([dir, '--trusted-accounts', '12'])).toEqual(
      expect.objectContaining({
        exitCode: ExitCode.Error,
        stderr: expect.stringContaining('"12" is not a 12-digit account id'),
      }),
    );
    expect(await run([dir])).toEqual(
      expect.objectContaining({
        exitCode: ExitCode.Error,
        stderr: expect.stringContaining('no CloudTrail log files'),
      }),
    );
    expect(await run([dir, '--inventory', join(dir, 'missing')])).toEqual(
      expect.objectContaining({ exitCode: ExitCode.Error }),
    );
    expect(await run([dir, '--workers', 'two'])).toEqual(
      expect.objectContaining({
        exitCode: ExitCode.Error,
        stderr: expect.stringContaining('--workers must be a whole number from 0 to 64, got "two"'),
      }),
    );
  });

  it('keeps state between runs with --state local:DIR, so a later hunt knows an earlier first origin', async () => {
    const stateDir = join(dir, 'state');
    const first = join(dir, 'first');
    const second = join(dir, 'second');
    mkdirSync(first);
    mkdirSync(second);
    writeFileSync(
      join(first, 'a.json'),
      JSON.stringify({ Records: [useRecord({ sourceIp: '52.1.1.1', eventTime: '2026-11-26T10:00:00Z' })] }),
    );
    writeFileSync(
      join(second, 'b.json'),
      JSON.stringify({ Records: [useRecord({ sourceIp: ATTACKER, eventTime: '2026-11-26T11:00:00Z' })] }),
    );

    const day1 = await run([first, '--state', `local:${stateDir}`, '--output', 'jsonl']);
    const day2 = await run([second, '--state', `local:${stateDir}`, '--output', 'jsonl']);
    const forgetful = await run([second, '--output', 'jsonl']);

    expect(day1.exitCode).toBe(ExitCode.NoFindings);
    expect(day2.exitCode).toBe(ExitCode.Findings);
    expect(JSON.parse(day2.stdout)).toEqual(
      expect.objectContaining({
        sourceIp: ATTACKER,
        expected: expect.objectContaining({ firstOrigin: '52.1.1.1' }),
      }),
    );
    expect(forgetful.exitCode).toBe(ExitCode.NoFindings);
  });

  it('reads s3://bucket/prefix with the SDK, skipping digests', async () => {
    const s3 = mockClient(S3Client);
    const key = `${LOG_DIR}/111111111111_CloudTrail_us-east-1_20261126T1005Z_abcdEFGH12345678.json.gz`;
    s3.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: key },
        { Key: 'AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2026/11/26/d.json.gz' },
      ],
      IsTruncated: false,
    });
    s3.on(GetObjectCommand, { Bucket: 'trail-bucket', Key: key }).resolves({
      // The SDK's Body is a Node Readable with helper methods; the reader only iterates it.
      Body: Readable.from([
        gzipSync(JSON.stringify({ Records: [useRecord({ sourceIp: ATTACKER })] })),
      ]) as unknown as GetObjectCommandOutput['Body'],
    });

    const result = await run(['s3://trail-bucket/AWSLogs/', '--inventory', INVENTORY, '--output', 'jsonl']);

    expect(result.exitCode).toBe(ExitCode.Findings);
    expect(s3.commandCalls(ListObjectsV2Command)[0]?.args[0].input).toEqual({
      Bucket: 'trail-bucket',
      Prefix: 'AWSLogs/',
    });
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(1);
    s3.restore();
  });
});
