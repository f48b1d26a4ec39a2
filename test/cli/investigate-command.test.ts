import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, registerDetectCommand } from '../../lib/cli/detect-command';
import { registerInvestigateCommand } from '../../lib/cli/investigate-command';
import { FindingDetailSchema, FindingType, type FindingDetail } from '../../lib/contracts/finding-event';
import type { IncidentTimeline } from '../../lib/investigate/incident-timeline';
import { TRAIL, writeTaintTrail } from '../support/taint-trail';
import { runCli } from '../support/cli-run';

const run = (args: string[]) => runCli(args, registerDetectCommand, registerInvestigateCommand);

describe('credtrail detect and investigate on a stolen key that chains roles', () => {
  let dir: string;
  let finding: FindingDetail;
  let findings: FindingDetail[];
  let detectExit: number | undefined;
  let findingFile: string;

  beforeAll(async () => {
    dir = writeTaintTrail();
    const detected = await run(['detect', dir, '--output', 'jsonl', '--no-progress']);
    detectExit = detected.exitCode;
    findings = detected.stdout
      .trim()
      .split('\n')
      .map((line) => FindingDetailSchema.parse(JSON.parse(line)));
    finding = findings[0] as FindingDetail;
    findingFile = join(dir, 'finding.json');
    writeFileSync(findingFile, JSON.stringify(finding));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("detect: one finding, the thief's origin; the instance's own calls and AssumeRole are expected", () => {
    expect(detectExit).toBe(ExitCode.Findings);
    expect(findings.map((f) => [f.type, f.sourceIp])).toEqual([
      [FindingType.UnexpectedOrigin, TRAIL.thiefAddress],
    ]);
  });

  it('detect: the finding carries both derived sessions and what they left behind', () => {
    expect(
      finding.taint?.derivedSessions.map((s) => [s.accessKeyId, s.roleArn, s.accountId, s.parentAccessKeyId]),
    ).toEqual([
      [TRAIL.hop1Key, TRAIL.hop1Role, TRAIL.accountA, TRAIL.stolenKey],
      [TRAIL.hop2Key, TRAIL.hop2Role, TRAIL.accountB, TRAIL.hop1Key],
    ]);
    expect(finding.taint?.persistence.map((a) => a.id)).toEqual([
      TRAIL.createdAccessKey,
      TRAIL.keyPairName,
      TRAIL.securityGroupId,
      TRAIL.launchedInstance,
    ]);
    // The workload's own session is not the thief's.
    expect(JSON.stringify(finding.taint)).not.toContain(TRAIL.legitKey);
  });

  it('investigate --output json: every key, every persistent artefact, calls grouped by account and region', async () => {
    const result = await run(['investigate', findingFile, dir, '--output', 'json']);
    expect(result.exitCode).toBe(0);
    const timeline = JSON.parse(result.stdout) as IncidentTimeline;
    expect(timeline.keys.map((key) => [key.kind, key.accessKeyId, key.calls])).toEqual([
      ['stolen', TRAIL.stolenKey, 2],
      ['derived', TRAIL.hop1Key, 2],
      ['derived', TRAIL.hop2Key, 9],
    ]);
    expect(timeline.persistence.map((a) => [a.kind, a.id, a.context])).toEqual([
      ['access-key', TRAIL.createdAccessKey, `user ${TRAIL.backdoorUser}`],
      ['key-pair', TRAIL.keyPairName, `imported ${TRAIL.keyPairId}`],
      ['security-group-ingress', TRAIL.securityGroupId, 'tcp/22 from 0.0.0.0/0'],
      ['instance', TRAIL.launchedInstance, `ami-0123456789abcdef0, key ${TRAIL.keyPairName}`],
    ]);
    expect(timeline.reads.map((r) => [r.id, r.count])).toEqual([
      [TRAIL.secrets[0], 1],
      [TRAIL.secrets[1], 2],
      [TRAIL.parameter, 1],
    ]);
    // Persistence first: account B's eu-west-1, then the stolen key's calls, then hop 1's AssumeRole.
    expect(timeline.groups.map((g) => [g.accountId, g.region, g.calls.length])).toEqual([
      [TRAIL.accountB, 'eu-west-1', 10],
      [TRAIL.accountA, 'us-east-1', 2],
      [TRAIL.accountA, 'eu-west-1', 1],
    ]);
    expect(result.stdout).not.toContain(TRAIL.legitKey);
    expect(result.stdout).not.toContain('AKIAALICESNEWKEY0001');
  });

  it('investigate (text): names every derived session and artefact for a person', async () => {
    const result = await run(['investigate', findingFile, dir]);
    expect(result.exitCode).toBe(0);
    for (const id of [
      TRAIL.hop1Key,
      TRAIL.hop1Role,
      TRAIL.hop2Key,
      TRAIL.hop2Role,
      TRAIL.createdAccessKey,
      TRAIL.keyPairName,
      TRAIL.securityGroupId,
      TRAIL.launchedInstance,
      ...TRAIL.secrets,
    ]) {
      expect(result.stdout).toContain(id);
    }
    expect(result.stdout).toContain('[AccessDenied]');
  });

  it('refuses a file that is not a finding, and says why', async () => {
    const bad = join(dir, 'not-a-finding.json');
    writeFileSync(bad, JSON.stringify({ hello: 'world' }));
    const result = await run(['investigate', bad, dir]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/not a credtrail finding/);
  });
});
