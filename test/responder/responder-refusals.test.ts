import { GetInstanceProfileCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { FindingType } from '../../lib/contracts/finding-event';
import { ResponsePlanDetailSchema } from '../../lib/contracts/response-event';
import { processResponderEvent } from '../../lib/responder/responder-lambda';
import {
  dependencies,
  ec2Mock,
  eventsMock,
  iamMock,
  mutatingCommands,
  primeAccount,
  stsMock,
} from './aws-mocks';
import { config, credtrailEvent, NOW, outsideAwsEvent, PROFILE_ARN } from './responder-fixtures';

function publishedPlans() {
  return eventsMock
    .commandCalls(PutEventsCommand)
    .flatMap((call) => call.args[0].input.Entries ?? [])
    .filter((entry) => entry.DetailType === 'Response Plan')
    .map((entry) => ResponsePlanDetailSchema.parse(JSON.parse(entry.Detail ?? '{}')));
}

const enforceAll = config({
  mode: 'enforce',
  actions: { HIGH: ['revoke-sessions', 'pin-to-network', 'quarantine-instance'] },
});

describe('the responder refuses what it cannot prove', () => {
  beforeEach(() => primeAccount());

  it('a session merely named i-… never gets a plan: nothing is read or changed, the refusal is emailed', async () => {
    // Prepare: what the detector emits for a session named like an instance without EC2 delivery.
    const event = structuredClone(credtrailEvent);
    event.detail.type = FindingType.SessionNamedLikeInstance;
    event.detail.imdsVersion = null;
    event.detail.keyIssuedAt = null;
    // Act
    const result = await processResponderEvent(event, dependencies(enforceAll));
    // Assess
    expect(result.status).toBe('alert-only');
    expect(stsMock.commandCalls(AssumeRoleCommand)).toHaveLength(0);
    expect(iamMock.calls()).toHaveLength(0);
    expect(ec2Mock.calls()).toHaveLength(0);
    const [plan] = publishedPlans();
    expect(plan?.decision).toBe('alert-only');
    expect(plan?.steps).toEqual([]);
    expect(plan?.reasons).toEqual([
      expect.stringMatching(/^refused: .*SuspiciousSession\.NamedLikeInstance/),
    ]);
  });

  it('a role/instance mismatch is refused and emailed, with no mutating call', async () => {
    // The instance exists, but its profile holds another role than the finding's.
    iamMock.on(GetInstanceProfileCommand).resolves({
      InstanceProfile: {
        InstanceProfileName: 'BatchRole',
        InstanceProfileId: 'AIPAEXAMPLEPROFILE123',
        Arn: PROFILE_ARN,
        Path: '/',
        CreateDate: NOW,
        Roles: [
          {
            RoleName: 'BatchRole',
            RoleId: 'AROAEXAMPLEBATCH12345',
            Arn: 'arn:aws:iam::123456789012:role/BatchRole',
            Path: '/',
            CreateDate: NOW,
          },
        ],
      },
    });
    const result = await processResponderEvent(structuredClone(outsideAwsEvent), dependencies(enforceAll));
    expect(result.status).toBe('alert-only');
    expect(result.reason).toMatch(/holds arn:aws:iam::123456789012:role\/BatchRole, not .*WebAppRole/);
    expect(mutatingCommands(iamMock)).toEqual([]);
    expect(mutatingCommands(ec2Mock)).toEqual([]);
    expect(publishedPlans()[0]?.reasons).toEqual([expect.stringMatching(/^refused: /)]);
  });

  it('the same finding with the role in the instance profile is acted on', async () => {
    const result = await processResponderEvent(structuredClone(outsideAwsEvent), dependencies(enforceAll));
    expect(result.status).toBe('completed');
    expect(iamMock.commandCalls(GetInstanceProfileCommand)[0]?.args[0].input).toEqual({
      InstanceProfileName: 'WebAppRole',
    });
    // The fleet's NAT address comes from its network interfaces (DescribeNetworkInterfaces).
    const pin = iamMock
      .commandCalls(PutRolePolicyCommand)
      .find((call) => call.args[0].input.PolicyName === 'CredtrailPinToNetwork');
    expect(pin?.args[0].input.PolicyDocument).toContain('203.0.113.10/32');
  });
});
