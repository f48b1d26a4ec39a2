import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import {
  GetRoleCommand,
  ListAccessKeysCommand,
  PutRolePolicyCommand,
  UpdateAccessKeyCommand,
  DeleteRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { normaliseEvent } from '../../lib/responder/incident-normaliser';
import { respondToIncident, undoIncident } from '../../lib/responder/responder-service';
import { dependencies, iamMock, primeAccount, stsMock } from './aws-mocks';
import { ACCOUNT, config, credtrailEvent } from './responder-fixtures';

const OTHER = '222222222222';
const DEPLOY_ROLE = `arn:aws:iam::${OTHER}:role/deploy-role`;

function chainedEvent() {
  const event = structuredClone(credtrailEvent);
  event.detail['taint'] = {
    derivedSessions: [
      {
        accessKeyId: 'ASIAHOPTWODEPLOY0002',
        parentAccessKeyId: String(event.detail['accessKeyId']),
        via: 'AssumeRole',
        roleArn: DEPLOY_ROLE,
        sessionName: 'thief-deploy',
        accountId: OTHER,
        region: 'eu-west-1',
        mintedAt: '2026-11-20T12:05:00.000Z',
        expiresAt: '2026-11-20T13:05:00.000Z',
      },
    ],
    derivedCallCount: 9,
    persistence: [
      {
        kind: 'access-key',
        id: 'AKIAPERSISTENT000001',
        context: 'user backup-bot',
        owner: 'backup-bot',
        eventName: 'CreateAccessKey',
        eventTime: '2026-11-20T12:06:00.000Z',
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

describe('enforcing a response that covers the chain', () => {
  beforeEach(() => {
    primeAccount();
    iamMock.on(GetRoleCommand, { RoleName: 'deploy-role' }).resolves({
      Role: {
        RoleName: 'deploy-role',
        RoleId: 'AROADEPLOY',
        Arn: DEPLOY_ROLE,
        Path: '/',
        CreateDate: new Date(),
      },
    });
    iamMock.on(ListAccessKeysCommand).resolves({
      AccessKeyMetadata: [{ UserName: 'backup-bot', AccessKeyId: 'AKIAPERSISTENT000001', Status: 'Active' }],
      IsTruncated: false,
    });
  });

  it('acts in the other account through its member role, deactivates the key, and undoes both', async () => {
    const settings = config({ trustedPublisherAccounts: [ACCOUNT] });
    const normalised = normaliseEvent(chainedEvent(), {
      trustedPublisherAccounts: settings.trustedPublisherAccounts,
    });
    if (!normalised.ok) throw new Error(normalised.reason);
    const deps = dependencies(settings);
    const outcome = await respondToIncident(normalised.incident, deps, { mode: 'enforce' });

    const applied = outcome.steps.filter((step) => step.status === 'applied').map((step) => step.action);
    expect(applied).toEqual(expect.arrayContaining(['revoke-derived-sessions', 'deactivate-access-key']));
    const assumed = stsMock.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input.RoleArn);
    expect(assumed).toContain(`arn:aws:iam::${OTHER}:role/CredtrailMemberResponse`);
    expect(iamMock.commandCalls(PutRolePolicyCommand).map((call) => call.args[0].input.RoleName)).toContain(
      'deploy-role',
    );
    expect(iamMock.commandCalls(UpdateAccessKeyCommand).map((call) => call.args[0].input)).toEqual([
      { UserName: 'backup-bot', AccessKeyId: 'AKIAPERSISTENT000001', Status: 'Inactive' },
    ]);
    const deactivation = outcome.steps.find((step) => step.action === 'deactivate-access-key');
    expect(deactivation?.priorState).toEqual({
      kind: 'access-key',
      userName: 'backup-bot',
      accessKeyId: 'AKIAPERSISTENT000001',
      previousStatus: 'Active',
    });

    iamMock.resetHistory();
    const undone = await undoIncident(outcome.incidentId, deps);
    expect(undone.status).toBe('undone');
    expect(iamMock.commandCalls(UpdateAccessKeyCommand).map((call) => call.args[0].input.Status)).toEqual([
      'Active',
    ]);
    expect(
      iamMock.commandCalls(DeleteRolePolicyCommand).map((call) => call.args[0].input.RoleName),
    ).toContain('deploy-role');
  });

  it('skips a key that is already inactive', async () => {
    iamMock.on(ListAccessKeysCommand).resolves({
      AccessKeyMetadata: [
        { UserName: 'backup-bot', AccessKeyId: 'AKIAPERSISTENT000001', Status: 'Inactive' },
      ],
      IsTruncated: false,
    });
    const settings = config({ trustedPublisherAccounts: [ACCOUNT] });
    const normalised = normaliseEvent(chainedEvent(), {
      trustedPublisherAccounts: settings.trustedPublisherAccounts,
    });
    if (!normalised.ok) throw new Error(normalised.reason);
    const outcome = await respondToIncident(normalised.incident, dependencies(settings), { mode: 'enforce' });
    expect(outcome.steps.find((step) => step.action === 'deactivate-access-key')?.status).toBe('skipped');
    expect(iamMock.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
  });
});
