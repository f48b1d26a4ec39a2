import { S3Client } from '@aws-sdk/client-s3';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDigestFile, readLogFile } from '../../lib/cloudtrail/log-file';
import type { FindingDetail } from '../../lib/contracts/finding-event';
import { normalizeRecord } from '../../lib/engine/cloudtrail-record';
import type { ExceptionList } from '../../lib/engine/credential-exception';
import type { NetworkDirectory } from '../../lib/engine/detector-store';
import { runDetection } from '../../lib/cli/detect-run';
import { MemoryStore } from '../../lib/state/memory-store';

export interface TrailRead {
  /** Instance-credential events (uses and EC2 deliveries) the trail holds. */
  readonly credentialEvents: number;
  readonly records: number;
  readonly logFiles: number;
  readonly digestFiles: number;
  readonly invalid: string[];
  readonly serviceCalls: number;
}

export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(path)));
    else files.push(path);
  }
  return files.sort();
}

/** Counts what a CloudTrail folder holds, file by file: records, digests, invalid and service calls. */
export async function readTrail(dir: string): Promise<TrailRead> {
  let credentialEvents = 0;
  const invalid: string[] = [];
  let records = 0;
  let logFiles = 0;
  let digestFiles = 0;
  let serviceCalls = 0;
  for (const file of await listFiles(dir)) {
    if (isDigestFile(file)) {
      digestFiles++;
      continue;
    }
    logFiles++;
    for (const raw of await readLogFile(file, await readFile(file))) {
      records++;
      const result = normalizeRecord(raw);
      if (result.status === 'event') credentialEvents++;
      else if (result.status === 'invalid') invalid.push(result.reason);
      else if (result.status === 'service-call') serviceCalls++;
    }
  }
  return { credentialEvents, records, logFiles, digestFiles, invalid, serviceCalls };
}

/** `credtrail detect` itself (its runDetection) over a folder of CloudTrail, with a fresh MemoryStore. */
export async function detect(
  cloudtrailDir: string,
  networks: NetworkDirectory,
  exceptions: ExceptionList,
  trustedAccounts: ReadonlySet<string>,
): Promise<FindingDetail[]> {
  const report = await runDetection({
    paths: [cloudtrailDir],
    store: new MemoryStore(),
    networks,
    exceptions,
    trustedAccounts,
    trustRecipientAccounts: true,
    reorderWindowMs: 60 * 60_000,
    clock: () => Date.parse('2030-01-01T00:00:00Z'),
    s3: () => new S3Client({ region: 'us-east-1' }),
  });
  return report.findings;
}

/** The identity of a finding that the manifest can name: key and origin. */
export function originOfFinding(finding: {
  accessKeyId: string;
  sourceIp: string | null;
  vpcEndpointId: string | null;
}): string {
  return `${finding.accessKeyId} ${finding.sourceIp ?? '-'} ${finding.vpcEndpointId ?? '-'}`;
}
