import { FindingType } from '../../lib/contracts/finding-event';
import { normalizeRecord } from '../../lib/engine/cloudtrail-record';
import { ACCOUNT, use, useRecord } from '../support/cloudtrail-records';
import {
  I1,
  I2,
  I3,
  NAT_A,
  NAT_B,
  NAT_C,
  THIEF,
  at,
  instanceHour,
  key,
  origins,
  run,
} from './learned-network-harness';

// Issue 13: without any inventory, each instance's network is learnt from its own proven keys.

describe('learned network: an instance keeps its origins across key rotations', () => {
  it('rotation across hours: each new key from the instance’s own address raises nothing', async () => {
    // Prepare
    const events = [0, 1, 2, 5].flatMap((hour) =>
      instanceHour(I1, hour, [
        [2, NAT_A],
        [20, NAT_A],
        [50, NAT_A],
      ]),
    );

    // Act
    const findings = await run(events);

    // Assess
    expect(findings).toEqual([]);
  });

  it('attacker first on a fresh key: judged against the instance’s history, not trusted as its baseline', async () => {
    // Prepare: two hours of history from NAT_A, then the thief uses hour 2's key 20 s after delivery.
    const events = [
      ...instanceHour(I1, 0, [
        [2, NAT_A],
        [30, NAT_A],
      ]),
      ...instanceHour(I1, 1, [
        [2, NAT_A],
        [30, NAT_A],
      ]),
      ...instanceHour(I1, 2, [
        [3, NAT_A],
        [30, NAT_A],
      ]),
      use({ accessKeyId: key(I1, 2), instanceId: I1, eventTime: at(2, 0, 20), sourceIp: THIEF }),
    ];

    // Act
    const findings = await run(events);

    // Assess
    expect(origins(findings)).toEqual([`${I1} ${key(I1, 2)} ${THIEF}`]);
    expect(findings[0]).toMatchObject({
      type: FindingType.UnexpectedOrigin,
      severity: 'HIGH',
      expected: { source: 'learned', publicIps: [NAT_A] },
    });
    expect(findings[0]?.reason).toMatch(
      /first IPv4 origin is none of the instance's earlier ones \(52\.1\.1\.1\)/,
    );
  });

  it('the same thief first on the instance’s very first key is trusted (no history yet): the known limit', async () => {
    // Act
    const findings = await run([
      ...instanceHour(I1, 0, [[3, NAT_A]]),
      use({ accessKeyId: key(I1, 0), instanceId: I1, eventTime: at(0, 0, 20), sourceIp: THIEF }),
    ]);

    // Assess: first-seen makes the thief the baseline and blames the instance's own address.
    expect(origins(findings)).toEqual([`${I1} ${key(I1, 0)} ${NAT_A}`]);
  });

  it('IPv6 thief against an IPv4-only history: a change of kind is judged, not learnt', async () => {
    // Prepare
    const events = [
      ...instanceHour(I1, 0, [
        [2, NAT_A],
        [40, NAT_A],
      ]),
      ...instanceHour(I1, 1, [
        [2, NAT_A],
        [40, NAT_A],
      ]),
      ...instanceHour(I1, 2, [[2, NAT_A]]),
      use({ accessKeyId: key(I1, 2), instanceId: I1, eventTime: at(2, 30), sourceIp: '2a01:4f8:1c17::1' }),
    ];

    // Act
    const findings = await run(events);

    // Assess
    expect(origins(findings)).toEqual([`${I1} ${key(I1, 2)} 2a01:4f8:1c17::1`]);
    expect(findings[0]?.severity).toBe('HIGH');
  });

  it('a dual-stack instance that showed IPv6 in its first hour raises nothing later', async () => {
    // Prepare
    const v6 = '2600:1f18:768:5d02::15';
    const events = [0, 1, 2, 3].flatMap((hour) =>
      instanceHour(I1, hour, [
        [2, NAT_A],
        [10, v6],
        [40, v6],
      ]),
    );

    // Act
    const findings = await run(events);

    // Assess
    expect(findings).toEqual([]);
  });

  it('endpoint thief whose record names no endpoint owner, against an IPv4-only history', async () => {
    // Prepare
    const events = [
      ...instanceHour(I1, 0, [
        [2, NAT_A],
        [40, NAT_A],
      ]),
      ...instanceHour(I1, 1, [
        [2, NAT_A],
        [40, NAT_A],
      ]),
      ...instanceHour(I1, 2, [
        [2, NAT_A],
        [30, { sourceIp: '10.0.1.15', vpcEndpointId: 'vpce-0thief' }],
      ]),
    ];

    // Act
    const findings = await run(events);

    // Assess
    expect(origins(findings)).toEqual([`${I1} ${key(I1, 2)} 10.0.1.15 vpce-0thief`]);
    expect(findings[0]?.severity).toBe('HIGH');
  });

  it('the instance’s own account’s endpoint, first used late, is not a change of kind worth a finding', async () => {
    // Prepare
    const own = { sourceIp: '10.0.1.15', vpcEndpointId: 'vpce-0s3', vpcEndpointAccountId: ACCOUNT };
    const events = [
      ...instanceHour(I1, 0, [
        [2, NAT_A],
        [40, NAT_A],
      ]),
      ...instanceHour(I1, 1, [
        [2, NAT_A],
        [40, NAT_A],
      ]),
      ...instanceHour(I1, 2, [
        [2, NAT_A],
        [30, own],
      ]),
      ...instanceHour(I1, 3, [
        [2, own],
        [30, NAT_A],
      ]),
    ];

    // Act
    const findings = await run(events);

    // Assess
    expect(findings).toEqual([]);
  });

  it('a session merely named like the instance teaches its network nothing', async () => {
    // Prepare: an unproven session (no ec2RoleDelivery, no delivery) named i-… calls from THIEF first.
    const unproven = useRecord({
      accessKeyId: 'ASIAUNPROVEN00000001',
      instanceId: I1,
      sourceIp: THIEF,
      eventTime: at(0, 1),
    });
    const context = (unproven['userIdentity'] as { sessionContext: Record<string, unknown> }).sessionContext;
    delete context['ec2RoleDelivery'];
    const normalized = normalizeRecord(unproven);
    if (normalized.status !== 'event') throw new Error('fixture');
    const events = [
      normalized.event,
      ...instanceHour(I1, 0, [
        [2, NAT_A],
        [40, NAT_A],
      ]),
      ...instanceHour(I1, 1, [[2, NAT_A]]),
      use({ accessKeyId: key(I1, 1), instanceId: I1, eventTime: at(1, 0, 10), sourceIp: THIEF }),
    ];

    // Act
    const findings = await run(events);

    // Assess
    expect(origins(findings)).toEqual([`${I1} ${key(I1, 1)} ${THIEF}`]);
  });
});

describe('learned network: shared egress', () => {
  // Two instances behind one NAT gateway that sends from `addresses` in turn.
  const behindNat = (addresses: readonly string[], hours: number) =>
    Array.from({ length: hours }, (_, hour) => [
      ...instanceHour(
        I1,
        hour,
        addresses.map((ip, index) => [1 + 2 * index, ip] as const),
      ),
      ...instanceHour(
        I2,
        hour,
        [...addresses].reverse().map((ip, index) => [4 + 2 * index, ip] as const),
        2,
      ),
    ]).flat();

  it('a NAT gateway with two addresses: only the first hour, while nothing is known, raises anything', async () => {
    // Act
    const findings = await run(behindNat([NAT_A, NAT_B], 6));

    // Assess: at most one finding per instance for the address it did not start on, all in hour 0.
    expect(findings.length).toBeLessThanOrEqual(2);
    expect(findings.every((finding) => finding.accessKeyId.includes('K000'))).toBe(true);
  });

  it('a NAT gateway with three addresses: the one no key starts on is learnt from two fresh keys of each instance', async () => {
    // Act
    const findings = await run(behindNat([NAT_A, NAT_B, NAT_C], 6));

    // Assess: NAT_B never carries a first call (I1 starts on A, I2 on C), so it vouches only per instance,
    // from two of its own keys used within minutes of their delivery: hours 0 and 1, nothing after.
    expect(findings.length).toBeLessThanOrEqual(6);
    expect(findings.every((f) => f.accessKeyId.includes('K000') || f.accessKeyId.includes('K001'))).toBe(
      true,
    );
    expect(findings.filter((f) => f.accessKeyId.includes('K001')).map((f) => f.sourceIp)).toEqual([
      NAT_B,
      NAT_B,
    ]);
  });

  it('explains why an address vouches: how many instances used it right after their deliveries', async () => {
    // Prepare: both learn NAT_A and NAT_B in hour 0; a third instance then starts behind the same NAT.
    const events = [
      ...behindNat([NAT_A, NAT_B], 2),
      ...instanceHour(
        I3,
        1,
        [
          [30, NAT_A],
          [31, NAT_B],
        ],
        25,
      ),
    ];

    // Act
    const findings = await run(events);

    // Assess
    expect(findings.filter((finding) => finding.instanceId === I3)).toEqual([]);
  });

  it('a single instance behind a two-address NAT learns the second address from two of its own fresh keys', async () => {
    // Prepare
    const events = Array.from({ length: 5 }, (_, hour) =>
      instanceHour(I1, hour, [
        [1, NAT_A],
        [3, NAT_B],
        [40, NAT_B],
      ]),
    ).flat();

    // Act
    const findings = await run(events);

    // Assess: the first two keys are blamed for NAT_B; the later ones are not.
    expect(origins(findings)).toEqual([`${I1} ${key(I1, 0)} ${NAT_B}`, `${I1} ${key(I1, 1)} ${NAT_B}`]);
  });

  it('several keys stolen and used from one thief address are each found', async () => {
    // Prepare: three instances with their own NAT history; the thief uses each one's key half an hour in.
    const events = [I1, I2, I3].flatMap((instanceId, index) => [
      ...instanceHour(instanceId, 0, [
        [2, `52.1.2.${index + 1}`],
        [40, `52.1.2.${index + 1}`],
      ]),
      ...instanceHour(instanceId, 1, [[2, `52.1.2.${index + 1}`]]),
      use({ accessKeyId: key(instanceId, 1), instanceId, eventTime: at(1, 30 + index), sourceIp: THIEF }),
    ]);

    // Act
    const findings = await run(events);

    // Assess
    expect(origins(findings)).toEqual(
      [I1, I2, I3].map((instanceId) => `${instanceId} ${key(instanceId, 1)} ${THIEF}`),
    );
  });

  it('a thief quick enough to use two instances’ fresh keys within minutes is still found on both', async () => {
    // Prepare
    const events = [I1, I2].flatMap((instanceId, index) => [
      ...instanceHour(instanceId, 0, [
        [2, `52.1.2.${index + 1}`],
        [40, `52.1.2.${index + 1}`],
      ]),
      ...instanceHour(instanceId, 1, [
        [2, `52.1.2.${index + 1}`],
        [5, THIEF],
      ]),
    ]);

    // Act
    const findings = await run(events);

    // Assess
    expect(origins(findings)).toEqual(
      [I1, I2].map((instanceId) => `${instanceId} ${key(instanceId, 1)} ${THIEF}`),
    );
  });
});
