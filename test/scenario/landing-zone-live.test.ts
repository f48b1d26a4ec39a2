import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDigestFile, readLogFile } from '../../lib/cloudtrail/log-file';
import { Ec2EndpointVpcs } from '../../lib/detector/ec2-endpoint-vpcs';
import { Ec2NetworkDirectory } from '../../lib/detector/ec2-network-directory';
import { Ec2NetworkGateway } from '../../lib/detector/ec2-network-gateway';
import type { FindingDetail } from '../../lib/contracts/finding-event';
import { normalizeRecord } from '../../lib/engine/cloudtrail-record';
import type { CredentialEvent } from '../../lib/engine/credential-event';
import {
  ExceptionList,
  parseExceptions,
  type CredentialException,
} from '../../lib/engine/credential-exception';
import type { InventoryDocuments } from '../../lib/inventory/ec2-inventory-schema';
import { InventoryDirectory, parseInventoryDocument } from '../../lib/inventory/inventory-directory';
import type { CachedNetwork, NetworkCache } from '../../lib/state/dynamodb-store';
import { inventoryExports, mergeExports } from '../../scripts/scenario/estate-inventory';
import { landingZoneExports } from '../../scripts/scenario/landing-zone-inventory';
import {
  EKS_POD_CIDR,
  generateOrganisationDay,
  type OrganisationDay,
} from '../../scripts/scenario/organisation-day';
import { writeScenario } from '../../scripts/scenario/write-scenario';
import { ec2Answering } from '../support/ec2-inventory-mock';
import { detect, listFiles, originOfFinding } from './detect-directory';

class MemoryCache implements NetworkCache {
  private readonly items = new Map<string, CachedNetwork>();
  getNetworks(ids: readonly string[]) {
    const found = new Map<string, CachedNetwork>();
    for (const id of ids) {
      const item = this.items.get(id);
      if (item !== undefined) found.set(id, item);
    }
    return Promise.resolve(found);
  }
  putNetworks(entries: readonly CachedNetwork[]) {
    for (const entry of entries)
      this.items.set(entry.status === 'found' ? entry.network.instanceId : entry.instanceId, entry);
    return Promise.resolve();
  }
}

/**
 * What EC2 answers today, account by account and region by region: the inventory's exports plus the
 * instance launched after they were taken (EC2 knows it; the snapshot does not).
 */
function ec2Today(day: OrganisationDay): Map<string, InventoryDocuments> {
  const zone = day.landingZone;
  if (zone === undefined) throw new Error('a day without the landing zone');
  const launch = '2025-02-01T00:00:00+00:00';
  const estate = { ...day.estate, instances: day.estate.instances.map((i) => ({ ...i, inInventory: true })) };
  const exports = mergeExports([...inventoryExports(estate, launch), ...landingZoneExports(zone, launch)]);
  const byPlace = new Map<string, InventoryDocuments>();
  for (const entry of exports) {
    const key = `${entry.accountId}|${entry.region}`;
    const documents = byPlace.get(key) ?? {
      instances: [],
      natGateways: [],
      vpcEndpoints: [],
      routeTables: [],
      transitGatewayAttachments: [],
    };
    const text = JSON.stringify(entry.document);
    const lists = documents as {
      instances: unknown[];
      natGateways: unknown[];
      vpcEndpoints: unknown[];
      routeTables: unknown[];
      transitGatewayAttachments: unknown[];
    };
    if (entry.command === 'describe-instances')
      lists.instances.push(parseInventoryDocument('instances', text, entry.command));
    if (entry.command === 'describe-nat-gateways')
      lists.natGateways.push(parseInventoryDocument('natGateways', text, entry.command));
    if (entry.command === 'describe-vpc-endpoints')
      lists.vpcEndpoints.push(parseInventoryDocument('vpcEndpoints', text, entry.command));
    if (entry.command === 'describe-route-tables')
      lists.routeTables.push(parseInventoryDocument('routeTables', text, entry.command));
    if (entry.command === 'describe-transit-gateway-attachments')
      lists.transitGatewayAttachments.push(
        parseInventoryDocument('transitGatewayAttachments', text, entry.command),
      );
    byPlace.set(key, documents);
  }
  return byPlace;
}

async function credentialEvents(cloudtrailDir: string): Promise<CredentialEvent[]> {
  const events: CredentialEvent[] = [];
  for (const file of await listFiles(cloudtrailDir)) {
    if (isDigestFile(file)) continue;
    for (const raw of await readLogFile(file, await readFile(file))) {
      const result = normalizeRecord(raw);
      if (result.status === 'event') events.push(result.event);
    }
  }
  return events;
}

const verdicts = (findings: readonly FindingDetail[]) =>
  findings.map((finding) => `${finding.type} ${originOfFinding(finding)} ${finding.severity}`).sort();

// The Lambda's path (EC2 Describe* through each account's read role, mocked with aws-sdk-client-mock
// from the same exports, and the endpoints' VPCs looked up live) against the CLI's path (the inventory
// files), over a generated day with the landing-zone layouts.
describe('the live enrichment on a landing-zone day gives the inventory’s verdicts', () => {
  let dir: string;
  let day: OrganisationDay;
  let exceptions: CredentialException[];
  let offline: FindingDetail[];
  let events: CredentialEvent[];
  const asked = new Set<string>();

  const live = async (resolveEndpoints: boolean) => {
    const clients = new Map([...ec2Today(day)].map(([key, documents]) => [key, ec2Answering(documents)]));
    const gatewayFor = (accountId: string, region: string) => {
      asked.add(accountId);
      const client = clients.get(`${accountId}|${region}`);
      if (client === undefined) return Promise.reject(new Error(`no member role in ${accountId} ${region}`));
      return Promise.resolve(new Ec2NetworkGateway(client));
    };
    const trusted = new Set([
      ...day.estate.accounts.filter((account) => account.affiliated).map((account) => account.accountId),
      day.manifest.networkAccountId ?? '',
    ]);
    const endpointVpcs = new Ec2EndpointVpcs({ gatewayFor, trustedAccounts: trusted, clock: () => day.end });
    // The Lambda resolves before each batch (DetectorService); the whole day at once is the same.
    if (resolveEndpoints) await endpointVpcs.resolve(events);
    const directory = new Ec2NetworkDirectory({
      cache: new MemoryCache(),
      gatewayFor,
      fallbackRegions: day.options.regions,
      trustedAccounts: trusted,
    });
    return detect(join(dir, 'cloudtrail'), directory, new ExceptionList(exceptions, endpointVpcs), trusted);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'credtrail-lz-live-'));
    day = generateOrganisationDay({ seed: 7, hours: 6, callsPerInstanceHour: 10, noiseRatio: 0.5 });
    await writeScenario(dir, day);
    events = await credentialEvents(join(dir, 'cloudtrail'));
    const node = day.estate.instances.find((instance) => instance.kind === 'eks-node');
    const shared = day.estate.vpcs.find(
      (vpc) =>
        vpc.region === node?.region &&
        day.estate.accounts.some((account) => account.affiliated && account.accountId === vpc.accountId),
    );
    // Besides the shipped EKS exception, one tied to the affiliated account's VPC: it hides the pod-range
    // theft through that VPC's endpoint, which only the endpoint's VPC can tell.
    exceptions = parseExceptions([
      ...day.exceptions,
      { cidr: EKS_POD_CIDR, vpcId: shared?.vpcId, reason: 'build pods of the shared-services VPC' },
    ]);
    const inventory = await InventoryDirectory.load(join(dir, 'inventory'));
    offline = await detect(
      join(dir, 'cloudtrail'),
      inventory,
      new ExceptionList(exceptions, inventory.endpointVpcs),
      inventory.ownerAccounts,
    );
  }, 120_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('the same findings, but for the instance the snapshot missed, which EC2 knows (HIGH, not MEDIUM)', async () => {
    // Act
    const findings = await live(true);

    // Assess
    const unlisted = day.manifest.thefts.find((theft) => theft.label === 'unlisted-instance-attacker-first');
    const sameButUnlisted = (list: readonly FindingDetail[]) =>
      verdicts(
        list.filter(
          (finding) => unlisted === undefined || originOfFinding(finding) !== originOfFinding(unlisted),
        ),
      );
    expect(sameButUnlisted(findings)).toEqual(sameButUnlisted(offline));
    expect(
      findings.find(
        (finding) => unlisted !== undefined && originOfFinding(finding) === originOfFinding(unlisted),
      )?.severity,
    ).toBe('HIGH');
    expect(
      offline.find(
        (finding) => unlisted !== undefined && originOfFinding(finding) === originOfFinding(unlisted),
      )?.severity,
    ).toBe('MEDIUM');
    // Through the network account's read role, for its NAT gateways and central endpoint.
    expect(asked.has(day.manifest.networkAccountId ?? '')).toBe(true);
  });

  it('the centralised endpoint: the spoke’s own calls raise nothing, another host through it is found', async () => {
    // Act
    const findings = await live(true);

    // Assess
    const central = day.landingZone?.centralStsEndpointId;
    const throughCentral = findings.filter((finding) => finding.vpcEndpointId === central);
    expect(
      events.filter((event) => event.kind === 'use' && event.vpcEndpointId === central).length,
    ).toBeGreaterThan(10);
    expect(
      throughCentral.map((finding) => [finding.severity, finding.reason.includes('reached over tgw-')]),
    ).toEqual([['MEDIUM', true]]);
  });

  it('without the endpoint lookup, the exception tied to the other VPC would not hold live', async () => {
    // Act
    const findings = await live(false);

    // Assess
    const pod = day.manifest.thefts.find((theft) => theft.label === 'pod-range-affiliated-endpoint');
    expect(
      offline.some((finding) => pod !== undefined && originOfFinding(finding) === originOfFinding(pod)),
    ).toBe(false);
    expect(
      findings.some((finding) => pod !== undefined && originOfFinding(finding) === originOfFinding(pod)),
    ).toBe(true);
  });
});
