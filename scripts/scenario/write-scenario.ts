import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { OrganisationDay } from './organisation-day';

export interface ScenarioLayout {
  /** Where the AWSLogs/ tree goes, relative to the scenario directory. */
  readonly cloudtrailDir?: string;
  readonly inventoryDir?: string;
  readonly exceptionsFile?: string;
  readonly manifestFile?: string;
}

export const DEFAULT_LAYOUT: Required<ScenarioLayout> = {
  cloudtrailDir: 'cloudtrail',
  inventoryDir: 'inventory',
  exceptionsFile: 'exceptions.json',
  manifestFile: 'expected-findings.json',
};

export interface WriteSummary {
  readonly logFiles: number;
  readonly digestFiles: number;
  readonly records: number;
  /** Records signed with instance credentials (profile or identity role), AWS-service calls included. */
  readonly instanceCredentialRecords: number;
  readonly deliveryRecords: number;
  readonly bytes: number;
}

/**
 * Writes a scenario the way AWS lays it out: the CloudTrail bucket's `AWSLogs/…` tree (gzipped
 * `{"Records":[…]}` files, digests beside them), `inventory/<account>/<region>/describe-….json`, the
 * exception list and the manifest of expected findings. Files are written one at a time, so a day of
 * millions of records never sits in memory.
 */
export async function writeScenario(
  dir: string,
  scenario: OrganisationDay,
  layout: ScenarioLayout = {},
): Promise<WriteSummary> {
  const paths = { ...DEFAULT_LAYOUT, ...layout };
  let logFiles = 0;
  let digestFiles = 0;
  let records = 0;
  let instanceCredentialRecords = 0;
  let deliveryRecords = 0;
  let bytes = 0;
  const made = new Set<string>();
  const put = async (path: string, body: string | Buffer) => {
    const folder = dirname(path);
    if (!made.has(folder)) {
      await mkdir(folder, { recursive: true });
      made.add(folder);
    }
    await writeFile(path, body);
    bytes += body.length;
  };

  for (const file of scenario.files()) {
    const path = join(dir, paths.cloudtrailDir, file.key);
    if (file.kind === 'digest') {
      digestFiles++;
      await put(path, gzipSync(JSON.stringify(file.document)));
      continue;
    }
    logFiles++;
    records += file.records.length;
    for (const record of file.records) {
      const identity = record['userIdentity'] as { principalId?: unknown; invokedBy?: unknown } | undefined;
      if (typeof identity?.principalId === 'string' && /:i-[0-9a-f]+$/.test(identity.principalId))
        instanceCredentialRecords++;
      else if (identity?.invokedBy === 'ec2.amazonaws.com') deliveryRecords++;
    }
    await put(path, gzipSync(JSON.stringify({ Records: file.records })));
  }
  for (const entry of scenario.inventory) {
    await put(
      join(dir, paths.inventoryDir, entry.accountId, entry.region, `${entry.command}.json`),
      `${JSON.stringify(entry.document, null, 2)}\n`,
    );
  }
  await put(join(dir, paths.exceptionsFile), `${JSON.stringify(scenario.exceptions, null, 2)}\n`);
  await put(join(dir, paths.manifestFile), `${JSON.stringify(scenario.manifest, null, 2)}\n`);
  return { logFiles, digestFiles, records, instanceCredentialRecords, deliveryRecords, bytes };
}
