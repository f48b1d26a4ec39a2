import { ExceptionList } from '../../lib/engine/credential-exception';
import { Detector } from '../../lib/engine/detector';
import { MemoryStore } from '../../lib/state/memory-store';
import { ACCOUNT, ROLE, use } from '../support/cloudtrail-records';
import {
  I1,
  I2,
  I3,
  NAT_A,
  NAT_B,
  THIEF,
  at,
  instanceHour,
  key,
  noInventory,
  origins,
  run,
} from './learned-network-harness';

// Issue 13: what may teach an account's shared egress, and an exception scoped to a VPC without inventory.
describe('learned network: shared egress is taught only by first calls', () => {
  // Each instance's own NAT address in hour 0; in hour 1 it uses its fresh key first, the thief follows.
  const stolenAfterTheInstance = (instances: readonly string[], minute: (index: number) => number) =>
    instances.flatMap((instanceId, index) => [
      ...instanceHour(instanceId, 0, [
        [2, `52.1.2.${index + 1}`],
        [40, `52.1.2.${index + 1}`],
      ]),
      ...instanceHour(instanceId, 1, [
        [2, `52.1.2.${index + 1}`],
        [minute(index), THIEF],
      ]),
    ]);

  it('a thief using the fresh keys of three instances within minutes of delivery is found on all three', async () => {
    // Act: each use is within 15 minutes of its key's delivery, as the instances' own egress would be.
    const findings = await run(stolenAfterTheInstance([I1, I2, I3], (index) => 4 + index));

    // Assess: its calls never were a key's first, so the first two teach nothing about the third.
    expect(origins(findings)).toEqual(
      [I1, I2, I3].map((instanceId) => `${instanceId} ${key(instanceId, 1)} ${THIEF}`),
    );
  });

  it('an address that carried the first call of another instance’s key vouches, once two instances used it', async () => {
    // Prepare: I1 starts every key on NAT_A and uses NAT_B minutes later; I2 starts its second key on NAT_B.
    const events = [
      ...instanceHour(I1, 0, [
        [1, NAT_A],
        [3, NAT_B],
      ]),
      ...instanceHour(I2, 0, [[1, NAT_A]], 0),
      ...instanceHour(I2, 1, [[1, NAT_B]], 0),
      ...instanceHour(I1, 2, [
        [1, NAT_A],
        [3, NAT_B],
      ]),
    ];

    // Act
    const findings = await run(events);

    // Assess: hour 0's NAT_B (nothing known) and I2's first call from NAT_B are reported; by hour 2 NAT_B is
    // the account's egress: I2's key started on it and I1's keys used it right after their deliveries.
    expect(origins(findings)).toEqual([`${I1} ${key(I1, 0)} ${NAT_B}`, `${I2} ${key(I2, 1)} ${NAT_B}`]);
  });

  it('another VPC’s egress, taught by its own instances, does not vouch for an instance that never shared an address with them', async () => {
    // Prepare: I2 and I3 leave through an appliance at NAT_B (first calls included); I1 through NAT_A.
    const events = [
      ...instanceHour(I1, 0, [[1, NAT_A]]),
      ...[I2, I3].flatMap((instanceId) => instanceHour(instanceId, 0, [[1, NAT_B]], 0)),
      ...instanceHour(I1, 1, [
        [1, NAT_A],
        [20, NAT_B],
      ]),
    ];

    // Act
    const findings = await run(events);

    // Assess: NAT_B is the account's egress for I2 and I3 only (a host behind the appliance used I1's key).
    expect(origins(findings)).toEqual([`${I1} ${key(I1, 1)} ${NAT_B}`]);
  });
});

describe('learned network: an exception tied to a vpcId, without inventory', () => {
  const POD = '100.64.3.7';
  const OWN_ENDPOINT = 'vpce-0aaaaaaaaaaaaaaa1';
  const eksDetector = (roleName: string) =>
    new Detector({
      store: new MemoryStore(),
      networks: noInventory,
      exceptions: new ExceptionList([
        {
          cidr: '100.64.0.0/16',
          accountId: ACCOUNT,
          roleName,
          vpcId: 'vpc-0aaaaaaaaaaaaaaa1',
          reason: 'EKS pods (custom networking) use the node role through the node VPC endpoints',
        },
      ]),
      trustedAccounts: new Set([ACCOUNT]),
      clock: () => Date.parse('2026-11-27T00:00:00Z'),
    });
  // The node's own calls through its VPC's endpoint teach the endpoint; a pod calls through one later.
  const nodeThenPod = (podEndpoint: { vpcEndpointId: string; vpcEndpointAccountId?: string }) => [
    ...instanceHour(I1, 0, [
      [1, { sourceIp: '10.0.1.20', vpcEndpointId: OWN_ENDPOINT }],
      [40, { sourceIp: '10.0.1.20', vpcEndpointId: OWN_ENDPOINT }],
    ]),
    use({ accessKeyId: key(I1, 0), instanceId: I1, eventTime: at(0, 45), sourceIp: POD, ...podEndpoint }),
  ];

  it('holds for a pod calling through an endpoint the node’s own keys used (the trail names no VPC)', async () => {
    // Act
    const findings = await run(nodeThenPod({ vpcEndpointId: OWN_ENDPOINT }), eksDetector(ROLE));

    // Assess
    expect(findings).toEqual([]);
  });

  it.each([
    ['another role', 'eks-node-role', { vpcEndpointId: OWN_ENDPOINT }],
    ['an endpoint the node never used', ROLE, { vpcEndpointId: 'vpce-0bbbbbbbbbbbbbbb2' }],
    [
      'another account’s endpoint',
      ROLE,
      { vpcEndpointId: 'vpce-0ccccccccccccccc3', vpcEndpointAccountId: '333333333333' },
    ],
  ])('does not hold for the pod range with %s', async (_, roleName, podEndpoint) => {
    // Act
    const findings = await run(nodeThenPod(podEndpoint), eksDetector(roleName));

    // Assess
    expect(origins(findings)).toEqual([`${I1} ${key(I1, 0)} ${POD} ${podEndpoint.vpcEndpointId}`]);
  });
});
