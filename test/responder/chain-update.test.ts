import {
  GetRoleCommand,
  GetUserCommand,
  ListUserTagsCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { normaliseEvent } from '../../lib/responder/incident-normaliser';
import { respondToIncident } from '../../lib/responder/responder-service';
import { undoIncident } from '../../lib/responder/undo-service';
import { dependencies, iamMock } from './aws-mocks';
import {
  CREATED_KEY,
  OPS_ROLE,
  OTHER,
  USER,
  chainedEvent,
  grownEvent,
  incident,
  incidentOf,
  member,
  policies,
  primeChain,
  role,
  settings,
  writes,
} from './chain-world';
import { ACCOUNT } from './responder-fixtures';

/** Issue 17: a chain-growth update re-plans the chain; what earlier responses did is not done again. */
describe('responding to a chain-growth update', () => {
  beforeEach(() => {
    primeChain();
    iamMock.on(GetRoleCommand, { RoleName: 'ops-role' }).resolves(role('ops-role', ACCOUNT));
  });

  it('after the first response, an update with one new derived role acts on that role alone', async () => {
    const deps = dependencies(settings());
    const first = await respondToIncident(incident(), deps);
    expect(first.status).toBe('completed');
    writes.length = 0;

    const update = await respondToIncident(incidentOf(grownEvent()), deps);

    expect(update.status).toBe('completed');
    expect(update.incidentId).not.toBe(first.incidentId);
    // No instance-role step: the first response's cut-off stands (see response-planner.ts).
    expect(update.steps.map((step) => [step.action, step.status])).toEqual([
      ['revoke-derived-sessions', 'skipped'],
      ['revoke-derived-sessions', 'skipped'],
      ['revoke-derived-sessions', 'applied'],
      ['deactivate-access-key', 'skipped'],
    ]);
    expect(update.steps[0]?.reason).toMatch(/^RevokeOldSessions on admin-role already denies sessions/);
    expect(update.steps[3]?.reason).toBe(`key ${CREATED_KEY} is already inactive`);
    expect(writes).toEqual([`PutRolePolicy ${ACCOUNT}/ops-role`]);
  });

  it('a redelivered update does nothing new', async () => {
    const deps = dependencies(settings());
    await respondToIncident(incident(), deps);
    await respondToIncident(incidentOf(grownEvent()), deps);
    writes.length = 0;
    const putsBefore = iamMock.commandCalls(PutRolePolicyCommand).length;

    const again = await respondToIncident(incidentOf(grownEvent()), deps);

    expect(again.status).toBe('duplicate');
    expect(again.steps).toEqual([]);
    expect(writes).toEqual([]);
    expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(putsBefore);
  });

  it('undo works per version: the update undoes only its own role, the first response the rest', async () => {
    const deps = dependencies(settings());
    const first = await respondToIncident(incident(), deps);
    const update = await respondToIncident(incidentOf(grownEvent()), deps);
    writes.length = 0;

    expect((await undoIncident(update.incidentId, deps)).status).toBe('undone');
    expect(writes).toEqual([`DeleteRolePolicy ${ACCOUNT}/ops-role`]);
    expect(policies.has(`${ACCOUNT}/admin-role/RevokeOldSessions`)).toBe(true);

    writes.length = 0;
    expect((await undoIncident(first.incidentId, deps)).status).toBe('undone');
    expect(writes).toEqual([
      `UpdateAccessKey ${OTHER}/${CREATED_KEY} Active`,
      `DeleteRolePolicy ${OTHER}/deploy-role`,
      `DeleteRolePolicy ${ACCOUNT}/admin-role`,
      `DeleteRolePolicy ${ACCOUNT}/WebAppRole`,
    ]);
    expect(policies.size).toBe(0);
    expect(member.keyStatus).toBe('Active');
  });

  it('dry-run by default: the update is planned and recorded, nothing is changed', async () => {
    const outcome = await respondToIncident(incidentOf(grownEvent()), dependencies(settings()), {
      mode: 'dry-run',
    });
    expect(outcome.status).toBe('planned');
    expect(outcome.steps.filter((step) => step.status === 'planned').map((step) => step.action)).toEqual([
      'revoke-derived-sessions',
      'revoke-derived-sessions',
      'revoke-derived-sessions',
      'deactivate-access-key',
    ]);
    expect(writes).toEqual([]);
  });

  it('refuses a protected role an update names, as the first announcement would', async () => {
    iamMock.on(GetRoleCommand, { RoleName: 'ops-role' }).resolves({
      Role: { ...role('ops-role', ACCOUNT).Role, Tags: [{ Key: 'credtrail:protected', Value: 'true' }] },
    });
    const deps = dependencies(settings());
    await respondToIncident(incident(), deps);
    writes.length = 0;

    const update = await respondToIncident(incidentOf(grownEvent()), deps);

    expect(update.steps[2]).toMatchObject({
      action: 'revoke-derived-sessions',
      status: 'skipped',
      reason: 'role ops-role is protected by tag credtrail:protected',
    });
    expect(writes).toEqual([]);
  });

  it("an update from an untrusted account names another account's role: listed, not acted on", () => {
    const foreignRole = 'arn:aws:iam::333333333333:role/ops-role';
    const update = incidentOf(grownEvent(foreignRole), []);

    expect(update.chain?.roles.map((r) => r.roleArn)).not.toContain(foreignRole);
    expect(update.chain?.manual.find((item) => item.id === 'ASIAHOPTHREEOPS00003')?.context).toMatch(
      /not acted on: account 333333333333 is not the finding's/,
    );
  });

  it('refuses an update about another account put on the bus by an untrusted account', () => {
    const forged = { ...grownEvent(), account: OTHER };
    const result = normaliseEvent(forged, { trustedPublisherAccounts: [] });
    expect(result).toEqual({
      ok: false,
      reason: `finding about account ${ACCOUNT} published by account ${OTHER}, which is not trusted to report on other accounts`,
    });
  });

  it('refuses an update in which only counts moved, and one without a chain version', () => {
    const counts = grownEvent();
    counts.detail['change'] = 'counts';
    const unversioned = grownEvent();
    delete unversioned.detail['chainVersion'];
    for (const event of [counts, unversioned]) {
      const result = normaliseEvent(event, { trustedPublisherAccounts: [ACCOUNT] });
      expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/without chain growth/) });
    }
  });

  it('names each version its own incident, and every delivery of one version the same', () => {
    const v2 = incidentOf(grownEvent());
    const v3 = incidentOf(grownEvent(OPS_ROLE, 'ASIAHOPTHREEOPS00004'));
    expect(incidentOf(grownEvent()).incidentId).toBe(v2.incidentId);
    expect(v3.incidentId).not.toBe(v2.incidentId);
    expect(v2.chainUpdate?.findingIncidentId).toBe(incident().incidentId);
  });
});

/** Issue 17: the user whose key would be deactivated is read and checked before the step is planned. */
describe('deactivating a created key: the user is checked first', () => {
  beforeEach(() => primeChain());

  it('refuses the key of a user tagged credtrail:protected; the roles are still revoked', async () => {
    iamMock.on(ListUserTagsCommand, { UserName: USER }).resolves({
      Tags: [{ Key: 'credtrail:protected', Value: 'true' }],
      IsTruncated: false,
    });

    const outcome = await respondToIncident(incident(), dependencies(settings()));

    expect(outcome.steps[3]).toMatchObject({
      action: 'deactivate-access-key',
      status: 'skipped',
      reason: `user ${USER} is protected by tag credtrail:protected: deactivate key ${CREATED_KEY} by hand`,
    });
    expect(writes.filter((write) => write.startsWith('UpdateAccessKey'))).toEqual([]);
    expect(writes).toContain(`PutRolePolicy ${OTHER}/deploy-role`);
  });

  it('GetUser failing: the key is not acted on blind, the reason says so, the rest goes on', async () => {
    iamMock
      .on(GetUserCommand, { UserName: USER })
      .rejects(Object.assign(new Error('not authorized to perform iam:GetUser'), { name: 'AccessDenied' }));

    const outcome = await respondToIncident(incident(), dependencies(settings()));

    expect(outcome.status).toBe('completed');
    expect(outcome.steps[3]).toMatchObject({ action: 'deactivate-access-key', status: 'skipped' });
    expect(outcome.steps[3]?.reason).toMatch(
      new RegExp(
        `^key ${CREATED_KEY} of ${USER} in account ${OTHER} could not be read \\(.*iam:GetUser.*\\); deactivate it by hand$`,
      ),
    );
    expect(writes.filter((write) => write.startsWith('UpdateAccessKey'))).toEqual([]);
    expect(member.keyStatus).toBe('Active');
  });

  it('refuses the key of a break-glass user by name, offline too (nothing read)', async () => {
    const event = chainedEvent();
    const taint = event.detail['taint'] as { persistence: { owner: string }[] };
    for (const artefact of taint.persistence) artefact.owner = 'BreakGlassAdmin';

    const outcome = await respondToIncident(incidentOf(event), dependencies(settings()), {
      mode: 'dry-run',
      offline: true,
    });

    expect(outcome.plan?.steps.find((step) => step.action === 'deactivate-access-key')).toMatchObject({
      status: 'skipped',
      reason: `user BreakGlassAdmin is a break-glass user (pattern *break*glass*): deactivate key ${CREATED_KEY} by hand`,
    });
  });
});
