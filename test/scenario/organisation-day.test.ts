import { InventoryDirectory } from '../../lib/inventory/inventory-directory';
import type { InventoryDocuments } from '../../lib/inventory/ec2-inventory-schema';
import { parseInventoryDocument } from '../../lib/inventory/inventory-directory';
import { generateOrganisationDay, type ScenarioFile } from '../../scripts/scenario/organisation-day';
import { ScenarioOptionsError } from '../../scripts/scenario/scenario-options';
import { RandomSource, mulberry32 } from '../../scripts/scenario/random-source';

type LogFile = Extract<ScenarioFile, { kind: 'log' }>;
type Identity = {
  type?: string;
  principalId?: string;
  invokedBy?: string;
  sessionContext?: { sessionIssuer?: unknown; ec2RoleDelivery?: string };
};

const SMALL = { hours: 3 } as const;

function logFiles(files: Iterable<ScenarioFile>): LogFile[] {
  return [...files].filter((file): file is LogFile => file.kind === 'log');
}

function identityOf(record: Record<string, unknown>): Identity {
  return record['userIdentity'] as Identity;
}

const isInstanceCredential = (record: Record<string, unknown>) =>
  /:i-[0-9a-f]{17}$/.test(identityOf(record).principalId ?? '');

describe('generateOrganisationDay', () => {
  const day = generateOrganisationDay(SMALL);
  const files = [...day.files()];
  const logs = logFiles(files);
  const records = logs.flatMap((file) => file.records);

  it('is deterministic for a seed, and another seed gives another day', () => {
    // Act
    const again = logFiles(generateOrganisationDay(SMALL).files());
    const other = logFiles(generateOrganisationDay({ ...SMALL, seed: 7 }).files());

    // Assess
    expect(again.slice(0, 20)).toEqual(logs.slice(0, 20));
    expect(other[0]?.key).not.toEqual(logs[0]?.key);
  });

  it('lays files out as CloudTrail does, one per account, region and five minutes, with digests beside them', () => {
    // Assess
    const logKey =
      /^AWSLogs\/(\d{12})\/CloudTrail\/([a-z0-9-]+)\/\d{4}\/\d{2}\/\d{2}\/\1_CloudTrail_\2_\d{8}T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$/;
    expect(logs.every((file) => logKey.test(file.key))).toBe(true);
    expect(logs).toHaveLength(3 * 2 * 36);
    const digests = files.filter((file) => file.kind === 'digest');
    expect(digests).toHaveLength(3 * 2 * 3);
    expect(digests.every((file) => file.key.includes('/CloudTrail-Digest/'))).toBe(true);
  });

  it('shuffles records inside a file and delivers a few in the next file', () => {
    // Assess
    const sorted = (file: LogFile) =>
      file.records.every(
        (record, i) => i === 0 || String(file.records[i - 1]?.['eventTime']) <= String(record['eventTime']),
      );
    expect(logs.some((file) => !sorted(file))).toBe(true);
    const late = logs.reduce((sum, file) => sum + file.lateRecords, 0);
    expect(late).toBeGreaterThan(0);
    expect(late).toBeLessThan(records.length * 0.05);
  });

  it('writes records shaped like the published samples', () => {
    // Assess
    for (const record of records.slice(0, 2000)) {
      expect(record).toMatchObject({
        eventVersion: expect.stringMatching(/^1\.\d\d$/),
        eventID: expect.stringMatching(
          /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        ),
        eventTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        eventType: 'AwsApiCall',
        recipientAccountId: expect.stringMatching(/^\d{12}$/),
        userIdentity: { type: expect.any(String) },
      });
    }
    const instanceRecord = records.find(isInstanceCredential);
    expect(identityOf(instanceRecord ?? {}).sessionContext).toMatchObject({
      sessionIssuer: { type: 'Role' },
      ec2RoleDelivery: expect.stringMatching(/^[12]\.0$/),
    });
  });

  it('delivers a fresh key to every instance every hour, the way EC2 records it', () => {
    // Act
    const deliveries = records.filter((record) => identityOf(record).invokedBy === 'ec2.amazonaws.com');

    // Assess
    expect(deliveries).toHaveLength(day.estate.instances.length * 3);
    expect(deliveries[0]).toMatchObject({
      userIdentity: { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' },
      eventSource: 'sts.amazonaws.com',
      eventName: 'AssumeRole',
      sourceIPAddress: 'ec2.amazonaws.com',
      requestParameters: { roleSessionName: expect.stringMatching(/^i-/) },
      responseElements: { credentials: { accessKeyId: expect.stringMatching(/^ASIA[A-Z2-7]{16}$/) } },
    });
  });

  it('contains the benign traps', () => {
    // Act
    const instanceRecords = records.filter(isInstanceCredential);
    const sources = new Set(instanceRecords.map((record) => String(record['sourceIPAddress'])));
    const secondaryNatIps = day.estate.vpcs.flatMap((vpc) =>
      vpc.natGateways.flatMap((nat) => nat.publicIps.slice(1)),
    );
    const regionOf = new Map(day.estate.instances.map((instance) => [instance.instanceId, instance.region]));

    // Assess
    expect([...sources].some((ip) => ip.includes(':'))).toBe(true); // IPv6 dual-stack
    expect(secondaryNatIps.some((ip) => sources.has(ip))).toBe(true); // NAT gateway's second EIP
    expect(instanceRecords.some((record) => record['vpcEndpointId'] !== undefined)).toBe(true);
    expect(instanceRecords.some((record) => identityOf(record).invokedBy === 's3.amazonaws.com')).toBe(true);
    expect(instanceRecords.some((record) => record['sourceIPAddress'] === 'AWS Internal')).toBe(true);
    expect(
      instanceRecords.some((record) => identityOf(record).principalId?.includes(':aws:ec2-instance:')),
    ).toBe(true);
    expect([...sources].some((ip) => ip.startsWith('100.64.'))).toBe(true); // EKS pods
    expect(
      instanceRecords.some((record) => {
        const instanceId = /:(i-[0-9a-f]+)$/.exec(identityOf(record).principalId ?? '')?.[1] ?? '';
        return record['awsRegion'] !== regionOf.get(instanceId);
      }),
    ).toBe(true); // cross-region
    const eventIds = records.map((record) => record['eventID']);
    expect(new Set(eventIds).size).toBeLessThan(eventIds.length); // one S3 call in two accounts' trails
    expect(instanceRecords.length / records.length).toBeLessThan(0.5);
  });

  it('lists one IMDSv1 instance at least, and plants the seven thefts and the layouts’ seven, with distinct keys', () => {
    // Assess
    expect(day.manifest.imdsv1Instances.length).toBeGreaterThanOrEqual(1);
    expect(day.manifest.thefts.map((theft) => theft.label)).toEqual([
      'outside-aws',
      'attacker-first',
      'other-aws-account',
      'attacker-vpc-endpoint',
      'single-quiet-call',
      'old-key-reused',
      'affiliated-endpoint',
      'central-egress-elsewhere',
      'central-endpoint-other-host',
      'nat-instance-other-vpc',
      'appliance-elsewhere',
      'unlisted-instance-attacker-first',
      'pod-with-another-role',
      'pod-range-affiliated-endpoint',
    ]);
    expect(new Set(day.manifest.thefts.map((theft) => theft.accessKeyId)).size).toBe(14);
    const node = day.estate.instances.find((instance) => instance.kind === 'eks-node');
    expect(day.exceptions).toEqual([
      {
        cidr: '100.64.0.0/16',
        accountId: node?.accountId,
        roleName: node?.role.name,
        reason: expect.stringMatching(/EKS pods/),
      },
    ]);
  });

  it('without the landing-zone layouts, is the seven-theft day with the EKS exception scoped to the node', () => {
    // Act
    const plain = generateOrganisationDay({ ...SMALL, landingZone: false });

    // Assess
    expect(plain.manifest.thefts).toEqual(day.manifest.thefts.slice(0, 7));
    expect(plain.estate.instances).toHaveLength(day.estate.instances.length - 7);
    const node = plain.estate.instances.find((instance) => instance.kind === 'eks-node');
    expect(plain.exceptions).toEqual([
      expect.objectContaining({
        cidr: '100.64.0.0/16',
        accountId: node?.accountId,
        roleName: node?.role.name,
      }),
    ]);
    expect(plain.manifest.namedSessions).toBeUndefined();
  });

  it('exports an inventory the loader reads, with every listed instance, both NAT addresses and the routes', () => {
    // Prepare
    const documents: InventoryDocuments = {
      instances: day.inventory
        .filter((entry) => entry.command === 'describe-instances')
        .map((entry) => parseInventoryDocument('instances', JSON.stringify(entry.document), entry.command)),
      natGateways: day.inventory
        .filter((entry) => entry.command === 'describe-nat-gateways')
        .map((entry) => parseInventoryDocument('natGateways', JSON.stringify(entry.document), entry.command)),
      vpcEndpoints: day.inventory
        .filter((entry) => entry.command === 'describe-vpc-endpoints')
        .map((entry) =>
          parseInventoryDocument('vpcEndpoints', JSON.stringify(entry.document), entry.command),
        ),
      routeTables: day.inventory
        .filter((entry) => entry.command === 'describe-route-tables')
        .map((entry) => parseInventoryDocument('routeTables', JSON.stringify(entry.document), entry.command)),
      transitGatewayAttachments: day.inventory
        .filter((entry) => entry.command === 'describe-transit-gateway-attachments')
        .map((entry) =>
          parseInventoryDocument('transitGatewayAttachments', JSON.stringify(entry.document), entry.command),
        ),
    };

    // Act
    const inventory = InventoryDirectory.fromDocuments(documents);

    // Assess: every instance but the one launched after the snapshot, and the NAT instance and firewall.
    const unlisted = day.estate.instances.filter((instance) => instance.inInventory === false);
    expect(unlisted).toHaveLength(1);
    expect(inventory.summary.instances).toBe(day.estate.instances.length - 1 + 2);
    expect(inventory.network(unlisted[0]?.instanceId ?? '')).toBeUndefined();
    expect(inventory.summary.routeTables).toBeGreaterThan(0);
    expect(inventory.summary.transitGatewayAttachments).toBe(4);
    const node = day.estate.instances.find((instance) => instance.kind === 'eks-node');
    expect(inventory.network(node?.instanceId ?? '')).toMatchObject({
      natGatewayIps: expect.arrayContaining([expect.any(String), expect.any(String), expect.any(String)]),
      prefixes: [node?.ipv4Prefix],
      vpcEndpointIds: [node?.vpc.s3EndpointId, node?.vpc.stsEndpointId],
    });
  });

  it('generates lazily: the first file of a very large day comes at once', () => {
    // Prepare
    const huge = generateOrganisationDay({ accounts: 50, callsPerInstanceHour: 1200, instancesPerVpc: 10 });

    // Act
    const first = huge.files().next();

    // Assess
    expect(first.done).toBe(false);
    expect(huge.estate.accounts).toHaveLength(50);
    expect(huge.estate.accounts[49]?.accountId).toMatch(/^\d{12}$/);
  });

  it.each([
    [{ hours: 2 }, /hours/],
    [{ instancesPerVpc: 4 }, /instancesPerVpc/],
    [{ accounts: 2 }, /affiliated/],
    [{ date: 'yesterday' }, /date/],
  ])('refuses %j', (options, message) => {
    // Act
    const generate = () => generateOrganisationDay(options);

    // Assess
    expect(generate).toThrow(ScenarioOptionsError);
    expect(generate).toThrow(message);
  });
});

describe('RandomSource', () => {
  it('draws the same sequence for the same seed parts', () => {
    // Act
    const a = new RandomSource(1, 'x');
    const b = new RandomSource(1, 'x');

    // Assess
    expect([a.uuid(), a.iamId('ASIA'), a.int(1, 6)]).toEqual([b.uuid(), b.iamId('ASIA'), b.int(1, 6)]);
  });

  it('mulberry32 stays within [0, 1)', () => {
    // Prepare
    const next = mulberry32(42);

    // Act
    const draws = Array.from({ length: 10_000 }, next);

    // Assess
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
  });
});
