import { FindingType, type FindingDetail } from '../../lib/contracts/finding-event';
import { normalizeRecord } from '../../lib/engine/cloudtrail-record';
import type { CredentialEvent } from '../../lib/engine/credential-event';
import {
  ExceptionList,
  exceptionWarnings,
  type CredentialException,
} from '../../lib/engine/credential-exception';
import { Detector } from '../../lib/engine/detector';
import type { InventoryDocuments } from '../../lib/inventory/ec2-inventory-schema';
import { InventoryDirectory } from '../../lib/inventory/inventory-directory';
import { MemoryStore } from '../../lib/state/memory-store';
import { deliveryRecord, useRecord } from '../support/cloudtrail-records';
import {
  CENTRAL_NAT,
  combine,
  FIREWALL_IP,
  NAT_INSTANCE_IP,
  NETWORK,
  NETWORK_EXPORTS,
  OTHER,
  OTHER_EXPORTS,
  OTHER_NAT,
  SPOKE,
  SPOKE_EXPORTS,
  THIEF,
} from './fixtures/landing-zone';

const ALL = combine(SPOKE_EXPORTS, NETWORK_EXPORTS, OTHER_EXPORTS);

interface Call {
  instanceId: string;
  sourceIp: string;
  key?: string;
  accountId?: string;
  role?: string;
  vpcEndpointId?: string;
  vpcEndpointAccountId?: string;
  /** Leave out `sessionContext.ec2RoleDelivery`, as a session merely named `i-…` has none. */
  noDelivery?: boolean;
  eventTime?: string;
}

/** A real-shaped record (Stratus Red Team's) for one call, normalised as the CLI and Lambda do. */
function call(options: Call): CredentialEvent {
  const account = options.accountId ?? SPOKE;
  const record = useRecord({
    instanceId: options.instanceId,
    sourceIp: options.sourceIp,
    accessKeyId: options.key ?? `ASIA${options.instanceId.toUpperCase().replace(/[^A-Z0-9]/g, '')}`,
    accountId: account,
    ...(options.vpcEndpointId !== undefined ? { vpcEndpointId: options.vpcEndpointId } : {}),
    ...(options.vpcEndpointAccountId !== undefined
      ? { vpcEndpointAccountId: options.vpcEndpointAccountId }
      : {}),
    ...(options.eventTime !== undefined ? { eventTime: options.eventTime } : {}),
  }) as Record<string, unknown> & {
    userIdentity: Record<string, unknown> & {
      sessionContext: Record<string, unknown> & { sessionIssuer: Record<string, unknown> };
    };
  };
  const identity = record.userIdentity;
  if (options.role !== undefined) {
    identity['arn'] = `arn:aws:sts::${account}:assumed-role/${options.role}/${options.instanceId}`;
    identity.sessionContext.sessionIssuer['arn'] = `arn:aws:iam::${account}:role/${options.role}`;
    identity.sessionContext.sessionIssuer['userName'] = options.role;
  }
  if (options.noDelivery === true) delete identity.sessionContext['ec2RoleDelivery'];
  const result = normalizeRecord(record);
  if (result.status !== 'event') throw new Error(`fixture did not normalise: ${JSON.stringify(result)}`);
  return result.event;
}

function delivered(instanceId: string, key: string): CredentialEvent {
  const result = normalizeRecord(deliveryRecord({ accessKeyId: key, instanceId, accountId: SPOKE }));
  if (result.status !== 'event') throw new Error('delivery fixture did not normalise');
  return result.event;
}

async function detect(
  events: readonly CredentialEvent[],
  options: { documents?: InventoryDocuments; exceptions?: CredentialException[] } = {},
): Promise<FindingDetail[]> {
  const inventory = InventoryDirectory.fromDocuments(options.documents ?? ALL);
  const detector = new Detector({
    store: new MemoryStore(),
    networks: inventory,
    exceptions: new ExceptionList(options.exceptions ?? [], inventory.endpointVpcs),
    trustedAccounts: inventory.ownerAccounts,
    clock: () => Date.parse('2026-11-26T12:00:00Z'),
  });
  const result = await detector.process(events);
  return result.findings.map((finding) => finding.detail);
}

describe('central egress through a Transit Gateway, the network account exported', () => {
  it('raises nothing for the spoke instance leaving through the network account’s NAT gateway', async () => {
    const findings = await detect([
      call({ instanceId: 'i-0spoke', sourceIp: CENTRAL_NAT[0] ?? '' }),
      call({ instanceId: 'i-0spoke', sourceIp: CENTRAL_NAT[1] ?? '' }),
    ]);

    expect(findings).toEqual([]);
  });

  it('finds the thief, and says which egress was expected', async () => {
    const findings = await detect([call({ instanceId: 'i-0spoke', sourceIp: THIEF })]);

    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      type: FindingType.UnexpectedOrigin,
      severity: 'HIGH',
      sourceIp: THIEF,
    });
    expect(findings[0]?.reason).toMatch(/default route of subnet-0spokeapp \(rtb-0spoke\) to tgw-0central/);
    expect(findings[0]?.reason).toMatch(
      /egress via tgw-0central to NAT gateway nat-0central in vpc-0egress of account 444444444444/,
    );
    // The pin the responder plans covers the central egress, not "from (none)".
    expect(findings[0]?.expected.natGatewayIps).toEqual(CENTRAL_NAT);
    expect(findings[0]?.expected.route).toMatch(/tgw-0central/);
  });

  it('vouches for nothing through a Transit Gateway whose other VPCs were not exported', async () => {
    const findings = await detect([call({ instanceId: 'i-0spoke', sourceIp: CENTRAL_NAT[0] ?? '' })], {
      documents: combine(SPOKE_EXPORTS, OTHER_EXPORTS),
    });

    expect(findings.map((finding) => finding.severity)).toEqual(['HIGH']);
  });

  it('does not take a partner’s VPC on the same gateway (untrusted) as egress', () => {
    const inventory = InventoryDirectory.fromDocuments(ALL);

    expect(inventory.network('i-0spoke')?.egress?.map((path) => path.description)).toEqual([
      'egress via tgw-0central to NAT gateway nat-0central in vpc-0egress of account 444444444444',
    ]);
  });
});

describe('NAT instance by route, and an appliance interface', () => {
  it('raises nothing for instances leaving through the NAT instance or the firewall', async () => {
    const findings = await detect([
      call({ instanceId: 'i-0app2', sourceIp: NAT_INSTANCE_IP }),
      call({ instanceId: 'i-0app3', sourceIp: FIREWALL_IP }),
    ]);

    expect(findings).toEqual([]);
  });

  it('finds the thief behind each, naming the hop', async () => {
    const findings = await detect([
      call({ instanceId: 'i-0app2', sourceIp: THIEF }),
      call({ instanceId: 'i-0app3', sourceIp: THIEF }),
    ]);

    const byInstance = new Map(findings.map((finding) => [finding.instanceId, finding]));
    expect(byInstance.get('i-0app2')).toMatchObject({ severity: 'HIGH' });
    expect(byInstance.get('i-0app2')?.reason).toMatch(/egress via NAT instance i-0fcknat/);
    expect(byInstance.get('i-0app3')).toMatchObject({ severity: 'HIGH' });
    expect(byInstance.get('i-0app3')?.reason).toMatch(
      /egress via appliance interface eni-0fwinside of i-0fw/,
    );
  });

  it('does not vouch for another VPC’s NAT instance', async () => {
    // i-0spoke's egress is the central NAT gateway; the NAT instance's address is somebody else's.
    const findings = await detect([call({ instanceId: 'i-0spoke', sourceIp: NAT_INSTANCE_IP })]);

    expect(findings.map((finding) => finding.severity)).toEqual(['HIGH']);
  });
});

describe('centralised interface endpoints in the network account', () => {
  it('raises nothing for the spoke instance through the central STS endpoint', async () => {
    const findings = await detect([
      call({
        instanceId: 'i-0spoke',
        sourceIp: '10.0.1.10',
        vpcEndpointId: 'vpce-0centralsts',
        vpcEndpointAccountId: NETWORK,
      }),
    ]);

    expect(findings).toEqual([]);
  });

  it('finds another host using the key through the central endpoint', async () => {
    const findings = await detect([
      call({
        instanceId: 'i-0spoke',
        sourceIp: '10.0.77.7',
        vpcEndpointId: 'vpce-0centralsts',
        vpcEndpointAccountId: NETWORK,
      }),
    ]);

    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'MEDIUM', vpcEndpointId: 'vpce-0centralsts' });
    expect(findings[0]?.reason).toMatch(
      /endpoint vpce-0centralsts in vpc-0endpoints of account 444444444444, reached over tgw-0central/,
    );
  });

  it('still finds the same private address through an affiliated account’s endpoint', async () => {
    const findings = await detect([
      call({
        instanceId: 'i-0spoke',
        sourceIp: '10.0.1.10',
        vpcEndpointId: 'vpce-0othersts',
        vpcEndpointAccountId: OTHER,
      }),
    ]);

    expect(findings.map((finding) => finding.severity)).toEqual(['MEDIUM']);
  });
});

describe('exceptions over overlapping private ranges across accounts', () => {
  const pod = (role: string, ip = '100.64.3.4') =>
    call({
      instanceId: 'i-0spoke',
      role,
      key: `ASIAPOD${role.replace(/[^a-z]/g, '').toUpperCase()}`,
      sourceIp: ip,
      vpcEndpointId: 'vpce-0spokests',
      vpcEndpointAccountId: SPOKE,
    });
  // A thief in the affiliated account, whose VPC reuses 10.0.0.0/16, with i-0spoke's key.
  const neighbour = call({
    instanceId: 'i-0spoke',
    key: 'ASIANEIGHBOUR',
    sourceIp: '10.0.1.99',
    vpcEndpointId: 'vpce-0othersts',
    vpcEndpointAccountId: OTHER,
  });

  it('the scoped EKS exception hides the node role’s pods and nothing else', async () => {
    const exceptions = [
      { cidr: '100.64.0.0/16', roleName: 'eks-node-role', reason: 'pods use the node role' },
    ];

    const findings = await detect([pod('eks-node-role'), pod('payments-role'), neighbour], { exceptions });

    expect(findings.map((finding) => [finding.roleName, finding.severity]).sort()).toEqual([
      ['payments-role', 'MEDIUM'],
      ['web-app-role', 'MEDIUM'],
    ]);
  });

  it('an old unscoped private CIDR no longer hides a thief behind another account’s endpoint, and says so', async () => {
    const exceptions = [{ cidr: '10.0.0.0/16', reason: 'old file: our VPC range' }];

    const findings = await detect(
      [
        call({
          instanceId: 'i-0spoke',
          sourceIp: '10.0.9.9',
          vpcEndpointId: 'vpce-0spokests',
          vpcEndpointAccountId: SPOKE,
        }),
        neighbour,
      ],
      { exceptions },
    );

    expect(findings.map((finding) => finding.vpcEndpointId)).toEqual(['vpce-0othersts']);
    expect(exceptionWarnings(exceptions)).toHaveLength(1);
  });

  it('a private CIDR tied to the other account vouches for its endpoints only', async () => {
    const exceptions = [
      { cidr: '10.0.0.0/16', accountId: SPOKE, vpcId: 'vpc-0other', reason: 'shared build VPC' },
    ];

    const vouched = await detect([neighbour], { exceptions });
    const elsewhere = await detect(
      [
        call({
          instanceId: 'i-0spoke',
          key: 'ASIAX',
          sourceIp: '10.0.1.99',
          vpcEndpointId: 'vpce-0unknown',
          vpcEndpointAccountId: OTHER,
        }),
      ],
      { exceptions },
    );

    expect(vouched).toEqual([]);
    expect(elsewhere.map((finding) => finding.severity)).toEqual(['MEDIUM']);
  });
});

describe('an instance launched after the inventory was taken', () => {
  const key = 'ASIANEWINSTANCE';
  const fresh = (sourceIp: string, eventTime: string) =>
    call({ instanceId: 'i-0new', key, sourceIp, eventTime });

  it('raises nothing when it leaves through its account’s known egress', async () => {
    const findings = await detect([
      fresh(CENTRAL_NAT[1] ?? '', '2026-11-26T10:00:00Z'),
      fresh(NAT_INSTANCE_IP, '2026-11-26T10:05:00Z'),
    ]);

    expect(findings).toEqual([]);
  });

  it('blames the thief who used the key first, not the instance’s own NAT afterwards', async () => {
    const findings = await detect([
      fresh(THIEF, '2026-11-26T10:00:00Z'),
      fresh(CENTRAL_NAT[0] ?? '', '2026-11-26T10:05:00Z'),
    ]);

    expect(findings.map((finding) => finding.sourceIp)).toEqual([THIEF]);
    expect(findings[0]?.type).toBe(FindingType.UnexpectedOrigin);
    // The account has public subnets (the NAT instance's): a new instance there may have its own address.
    expect(findings[0]?.severity).toBe('MEDIUM');
    expect(findings[0]?.reason).toMatch(/the inventory does not know.*account 111111111111/);
  });

  it('another account’s egress does not vouch for it', async () => {
    const findings = await detect([fresh(OTHER_NAT, '2026-11-26T10:00:00Z')]);

    expect(findings.map((finding) => finding.sourceIp)).toEqual([OTHER_NAT]);
  });
});

describe('proof of instance credentials', () => {
  it('a session merely named i-… from an unexpected origin is its own LOW finding, never UnexpectedOrigin', async () => {
    const named = call({ instanceId: 'i-0spoke', key: 'ASIANAMED', sourceIp: THIEF, noDelivery: true });
    const real = call({ instanceId: 'i-0spoke', key: 'ASIAREAL', sourceIp: THIEF });

    const findings = await detect([named, real]);

    const byKey = new Map(findings.map((finding) => [finding.accessKeyId, finding]));
    expect(byKey.get('ASIANAMED')).toMatchObject({
      type: FindingType.SessionNamedLikeInstance,
      severity: 'LOW',
      severityScore: 2,
    });
    expect(byKey.get('ASIANAMED')?.reason).toMatch(/merely named like an instance/);
    expect(byKey.get('ASIAREAL')).toMatchObject({ type: FindingType.UnexpectedOrigin, severity: 'HIGH' });
    expect(byKey.get('ASIANAMED')?.findingId).not.toBe(byKey.get('ASIAREAL')?.findingId);
  });

  it('raises nothing for a named session from the instance’s expected egress', async () => {
    const findings = await detect([
      call({ instanceId: 'i-0spoke', key: 'ASIANAMED', sourceIp: CENTRAL_NAT[0] ?? '', noDelivery: true }),
    ]);

    expect(findings).toEqual([]);
  });

  it('an EC2 delivery of the key seen in the trail is proof enough without ec2RoleDelivery', async () => {
    const findings = await detect([
      delivered('i-0spoke', 'ASIADELIVERED'),
      call({ instanceId: 'i-0spoke', key: 'ASIADELIVERED', sourceIp: THIEF, noDelivery: true }),
    ]);

    expect(findings.map((finding) => [finding.type, finding.severity])).toEqual([
      [FindingType.UnexpectedOrigin, 'HIGH'],
    ]);
  });
});
