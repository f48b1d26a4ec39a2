import type { FindingDetail } from '../../lib/contracts/finding-event';
import { ExceptionList } from '../../lib/engine/credential-exception';
import { proposeExceptions, type GroupVerdict } from '../../lib/tune/exception-proposals';
import { groupFindings } from '../../lib/tune/finding-groups';
import { exceptionSubjectOf } from '../../lib/tune/finding-origin';
import { DEFAULT_THRESHOLDS } from '../../lib/tune/tune-thresholds';
import { finding, NETWORK, NOW, podFindings, PROD, STAGING } from './tune-fixtures';

function tune(findings: FindingDetail[]): GroupVerdict[] {
  return proposeExceptions(groupFindings(findings).groups, findings, DEFAULT_THRESHOLDS, NOW);
}

const proposed = (verdicts: GroupVerdict[]) =>
  verdicts.flatMap((verdict) => (verdict.decision.status === 'proposed' ? [verdict.decision] : []));

/** Whether any proposed exception would suppress the finding, by the detector's own matching. */
function suppressed(verdicts: GroupVerdict[], target: FindingDetail): boolean {
  const list = new ExceptionList(proposed(verdicts).map((decision) => decision.exception));
  return list.match(exceptionSubjectOf(target), NOW.getTime()) !== undefined;
}

describe('proposeExceptions', () => {
  it('proposes one exception for EKS pods, scoped to account, role, VPC and the pod range, with its evidence', () => {
    // Prepare
    const pods = podFindings({ nodes: 2, hours: 24 });

    // Act
    const verdicts = tune(pods);

    // Assess
    expect(proposed(verdicts)).toHaveLength(1);
    const [proposal] = proposed(verdicts);
    expect(proposal?.exception).toEqual({
      cidr: '100.64.0.0/23',
      accountId: PROD,
      roleName: 'eks-node',
      vpcId: 'vpc-0eks',
      reason: expect.stringContaining('eks-node') as unknown,
      expiresAt: '2027-02-26T00:00:00Z',
    });
    expect(proposal?.evidence).toBe(
      '144 findings of eks-node from 2 instance(s) and 48 keys over 1 day(s), first 2026-11-20T00:11Z, ' +
        'last 2026-11-20T23:14Z, in 24 distinct hours, 6 address(es) in 100.64.0.0/23 through 2 endpoint(s).',
    );
    expect(pods.every((pod) => suppressed(verdicts, pod))).toBe(true);
  });

  it('never proposes a one-off burst from one key, even a long one with many calls', () => {
    // Prepare
    const burst = [
      finding({ accessKeyId: 'ASIATHIEF', sourceIp: '100.64.9.1', at: 3, minutes: 50 }),
      finding({ accessKeyId: 'ASIATHIEF', sourceIp: '100.64.9.2', at: 5, minutes: 50 }),
    ];

    // Act
    const verdicts = tune(burst);

    // Assess
    expect(verdicts.map((verdict) => verdict.decision)).toEqual([
      {
        status: 'not-proposed',
        reason: 'one key only: a burst from one key is what a theft looks like',
        keptOut: [],
      },
    ]);
  });

  it('never proposes a public address used by one instance, however many of its keys', () => {
    // Prepare
    const thief = [0, 1, 2, 3, 4, 5].map((hour) =>
      finding({
        accessKeyId: `ASIAKEY${hour}`,
        sourceIp: '185.220.101.47',
        vpcEndpointId: null,
        vpcEndpointAccountId: null,
        severity: 'HIGH',
        at: hour,
      }),
    );

    // Act
    const verdicts = tune(thief);

    // Assess
    expect(verdicts[0]?.decision).toMatchObject({
      status: 'not-proposed',
      reason: expect.stringMatching(/^1 instance\(s\) from a public address, fewer than 2/) as unknown,
    });
  });

  it('scopes a public address shared by a fleet (a proxy) to that one address, its role and account', () => {
    // Prepare
    const proxy = [0, 1, 2].flatMap((instance) =>
      [0, 6, 12].map((hour) =>
        finding({
          roleName: 'web',
          instanceId: `i-0web000000000000${instance}`,
          accessKeyId: `ASIAWEB${instance}H${hour}`,
          sourceIp: '34.120.5.7',
          vpcEndpointId: null,
          vpcEndpointAccountId: null,
          severity: 'HIGH',
          at: hour,
        }),
      ),
    );

    // Act
    const verdicts = tune(proxy);

    // Assess
    expect(proposed(verdicts).map((decision) => decision.exception)).toEqual([
      expect.objectContaining({
        cidr: '34.120.5.7/32',
        accountId: PROD,
        roleName: 'web',
        vpcId: 'vpc-0eks',
      }),
    ]);
  });

  it('never proposes an endpoint of an account outside the trusted set', () => {
    // Prepare
    const foreign = [0, 1, 2, 3].map((hour) =>
      finding({
        instanceId: `i-0eks0000000000000${hour % 2}`,
        accessKeyId: `ASIAF${hour}`,
        sourceIp: '10.0.1.5',
        vpcEndpointId: 'vpce-0attacker',
        vpcEndpointAccountId: '999999999999',
        severity: 'HIGH',
        at: hour,
      }),
    );

    // Act / Assess
    expect(tune(foreign)[0]?.decision.status).toBe('not-proposed');
  });

  it('keeps overlapping private ranges of two accounts apart: a thief in the other account stays detected', () => {
    // Prepare
    const pods = podFindings({ accountId: PROD, vpcId: 'vpc-0prod' });
    // Staging reuses 100.64.0.0/16; one key of its nodes is used from 100.64.0.11 through its VPC's endpoint.
    const stagingThief = finding({
      accountId: STAGING,
      vpcId: 'vpc-0staging',
      accessKeyId: 'ASIASTAGING',
      sourceIp: '100.64.0.11',
      at: 7,
    });

    // Act
    const verdicts = tune([...pods, stagingThief]);

    // Assess
    expect(proposed(verdicts)).toHaveLength(1);
    expect(proposed(verdicts)[0]?.exception).toMatchObject({ accountId: PROD, vpcId: 'vpc-0prod' });
    expect(suppressed(verdicts, stagingThief)).toBe(false);
    // The same account's other VPC with the same range is not covered either.
    const otherVpc = {
      ...stagingThief,
      accountId: PROD,
      expected: { ...stagingThief.expected, vpcId: 'vpc-0other' },
    };
    expect(suppressed(verdicts, otherVpc)).toBe(false);
  });

  it('two accounts whose pods share a private range get one exception each, neither covering the other', () => {
    // Prepare: both run pods in 100.64.0.0/23 (prod) and 100.64.1.0/24 (staging overlaps it).
    const prod = podFindings({ accountId: PROD, vpcId: 'vpc-0prod' });
    const staging = podFindings({ accountId: STAGING, vpcId: 'vpc-0staging', third: 1, nodes: 1 });
    // A staging key used from 100.64.0.11: an address only prod's pods use.
    const stagingThief = finding({
      accountId: STAGING,
      vpcId: 'vpc-0staging',
      accessKeyId: 'ASIASTAGINGCOPY',
      sourceIp: '100.64.0.11',
      at: 7.5,
    });

    // Act
    const verdicts = tune([...prod, ...staging, stagingThief]);

    // Assess
    expect(
      proposed(verdicts)
        .map(({ exception }) => `${exception.accountId} ${exception.vpcId} ${exception.cidr}`)
        .sort(),
    ).toEqual([`${PROD} vpc-0prod 100.64.0.0/23`, `${STAGING} vpc-0staging 100.64.1.0/24`]);
    expect([...prod, ...staging].every((pod) => suppressed(verdicts, pod))).toBe(true);
    expect(suppressed(verdicts, stagingThief)).toBe(false);
  });

  it('an endpoint shared by many roles gets one exception per role that uses it steadily, never one for the endpoint', () => {
    // Prepare
    const central = (roleName: string, instances: number, hours: number) =>
      Array.from({ length: instances }, (_, instance) =>
        Array.from({ length: hours }, (_, hour) =>
          finding({
            roleName,
            instanceId: `i-0${roleName}${instance}`,
            accessKeyId: `ASIA${roleName}I${instance}H${hour}`,
            sourceIp: `10.1.${instance}.20`,
            vpcEndpointId: 'vpce-0central',
            vpcEndpointAccountId: NETWORK,
            ownEndpoints: [],
            at: hour,
          }),
        ),
      ).flat();
    const once = finding({
      roleName: 'payments',
      accessKeyId: 'ASIAPAYMENTS',
      sourceIp: '10.1.0.20',
      vpcEndpointId: 'vpce-0central',
      vpcEndpointAccountId: NETWORK,
      ownEndpoints: [],
      at: 9,
    });
    const findings = [...central('web', 3, 8), ...central('api', 2, 8), ...central('batch', 2, 6), once];

    // Act
    const verdicts = tune(findings);

    // Assess
    expect(
      proposed(verdicts)
        .map(
          (decision) =>
            `${decision.exception.roleName} ${decision.exception.vpcEndpointId} ${decision.exception.accountId}`,
        )
        .sort(),
    ).toEqual([`api vpce-0central ${PROD}`, `batch vpce-0central ${PROD}`, `web vpce-0central ${PROD}`]);
    expect(suppressed(verdicts, once)).toBe(false);
    expect(verdicts.find((verdict) => verdict.group.roleName === 'payments')?.decision.status).toBe(
      'not-proposed',
    );
  });

  it('keeps a thief hiding among many benign findings of one group out of the proposal', () => {
    // Prepare
    const pods = podFindings({ nodes: 2, hours: 24 });
    // The node's key, copied and used from another address in the pod range, through the same endpoint.
    const thief = finding({
      instanceId: 'i-0eks00000000000000',
      accessKeyId: 'ASIAPOD111111111111N0H5-copy',
      sourceIp: '100.64.7.200',
      at: 5.5,
    });

    // Act
    const verdicts = tune([...pods, thief]);

    // Assess
    const [proposal] = proposed(verdicts);
    expect(proposal?.exception.cidr).toBe('100.64.0.0/23');
    expect(proposal?.keptOut).toEqual([
      expect.objectContaining({ accessKeyId: 'ASIAPOD111111111111N0H5-copy', sourceIp: '100.64.7.200' }),
    ]);
    expect(suppressed(verdicts, thief)).toBe(false);
    expect(pods.every((pod) => suppressed(verdicts, pod))).toBe(true);
  });

  it('withholds the proposal when the thief sits inside the range the pods need', () => {
    // Prepare
    const pods = podFindings({ nodes: 2, hours: 24 });
    const thief = finding({ accessKeyId: 'ASIACOPIED', sourceIp: '100.64.1.99', at: 5.5 });

    // Act
    const verdicts = tune([...pods, thief]);

    // Assess
    expect(proposed(verdicts)).toEqual([]);
    const decision = verdicts[0]?.decision;
    expect(decision?.status).toBe('withheld');
    expect(decision?.status === 'withheld' ? decision.reason : '').toMatch(
      /would also hide 1 finding\(s\) outside its evidence \(ASIACOPIED from 100\.64\.1\.99\)/,
    );
  });

  it('does not propose a group seen in one hour only', () => {
    // Prepare
    const hour = [0, 1, 2].map((key) =>
      finding({ accessKeyId: `ASIAK${key}`, sourceIp: '100.64.0.5', at: 3 + key / 10 }),
    );

    // Act / Assess
    expect(tune(hour)[0]?.decision).toMatchObject({
      status: 'not-proposed',
      reason: expect.stringMatching(/seen in 1 hour\(s\)/) as unknown,
    });
  });
});
