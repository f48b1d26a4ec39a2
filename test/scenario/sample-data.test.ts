import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { readLogFile } from '../../lib/cloudtrail/log-file';
import { FindingType, type FindingDetail } from '../../lib/contracts/finding-event';
import { ExceptionList, parseExceptions } from '../../lib/engine/credential-exception';
import { InventoryDirectory } from '../../lib/inventory/inventory-directory';
import { generateOrganisationDay, type ScenarioManifest } from '../../scripts/scenario/organisation-day';
import { SAMPLE_OPTIONS } from '../../scripts/scenario/sample-scenario';
import { detect, listFiles, originOfFinding, readTrail, type TrailRead } from './detect-directory';

const SAMPLE = join(__dirname, '..', '..', 'sample-data');

async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, 'utf8')) as unknown;
}

// The bundled sample is what the README's first command runs on: it must give exactly its expected
// findings, and stay what the generator makes (rerun `npm run sample-data` after changing the generator).
describe('sample-data/', () => {
  let manifest: ScenarioManifest;
  let trail: TrailRead;
  let findings: FindingDetail[];

  beforeAll(async () => {
    manifest = (await readJson(join(SAMPLE, 'expected-findings.json'))) as ScenarioManifest;
    trail = await readTrail(join(SAMPLE, 'cloudtrail'));
    const inventory = await InventoryDirectory.load(join(SAMPLE, 'inventory'));
    const exceptions = new ExceptionList(
      parseExceptions(await readJson(join(SAMPLE, 'exceptions.json')), 'sample-data/exceptions.json'),
    );
    findings = await detect(join(SAMPLE, 'cloudtrail'), inventory, exceptions, inventory.ownerAccounts);
  });

  it('gives exactly the thefts of expected-findings.json, with their severities', () => {
    // Act
    const reported = findings
      .filter((finding) => finding.type === FindingType.UnexpectedOrigin)
      .map((finding) => `${originOfFinding(finding)} ${finding.severity}`)
      .sort();

    // Assess
    expect(reported).toEqual(
      manifest.thefts.map((theft) => `${originOfFinding(theft)} ${theft.severity}`).sort(),
    );
    expect(manifest.thefts).toHaveLength(7);
  });

  it('gives exactly the IMDSv1 findings of expected-findings.json', () => {
    // Act
    const reported = findings.filter((finding) => finding.type === FindingType.Imdsv1Delivery);

    // Assess
    expect(reported.map((finding) => finding.instanceId).sort()).toEqual(
      manifest.imdsv1Instances.map((instance) => instance.instanceId).sort(),
    );
  });

  it('is small, and every record in it is one the engine can read', () => {
    // Assess
    expect(trail.records).toBeGreaterThan(2000);
    expect(trail.records).toBeLessThan(5000);
    expect(trail.invalid).toEqual([]);
    expect(trail.digestFiles).toBeGreaterThan(0);
  });

  it('is what the generator makes from SAMPLE_OPTIONS: manifest, inventory, exceptions and every log file', async () => {
    // Prepare
    const day = generateOrganisationDay(SAMPLE_OPTIONS);
    const committed = new Set(
      (await listFiles(join(SAMPLE, 'cloudtrail'))).map((file) => relative(join(SAMPLE, 'cloudtrail'), file)),
    );

    // Act
    const generated: string[] = [];
    const differing: string[] = [];
    for (const file of day.files()) {
      generated.push(file.key);
      if (file.kind !== 'log' || !committed.has(file.key)) continue;
      const path = join(SAMPLE, 'cloudtrail', file.key);
      const records = await readLogFile(path, await readFile(path));
      if (JSON.stringify(records) !== JSON.stringify(file.records)) differing.push(file.key);
    }

    // Assess
    expect(JSON.parse(JSON.stringify(day.manifest))).toEqual(manifest);
    expect(await readJson(join(SAMPLE, 'exceptions.json'))).toEqual(day.exceptions);
    for (const entry of day.inventory) {
      expect(
        await readJson(join(SAMPLE, 'inventory', entry.accountId, entry.region, `${entry.command}.json`)),
      ).toEqual(entry.document);
    }
    expect(generated.sort()).toEqual([...committed].sort());
    expect(differing).toEqual([]);
  });
});
