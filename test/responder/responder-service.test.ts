import {
  AssociateIamInstanceProfileCommand,
  DeleteTagsCommand,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
} from '@aws-sdk/client-ec2';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DeleteRolePolicyCommand,
  GetRolePolicyCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import {
  ResponseFailedDetailSchema,
  ResponsePlanDetailSchema,
  ResponseStepResultDetailSchema,
} from '../../lib/contracts/response-event';
import { ResponseFailedError, RetryableResponseError } from '../../lib/responder/response-errors';
import { normaliseEvent } from '../../lib/responder/incident-normaliser';
import type { Incident } from '../../lib/responder/incident-schema';
import { MemoryRateLimiter } from '../../lib/responder/rate-limiter';
import { respondToIncident, type ResponseOutcome } from '../../lib/responder/responder-service';
import { undoIncident } from '../../lib/responder/undo-service';
import { UnknownIncidentError } from '../../lib/responder/audit-store';
import {
  dependencies,
  ec2Mock,
  eventsMock,
  iamMock,
  mutatingCommands,
  primeAccount,
  primeQuarantined,
  stsMock,
} from './aws-mocks';
import { config, ENI_ID, outsideAwsEvent, WEB_SG, insideAwsEvent } from './responder-fixtures';

function incidentOf(event: unknown): Incident {
  const result = normaliseEvent(structuredClone(event), { trustedPublisherAccounts: [] });
  if (!result.ok) throw new Error(result.reason);
  return result.incident;
}

const ALL_ACTIONS = { HIGH: ['revoke-sessions', 'pin-to-network', 'quarantine-instance'] };

function publishedDetails(): Array<{ detailType: string; detail: unknown }> {
  return eventsMock.commandCalls(PutEventsCommand).flatMap((call) =>
    (call.args[0].input.Entries ?? []).map((entry) => ({
      detailType: entry.DetailType ?? '',
      detail: JSON.parse(entry.Detail ?? '{}') as unknown,
    })),
  );
}

describe('respondToIncident', () => {
  beforeEach(() => primeAccount());

  it('dry-run reads, records and announces the plan but makes no mutating call', async () => {
    // Prepare
    const deps = dependencies(config({ actions: ALL_ACTIONS }));
    // Act
    const outcome = await respondToIncident(incidentOf(outsideAwsEvent), deps);
    // Assess
    expect(outcome.status).toBe('planned');
    expect(outcome.steps.map((step) => step.status)).toEqual(['planned', 'planned', 'planned']);
    expect(mutatingCommands(iamMock)).toEqual([]);
    expect(mutatingCommands(ec2Mock)).toEqual([]);
    expect(stsMock.commandCalls(AssumeRoleCommand)[0]?.args[0].input.RoleArn).toBe(
      'arn:aws:iam::123456789012:role/CredtrailMemberResponse',
    );
    const published = publishedDetails();
    expect(published.map((event) => event.detailType)).toEqual(['Response Plan']);
    expect(ResponsePlanDetailSchema.parse(published[0]?.detail).steps).toHaveLength(3);
    expect(await deps.audit.listSteps(outcome.incidentId, 'dry-run', 'respond')).toHaveLength(3);
  });

  it('enforce makes exactly the planned calls, in order, and reports each step', async () => {
    const deps = dependencies(config({ mode: 'enforce', actions: ALL_ACTIONS }));
    const outcome = await respondToIncident(incidentOf(outsideAwsEvent), deps);
    const planned =
      outcome.plan?.steps.flatMap((step) => step.calls.map((call) => call.api.split(':')[1])) ?? [];
    expect(outcome.status).toBe('completed');
    expect([...mutatingCommands(iamMock), ...mutatingCommands(ec2Mock)].sort()).toEqual([...planned].sort());
    expect(mutatingCommands(ec2Mock)).toEqual(
      outcome.plan?.steps[2]?.calls.map((call) => call.api.replace('ec2:', '')),
    );
    expect(iamMock.commandCalls(PutRolePolicyCommand).map((call) => call.args[0].input)).toEqual(
      outcome.plan?.steps.slice(0, 2).flatMap((step) => step.calls.map((call) => call.input)),
    );
    // The isolation group created by the plan is the one the interface ends in.
    const moves = ec2Mock
      .commandCalls(ModifyNetworkInterfaceAttributeCommand)
      .map((call) => call.args[0].input.Groups);
    expect(moves.at(-1)).toEqual(['sg-0isolation00000001']);
    const results = publishedDetails().filter((event) => event.detailType === 'Response Step Result');
    expect(results.map((event) => ResponseStepResultDetailSchema.parse(event.detail).status)).toEqual([
      'applied',
      'applied',
      'applied',
    ]);
  });

  it('a replayed finding does nothing twice', async () => {
    const deps = dependencies(config({ mode: 'enforce' }));
    await respondToIncident(incidentOf(outsideAwsEvent), deps);
    const callsAfterFirst = iamMock.calls().length + ec2Mock.calls().length;
    const replay = await respondToIncident(incidentOf(outsideAwsEvent), deps);
    expect(replay.status).toBe('duplicate');
    expect(iamMock.calls().length + ec2Mock.calls().length).toBe(callsAfterFirst);
  });

  it('refuses a protected role: no mutating call', async () => {
    const deps = dependencies(config({ mode: 'enforce', protected: { roleNamePatterns: ['WebApp*'] } }));
    const outcome = await respondToIncident(incidentOf(outsideAwsEvent), deps);
    expect(outcome.status).toBe('alert-only');
    expect(outcome.steps.every((step) => step.status === 'skipped')).toBe(true);
    expect(mutatingCommands(iamMock)).toEqual([]);
  });

  it('trips the rate limit and then only alerts', async () => {
    const rateLimiter = new MemoryRateLimiter();
    const deps = dependencies(config({ mode: 'enforce', rateLimit: { maxIncidentsPerHour: 1 } }), {
      rateLimiter,
    });
    const first = await respondToIncident(incidentOf(outsideAwsEvent), deps);
    iamMock.resetHistory();
    const second = await respondToIncident(incidentOf(insideAwsEvent), deps);
    expect(first.status).toBe('completed');
    expect(second.status).toBe('alert-only');
    expect(second.plan?.reasons.join()).toMatch(/rate limit/);
    expect(mutatingCommands(iamMock)).toEqual([]);
  });

  it('a refused step stops the plan, is reported, and the response is failed(final) at once', async () => {
    iamMock
      .on(PutRolePolicyCommand)
      .rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDenied' }));
    const deps = dependencies(config({ mode: 'enforce', actions: ALL_ACTIONS }));
    const failure = await respondToIncident(incidentOf(outsideAwsEvent), deps).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ResponseFailedError);
    const outcome = (failure as ResponseFailedError).outcome as ResponseOutcome;
    expect(outcome.status).toBe('failed');
    expect(outcome.steps.map((step) => step.status)).toEqual(['failed', 'skipped', 'skipped']);
    expect(outcome.steps[0]?.error).toMatch(/iam:PutRolePolicy: AccessDenied/);
    expect(mutatingCommands(ec2Mock)).toEqual([]);
    const results = publishedDetails().filter((event) => event.detailType === 'Response Step Result');
    expect(results).toHaveLength(3);
    const failed = publishedDetails().filter((event) => event.detailType === 'Response Failed');
    expect(failed.map((event) => ResponseFailedDetailSchema.parse(event.detail).stage)).toEqual([
      'executing a step',
    ]);
    expect((await deps.audit.getIncident(outcome.incidentId, 'enforce'))?.status).toBe('failed');
  });

  it('never acts when the state cannot be read, and leaves nothing that blocks the retry', async () => {
    stsMock.on(AssumeRoleCommand).rejects(new Error('not authorized to assume'));
    const deps = dependencies(config({ mode: 'enforce' }));
    const incident = incidentOf(outsideAwsEvent);
    await expect(respondToIncident(incident, deps)).rejects.toBeInstanceOf(RetryableResponseError);
    expect(publishedDetails()).toHaveLength(0);
    expect(await deps.audit.getIncident(incident.incidentId, 'enforce')).toBeNull();
    primeAccount();
    const retry = await respondToIncident(incident, deps);
    expect(retry.status).toBe('completed');
    expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(2);
  });
});

describe('undoIncident', () => {
  beforeEach(() => primeAccount());

  it('restores what was recorded: policies, groups, termination protection, instance profile', async () => {
    // Prepare
    const deps = dependencies(
      config({ mode: 'enforce', actions: ALL_ACTIONS, quarantine: { removeInstanceProfile: true } }),
    );
    const response = await respondToIncident(incidentOf(outsideAwsEvent), deps);
    primeQuarantined();
    iamMock.resetHistory();
    ec2Mock.resetHistory();
    // Act
    const undo = await undoIncident(response.incidentId, deps);
    // Assess
    expect(undo.status).toBe('undone');
    expect(
      iamMock
        .commandCalls(DeleteRolePolicyCommand)
        .map((call) => call.args[0].input.PolicyName)
        .sort(),
    ).toEqual(['CredtrailPinToNetwork', 'RevokeOldSessions']);
    expect(
      ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand).map((call) => call.args[0].input),
    ).toEqual([{ NetworkInterfaceId: ENI_ID, Groups: [WEB_SG] }]);
    // Its earlier value was not read (no DescribeInstanceAttribute): termination protection stays on.
    expect(ec2Mock.commandCalls(ModifyInstanceAttributeCommand)).toHaveLength(0);
    expect(
      ec2Mock.commandCalls(AssociateIamInstanceProfileCommand)[0]?.args[0].input.IamInstanceProfile?.Arn,
    ).toMatch(/WebAppRole/);
    expect(ec2Mock.commandCalls(DeleteTagsCommand)).toHaveLength(1);
    expect(await undoIncident(response.incidentId, deps)).toEqual(
      expect.objectContaining({ status: 'undone', steps: [] }),
    );
  });

  it('restores a previous policy document instead of deleting it', async () => {
    const deps = dependencies(config({ mode: 'enforce', actions: { HIGH: ['revoke-sessions'] } }));
    const earlier = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Deny',
          Action: '*',
          Resource: '*',
          Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-01-01T00:00:00Z' } },
        },
      ],
    });
    iamMock.on(ListRolePoliciesCommand).resolves({ PolicyNames: ['RevokeOldSessions'] });
    iamMock.on(GetRolePolicyCommand).resolves({
      RoleName: 'WebAppRole',
      PolicyName: 'RevokeOldSessions',
      PolicyDocument: encodeURIComponent(earlier),
    });
    const response = await respondToIncident(incidentOf(outsideAwsEvent), deps);
    iamMock.resetHistory();
    await undoIncident(response.incidentId, deps);
    expect(iamMock.commandCalls(PutRolePolicyCommand)[0]?.args[0].input.PolicyDocument).toBe(earlier);
  });

  it('refuses an unknown incident', async () => {
    const deps = dependencies(config());
    await expect(undoIncident('inc-unknown', deps)).rejects.toBeInstanceOf(UnknownIncidentError);
  });
});
