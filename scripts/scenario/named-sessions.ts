import { Api, USER_AGENTS, apiCallRecord, isoSeconds, type ApiCall } from './cloudtrail-records';
import type { LandingZone } from './landing-zone';
import type { ScenarioEvent } from './scenario-events';
import { RandomSource } from './random-source';

const MINUTE = 60_000;
const CI_ADDRESS = '140.82.112.21';

/** A session merely named `i-…` used from elsewhere: one LOW SessionNamedLikeInstance finding, never a theft. */
export interface ExpectedNamedSession {
  readonly accountId: string;
  readonly instanceId: string;
  readonly roleName: string;
  readonly accessKeyId: string;
  readonly sourceIp: string;
  readonly firstSeen: string;
  readonly eventCount: number;
}

/**
 * Role sessions named after an instance without being its credentials (no `ec2RoleDelivery`, no EC2
 * delivery): a release script on the instance assumes a deploy role with `--role-session-name
 * <instance id>` and calls from the instance's egress (nothing to report), and a CI job names its
 * session after the same instance and calls from the CI's address (a LOW finding, not a theft).
 */
export function namedSessionEvents(
  seed: number,
  zone: LandingZone,
  start: number,
  end: number,
): { events: ScenarioEvent[]; expected: ExpectedNamedSession[] } {
  const instance = zone.natInstanceApps[1] ?? zone.natInstanceApps[0];
  if (instance === undefined) return { events: [], expected: [] };
  const random = new RandomSource(seed, 'named-session');
  const { accountId, region, instanceId } = instance;
  const roleName = `${zone.workload.name}-release-DeployRole-${random.chars(12, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}`;
  const role = { roleId: random.iamId('AROA'), arn: `arn:aws:iam::${accountId}:role/${roleName}` };
  const identity = (accessKeyId: string, issuedAt: number) => ({
    type: 'AssumedRole',
    principalId: `${role.roleId}:${instanceId}`,
    arn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${instanceId}`,
    accountId,
    accessKeyId,
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: role.roleId, arn: role.arn, accountId, userName: roleName },
      attributes: { creationDate: isoSeconds(issuedAt), mfaAuthenticated: 'false' },
    },
  });
  const events: ScenarioEvent[] = [];
  const session = (
    issuedAt: number,
    sourceIp: string,
    userAgent: string,
    calls: readonly (readonly [number, ApiCall])[],
  ): string => {
    const accessKeyId = random.iamId('ASIA');
    for (const [time, api] of calls) {
      const index = events.length;
      events.push({
        time,
        // A stream of its own: never the eventID of a theft's call in the same millisecond.
        build: () => ({
          accountId,
          region,
          record: apiCallRecord(new RandomSource(seed, 'named-session', index), api, {
            time,
            region,
            recipientAccountId: accountId,
            userIdentity: identity(accessKeyId, issuedAt),
            sourceIp,
            userAgent,
          }),
        }),
      });
    }
    return accessKeyId;
  };

  // The release script: every half hour, from the instance's egress (its NAT instance).
  const releaseStart = start + 20 * MINUTE;
  const releaseCalls: [number, ApiCall][] = [];
  for (let time = releaseStart; time < end - 5 * MINUTE; time += 30 * MINUTE) {
    releaseCalls.push([time, Api.describeInstances()], [time + 4_000, Api.getParameter('/release/current')]);
  }
  session(releaseStart - 2_000, zone.natInstance.publicIp, USER_AGENTS.awsCli, releaseCalls);

  // The CI job: three calls in a row, from its own address, about an hour and a quarter in.
  const ciStart = Math.min(start + 75 * MINUTE, end - 20 * MINUTE);
  const ciCalls: [number, ApiCall][] = [
    [ciStart, Api.getCallerIdentity()],
    [ciStart + 3_000, Api.describeInstances()],
    [ciStart + 9_000, Api.getParameter('/release/current')],
  ];
  const ciKey = session(ciStart - 1_000, CI_ADDRESS, USER_AGENTS.awsCli, ciCalls);
  return {
    events,
    expected: [
      {
        accountId,
        instanceId,
        roleName,
        accessKeyId: ciKey,
        sourceIp: CI_ADDRESS,
        firstSeen: isoSeconds(ciStart),
        eventCount: ciCalls.length,
      },
    ],
  };
}
