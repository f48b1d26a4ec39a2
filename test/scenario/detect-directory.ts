import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDigestFile, readLogFile } from '../../lib/cloudtrail/log-file';
import type { FindingDetail } from '../../lib/contracts/finding-event';
import { normalizeRecord } from '../../lib/engine/cloudtrail-record';
import type { CredentialEvent } from '../../lib/engine/credential-event';
import type { ExceptionList } from '../../lib/engine/credential-exception';
import type { NetworkDirectory, NetworkLookup, NetworkRequest } from '../../lib/engine/detector-store';
import { Detector } from '../../lib/engine/detector';
import { MemoryStore } from '../../lib/state/memory-store';

/** A NetworkDirectory that knows nothing: the detector falls back to first-seen. */
export const NO_INVENTORY: NetworkDirectory = {
  lookup(requests: readonly NetworkRequest[]): Promise<Map<string, NetworkLookup>> {
    return Promise.resolve(
      new Map(requests.map((request) => [request.instanceId, { status: 'unknown' } as const])),
    );
  },
};

export interface TrailRead {
  /** Credential events in eventTime order, as the detector wants them. */
  readonly events: CredentialEvent[];
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

/** Reads every CloudTrail file under `dir` the way the CLI does: digests skipped, records normalised. */
export async function readTrail(dir: string): Promise<TrailRead> {
  const events: CredentialEvent[] = [];
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
      if (result.status === 'event') events.push(result.event);
      else if (result.status === 'invalid') invalid.push(result.reason);
      else if (result.status === 'service-call') serviceCalls++;
    }
  }
  events.sort((a, b) => a.eventTime - b.eventTime);
  return { events, records, logFiles, digestFiles, invalid, serviceCalls };
}

/** Feeds the events to a fresh Detector with a MemoryStore, in batches, as the CLI does. */
export async function detect(
  events: readonly CredentialEvent[],
  networks: NetworkDirectory,
  exceptions: ExceptionList,
  trustedAccounts: ReadonlySet<string>,
): Promise<FindingDetail[]> {
  const store = new MemoryStore();
  const detector = new Detector({
    store,
    networks,
    exceptions,
    trustedAccounts,
    trustRecipientAccounts: true,
    clock: () => events[events.length - 1]?.eventTime ?? 0,
  });
  for (let i = 0; i < events.length; i += 1000) await detector.process(events.slice(i, i + 1000));
  return store.allFindings();
}

/** The identity of a finding that the manifest can name: key and origin. */
export function originOfFinding(finding: {
  accessKeyId: string;
  sourceIp: string | null;
  vpcEndpointId: string | null;
}): string {
  return `${finding.accessKeyId} ${finding.sourceIp ?? '-'} ${finding.vpcEndpointId ?? '-'}`;
}
