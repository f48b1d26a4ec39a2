/**
 * How long after a thief's first call on-call hears of it, by the file path alone and with the
 * real-time path: a discrete-event simulation that feeds the REAL detector (lib/engine) the records of
 * a generated organisation day in the order and at the times each path would deliver them.
 *
 * Assumptions (each a parameter; defaults are what AWS documents or what we configure):
 * - CloudTrail writes a file about every 5 minutes and delivers it "within an average of about 5
 *   minutes of an API call", not guaranteed (CloudTrail User Guide): a file lands `fileDelay` after its
 *   window closes, drawn from a log-normal with the given median and 95th percentile.
 * - Real-time: CloudTrail hands the call to EventBridge `eventBridgeDelay` after it (log-normal),
 *   EventBridge forwards it to the central bus, the queue batches up to `batchWindowMs` (5 s), and a
 *   share `dropRate` never arrives (best-effort delivery): the files backfill those.
 * - Downstream of a finding: the bus and notifier to the email (`notifyMs`), the bus and responder to
 *   the plan (`planMs`); both measured in seconds on Lambda, set as constants here.
 */
import { compareEvents, type CredentialEvent } from '../../lib/engine/credential-event';
import { normalizeRecord } from '../../lib/engine/cloudtrail-record';
import { Detector } from '../../lib/engine/detector';
import type { ExceptionList } from '../../lib/engine/credential-exception';
import type { NetworkDirectory } from '../../lib/engine/detector-store';
import { MemoryStore } from '../../lib/state/memory-store';
import { deliveryTimeOf } from '../../lib/cloudtrail/log-file';
import type { CloudTrailRecord } from '../scenario/cloudtrail-records';
import type { RandomSource } from '../scenario/random-source';

export interface Delay {
  readonly medianMs: number;
  readonly p95Ms: number;
}

export interface LatencyAssumptions {
  readonly fileDelay: Delay;
  readonly eventBridgeDelay: Delay;
  readonly batchWindowMs: number;
  readonly dropRate: number;
  readonly notifyMs: number;
  readonly planMs: number;
}

export const DEFAULT_ASSUMPTIONS: LatencyAssumptions = {
  fileDelay: { medianMs: 5 * 60_000, p95Ms: 12 * 60_000 },
  eventBridgeDelay: { medianMs: 15_000, p95Ms: 60_000 },
  batchWindowMs: 5_000,
  dropRate: 0.01,
  notifyMs: 3_000,
  planMs: 2_000,
};

export interface LogFile {
  readonly key: string;
  readonly records: readonly CloudTrailRecord[];
}

export interface Theft {
  readonly label: string;
  readonly accessKeyId: string;
  readonly sourceIp: string;
  readonly vpcEndpointId: string | null;
  readonly firstSeen: string;
}

export interface TheftLatency {
  readonly label: string;
  /** Milliseconds from the thief's first call to the email and to the responder's plan; undefined: missed. */
  readonly emailMs?: number;
  readonly planMs?: number;
}

interface Arrival {
  readonly at: number;
  readonly events: CredentialEvent[];
}

/** A log-normal draw with the given median and 95th percentile (Box-Muller on the seeded source). */
export function logNormal(random: RandomSource, { medianMs, p95Ms }: Delay): number {
  const sigma = Math.log(p95Ms / medianMs) / 1.6449;
  const u = Math.max(random.float(), Number.EPSILON);
  const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.float());
  return medianMs * Math.exp(sigma * normal);
}

export interface SimulationInput {
  readonly files: readonly LogFile[];
  readonly thefts: readonly Theft[];
  readonly networks: NetworkDirectory;
  readonly exceptions: ExceptionList;
  readonly trustedAccounts: ReadonlySet<string>;
  readonly realtime: boolean;
  readonly assumptions: LatencyAssumptions;
  readonly random: RandomSource;
}

/** One run of the day through the chosen paths: per planted theft, when people and the responder knew. */
export async function simulateLatency(input: SimulationInput): Promise<TheftLatency[]> {
  const arrivals = input.realtime
    ? [...fileArrivals(input), ...realtimeArrivals(input)]
    : fileArrivals(input);
  arrivals.sort((a, b) => a.at - b.at);
  let now = 0;
  const detector = new Detector({
    store: new MemoryStore(),
    networks: input.networks,
    exceptions: input.exceptions,
    trustedAccounts: input.trustedAccounts,
    trustRecipientAccounts: true,
    clock: () => now,
  });
  const detectedAt = new Map<string, number>();
  for (const arrival of arrivals) {
    now = arrival.at;
    const { findings } = await detector.process(arrival.events.sort(compareEvents));
    for (const { detail, created } of findings) {
      if (!created) continue;
      detectedAt.set(`${detail.accessKeyId} ${detail.sourceIp ?? '-'} ${detail.vpcEndpointId ?? '-'}`, now);
    }
  }
  return input.thefts.map((theft) => {
    const at = detectedAt.get(`${theft.accessKeyId} ${theft.sourceIp} ${theft.vpcEndpointId ?? '-'}`);
    if (at === undefined) return { label: theft.label };
    const latency = at - Date.parse(theft.firstSeen);
    return {
      label: theft.label,
      emailMs: latency + input.assumptions.notifyMs,
      planMs: latency + input.assumptions.planMs,
    };
  });
}

function credentialEvents(records: readonly CloudTrailRecord[]): CredentialEvent[] {
  const events: CredentialEvent[] = [];
  for (const record of records) {
    const result = normalizeRecord(record);
    if (result.status === 'event') events.push(result.event);
  }
  return events;
}

/** Each file lands once, some minutes after its five-minute window closed (the time in its name). */
function fileArrivals({ files, assumptions, random }: SimulationInput): Arrival[] {
  return files.map((file) => {
    const windowEnd = deliveryTimeOf(file.key);
    if (windowEnd === undefined) throw new Error(`no delivery time in ${file.key}`);
    return {
      at: windowEnd + logNormal(random, assumptions.fileDelay),
      events: credentialEvents(file.records),
    };
  });
}

/** Each instance-credential call on its own, seconds after it; the queue gathers them into batches. */
function realtimeArrivals({ files, assumptions, random }: SimulationInput): Arrival[] {
  const byBatch = new Map<number, CredentialEvent[]>();
  for (const file of files) {
    for (const event of credentialEvents(file.records)) {
      if (random.chance(assumptions.dropRate)) continue;
      const reached = event.eventTime + logNormal(random, assumptions.eventBridgeDelay);
      const batch = Math.ceil(reached / assumptions.batchWindowMs) * assumptions.batchWindowMs;
      const events = byBatch.get(batch) ?? [];
      events.push(event);
      byBatch.set(batch, events);
    }
  }
  return [...byBatch].map(([at, events]) => ({ at, events }));
}

/** The p-th percentile (0..100) by nearest rank; undefined for no values. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}
