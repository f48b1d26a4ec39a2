import { GetRoleCommand, PutRolePolicyCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { ResponseFailedError, RetryableResponseError } from '../../lib/responder/response-errors';
import { respondToIncident } from '../../lib/responder/responder-service';
import type { StepRecord } from '../../lib/responder/audit-store';
import { undoIncident } from '../../lib/responder/undo-service';
import { planUndo } from '../../lib/responder/undo-planner';
import { dependencies, iamMock, stsMock } from './aws-mocks';
import {
  CREATED_KEY,
  DEPLOY_ROLE,
  OTHER,
  USER,
  incident,
  member,
  memberRole,
  policies,
  primeChain,
  primeChainKeepingState,
  role,
  settings,
  writes,
} from './chain-world';
import { ACCOUNT, NOW } from './responder-fixtures';

describe('enforcing a response that covers the chain', () => {
  beforeEach(() => primeChain());

  it('revokes each role in its account and deactivates the key, in plan order; undo restores all of it', async () => {
    const deps = dependencies(settings());
    const outcome = await respondToIncident(incident(), deps);

    expect(outcome.status).toBe('completed');
    expect(outcome.steps.map((step) => [step.action, step.status])).toEqual([
      ['revoke-sessions', 'applied'],
      ['revoke-derived-sessions', 'applied'],
      ['revoke-derived-sessions', 'applied'],
      ['deactivate-access-key', 'applied'],
    ]);
    expect(writes).toEqual([
      `PutRolePolicy ${ACCOUNT}/WebAppRole`,
      `PutRolePolicy ${ACCOUNT}/admin-role`,
      `PutRolePolicy ${OTHER}/deploy-role`,
      `UpdateAccessKey ${OTHER}/${CREATED_KEY} Inactive`,
    ]);
    expect(stsMock.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input.RoleArn)).toContain(
      memberRole(OTHER),
    );
    // The state each step replaced, read before planning: what undo restores.
    expect(outcome.steps[2]?.priorState).toEqual({
      kind: 'role-policy',
      roleName: 'deploy-role',
      policyName: 'RevokeOldSessions',
      previousDocument: null,
      known: true,
    });
    expect(outcome.steps[3]?.priorState).toEqual({
      kind: 'access-key',
      userName: USER,
      accessKeyId: CREATED_KEY,
      previousStatus: 'Active',
    });
    expect(member.keyStatus).toBe('Inactive');

    writes.length = 0;
    const undone = await undoIncident(outcome.incidentId, deps);
    expect(undone.status).toBe('undone');
    // Newest first, each in its own account.
    expect(writes).toEqual([
      `UpdateAccessKey ${OTHER}/${CREATED_KEY} Active`,
      `DeleteRolePolicy ${OTHER}/deploy-role`,
      `DeleteRolePolicy ${ACCOUNT}/admin-role`,
      `DeleteRolePolicy ${ACCOUNT}/WebAppRole`,
    ]);
    expect(member.keyStatus).toBe('Active');
    expect(policies.size).toBe(0);
  });

  it('skips a key that is already inactive, and undo leaves it inactive', async () => {
    member.keyStatus = 'Inactive';
    const deps = dependencies(settings());
    const outcome = await respondToIncident(incident(), deps);
    expect(outcome.steps.find((step) => step.action === 'deactivate-access-key')).toMatchObject({
      status: 'skipped',
      reason: `key ${CREATED_KEY} is already inactive`,
    });
    await undoIncident(outcome.incidentId, deps);
    expect(writes.filter((write) => write.startsWith('UpdateAccessKey'))).toEqual([]);
    expect(member.keyStatus).toBe('Inactive');
  });

  it('refuses a role the chain names when GetRole says it is protected by tag', async () => {
    iamMock.on(GetRoleCommand, { RoleName: 'deploy-role' }).resolves({
      Role: { ...role('deploy-role', OTHER).Role, Tags: [{ Key: 'credtrail:protected', Value: 'true' }] },
    });
    const outcome = await respondToIncident(incident(), dependencies(settings()));
    expect(outcome.steps[2]).toMatchObject({
      action: 'revoke-derived-sessions',
      status: 'skipped',
      reason: 'role deploy-role is protected by tag credtrail:protected',
    });
    expect(writes).not.toContain(`PutRolePolicy ${OTHER}/deploy-role`);
  });

  it('a throttled deactivation is retried by the next attempt, which resumes from the step records', async () => {
    const deps = dependencies(settings());
    iamMock
      .on(UpdateAccessKeyCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    const first = respondToIncident(incident(), deps);
    await expect(first).rejects.toBeInstanceOf(RetryableResponseError);
    expect(writes).toEqual([
      `PutRolePolicy ${ACCOUNT}/WebAppRole`,
      `PutRolePolicy ${ACCOUNT}/admin-role`,
      `PutRolePolicy ${OTHER}/deploy-role`,
    ]);
    const recorded = await deps.audit.listSteps(incident().incidentId, 'enforce', 'respond');
    expect(recorded.find((step) => step.index === 3)).toMatchObject({ status: 'failed', appliedCalls: 0 });

    // The next delivery: the applied steps are not sent again, the failed one is.
    primeChainKeepingState();
    const second = await respondToIncident(incident(), deps);
    expect(second.status).toBe('completed');
    expect(writes).toEqual([
      `PutRolePolicy ${ACCOUNT}/WebAppRole`,
      `PutRolePolicy ${ACCOUNT}/admin-role`,
      `PutRolePolicy ${OTHER}/deploy-role`,
      `UpdateAccessKey ${OTHER}/${CREATED_KEY} Inactive`,
    ]);
    expect(member.keyStatus).toBe('Inactive');
  });

  it('no member role in the other account: its steps are not acted on, with the reason; the rest is done', async () => {
    stsMock
      .on(AssumeRoleCommand, { RoleArn: memberRole(OTHER) })
      .rejects(
        Object.assign(new Error('not authorized to perform sts:AssumeRole'), { name: 'AccessDenied' }),
      );
    const outcome = await respondToIncident(incident(), dependencies(settings()));
    expect(outcome.status).toBe('completed');
    expect(outcome.steps.map((step) => [step.action, step.status])).toEqual([
      ['revoke-sessions', 'applied'],
      ['revoke-derived-sessions', 'applied'],
      ['revoke-derived-sessions', 'skipped'],
      ['deactivate-access-key', 'skipped'],
    ]);
    expect(outcome.steps[2]?.reason).toMatch(
      /deploy-role in account 222222222222 could not be read \(MemberRoleError: could not assume .*CredtrailMemberResponse/,
    );
    expect(outcome.steps[3]?.reason).toMatch(/deactivate it by hand/);
    expect(writes).toEqual([`PutRolePolicy ${ACCOUNT}/WebAppRole`, `PutRolePolicy ${ACCOUNT}/admin-role`]);
  });

  it('a resumed attempt that cannot reach the other account stops there for good and says where', async () => {
    const deps = dependencies(settings());
    iamMock
      .on(PutRolePolicyCommand, { RoleName: 'deploy-role' })
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    await expect(respondToIncident(incident(), deps)).rejects.toBeInstanceOf(RetryableResponseError);

    // Another container: the member role in OTHER was removed meanwhile.
    primeChainKeepingState();
    stsMock
      .on(AssumeRoleCommand, { RoleArn: memberRole(OTHER) })
      .rejects(
        Object.assign(new Error('not authorized to perform sts:AssumeRole'), { name: 'AccessDenied' }),
      );
    const failure: unknown = await respondToIncident(incident(), deps).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ResponseFailedError);
    const outcome = (failure as ResponseFailedError).outcome as Awaited<ReturnType<typeof respondToIncident>>;
    expect(outcome.status).toBe('failed');
    expect(outcome.steps.map((step) => [step.index, step.action, step.status])).toEqual([
      [0, 'revoke-sessions', 'applied'],
      [1, 'revoke-derived-sessions', 'applied'],
      [2, 'revoke-derived-sessions', 'failed'],
      [3, 'deactivate-access-key', 'skipped'],
    ]);
    expect(outcome.steps[2]?.error).toMatch(
      /sts:AssumeRole: MemberRoleError: could not assume arn:aws:iam::222222222222:role\/CredtrailMemberResponse/,
    );
    // Nothing applied twice, nothing applied after the stop.
    expect(writes).toEqual([`PutRolePolicy ${ACCOUNT}/WebAppRole`, `PutRolePolicy ${ACCOUNT}/admin-role`]);
    expect(member.keyStatus).toBe('Active');
  });
});

describe('undo of the chain trusts no audit record alone', () => {
  const base = {
    incidentId: incident().incidentId,
    mode: 'enforce' as const,
    phase: 'respond' as const,
    status: 'applied' as const,
    reason: 'recorded',
    accountId: OTHER,
    appliedCalls: 1,
    outputs: {},
    error: null,
    at: NOW.toISOString(),
  };
  const deactivation = (userName: string, accessKeyId: string, callUser = userName): StepRecord => ({
    ...base,
    index: 3,
    action: 'deactivate-access-key',
    calls: [
      {
        api: 'iam:UpdateAccessKey',
        input: { UserName: callUser, AccessKeyId: accessKeyId, Status: 'Inactive' },
      },
    ],
    priorState: { kind: 'access-key', userName, accessKeyId, previousStatus: 'Active' },
  });
  const revoke = (roleName: string): StepRecord => ({
    ...base,
    index: 2,
    action: 'revoke-derived-sessions',
    calls: [
      {
        api: 'iam:PutRolePolicy',
        input: {
          RoleName: roleName,
          PolicyName: 'RevokeOldSessions',
          PolicyDocument: '{"Statement":[{"Effect":"Deny"}]}',
        },
      },
    ],
    priorState: {
      kind: 'role-policy',
      roleName,
      policyName: 'RevokeOldSessions',
      previousDocument: null,
      known: true,
    },
  });
  const context = () => ({
    incidentId: incident().incidentId,
    incident: incident(),
    observed: { role: null, instance: null, instanceProfile: null, roleNetwork: null, isolationGroups: {} },
    recordedProfile: null,
    config: settings(),
    responderRoleNames: [],
    observedChain: {
      roles: new Map([
        [
          `${OTHER}/deploy-role`,
          {
            state: 'found' as const,
            role: { name: 'deploy-role', arn: DEPLOY_ROLE, path: '/', tags: {}, inlinePolicies: [] },
          },
        ],
      ]),
      accessKeys: new Map([
        [
          CREATED_KEY,
          { state: 'found' as const, status: 'Inactive' as const, user: { name: USER, path: '/', tags: {} } },
        ],
      ]),
    },
  });

  it('re-activates only the key the chain created, for its user, after credtrail deactivated it', () => {
    const [ok] = planUndo([deactivation(USER, CREATED_KEY)], context());
    expect(ok).toMatchObject({ status: 'planned', accountId: OTHER });
    expect(ok?.calls).toEqual([
      { api: 'iam:UpdateAccessKey', input: { UserName: USER, AccessKeyId: CREATED_KEY, Status: 'Active' } },
    ]);
    for (const tampered of [
      deactivation(USER, 'AKIAADMINSOWNKEY0001'),
      deactivation('admin', CREATED_KEY),
      deactivation(USER, CREATED_KEY, 'admin'),
    ]) {
      const [refused] = planUndo([tampered], context());
      expect(refused).toMatchObject({ status: 'failed', calls: [] });
      expect(refused?.reason).toMatch(/^refused: /);
    }
  });

  it("removes RevokeOldSessions only from a role of the chain, in the chain's account", () => {
    expect(planUndo([revoke('deploy-role')], context())[0]).toMatchObject({
      status: 'planned',
      accountId: OTHER,
      calls: [
        { api: 'iam:DeleteRolePolicy', input: { RoleName: 'deploy-role', PolicyName: 'RevokeOldSessions' } },
      ],
    });
    const [refused] = planUndo([revoke('BreakGlassAdmin')], context());
    expect(refused).toMatchObject({ status: 'failed', calls: [] });
    expect(refused?.reason).toBe(
      `refused: role BreakGlassAdmin in account ${OTHER} is not in the incident's chain`,
    );
  });
});
