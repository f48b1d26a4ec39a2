import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResponseConfigSchema } from '../../lib/responder/response-config-schema';
import { FileAuditStore } from '../../lib/responder/file-audit-store';
import { normaliseEvent } from '../../lib/responder/incident-normaliser';
import { UNOBSERVED } from '../../lib/responder/observed-state';
import { planResponse } from '../../lib/responder/response-planner';
import { runTune } from './tune-cli-harness';
import { finding, NOW, podFindings } from './tune-fixtures';

const theft = finding({
  roleName: 'web',
  instanceId: 'i-0ab00000000000001',
  accessKeyId: 'ASIASTOLEN0000000001',
  sourceIp: '185.220.101.47',
  vpcEndpointId: null,
  vpcEndpointAccountId: null,
  severity: 'HIGH',
  at: 4,
});

describe('credtrail tune', () => {
  let dir: string;
  let findingsFile: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'credtrail-tune-cli-'));
    findingsFile = join(dir, 'findings.jsonl');
    await writeFile(
      findingsFile,
      [...podFindings({ hours: 6 }), theft].map((f) => JSON.stringify(f)).join('\n'),
    );
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const proposalIdOf = (stdout: string) => /Proposed exceptions \(1\)\n {2}(p-[0-9a-f]{8})/.exec(stdout)?.[1];

  it('reads the findings log group export too, and names the lines it skips', async () => {
    // Prepare: CloudWatch Logs lines ({kind, ...detail}) and an exported event with the line in `message`.
    const exported = join(dir, 'log-group.jsonl');
    const [first, ...rest] = podFindings({ hours: 6 });
    await writeFile(
      exported,
      [
        JSON.stringify({ timestamp: 1, message: JSON.stringify({ kind: 'finding', ...first }) }),
        ...rest.map((f) => JSON.stringify({ kind: 'finding-update', ...f })),
        'not json',
        '{"kind":"finding","findingId":"x"}',
      ].join('\n'),
    );

    // Act
    const run = await runTune([exported], NOW);

    // Assess
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('credtrail tune: 36 findings');
    expect(run.stdout).toMatch(/Proposed exceptions \(1\)/);
    expect(run.stderr).toContain(`skipped ${exported}:37: not JSON`);
    expect(run.stderr).toMatch(new RegExp(`skipped ${exported}:38: not a credtrail finding`));
  });

  it('--write creates the file with every proposal and says what it added', async () => {
    // Prepare
    const file = join(dir, 'exceptions.json');

    // Act
    const run = await runTune([findingsFile, '--write', file], NOW);

    // Assess
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual([
      expect.objectContaining({ cidr: '100.64.0.0/23', roleName: 'eks-node', vpcId: 'vpc-0eks' }),
    ]);
    expect(run.stderr).toContain(`${file}: 1 added, 0 kept, 0 expired, 0 already there`);
  });

  it('--write keeps existing entries, reports the expired ones and does not add a duplicate', async () => {
    // Prepare
    const file = join(dir, 'exceptions.json');
    await runTune([findingsFile, '--write', file], NOW);
    const expired = { roleName: 'ci-runner', reason: 'runners', expiresAt: '2026-01-01T00:00:00Z' };
    const current = JSON.parse(await readFile(file, 'utf8')) as unknown[];
    await writeFile(file, JSON.stringify([expired, ...current]));

    // Act
    const run = await runTune([findingsFile, '--write', file], NOW);

    // Assess
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual([expired, ...current]);
    expect(run.stderr).toContain('0 added, 1 kept, 1 expired, 1 already there');
    expect(run.stderr).toContain(
      'expired (kept in the file, suppresses nothing; renew or delete it): roleName ci-runner',
    );
  });

  it.each([
    ['not JSON', '[{"cidr": '],
    ['an invalid entry', '[{"cidr": "10.0.0.0/8"}]'],
  ])('--write refuses to overwrite a file that holds %s, and leaves it as it was', async (_what, content) => {
    // Prepare
    const file = join(dir, 'exceptions.json');
    await writeFile(file, content);

    // Act
    const run = await runTune([findingsFile, '--write', file], NOW);

    // Assess
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/refusing to overwrite .*nothing was written/);
    expect(await readFile(file, 'utf8')).toBe(content);
  });

  it('--accept writes only the named proposals and refuses an unknown id', async () => {
    // Prepare
    const file = join(dir, 'exceptions.json');
    const listed = await runTune([findingsFile], NOW);
    const id = proposalIdOf(listed.stdout);

    // Act
    const unknown = await runTune([findingsFile, '--write', file, '--accept', 'p-00000000'], NOW);
    const accepted = await runTune([findingsFile, '--write', file, '--accept', id ?? ''], NOW);

    // Assess
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain(`--accept: no proposal p-00000000 (proposals: ${id})`);
    expect(accepted.exitCode).toBe(0);
    expect(JSON.parse(await readFile(file, 'utf8'))).toHaveLength(1);
  });

  it('reads recorded plans from the audit directory, naming a record it cannot read', async () => {
    // Prepare: the responder recorded a dry-run plan for the theft.
    const auditDir = join(dir, 'audit');
    const normalised = normaliseEvent(
      {
        source: 'credtrail.detector',
        'detail-type': 'Instance Credential Exfiltration',
        account: theft.accountId,
        region: theft.region,
        detail: theft,
      },
      { trustedPublisherAccounts: [] },
    );
    if (!normalised.ok) throw new Error(normalised.reason);
    const plan = planResponse({
      incident: normalised.incident,
      config: ResponseConfigSchema.parse({}),
      observed: UNOBSERVED,
      now: NOW,
      responderRoleNames: [],
    });
    await new FileAuditStore(auditDir).createIncident({
      incidentId: plan.incident.incidentId,
      mode: 'dry-run',
      status: 'planned',
      plan,
      lastError: null,
      createdAt: NOW.toISOString(),
      updatedAt: NOW.toISOString(),
    });
    await new FileAuditStore(auditDir).putStep({
      ...plan.steps[0]!,
      incidentId: 'inc-broken',
      mode: 'dry-run',
      phase: 'respond',
      appliedCalls: 0,
      outputs: {},
      error: null,
      at: NOW.toISOString(),
    });
    await writeFile(join(auditDir, 'inc-broken', 'plan-dry-run.json'), '{"half":');

    // Act
    const run = await runTune([findingsFile, '--audit-dir', auditDir], NOW);

    // Assess
    expect(run.stdout).toContain('1 recorded plans, 0 planned offline');
    expect(run.stdout).toMatch(
      /111111111111 web {2}\[dry-run\] {2}NOT READY[\s\S]*enforce would have: 1 response\(s\), sessions revoked 1×, role pinned 1×/,
    );
    expect(run.stderr).toContain(
      `skipped ${join(auditDir, 'inc-broken', 'plan-dry-run.json')}: not a recorded plan`,
    );
  });

  it('--html writes one self-contained file; --output json is machine-readable', async () => {
    // Prepare
    const html = join(dir, 'tune.html');

    // Act
    const run = await runTune([findingsFile, '--html', html, '--output', 'json'], NOW);

    // Assess
    expect((await readFile(html, 'utf8')).startsWith('<!doctype html>')).toBe(true);
    const report = JSON.parse(run.stdout) as {
      groups: { decision: { status: string } }[];
      suggestedRoleRules: unknown;
    };
    expect(report.groups.map((group) => group.decision.status).sort()).toEqual(['not-proposed', 'proposed']);
    expect(report.suggestedRoleRules).toEqual([{ pattern: 'eks-node', mode: 'enforce' }]);
  });

  it('refuses thresholds that would propose a single key', async () => {
    // Act
    const run = await runTune([findingsFile, '--min-keys', '1'], NOW);

    // Assess
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('minKeys must be a whole number from 2');
  });
});
