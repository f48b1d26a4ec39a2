import { Command } from 'commander';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerDetectCommand, type CliIo } from '../../lib/cli/detect-command';
import { registerRespondCommands } from '../../lib/cli/respond-command';
import type { ResponseOutcome } from '../../lib/responder/responder-service';
import type { ResponsePlan } from '../../lib/responder/response-plan';
import { planUndo } from '../../lib/responder/undo-planner';
import type { StepRecord } from '../../lib/responder/audit-store';
import { iamMock, primeAccount } from './aws-mocks';
import { TRAIL, writeTaintTrail } from '../support/taint-trail';

async function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  let exitCode: number | undefined;
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    setExitCode: (code) => (exitCode = code),
  };
  const program = new Command('credtrail').exitOverride();
  registerDetectCommand(program, io);
  registerRespondCommands(program, io);
  await program.parseAsync(['node', 'credtrail', ...args]);
  return { stdout, stderr, exitCode };
}

describe('credtrail respond --offline on a finding whose key chained roles', () => {
  let dir: string;
  let findingFile: string;

  function config(extra: Record<string, unknown> = {}): string {
    const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(
      path,
      JSON.stringify({
        actions: { HIGH: ['revoke-sessions'], MEDIUM: ['revoke-sessions'], LOW: [] },
        // The detector's account speaks for the estate: roles in other accounts may be covered.
        trustedPublisherAccounts: [TRAIL.accountA],
        ...extra,
      }),
    );
    return path;
  }

  async function plan(configPath: string): Promise<ResponseOutcome & { plan: ResponsePlan }> {
    const result = await run([
      'respond',
      findingFile,
      '--offline',
      '--json',
      '--config',
      configPath,
      '--audit-dir',
      join(dir, `audit-${Math.random()}`),
    ]);
    expect(result.stderr).toBe('');
    const outcome = JSON.parse(result.stdout) as ResponseOutcome;
    if (outcome.plan === null) throw new Error('no plan');
    return { ...outcome, plan: outcome.plan };
  }

  beforeAll(async () => {
    dir = writeTaintTrail();
    const detected = await run(['detect', dir, '--output', 'jsonl', '--no-progress']);
    findingFile = join(dir, 'finding.json');
    writeFileSync(findingFile, detected.stdout.trim().split('\n')[0] ?? '');
  });
  beforeEach(() => primeAccount());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('plans revocation for each derived role and deactivation of the created key, in their accounts', async () => {
    const outcome = await plan(config());
    const steps = outcome.plan.steps.map((step) => [
      step.action,
      step.status,
      step.accountId ?? TRAIL.accountA,
    ]);
    expect(steps).toEqual([
      ['revoke-sessions', 'planned', TRAIL.accountA],
      ['revoke-derived-sessions', 'planned', TRAIL.accountA],
      ['revoke-derived-sessions', 'planned', TRAIL.accountB],
      ['deactivate-access-key', 'planned', TRAIL.accountB],
      ['manual-cleanup', 'skipped', TRAIL.accountA],
    ]);
    const [, adminRevoke, deployRevoke, deactivate, manual] = outcome.plan.steps;
    expect(adminRevoke?.calls[0]).toMatchObject({
      api: 'iam:PutRolePolicy',
      input: { RoleName: 'admin-role', PolicyName: 'RevokeOldSessions' },
    });
    expect(deployRevoke?.calls[0]).toMatchObject({
      api: 'iam:PutRolePolicy',
      input: { RoleName: 'deploy-role' },
    });
    expect(deactivate?.calls).toEqual([
      {
        api: 'iam:UpdateAccessKey',
        input: { UserName: TRAIL.backdoorUser, AccessKeyId: TRAIL.createdAccessKey, Status: 'Inactive' },
      },
    ]);
    expect(manual?.calls).toEqual([]);
    const manualText = manual?.notes.join('\n') ?? '';
    for (const id of [TRAIL.keyPairName, TRAIL.securityGroupId, TRAIL.launchedInstance])
      expect(manualText).toContain(id);
    // Dry-run first: nothing was called.
    expect(outcome.plan.mode).toBe('dry-run');
    expect(iamMock.calls()).toHaveLength(0);
  });

  it('refuses protected roles in the chain, as it refuses the main role', async () => {
    const outcome = await plan(config({ protected: { roleNamePatterns: ['deploy-*'] } }));
    const deploy = outcome.plan.steps.find((step) => step.reason.includes('deploy-role'));
    expect(deploy).toMatchObject({ action: 'revoke-derived-sessions', status: 'skipped', calls: [] });
    expect(deploy?.reason).toMatch(/protected|pattern/i);
    const admin = outcome.plan.steps.find(
      (step) => step.action === 'revoke-derived-sessions' && step.status === 'planned',
    );
    expect(admin?.calls[0]).toMatchObject({ input: { RoleName: 'admin-role' } });
  });

  it("never touches the responder's own roles, even when the thief assumed one", async () => {
    const outcome = await plan(config({ responderRolePatterns: ['admin-*'] }));
    const admin = outcome.plan.steps.find((step) => step.reason.includes('admin-role'));
    expect(admin).toMatchObject({ status: 'skipped', calls: [] });
  });

  it('covers only the finding’s own account when the publisher may not speak for others', async () => {
    const outcome = await plan(config({ trustedPublisherAccounts: [] }));
    expect(outcome.plan.steps.filter((step) => step.accountId === TRAIL.accountB)).toEqual([]);
    expect(outcome.plan.steps.map((step) => step.action)).toContain('revoke-derived-sessions');
  });

  it('undo of an applied deactivation re-activates the key in its account', () => {
    const record: StepRecord = {
      index: 3,
      action: 'deactivate-access-key',
      status: 'applied',
      reason: 'deactivate',
      calls: [
        {
          api: 'iam:UpdateAccessKey',
          input: { UserName: TRAIL.backdoorUser, AccessKeyId: TRAIL.createdAccessKey, Status: 'Inactive' },
        },
      ],
      accountId: TRAIL.accountB,
      priorState: {
        kind: 'access-key',
        userName: TRAIL.backdoorUser,
        accessKeyId: TRAIL.createdAccessKey,
        previousStatus: 'Active',
      },
      incidentId: 'inc-1',
      mode: 'enforce',
      phase: 'respond',
      appliedCalls: 1,
      outputs: {},
      error: null,
      at: '2026-11-26T10:30:00.000Z',
    };
    expect(planUndo([record])).toEqual([
      expect.objectContaining({
        status: 'planned',
        accountId: TRAIL.accountB,
        calls: [
          {
            api: 'iam:UpdateAccessKey',
            input: { UserName: TRAIL.backdoorUser, AccessKeyId: TRAIL.createdAccessKey, Status: 'Active' },
          },
        ],
      }),
    ]);
    expect(
      planUndo([
        { ...record, priorState: { ...record.priorState, previousStatus: null } as StepRecord['priorState'] },
      ])[0]?.status,
    ).toBe('failed');
  });
});
