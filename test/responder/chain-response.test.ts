import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerDetectCommand } from '../../lib/cli/detect-command';
import { registerRespondCommands } from '../../lib/cli/respond-command';
import type { ResponseOutcome } from '../../lib/responder/responder-service';
import type { ResponsePlan } from '../../lib/responder/response-plan';
import { iamMock, primeAccount, stsMock } from './aws-mocks';
import { TRAIL, writeTaintTrail } from '../support/taint-trail';
import { runCli } from '../support/cli-run';

const run = (args: string[]) => runCli(args, registerDetectCommand, registerRespondCommands);

/**
 * Issue 17's "Done when": `credtrail respond --offline` on the finding `detect` raised for a stolen key
 * that chained two roles across two accounts plans revocation for each derived role and deactivation
 * of the created key, lists the rest with exact identifiers, and refuses protected roles.
 */
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

  async function plan(configPath: string, text = false): Promise<{ plan: ResponsePlan; text: string }> {
    const result = await run([
      'respond',
      findingFile,
      '--offline',
      ...(text ? [] : ['--json']),
      '--config',
      configPath,
      '--audit-dir',
      join(dir, `audit-${Math.random().toString(36).slice(2)}`),
    ]);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    if (text) return { plan: undefined as unknown as ResponsePlan, text: result.stdout };
    const outcome = JSON.parse(result.stdout) as ResponseOutcome;
    if (outcome.plan === null) throw new Error('no plan');
    return { plan: outcome.plan, text: result.stdout };
  }

  beforeAll(async () => {
    dir = writeTaintTrail();
    const detected = await run(['detect', dir, '--output', 'jsonl', '--no-progress']);
    findingFile = join(dir, 'finding.json');
    writeFileSync(findingFile, detected.stdout.trim().split('\n')[0] ?? '');
  });
  beforeEach(() => primeAccount());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('plans revocation for each derived role and deactivation of the created key, each in its account', async () => {
    const { plan: planned } = await plan(config());
    expect(planned.decision).toBe('respond');
    expect(planned.steps.map((step) => [step.action, step.status, step.accountId ?? TRAIL.accountA])).toEqual(
      [
        ['revoke-sessions', 'planned', TRAIL.accountA],
        ['revoke-derived-sessions', 'planned', TRAIL.accountA],
        ['revoke-derived-sessions', 'planned', TRAIL.accountB],
        ['deactivate-access-key', 'planned', TRAIL.accountB],
        ['manual-cleanup', 'skipped', TRAIL.accountA],
      ],
    );
    const [own, admin, deploy, deactivate, manual] = planned.steps;
    expect(own?.calls[0]).toMatchObject({ input: { RoleName: TRAIL.instanceRole } });
    for (const [step, role, key] of [
      [admin, 'admin-role', TRAIL.hop1Key],
      [deploy, 'deploy-role', TRAIL.hop2Key],
    ] as const) {
      expect(step?.calls).toHaveLength(1);
      expect(step?.calls[0]).toMatchObject({
        api: 'iam:PutRolePolicy',
        input: { RoleName: role, PolicyName: 'RevokeOldSessions' },
      });
      expect(step?.reason).toContain(key);
      // Offline: the role was not read, so undo could not trust a prior state it never saw.
      expect(step?.priorState).toMatchObject({ kind: 'role-policy', roleName: role, known: false });
    }
    expect(deactivate?.calls).toEqual([
      {
        api: 'iam:UpdateAccessKey',
        input: { UserName: TRAIL.backdoorUser, AccessKeyId: TRAIL.createdAccessKey, Status: 'Inactive' },
      },
    ]);
    expect(deactivate?.priorState).toEqual({
      kind: 'access-key',
      userName: TRAIL.backdoorUser,
      accessKeyId: TRAIL.createdAccessKey,
      previousStatus: null,
    });
    // Other persistence: listed with exact identifiers, never acted on.
    expect(manual?.calls).toEqual([]);
    const listed = manual?.notes.join('\n') ?? '';
    for (const id of [TRAIL.keyPairName, TRAIL.securityGroupId, TRAIL.launchedInstance])
      expect(listed).toContain(id);
    expect(listed).toContain(TRAIL.accountB);
    // Dry-run first, offline: nothing was called, no role assumed.
    expect(planned.mode).toBe('dry-run');
    expect(iamMock.calls()).toHaveLength(0);
    expect(stsMock.calls()).toHaveLength(0);
  });

  it('says in the text plan which account each step of the chain acts in', async () => {
    const { text } = await plan(config(), true);
    expect(text).toMatch(/revoke-derived-sessions \(in account 222222222222\): planned/);
    expect(text).toMatch(/deactivate-access-key \(in account 222222222222\): planned/);
  });

  it('refuses a protected role in the chain, as it refuses the main role, and keeps the rest', async () => {
    const { plan: planned } = await plan(config({ protected: { roleNamePatterns: ['deploy-*'] } }));
    const deploy = planned.steps.find(
      (step) => step.accountId === TRAIL.accountB && step.action === 'revoke-derived-sessions',
    );
    expect(deploy).toMatchObject({ status: 'skipped', calls: [] });
    expect(deploy?.reason).toMatch(/deploy-role is protected by pattern deploy-\*/);
    const admin = planned.steps.find(
      (step) => step.action === 'revoke-derived-sessions' && step.status === 'planned',
    );
    expect(admin?.calls[0]).toMatchObject({ input: { RoleName: 'admin-role' } });
  });

  it("never touches credtrail's own roles, even when the thief assumed one", async () => {
    const { plan: planned } = await plan(config({ responderRolePatterns: ['admin-*'] }));
    const admin = planned.steps.find((step) => step.reason.includes('admin-role'));
    expect(admin).toMatchObject({ action: 'revoke-derived-sessions', status: 'skipped', calls: [] });
    expect(admin?.reason).toMatch(/one of credtrail's own roles/);
  });

  it('refuses every protected role of the chain; a created key (no role) is still deactivated', async () => {
    const { plan: planned } = await plan(config({ protected: { roleNamePatterns: ['*-role'] } }));
    // web-app-role, admin-role and deploy-role all match the pattern.
    expect(
      planned.steps
        .filter((step) => step.action.startsWith('revoke'))
        .map((step) => [step.status, step.calls]),
    ).toEqual([
      ['skipped', []],
      ['skipped', []],
      ['skipped', []],
    ]);
    expect(planned.steps.find((step) => step.action === 'deactivate-access-key')?.status).toBe('planned');
  });

  it("covers only the finding's own account when the publisher may not speak for others, and lists the rest", async () => {
    const { plan: planned } = await plan(config({ trustedPublisherAccounts: [] }));
    expect(planned.steps.filter((step) => step.accountId === TRAIL.accountB)).toEqual([]);
    expect(planned.steps.map((step) => step.action)).toEqual([
      'revoke-sessions',
      'revoke-derived-sessions',
      'manual-cleanup',
    ]);
    const listed = planned.steps.at(-1)?.notes.join('\n') ?? '';
    expect(listed).toContain(`${TRAIL.hop2Key} (${TRAIL.hop2Role}; not acted on: account ${TRAIL.accountB}`);
    expect(listed).toContain(`access-key ${TRAIL.createdAccessKey}`);
  });

  it('leaves the chain alone when revoke-sessions is not configured for the severity', async () => {
    const { plan: planned } = await plan(
      config({ actions: { HIGH: ['pin-to-network'], MEDIUM: ['pin-to-network'], LOW: [] } }),
    );
    const chain = planned.steps.filter((step) => step.action !== 'pin-to-network');
    expect(chain.map((step) => [step.action, step.status, step.calls.length])).toEqual([
      ['revoke-derived-sessions', 'skipped', 0],
      ['revoke-derived-sessions', 'skipped', 0],
      ['deactivate-access-key', 'skipped', 0],
      ['manual-cleanup', 'skipped', 0],
    ]);
  });
});
