import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FindingType, type FindingDetail } from '../../lib/contracts/finding-event';
import { ExceptionList, parseExceptions } from '../../lib/engine/credential-exception';
import type { InventoryDocuments } from '../../lib/inventory/ec2-inventory-schema';
import { InventoryDirectory, parseInventoryDocument } from '../../lib/inventory/inventory-directory';
import type { InventoryExport } from '../../scripts/scenario/estate-inventory';
import {
  EKS_POD_CIDR,
  generateOrganisationDay,
  type OrganisationDay,
} from '../../scripts/scenario/organisation-day';
import { writeScenario } from '../../scripts/scenario/write-scenario';
import { detect, originOfFinding } from './detect-directory';

// Several generated days with the landing-zone layouts (scripts/scenario/landing-zone.ts), small enough
// to run a few seeds: six hours, three accounts, two regions, about 5,500 records each.
const SEEDS = [1, 7, 42, 20250314];
const OPTIONS = { hours: 6, callsPerInstanceHour: 10, noiseRatio: 0.5 } as const;

const LAYOUT_THEFTS = [
  'central-egress-elsewhere',
  'central-endpoint-other-host',
  'nat-instance-other-vpc',
  'appliance-elsewhere',
  'unlisted-instance-attacker-first',
  'pod-with-another-role',
  'pod-range-affiliated-endpoint',
];

interface Run {
  readonly day: OrganisationDay;
  readonly dir: string;
  readonly findings: FindingDetail[];
}

const runs = new Map<number, Run>();

async function detectWith(
  run: Run,
  documents: InventoryDocuments,
  exceptions: unknown,
): Promise<FindingDetail[]> {
  const inventory = InventoryDirectory.fromDocuments(documents);
  return detect(
    join(run.dir, 'cloudtrail'),
    inventory,
    new ExceptionList(parseExceptions(exceptions), inventory.endpointVpcs),
    inventory.ownerAccounts,
  );
}

/** The day's inventory as the CLI reads it, keeping only the exports `keep` accepts. */
function documentsOf(day: OrganisationDay, keep: (entry: InventoryExport) => boolean): InventoryDocuments {
  const of = (command: InventoryExport['command']) =>
    day.inventory.filter((entry) => entry.command === command && keep(entry));
  return {
    instances: of('describe-instances').map((e) =>
      parseInventoryDocument('instances', JSON.stringify(e.document), e.command),
    ),
    natGateways: of('describe-nat-gateways').map((e) =>
      parseInventoryDocument('natGateways', JSON.stringify(e.document), e.command),
    ),
    vpcEndpoints: of('describe-vpc-endpoints').map((e) =>
      parseInventoryDocument('vpcEndpoints', JSON.stringify(e.document), e.command),
    ),
    routeTables: of('describe-route-tables').map((e) =>
      parseInventoryDocument('routeTables', JSON.stringify(e.document), e.command),
    ),
    transitGatewayAttachments: of('describe-transit-gateway-attachments').map((e) =>
      parseInventoryDocument('transitGatewayAttachments', JSON.stringify(e.document), e.command),
    ),
  };
}

const unexpected = (findings: readonly FindingDetail[]) =>
  findings.filter((finding) => finding.type === FindingType.UnexpectedOrigin);

function runOf(seed: number): Run {
  const run = runs.get(seed);
  if (run === undefined) throw new Error(`seed ${seed} did not run`);
  return run;
}

describe('generated organisation days with the landing-zone layouts, judged with the inventory', () => {
  beforeAll(async () => {
    for (const seed of SEEDS) {
      const dir = await mkdtemp(join(tmpdir(), `credtrail-lz-${seed}-`));
      const day = generateOrganisationDay({ ...OPTIONS, seed });
      await writeScenario(dir, day);
      // What `credtrail detect --inventory DIR --exceptions FILE` reads: the files just written.
      const inventory = await InventoryDirectory.load(join(dir, 'inventory'));
      const findings = await detect(
        join(dir, 'cloudtrail'),
        inventory,
        new ExceptionList(parseExceptions(day.exceptions), inventory.endpointVpcs),
        inventory.ownerAccounts,
      );
      runs.set(seed, { day, dir, findings });
    }
    // About 3 s a seed here; room for a slow shared runner.
  }, 240_000);

  afterAll(async () => {
    for (const run of runs.values()) await rm(run.dir, { recursive: true, force: true });
  });

  it.each(SEEDS)('seed %d: plants a theft in every layout', (seed) => {
    // Assess
    const labels = runOf(seed).day.manifest.thefts.map((theft) => theft.label);
    expect(labels).toEqual(expect.arrayContaining(LAYOUT_THEFTS));
    expect(labels).toHaveLength(14);
  });

  it.each(SEEDS)('seed %d: finds every planted theft once, with its severity and call count', (seed) => {
    // Act
    const { day, findings } = runOf(seed);
    const reported = new Map(unexpected(findings).map((finding) => [originOfFinding(finding), finding]));

    // Assess
    const seen = day.manifest.thefts.map((theft) => {
      const finding = reported.get(originOfFinding(theft));
      return { label: theft.label, severity: finding?.severity, count: finding?.eventCount };
    });
    expect(seen).toEqual(
      day.manifest.thefts.map((theft) => ({
        label: theft.label,
        severity: theft.severity,
        count: theft.eventCount,
      })),
    );
  });

  it.each(SEEDS)('seed %d: reports no false positive: the layouts’ own traffic raises nothing', (seed) => {
    // Act
    const { day, findings } = runOf(seed);

    // Assess
    expect(unexpected(findings).map(originOfFinding).sort()).toEqual(
      day.manifest.thefts.map(originOfFinding).sort(),
    );
    const others = findings.filter(
      (finding) =>
        finding.type !== FindingType.UnexpectedOrigin &&
        finding.type !== FindingType.SessionNamedLikeInstance &&
        finding.type !== FindingType.Imdsv1Delivery,
    );
    expect(others).toEqual([]);
  });

  it.each(SEEDS)(
    'seed %d: a session merely named i-… is one LOW finding from the CI address, nothing from the instance’s egress',
    (seed) => {
      // Act
      const { day, findings } = runOf(seed);
      const named = findings.filter((finding) => finding.type === FindingType.SessionNamedLikeInstance);

      // Assess
      expect(
        named.map((finding) => ({
          accessKeyId: finding.accessKeyId,
          sourceIp: finding.sourceIp,
          severity: finding.severity,
          eventCount: finding.eventCount,
        })),
      ).toEqual(
        (day.manifest.namedSessions ?? []).map((session) => ({
          accessKeyId: session.accessKeyId,
          sourceIp: session.sourceIp,
          severity: 'LOW',
          eventCount: session.eventCount,
        })),
      );
      expect(named).toHaveLength(1);
    },
  );

  it('the finding says which part of the routed network was expected', () => {
    // Act
    const { day, findings } = runOf(SEEDS[0] ?? 1);
    const byLabel = (label: string) => {
      const theft = day.manifest.thefts.find((candidate) => candidate.label === label);
      return findings.find(
        (finding) => theft !== undefined && originOfFinding(finding) === originOfFinding(theft),
      );
    };

    // Assess
    expect(byLabel('central-egress-elsewhere')?.reason).toMatch(
      /egress via tgw-\w+ to NAT gateway nat-\w+ in vpc-\w+ of account 444444444444/,
    );
    expect(byLabel('central-egress-elsewhere')?.expected.route).toMatch(/to tgw-/);
    expect(byLabel('nat-instance-other-vpc')?.reason).toMatch(/egress via NAT instance i-/);
    expect(byLabel('appliance-elsewhere')?.reason).toMatch(/egress via appliance interface eni-\w+ of i-/);
    expect(byLabel('central-endpoint-other-host')?.reason).toMatch(/reached over tgw-/);
    expect(byLabel('unlisted-instance-attacker-first')?.reason).toMatch(/the inventory does not know/);
  });

  // Controls: the layouts are real traps, and the scoping is what keeps a theft visible.
  it('without the route tables, attachments and network account, the same layouts alarm on their own traffic', async () => {
    // Prepare
    const run = runOf(SEEDS[0] ?? 1);
    const network = run.day.manifest.networkAccountId;
    const unrouted = documentsOf(
      run.day,
      (entry) =>
        entry.accountId !== network &&
        entry.command !== 'describe-route-tables' &&
        entry.command !== 'describe-transit-gateway-attachments',
    );

    // Act
    const findings = await detectWith(run, unrouted, run.day.exceptions);

    // Assess
    const thefts = new Set(run.day.manifest.thefts.map(originOfFinding));
    const falseAlarms = unexpected(findings).filter((finding) => !thefts.has(originOfFinding(finding)));
    const layoutInstances = new Set(
      run.day.estate.instances
        .filter((instance) => instance.egressIps !== undefined)
        .map((i) => i.instanceId),
    );
    expect(falseAlarms.length).toBeGreaterThan(layoutInstances.size);
    expect(falseAlarms.every((finding) => layoutInstances.has(finding.instanceId))).toBe(true);
  });

  it('with the old unscoped EKS exception, the pod using another role’s key would be hidden', async () => {
    // Prepare
    const run = runOf(SEEDS[0] ?? 1);
    const pod = run.day.manifest.thefts.find((theft) => theft.label === 'pod-with-another-role');

    // Act
    const findings = await detectWith(
      run,
      documentsOf(run.day, () => true),
      [{ cidr: EKS_POD_CIDR, reason: 'EKS pods proxy node metadata' }],
    );

    // Assess
    const reported = unexpected(findings).map(originOfFinding).sort();
    expect(reported).toEqual(
      run.day.manifest.thefts
        .filter((theft) => theft !== pod)
        .map(originOfFinding)
        .sort(),
    );
  });
});
