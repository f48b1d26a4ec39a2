import {
  DescribeSecurityGroupsCommand,
  ModifyNetworkInterfaceAttributeCommand,
  DescribeInstancesCommand,
} from '@aws-sdk/client-ec2';
import { normaliseEvent } from '../../lib/responder/incident-normaliser';
import type { Incident } from '../../lib/responder/incident-schema';
import { respondToIncident } from '../../lib/responder/responder-service';
import { dependencies, ec2Mock, primeAccount } from './aws-mocks';
import { config, ENI_ID, INSTANCE_ID, outsideAwsEvent, VPC_ID, WEB_SG } from './responder-fixtures';

const SECOND_ENI = 'eni-0fedcba9876543210';
const DB_SG = 'sg-0fedcba9876543210';
const ISOLATION = 'sg-0isolation0000001';
const TRANSITION = 'sg-0transition000001';

function incidentOf(event: unknown): Incident {
  const result = normaliseEvent(structuredClone(event), { trustedPublisherAccounts: [] });
  if (!result.ok) throw new Error(result.reason);
  return result.incident;
}

/** The instance with two interfaces; both credtrail groups already exist in its VPC. */
function primeTwoInterfaces(): void {
  primeAccount();
  ec2Mock.on(DescribeInstancesCommand).resolves({
    Reservations: [
      {
        Instances: [
          {
            InstanceId: INSTANCE_ID,
            State: { Name: 'running' },
            VpcId: VPC_ID,
            NetworkInterfaces: [
              { NetworkInterfaceId: ENI_ID, VpcId: VPC_ID, Groups: [{ GroupId: WEB_SG }] },
              { NetworkInterfaceId: SECOND_ENI, VpcId: VPC_ID, Groups: [{ GroupId: DB_SG }] },
            ],
          },
        ],
      },
    ],
  });
  ec2Mock
    .on(DescribeSecurityGroupsCommand, {
      Filters: [
        { Name: 'vpc-id', Values: [VPC_ID] },
        { Name: 'group-name', Values: ['credtrail-isolation'] },
      ],
    })
    .resolves({ SecurityGroups: [{ GroupId: ISOLATION, IpPermissions: [], IpPermissionsEgress: [] }] })
    .on(DescribeSecurityGroupsCommand, {
      Filters: [
        { Name: 'vpc-id', Values: [VPC_ID] },
        { Name: 'group-name', Values: ['credtrail-isolation-transition'] },
      ],
    })
    .resolves({ SecurityGroups: [{ GroupId: TRANSITION }] });
}

/** Where each interface ended, replaying the successful moves in order. */
function finalGroups(failing: ReadonlySet<number>): Map<string, string[]> {
  const where = new Map<string, string[]>([
    [ENI_ID, [WEB_SG]],
    [SECOND_ENI, [DB_SG]],
  ]);
  ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand).forEach((call, index) => {
    const { NetworkInterfaceId, Groups } = call.args[0].input;
    if (!failing.has(index) && NetworkInterfaceId !== undefined) where.set(NetworkInterfaceId, Groups ?? []);
  });
  return where;
}

const quarantineOnly = config({ mode: 'enforce', actions: { HIGH: ['quarantine-instance'] } });

/**
 * One attempt that ends in a failed step: the responder throws (to be retried, or as final), and the
 * step's record in the audit trail says what happened.
 */
async function failedAttempt() {
  const deps = dependencies(quarantineOnly);
  const incident = incidentOf(outsideAwsEvent);
  await expect(respondToIncident(incident, deps)).rejects.toThrow(/executing a step/);
  const steps = await deps.audit.listSteps(incident.incidentId, 'enforce', 'respond');
  return { steps: steps.filter((step) => step.status === 'failed') };
}

describe('quarantine fails closed', () => {
  beforeEach(() => primeTwoInterfaces());

  it('a failing second move leaves no interface in the all-open transition group', async () => {
    // Prepare: the second move (first interface → isolation) fails once.
    ec2Mock
      .on(ModifyNetworkInterfaceAttributeCommand)
      .resolvesOnce({})
      .rejectsOnce(Object.assign(new Error('Request limit exceeded'), { name: 'RequestLimitExceeded' }))
      .resolves({});
    // Act
    const outcome = await failedAttempt();
    // Assess
    const ends = finalGroups(new Set([1]));
    expect([...ends.values()].flat()).not.toContain(TRANSITION);
    expect(ends.get(ENI_ID)).toEqual([ISOLATION]);
    expect(ends.get(SECOND_ENI)).toEqual([DB_SG]);
    expect(outcome.steps[0]?.error).toMatch(
      /RequestLimitExceeded.*fail-closed: eni-0123456789abcdef0 → isolation:sg-0isolation0000001/,
    );
    expect(outcome.steps[0]?.outputs).toEqual(
      expect.objectContaining({ [`failClosed:${ENI_ID}`]: `isolation:${ISOLATION}` }),
    );
  });

  it('goes back to the recorded groups when isolation keeps failing', async () => {
    ec2Mock
      .on(ModifyNetworkInterfaceAttributeCommand)
      .resolves({})
      .on(ModifyNetworkInterfaceAttributeCommand, { Groups: [ISOLATION] })
      .rejects(Object.assign(new Error('denied'), { name: 'UnauthorizedOperation' }));
    const outcome = await failedAttempt();
    const calls = ec2Mock
      .commandCalls(ModifyNetworkInterfaceAttributeCommand)
      .map((call) => call.args[0].input);
    const ends = finalGroups(
      new Set(calls.flatMap((input, index) => (input.Groups?.[0] === ISOLATION ? [index] : []))),
    );
    expect(ends.get(ENI_ID)).toEqual([WEB_SG]);
    expect(ends.get(SECOND_ENI)).toEqual([DB_SG]);
    expect(outcome.steps[0]?.outputs).toEqual(
      expect.objectContaining({ [`failClosed:${ENI_ID}`]: `recorded:${WEB_SG}` }),
    );
  });

  it('a failing move to the transition group still ends in isolation', async () => {
    ec2Mock
      .on(ModifyNetworkInterfaceAttributeCommand)
      .resolves({})
      .on(ModifyNetworkInterfaceAttributeCommand, { NetworkInterfaceId: SECOND_ENI, Groups: [TRANSITION] })
      .rejects(Object.assign(new Error('timeout'), { name: 'TimeoutError' }));
    await failedAttempt();
    const calls = ec2Mock
      .commandCalls(ModifyNetworkInterfaceAttributeCommand)
      .map((call) => call.args[0].input);
    const failedIndex = calls.findIndex(
      (input) => input.NetworkInterfaceId === SECOND_ENI && input.Groups?.[0] === TRANSITION,
    );
    const ends = finalGroups(new Set([failedIndex]));
    expect(ends.get(ENI_ID)).toEqual([ISOLATION]);
    expect(ends.get(SECOND_ENI)).toEqual([ISOLATION]);
  });
});
