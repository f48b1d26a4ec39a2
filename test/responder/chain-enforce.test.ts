import {
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAccessKeysCommand,
  ListRolePoliciesCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
  UpdateAccessKeyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { normaliseEvent } from '../../lib/responder/incident-normaliser';
import type { Incident } from '../../lib/responder/incident-schema';
import { ResponseFailedError, RetryableResponseError } from '../../lib/responder/response-errors';
import { respondToIncident } from '../../lib/responder/responder-service';
import type { StepRecord } from '../../lib/responder/audit-store';
import { undoIncident } from '../../lib/responder/undo-service';
import { planUndo } from '../../lib/responder/undo-planner';
import { dependencies, iamMock, primeAccount, stsMock } from './aws-mocks';
import { ACCOUNT, config, credtrailEvent, NOW } from './responder-fixtures';

const OTHER = '222222222222';
const ADMIN_ROLE = `arn:aws:iam::${ACCOUNT}:role/admin-role`;
const DEPLOY_ROLE = `arn:aws:iam::${OTHER}:role/deploy-role`;
const CREATED_KEY = 'AKIAPERSISTENT000001';
const USER = 'backup-bot';

/** The fixture finding, with a chain of two AssumeRole hops (own account, then OTHER) and a created key. */
function chainedEvent() {
  const event = structuredClone(credtrailEvent);
  const session = { sessionName: 'thief', region: 'us-east-1', via: 'AssumeRole' };
  event.detail['taint'] = {
    derivedSessions: [
      {
        ...session,
        accessKeyId: 'ASIAHOPONEADMIN00001',
        parentAccessKeyId: String(event.detail['accessKeyId']),
        roleArn: ADMIN_ROLE,
        accountId: ACCOUNT,
        mintedAt: '2026-11-20T12:25:00.000Z',
        expiresAt: '2026-11-20T13:25:00.000Z',
      },
      {
        ...session,
        accessKeyId: 'ASIAHOPTWODEPLOY0002',
        parentAccessKeyId: 'ASIAHOPONEADMIN00001',
        roleArn: DEPLOY_ROLE,
        accountId: OTHER,
        region: 'eu-west-1',
        mintedAt: '2026-11-20T12:28:00.000Z',
        expiresAt: '2026-11-20T13:28:00.000Z',
      },
    ],
    derivedCallCount: 9,
    persistence: [
      {
        kind: 'access-key',
        id: CREATED_KEY,
        context: `user ${USER}`,
        owner: USER,
        eventName: 'CreateAccessKey',
        eventTime: '2026-11-20T12:29:00.000Z',
        accountId: OTHER,
        region: 'eu-west-1',
        accessKeyId: 'ASIAHOPTWODEPLOY0002',
      },
    ],
    reads: [],
    truncated: false,
  };
  return event;
}

function incident(): Incident {
  const normalised = normaliseEvent(chainedEvent(), { trustedPublisherAccounts: [ACCOUNT] });
  if (!normalised.ok) throw new Error(normalised.reason);
  return normalised.incident;
}

/** Member accounts as IAM keeps them: inline policies per account and role, the created key's status. */
const policies = new Map<string, string>();
let keyStatus: 'Active' | 'Inactive' = 'Active';
/** Every IAM write, with the account whose credentials sent it. */
const writes: string[] = [];

/** The account a mocked IAM client acts in: the member role credentials STS handed out for it. */
async function accountOf(client: IAMClient): Promise<string> {
  const credentials = await client.config.credentials();
  return credentials.accessKeyId === `ASIAMEMBER${OTHER}` ? OTHER : ACCOUNT;
}

function role(name: string, accountId: string) {
  return {
    Role: {
      RoleName: name,
      RoleId: 'AROAEXAMPLE',
      Arn: `arn:aws:iam::${accountId}:role/${name}`,
      Path: '/',
      CreateDate: NOW,
    },
  };
}

function primeChain(): void {
  primeAccount();
  policies.clear();
  writes.length = 0;
  keyStatus = 'Active';
  stsMock.on(AssumeRoleCommand).callsFake((input: { RoleArn?: string }) => ({
    Credentials: {
      AccessKeyId: `ASIAMEMBER${input.RoleArn?.split(':')[4] ?? ''}`,
      SecretAccessKey: 'secret',
      SessionToken: 'token',
      Expiration: NOW,
    },
  }));
  iamMock
    .on(GetRoleCommand, { RoleName: 'admin-role' })
    .resolves(role('admin-role', ACCOUNT))
    .on(GetRoleCommand, { RoleName: 'deploy-role' })
    .resolves(role('deploy-role', OTHER));
  const at = async (client: IAMClient, roleName = '') => `${await accountOf(client)}/${roleName}`;
  iamMock
    .on(PutRolePolicyCommand)
    .callsFake(
      async (
        input: { RoleName?: string; PolicyName?: string; PolicyDocument?: string },
        getClient: () => IAMClient,
      ) => {
        const where = await at(getClient(), input.RoleName);
        policies.set(`${where}/${input.PolicyName ?? ''}`, input.PolicyDocument ?? '');
        writes.push(`PutRolePolicy ${where}`);
        return {};
      },
    );
  iamMock
    .on(DeleteRolePolicyCommand)
    .callsFake(async (input: { RoleName?: string; PolicyName?: string }, getClient: () => IAMClient) => {
      const where = await at(getClient(), input.RoleName);
      policies.delete(`${where}/${input.PolicyName ?? ''}`);
      writes.push(`DeleteRolePolicy ${where}`);
      return {};
    });
  iamMock
    .on(ListRolePoliciesCommand)
    .callsFake(async (input: { RoleName?: string }, getClient: () => IAMClient) => {
      const prefix = `${await at(getClient(), input.RoleName)}/`;
      return {
        PolicyNames: [...policies.keys()]
          .filter((key) => key.startsWith(prefix))
          .map((key) => key.slice(prefix.length)),
        IsTruncated: false,
      };
    });
  iamMock
    .on(GetRolePolicyCommand)
    .callsFake(async (input: { RoleName?: string; PolicyName?: string }, getClient: () => IAMClient) => {
      const document = policies.get(`${await at(getClient(), input.RoleName)}/${input.PolicyName ?? ''}`);
      if (document === undefined)
        throw new NoSuchEntityException({ message: 'no such policy', $metadata: {} });
      return { PolicyDocument: encodeURIComponent(document) };
    });
  iamMock
    .on(ListAccessKeysCommand, { UserName: USER })
    .callsFake(async (_input: unknown, getClient: () => IAMClient) => {
      if ((await accountOf(getClient())) !== OTHER)
        throw new NoSuchEntityException({ message: 'no such user', $metadata: {} });
      return {
        AccessKeyMetadata: [{ UserName: USER, AccessKeyId: CREATED_KEY, Status: keyStatus }],
        IsTruncated: false,
      };
    });
  iamMock
    .on(UpdateAccessKeyCommand)
    .callsFake(
      async (input: { Status?: 'Active' | 'Inactive'; AccessKeyId?: string }, getClient: () => IAMClient) => {
        writes.push(
          `UpdateAccessKey ${await accountOf(getClient())}/${input.AccessKeyId ?? ''} ${input.Status ?? ''}`,
        );
        keyStatus = input.Status ?? keyStatus;
        return {};
      },
    );
}

const memberRole = (accountId: string) => `arn:aws:iam::${accountId}:role/CredtrailMemberResponse`;
const settings = () =>
  config({ mode: 'enforce', actions: { HIGH: ['revoke-sessions'] }, trustedPublisherAccounts: [ACCOUNT] });

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
    expect(keyStatus).toBe('Inactive');

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
    expect(keyStatus).toBe('Active');
    expect(policies.size).toBe(0);
  });

  it('skips a key that is already inactive, and undo leaves it inactive', async () => {
    keyStatus = 'Inactive';
    const deps = dependencies(settings());
    const outcome = await respondToIncident(incident(), deps);
    expect(outcome.steps.find((step) => step.action === 'deactivate-access-key')).toMatchObject({
      status: 'skipped',
      reason: `key ${CREATED_KEY} is already inactive`,
    });
    await undoIncident(outcome.incidentId, deps);
    expect(writes.filter((write) => write.startsWith('UpdateAccessKey'))).toEqual([]);
    expect(keyStatus).toBe('Inactive');
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
    expect(keyStatus).toBe('Inactive');
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
    expect(keyStatus).toBe('Active');
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
      accessKeys: new Map([[CREATED_KEY, { state: 'found' as const, status: 'Inactive' as const }]]),
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

/** Like a fresh container: same accounts (policies, key status, write log), mocks re-armed without faults. */
function primeChainKeepingState(): void {
  const kept = { policies: new Map(policies), writes: [...writes], keyStatus };
  primeChain();
  for (const [key, value] of kept.policies) policies.set(key, value);
  writes.push(...kept.writes);
  keyStatus = kept.keyStatus;
}
