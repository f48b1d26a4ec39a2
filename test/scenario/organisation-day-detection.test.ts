import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FindingType, type FindingDetail } from '../../lib/contracts/finding-event';
import { ExceptionList, parseExceptions } from '../../lib/engine/credential-exception';
import { parseCidr, parseAddress, cidrContains } from '../../lib/engine/ip-address';
import { InventoryDirectory } from '../../lib/inventory/inventory-directory';
import { generateOrganisationDay, type OrganisationDay } from '../../scripts/scenario/organisation-day';
import { writeScenario, type WriteSummary } from '../../scripts/scenario/write-scenario';
import { NoInventory } from '../../lib/cli/detect-run';
import { detect, originOfFinding, readTrail, type TrailRead } from './detect-directory';

// One realistic day (3 accounts, 2 regions, ~80k records) written as CloudTrail lays it out, read back
// as the CLI reads it, and judged with the inventory and the shipped exceptions.
describe('a day of an organisation’s CloudTrail', () => {
  let dir: string;
  let day: OrganisationDay;
  let summary: WriteSummary;
  let trail: TrailRead;
  let inventory: InventoryDirectory;
  let findings: FindingDetail[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'credtrail-day-'));
    day = generateOrganisationDay();
    summary = await writeScenario(dir, day);
    trail = await readTrail(join(dir, 'cloudtrail'));
    inventory = await InventoryDirectory.load(join(dir, 'inventory'));
    const exceptions = new ExceptionList(parseExceptions(day.exceptions));
    findings = await detect(join(dir, 'cloudtrail'), inventory, exceptions, inventory.ownerAccounts);
    // About 10 s here; a slow shared runner gets room rather than a flaky timeout.
  }, 120_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const unexpectedOrigins = () => findings.filter((finding) => finding.type === FindingType.UnexpectedOrigin);

  it('is a realistic trail: instance credentials are a minority, every record parses, digests sit beside logs', () => {
    // Assess
    expect(trail.records).toBe(summary.records);
    expect(trail.records).toBeGreaterThan(50_000);
    expect(summary.instanceCredentialRecords / summary.records).toBeLessThan(0.5);
    expect(trail.invalid).toEqual([]);
    expect(trail.serviceCalls).toBeGreaterThan(0);
    expect(trail.digestFiles).toBe(summary.digestFiles);
    // The network account of the landing-zone layouts exports its NAT gateways, endpoints and routes.
    expect(inventory.ownerAccounts).toEqual(
      new Set(['111111111111', '222222222222', '333333333333', '444444444444']),
    );
  });

  it('reports every planted theft once, with the manifest’s severity', () => {
    // Act
    const reported = new Map(unexpectedOrigins().map((finding) => [originOfFinding(finding), finding]));

    // Assess
    for (const theft of day.manifest.thefts) {
      const finding = reported.get(originOfFinding(theft));
      expect({ label: theft.label, severity: finding?.severity, instanceId: finding?.instanceId }).toEqual({
        label: theft.label,
        severity: theft.severity,
        instanceId: theft.instanceId,
      });
      expect(finding?.eventCount).toBe(theft.eventCount);
    }
  });

  it('reports nothing else: no false positive among rotations, NAT, IPv6, endpoints, EKS and services', () => {
    // Act
    const reported = unexpectedOrigins().map(originOfFinding).sort();

    // Assess
    expect(reported).toEqual(day.manifest.thefts.map(originOfFinding).sort());
  });

  it('reports IMDSv1 exactly for the manifest’s instances, once each', () => {
    // Act
    const imdsv1 = findings.filter((finding) => finding.type === FindingType.Imdsv1Delivery);

    // Assess
    expect(imdsv1.map((finding) => finding.instanceId).sort()).toEqual(
      day.manifest.imdsv1Instances.map((instance) => instance.instanceId).sort(),
    );
    expect(imdsv1.every((finding) => finding.severity === 'LOW')).toBe(true);
  });

  it('reports the EKS pods as another host in the VPC when the exception is not loaded', async () => {
    // Prepare
    const podCidr = parseCidr('100.64.0.0/16');
    const inPodCidr = (ip: string | null) => {
      const address = ip === null ? undefined : parseAddress(ip);
      return podCidr !== undefined && address !== undefined && cidrContains(podCidr, address);
    };

    // Act
    const withoutException = await detect(
      join(dir, 'cloudtrail'),
      inventory,
      new ExceptionList([]),
      inventory.ownerAccounts,
    );

    // Assess
    const thefts = new Set(day.manifest.thefts.map(originOfFinding));
    const pods = withoutException.filter(
      (finding) =>
        finding.type === FindingType.UnexpectedOrigin &&
        inPodCidr(finding.sourceIp) &&
        !thefts.has(originOfFinding(finding)),
    );
    expect(pods.length).toBeGreaterThan(0);
    expect(pods.every((finding) => finding.severity === 'MEDIUM' && finding.vpcEndpointId !== null)).toBe(
      true,
    );
    expect(pods.every((finding) => /another host in the instance's own VPC/.test(finding.reason))).toBe(true);
    const others = withoutException.filter(
      (finding) => finding.type === FindingType.UnexpectedOrigin && !pods.includes(finding),
    );
    expect(others.map(originOfFinding).sort()).toEqual([...thefts].sort());
  });

  it('still catches the theft from outside AWS without any inventory (first-seen)', async () => {
    // Prepare
    const outside = day.manifest.thefts.find((theft) => theft.label === 'outside-aws');
    const exceptions = new ExceptionList(parseExceptions(day.exceptions));

    // Act
    const firstSeen = await detect(join(dir, 'cloudtrail'), new NoInventory(), exceptions, new Set());

    // Assess
    const finding = firstSeen.find(
      (candidate) => outside !== undefined && originOfFinding(candidate) === originOfFinding(outside),
    );
    expect(finding).toMatchObject({ severity: 'HIGH', expected: { source: 'first-seen' } });
  });
});
