// What the day's generators share: time units, a record routed to its account's file, a timed call.
import type { CloudTrailRecord } from './cloudtrail-records';
import type { RandomSource } from './random-source';

export const HOUR = 3_600_000;
export const MINUTE = 60_000;
/** CloudTrail delivers a file per account and region about every five minutes. */
export const SLOT = 5 * MINUTE;

/** A record routed to the log file of one account and region. */
export interface Routed {
  readonly accountId: string;
  readonly region: string;
  readonly record: CloudTrailRecord;
}

/** One call of the scenario outside an instance's own hourly traffic: a theft's, a named session's. */
export interface ScenarioEvent {
  readonly time: number;
  readonly build: (random: RandomSource) => Routed;
}
