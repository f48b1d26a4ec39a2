import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FindingType, type FindingDetail } from '../../lib/contracts/finding-event';
import { ExceptionList, parseExceptions } from '../../lib/engine/credential-exception';
import { cidrContains, parseAddress, parseCidr } from '../../lib/engine/ip-address';
import { InventoryDirectory } from '../../lib/inventory/inventory-directory';
import { ResponseConfigSchema } from '../../lib/responder/response-config-schema';
import { exceptionSubjectOf } from '../../lib/tune/finding-origin';
import { buildTuneReport } from '../../lib/tune/tune-report';
import { DEFAULT_THRESHOLDS } from '../../lib/tune/tune-thresholds';
import {
  EKS_POD_CIDR,
  generateOrganisationDay,
  type OrganisationDay,
} from '../../scripts/scenario/organisation-day';
import type { OrganisationDayOptions } from '../../scripts/scenario/scenario-options';
import { writeScenario } from '../../scripts/scenario/write-scenario';
import { detect, originOfFinding } from '../scenario/detect-directory';
import { runTune } from './tune-cli-harness';

// detect() judges exception expiry on its clock (2030-01-01): tuning happens the day before the rerun.
const TUNED_AT = new Date('2029-12-31T00:00:00Z');

interface TunedDay {
  readonly day: OrganisationDay;
  readonly before: FindingDetail[];
  readonly exceptions: ReturnType<typeof parseExceptions>;
  readonly after: FindingDetail[];
  readonly tuneOutput: string;
  readonly writeOutput: string;
}

/**
 * The tuning loop on a generated organisation day run without exceptions: detect, `credtrail tune
 * --write`, detect again with the written file.
 */
async function tuneDay(dir: string, options: OrganisationDayOptions): Promise<TunedDay> {
  const day = generateOrganisationDay(options);
  await writeScenario(dir, day);
  const inventory = await InventoryDirectory.load(join(dir, 'inventory'));
  const cloudtrail = join(dir, 'cloudtrail');
  const before = await detect(cloudtrail, inventory, new ExceptionList([]), inventory.ownerAccounts);
  const findingsFile = join(dir, 'findings.jsonl');
  await writeFile(findingsFile, before.map((finding) => JSON.stringify(finding)).join('\n'));
  // Not the scenario's own exceptions.json (the shipped EKS exception): tuning starts from none.
  const exceptionsFile = join(dir, 'tuned-exceptions.json');
  const run = await runTune([findingsFile, '--write', exceptionsFile], TUNED_AT);
  expect(run.exitCode).toBe(0);
  const exceptions = parseExceptions(JSON.parse(await readFile(exceptionsFile, 'utf8')));
  const after = await detect(cloudtrail, inventory, new ExceptionList(exceptions), inventory.ownerAccounts);
  return { day, before, exceptions, after, tuneOutput: run.stdout, writeOutput: run.stderr };
}

const origins = (findings: readonly FindingDetail[]) =>
  findings
    .filter((finding) => finding.type === FindingType.UnexpectedOrigin)
    .map(originOfFinding)
    .sort();

const inPodCidr = (finding: FindingDetail) => {
  const cidr = parseCidr(EKS_POD_CIDR);
  const address = finding.sourceIp === null ? undefined : parseAddress(finding.sourceIp);
  return cidr !== undefined && address !== undefined && cidrContains(cidr, address);
};

/** The one exception written: the EKS node role's pods, in its account and VPC, within the pod range. */
function expectOnlyThePodException({ day, exceptions }: TunedDay): void {
  const node = day.estate.instances.find((instance) => instance.kind === 'eks-node');
  const podCidr = parseCidr(EKS_POD_CIDR);
  expect(exceptions).toEqual([
    {
      cidr: expect.stringMatching(/^100\.64\./) as unknown,
      accountId: node?.accountId,
      roleName: node?.role.name,
      vpcId: node?.vpc.vpcId,
      reason: expect.stringContaining("through endpoints of the instances' own VPC") as unknown,
      expiresAt: expect.any(String) as unknown,
    },
  ]);
  const [network] = parseCidr(exceptions[0]?.cidr ?? '') ?? [];
  expect(podCidr !== undefined && network !== undefined && cidrContains(podCidr, network)).toBe(true);
}

describe('credtrail tune on a generated organisation day run without exceptions', () => {
  let dir: string;
  let tuned: TunedDay;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'credtrail-tune-day-'));
    tuned = await tuneDay(dir, {});
    // Two detections of ~80k records: about 20 s here; room for a slow shared runner.
  }, 240_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('starts from a day where the EKS pods raise findings besides the thefts', () => {
    // Assess
    // Two of the landing-zone thefts come from the pod range too (another role's key, another VPC).
    const thefts = new Set(tuned.day.manifest.thefts.map(originOfFinding));
    const pods = tuned.before.filter(
      (finding) =>
        finding.type === FindingType.UnexpectedOrigin &&
        inPodCidr(finding) &&
        !thefts.has(originOfFinding(finding)),
    );
    expect(pods.length).toBeGreaterThan(20);
    expect(origins(tuned.before)).toEqual(
      [...tuned.day.manifest.thefts.map(originOfFinding), ...pods.map(originOfFinding)].sort(),
    );
  });

  it('proposes one exception for the EKS pods, scoped to the node role, its account and VPC and the pod range', () => {
    // Assess
    expectOnlyThePodException(tuned);
    expect(tuned.tuneOutput).toMatch(
      /evidence: \d+ findings of .*eks-node.* from 2 instance\(s\) and \d+ keys over 1 day\(s\)/,
    );
    expect(tuned.writeOutput).toMatch(/1 added, 0 kept, 0 expired, 0 already there/);
  });

  it('after writing it, detection keeps every planted theft and raises nothing else', () => {
    // Assess
    expect(origins(tuned.after)).toEqual(tuned.day.manifest.thefts.map(originOfFinding).sort());
  });

  it('no proposal covers a planted theft', () => {
    // Prepare
    const list = new ExceptionList(tuned.exceptions);
    const thefts = new Set(tuned.day.manifest.thefts.map(originOfFinding));

    // Assess
    const stolen = tuned.before.filter((finding) => thefts.has(originOfFinding(finding)));
    expect(stolen).toHaveLength(thefts.size);
    expect(
      stolen.filter((finding) => list.match(exceptionSubjectOf(finding), TUNED_AT.getTime()) !== undefined),
    ).toEqual([]);
  });

  it('names every theft among the groups left alone, as bursts of one key or foreign endpoints', () => {
    // Act
    const report = buildTuneReport({
      findings: tuned.before,
      recordedPlans: [],
      config: ResponseConfigSchema.parse({}),
      thresholds: DEFAULT_THRESHOLDS,
      severityThreshold: 7,
      now: new Date(tuned.day.end),
    });

    // Assess
    const thefts = new Set(tuned.day.manifest.thefts.map(originOfFinding));
    const leftAlone = report.verdicts
      .filter((verdict) => verdict.decision.status === 'not-proposed')
      .flatMap((verdict) => verdict.group.findings.map(originOfFinding));
    expect([...thefts].filter((theft) => !leftAlone.includes(theft))).toEqual([]);
    const eksRole = report.goLive.roles.find((role) => role.roleName.includes('eks-node'));
    expect(eksRole?.readyToEnforce).toBe(true);
    const victims = report.goLive.roles.filter((role) =>
      tuned.day.manifest.thefts.some(
        (theft) => theft.roleName === role.roleName && theft.severity === 'HIGH',
      ),
    );
    expect(victims.length).toBeGreaterThan(0);
    expect(victims.every((role) => !role.readyToEnforce && role.wouldHave['revoke-sessions'] > 0)).toBe(true);
  });
});

describe.each([7, 4242])('credtrail tune on a shorter day, seed %i', (seed) => {
  let dir: string;
  let tuned: TunedDay;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `credtrail-tune-seed-${seed}-`));
    tuned = await tuneDay(dir, { seed, hours: 6 });
  }, 240_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('proposes the EKS pod exception, covers no planted theft, keeps every one after the rerun, and leaves no false positive', () => {
    // Prepare
    const list = new ExceptionList(tuned.exceptions);
    const thefts = new Set(tuned.day.manifest.thefts.map(originOfFinding));

    // Assess
    expectOnlyThePodException(tuned);
    expect(
      tuned.before.filter(
        (finding) =>
          thefts.has(originOfFinding(finding)) && list.match(exceptionSubjectOf(finding), TUNED_AT.getTime()),
      ),
    ).toEqual([]);
    expect(origins(tuned.after)).toEqual([...thefts].sort());
  });
});
