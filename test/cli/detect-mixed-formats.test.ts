import { Command } from 'commander';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { registerDetectCommand, type CliIo } from '../../lib/cli/detect-command';
import { FindingType, type FindingDetail } from '../../lib/contracts/finding-event';
import expected from '../../sample-data/expected-findings.json';
import { asEventBridgeEvent } from '../support/cloudtrail-records';

const SAMPLE = join(__dirname, '../../sample-data');
const LOGS = join(SAMPLE, 'cloudtrail');

async function detect(
  paths: string[],
  extra: string[] = [],
): Promise<{ findings: FindingDetail[]; exitCode?: number }> {
  let stdout = '';
  let exitCode: number | undefined;
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: () => undefined },
    setExitCode: (code) => (exitCode = code),
  };
  const program = new Command('credtrail').exitOverride();
  registerDetectCommand(program, io);
  await program.parseAsync([
    'node',
    'credtrail',
    'detect',
    ...paths,
    '--inventory',
    join(SAMPLE, 'inventory'),
    '--exceptions',
    join(SAMPLE, 'exceptions.json'),
    '--output',
    'jsonl',
    '--no-progress',
    ...extra,
  ]);
  const findings = stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as FindingDetail);
  return { findings, ...(exitCode === undefined ? {} : { exitCode }) };
}

function logFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return logFiles(path);
    return path.endsWith('.json.gz') && !path.includes('CloudTrail-Digest') ? [path] : [];
  });
}

/** Every record of the bundled trail as EventBridge would have forwarded it, one event per line. */
function writeEventBridgeArchive(dir: string): string {
  const events = logFiles(LOGS).flatMap((file) => {
    const { Records } = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as {
      Records: Record<string, unknown>[];
    };
    return Records.map((record) => JSON.stringify(asEventBridgeEvent(record)));
  });
  const path = join(dir, 'forwarded-events.jsonl');
  writeFileSync(path, events.reverse().join('\n'));
  return path;
}

const summary = (findings: FindingDetail[]) =>
  findings
    .map((f) => `${f.findingId} ${f.severity} ${f.eventCount}`)
    .sort()
    .join('\n');

describe('credtrail detect over EventBridge events, log files, or both', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'credtrail-formats-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the same thefts, with the same counts, in any mix, each call counted once', async () => {
    const archive = writeEventBridgeArchive(dir);

    const fromFiles = await detect([LOGS]);
    const fromEvents = await detect([archive]);
    const fromBoth = await detect([LOGS, archive]);

    expect(fromFiles.findings.length).toBeGreaterThan(0);
    expect(summary(fromEvents.findings)).toEqual(summary(fromFiles.findings));
    expect(summary(fromBoth.findings)).toEqual(summary(fromFiles.findings));
    expect([fromFiles.exitCode, fromEvents.exitCode, fromBoth.exitCode]).toEqual([1, 1, 1]);
  });

  it('counts a call once across two hunts that keep state, one over the events and one over the files', async () => {
    // Prepare: the real-time path's archive first, then the log files, as a laptop would replay them.
    const archive = writeEventBridgeArchive(dir);
    const state = ['--state', `local:${join(dir, 'state')}`];

    // Act
    const fromEvents = await detect([archive], state);
    const thenFiles = await detect([LOGS], state);

    // Assess: the second hunt (batched differently) adds nothing to a theft; each at its planted count.
    // (The IMDSv1 findings count every call of a legacy instance and are not claimed call by call.)
    const thefts = (findings: FindingDetail[]) =>
      findings.filter((f) => f.type !== FindingType.Imdsv1Delivery);
    expect(summary(thefts(thenFiles.findings))).toEqual(summary(thefts(fromEvents.findings)));
    expect(thefts(thenFiles.findings)).toHaveLength(expected.thefts.length);
    const byKey = new Map(thenFiles.findings.map((f) => [`${f.accessKeyId} ${f.sourceIp}`, f.eventCount]));
    for (const theft of expected.thefts) {
      expect([theft.label, byKey.get(`${theft.accessKeyId} ${theft.sourceIp}`)]).toEqual([
        theft.label,
        theft.eventCount,
      ]);
    }
  });
});
