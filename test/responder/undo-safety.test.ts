import {
  AssociateIamInstanceProfileCommand,
  ModifyNetworkInterfaceAttributeCommand,
} from '@aws-sdk/client-ec2';
import {
  DeleteRolePolicyCommand,
  GetInstanceProfileCommand,
  GetRoleCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import type { AuditStore, StepRecord } from '../../lib/responder/audit-store';
import { normaliseEvent } from '../../lib/responder/incident-normaliser';
import type { Incident } from '../../lib/responder/incident-schema';
import { respondToIncident } from '../../lib/responder/responder-service';
import { undoIncident } from '../../lib/responder/undo-service';
import { UntrustedAuditRecordError } from '../../lib/responder/undo-planner';
import { isDenyOnly } from '../../lib/responder/undo-checks';
import {
  dependencies,
  ec2Mock,
  iamMock,
  ISOLATION_SG,
  mutatingCommands,
  primeAccount,
  primeQuarantined,
} from './aws-mocks';
import { config, ENI_ID, NOW, outsideAwsEvent } from './responder-fixtures';

function incidentOf(event: unknown): Incident {
  const result = normaliseEvent(structuredClone(event), { trustedPublisherAccounts: [] });
  if (!result.ok) throw new Error(result.reason);
  return result.incident;
}

/** The audit store as an attacker with write access to the table would leave it. */
function tampered(store: AuditStore, change: (record: StepRecord) => StepRecord): AuditStore {
  return {
    createIncident: (record) => store.createIncident(record),
    getIncident: (id, mode) => store.getIncident(id, mode),
    updateIncidentStatus: (id, mode, status, at, lastError) =>
      store.updateIncidentStatus(id, mode, status, at, lastError),
    recordAttempt: (id, mode, at) => store.recordAttempt(id, mode, at),
    putStep: (step) => store.putStep(step),
    listSteps: async (id, mode, phase) => (await store.listSteps(id, mode, phase)).map(change),
  };
}

const ALLOW_ALL = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
});

async function enforcedIncident(actions: string[], quarantine: Record<string, unknown> = {}) {
  const deps = dependencies(config({ mode: 'enforce', actions: { HIGH: actions }, quarantine }));
  const response = await respondToIncident(incidentOf(outsideAwsEvent), deps);
  expect(response.status).toBe('completed');
  iamMock.resetHistory();
  ec2Mock.resetHistory();
  return { deps, incidentId: response.incidentId };
}

function rewriteRole(record: StepRecord, roleName: string): StepRecord {
  const copy = structuredClone(record);
  if (copy.priorState.kind === 'role-policy') copy.priorState.roleName = roleName;
  for (const call of copy.calls) if (call.api === 'iam:PutRolePolicy') call.input.RoleName = roleName;
  return copy;
}

describe('undo only undoes credtrail', () => {
  beforeEach(() => primeAccount());

  it('a tampered record cannot make undo touch another role', async () => {
    // Prepare
    const { deps, incidentId } = await enforcedIncident(['revoke-sessions', 'pin-to-network']);
    // Act
    const undo = await undoIncident(incidentId, {
      ...deps,
      audit: tampered(deps.audit, (record) => rewriteRole(record, 'AdminRole')),
    });
    // Assess
    expect(undo.status).toBe('undo-failed');
    expect(undo.plannedSteps.map((step) => step.reason)).toEqual([
      expect.stringMatching(/^refused: record names role AdminRole/),
      expect.stringMatching(/^refused: record names role AdminRole/),
    ]);
    expect(mutatingCommands(iamMock)).toEqual([]);
  });

  it('a tampered record cannot name another policy', async () => {
    const { deps, incidentId } = await enforcedIncident(['revoke-sessions']);
    const undo = await undoIncident(incidentId, {
      ...deps,
      audit: tampered(deps.audit, (record) => {
        const copy = structuredClone(record);
        if (copy.priorState.kind === 'role-policy') copy.priorState.policyName = 'DenyNothing';
        return copy;
      }),
    });
    expect(undo.plannedSteps[0]?.reason).toMatch(/DenyNothing is not a policy credtrail writes/);
    expect(mutatingCommands(iamMock)).toEqual([]);
  });

  it('a tampered record cannot restore an Allow: credtrail policy is removed instead', async () => {
    const { deps, incidentId } = await enforcedIncident(['revoke-sessions']);
    const undo = await undoIncident(incidentId, {
      ...deps,
      audit: tampered(deps.audit, (record) => {
        const copy = structuredClone(record);
        if (copy.priorState.kind === 'role-policy') copy.priorState.previousDocument = ALLOW_ALL;
        return copy;
      }),
    });
    expect(undo.status).toBe('undone');
    expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
    expect(iamMock.commandCalls(DeleteRolePolicyCommand).map((call) => call.args[0].input)).toEqual([
      { RoleName: 'WebAppRole', PolicyName: 'RevokeOldSessions' },
    ]);
    expect(undo.plannedSteps[0]?.notes.join()).toMatch(/not a Deny-only document/);
  });

  it('re-runs the protection check: a role protected since the response is not touched', async () => {
    const { deps, incidentId } = await enforcedIncident(['revoke-sessions']);
    iamMock.on(GetRoleCommand).resolves({
      Role: {
        RoleName: 'WebAppRole',
        RoleId: 'AROAEXAMPLEROLEID1234',
        Arn: 'arn:aws:iam::123456789012:role/WebAppRole',
        Path: '/',
        CreateDate: NOW,
        Tags: [{ Key: 'credtrail:protected', Value: 'true' }],
      },
    });
    const undo = await undoIncident(incidentId, deps);
    expect(undo.plannedSteps[0]?.reason).toMatch(/protected by tag credtrail:protected/);
    expect(mutatingCommands(iamMock)).toEqual([]);
  });

  it('a tampered record cannot attach another instance profile or restore the open group', async () => {
    const { deps, incidentId } = await enforcedIncident(['quarantine-instance'], {
      removeInstanceProfile: true,
    });
    primeQuarantined();
    iamMock.on(GetInstanceProfileCommand).resolves({
      InstanceProfile: {
        InstanceProfileName: 'AdminProfile',
        InstanceProfileId: 'AIPAEXAMPLEADMIN12345',
        Arn: 'arn:aws:iam::123456789012:instance-profile/AdminProfile',
        Path: '/',
        CreateDate: NOW,
        Roles: [
          {
            RoleName: 'AdminRole',
            RoleId: 'AROAEXAMPLEADMIN12345',
            Arn: 'arn:aws:iam::123456789012:role/AdminRole',
            Path: '/',
            CreateDate: NOW,
          },
        ],
      },
    });
    const undo = await undoIncident(incidentId, {
      ...deps,
      audit: tampered(deps.audit, (record) => {
        const copy = structuredClone(record);
        if (copy.priorState.kind === 'instance') {
          copy.priorState.profileAssociation = {
            associationId: 'iip-assoc-0123456789abcdef0',
            profileArn: 'arn:aws:iam::123456789012:instance-profile/AdminProfile',
          };
          copy.priorState.interfaces = [{ networkInterfaceId: ENI_ID, groupIds: [ISOLATION_SG] }];
        }
        return copy;
      }),
    });
    expect(ec2Mock.commandCalls(AssociateIamInstanceProfileCommand)).toHaveLength(0);
    expect(ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand)).toHaveLength(0);
    expect(undo.plannedSteps[0]?.notes.join(' ')).toMatch(
      /Instance profile not restored: profile .*AdminProfile holds .*AdminRole, not only .*WebAppRole/,
    );
  });

  it('refuses a record whose plan is for another incident', async () => {
    const { deps, incidentId } = await enforcedIncident(['revoke-sessions']);
    const record = await deps.audit.getIncident(incidentId, 'enforce');
    const audit = tampered(deps.audit, (step) => step);
    audit.getIncident = () =>
      Promise.resolve(
        record === null
          ? null
          : {
              ...record,
              plan: { ...record.plan, incident: { ...record.plan.incident, incidentId: 'inc-other' } },
            },
      );
    await expect(undoIncident(incidentId, { ...deps, audit })).rejects.toBeInstanceOf(
      UntrustedAuditRecordError,
    );
    expect(mutatingCommands(iamMock)).toEqual([]);
  });
});

describe('isDenyOnly', () => {
  it('accepts only documents whose every statement denies', () => {
    const deny = { Effect: 'Deny', Action: '*', Resource: '*' };
    expect(isDenyOnly(JSON.stringify({ Statement: [deny] }))).toBe(true);
    expect(isDenyOnly(JSON.stringify({ Statement: deny }))).toBe(true);
    expect(isDenyOnly(JSON.stringify({ Statement: [deny, { ...deny, Effect: 'Allow' }] }))).toBe(false);
    expect(isDenyOnly(JSON.stringify({ Statement: [] }))).toBe(false);
    expect(isDenyOnly('not json')).toBe(false);
  });
});
