// CloudTrail's delivery of the day: five-minute log files per account and region, records delivered
// late in the next file, cross-account copies, and the hourly digest files.
import { isoSeconds, type CloudTrailRecord } from './cloudtrail-records';
import { instanceSlot } from './instance-traffic';
import type { KeySchedule } from './key-schedule';
import { noiseRecords } from './noise-records';
import type { ScenarioFile } from './organisation-day';
import type { Estate } from './organisation-estate';
import { RandomSource, drawCount } from './random-source';
import { HOUR, SLOT, type Routed, type ScenarioEvent } from './scenario-events';
import type { ResolvedOptions } from './scenario-options';

export function* generateFiles(
  options: ResolvedOptions,
  estate: Estate,
  keys: KeySchedule,
  events: readonly ScenarioEvent[],
  start: number,
  end: number,
): Generator<ScenarioFile> {
  const slots = Math.round((end - start) / SLOT);
  const theftEvents = [...events].sort((a, b) => a.time - b.time);
  const carry = new Map<string, CloudTrailRecord[]>();
  const hourKeys = new Map<string, string[]>();
  const shared = estate.accounts.find((account) => account.affiliated);
  const instancesByFile = new Map<string, number>();
  for (const instance of estate.instances) {
    const id = `${instance.accountId}|${instance.region}`;
    instancesByFile.set(id, (instancesByFile.get(id) ?? 0) + 1);
  }

  // Files are made one account at a time, so memory holds one account's five minutes, whatever the
  // scale. A record for another account (the bucket owner's copy of a cross-account S3 call) waits
  // in `pending` for that account's file, or in `carry` (next file) when that file is already out.
  const pending = new Map<string, CloudTrailRecord[]>();
  const listIn = <T>(map: Map<string, T[]>, id: string): T[] => {
    let list = map.get(id);
    if (list === undefined) map.set(id, (list = []));
    return list;
  };
  for (let slot = 0; slot < slots; slot++) {
    const slotStart = start + slot * SLOT;
    const slotEnd = slotStart + SLOT;
    const done = new Set<string>();
    for (const account of estate.accounts) {
      const routed: Routed[] = [];
      for (const instance of estate.instances) {
        if (instance.accountId !== account.accountId) continue;
        routed.push(...instanceSlot(options, estate, keys, instance, slot, slotStart, shared));
      }
      for (const region of estate.regions) {
        const instances = instancesByFile.get(`${account.accountId}|${region}`) ?? 0;
        const mean = (options.noiseRatio * options.callsPerInstanceHour * Math.max(instances, 1)) / 12;
        const random = new RandomSource(options.seed, 'noise', account.accountId, region, slot);
        for (const record of noiseRecords(
          random,
          account,
          region,
          slotStart,
          SLOT,
          drawCount(random, mean),
        )) {
          routed.push({ accountId: account.accountId, region, record });
        }
      }
      const sameTime = new Map<number, number>();
      for (const event of theftEvents) {
        if (event.time >= slotStart && event.time < slotEnd) {
          // Two calls in the same millisecond draw from two streams: one eventID each.
          const nth = sameTime.get(event.time) ?? 0;
          sameTime.set(event.time, nth + 1);
          const random =
            nth === 0
              ? new RandomSource(options.seed, 'theft', event.time)
              : new RandomSource(options.seed, 'theft', event.time, nth);
          const built = event.build(random);
          if (built.accountId === account.accountId) routed.push(built);
        }
      }
      for (const { accountId, region, record } of routed) {
        const id = `${accountId}|${region}`;
        listIn(done.has(accountId) ? carry : pending, id).push(record);
      }
      done.add(account.accountId);

      for (const region of estate.regions) {
        const id = `${account.accountId}|${region}`;
        const random = new RandomSource(options.seed, 'file', id, slot);
        const records = carry.get(id) ?? [];
        const lateRecords = records.length;
        const late: CloudTrailRecord[] = [];
        for (const record of pending.get(id) ?? []) {
          if (slot < slots - 1 && random.chance(options.lateDeliveryRate)) late.push(record);
          else records.push(record);
        }
        pending.delete(id);
        carry.set(id, late);
        const deliveredAt = slotEnd + random.int(30, 270) * 1000;
        if (records.length > 0) {
          const key = logKey(account.accountId, region, deliveredAt, random.chars(16));
          listIn(hourKeys, id).push(key);
          yield {
            kind: 'log',
            key,
            accountId: account.accountId,
            region,
            records: random.shuffle(records),
            lateRecords,
          };
        }
        if ((slot + 1) % 12 === 0) {
          yield digestFile(random, account.accountId, region, slotEnd, hourKeys.get(id) ?? []);
          hourKeys.set(id, []);
        }
      }
    }
  }
}

function logKey(accountId: string, region: string, deliveredAt: number, id: string): string {
  const iso = new Date(deliveredAt).toISOString();
  const [yyyy, mm, dd] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10)];
  const stamp = `${yyyy}${mm}${dd}T${iso.slice(11, 13)}${iso.slice(14, 16)}Z`;
  return `AWSLogs/${accountId}/CloudTrail/${region}/${yyyy}/${mm}/${dd}/${accountId}_CloudTrail_${region}_${stamp}_${id}.json.gz`;
}

/** The hourly digest CloudTrail writes beside the logs: hashes of the hour's files, no records. */
function digestFile(
  random: RandomSource,
  accountId: string,
  region: string,
  hourEnd: number,
  logKeys: readonly string[],
): ScenarioFile {
  const iso = new Date(hourEnd).toISOString();
  const [yyyy, mm, dd] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10)];
  const stamp = `${yyyy}${mm}${dd}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const bucket = 'org-cloudtrail-logs-333333333333';
  return {
    kind: 'digest',
    key: `AWSLogs/${accountId}/CloudTrail-Digest/${region}/${yyyy}/${mm}/${dd}/${accountId}_CloudTrail-Digest_${region}_org-trail_${region}_${stamp}.json.gz`,
    document: {
      awsAccountId: accountId,
      digestStartTime: isoSeconds(hourEnd - HOUR),
      digestEndTime: isoSeconds(hourEnd),
      digestS3Bucket: bucket,
      digestPublicKeyFingerprint: random.hex(32),
      digestSignatureAlgorithm: 'SHA256withRSA',
      previousDigestSignature: random.hex(64),
      logFiles: logKeys.map((key) => ({
        s3Bucket: bucket,
        s3Object: key,
        hashValue: random.hex(64),
        hashAlgorithm: 'SHA-256',
      })),
    },
  };
}
