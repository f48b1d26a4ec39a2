import { createHash } from 'node:crypto';
import { FindingType, type FindingDetail } from '../contracts/finding-event';
import { MAX_EVENT_NAMES, MAX_USER_AGENTS, type FindingObservation } from '../engine/detector-store';

/**
 * The pure half of storing findings: which observations are replays, how held deltas combine, which
 * updates are worth a write. The DynamoDB store does the I/O around it.
 */

/**
 * Part of a known finding's growth held in memory until it is worth a write, with the source ids it
 * carries. Parts stay apart so that a part another container merged meanwhile is dropped alone.
 */
export interface PendingPart {
  readonly observation: FindingObservation;
  readonly sources: readonly string[];
}

/** Finding items remember the last source ids that fed them, to spot replays across containers. */
export const MAX_SOURCES = 100;

export function sourceIdOf(sourceUri: string): string {
  return createHash('sha256').update(sourceUri).digest('hex').slice(0, 16);
}

/**
 * A fingerprint of the events an observation counted. The same records under another S3 key, or read
 * again by a second CLI hunt over the same files, give the same fingerprint, so they are recognised as a
 * replay even though the file's name (or the run) differs.
 */
export function eventSetIdOf(eventIds: readonly string[]): string {
  const hash = createHash('sha256');
  for (const id of [...eventIds].sort()) hash.update(id).update('\n');
  return `e:${hash.digest('hex').slice(0, 16)}`;
}

/** The source ids an observation carries: its file's (when the caller named one) and its events'. */
export function sourcesOf(observation: FindingObservation, fileSource: string | undefined): string[] {
  const sources = fileSource === undefined ? [] : [fileSource];
  if (observation.eventIds.length > 0) sources.push(eventSetIdOf(observation.eventIds));
  return sources;
}

/**
 * Whether an observation's calls are claimed one by one (event-sightings.ts) before they are counted, so
 * that a call brought by both paths (the real-time events and the log files), in any order and in any
 * containers, counts once. Theft findings only: their calls are few and their count is what on-call
 * reads. The IMDSv1 finding counts every call of a legacy instance, which would mean a write per
 * ordinary call; the real-time path does not feed it (DetectorService), so the files count it alone.
 */
export function needsSightings(observation: FindingObservation): boolean {
  return observation.detail.type !== FindingType.Imdsv1Delivery && observation.eventIds.length > 0;
}

/**
 * Who claims an observation's calls: its file (or forwarded event) when the caller named one, so that a
 * retry of that source anywhere may count them again (its replay check stops a second merge); else the
 * fingerprint of its calls, as the CLI's batches repeat it when a hunt is run again.
 */
export function sightingOwnerOf(observation: FindingObservation, fileSource: string | undefined): string {
  return fileSource ?? eventSetIdOf(observation.eventIds);
}

/**
 * The observation counting only `eventIds` (the calls this source sighted first). Names, user agents and
 * times stay: each belongs to a call of this finding whoever counted it, and they merge idempotently.
 */
export function countOnly(
  observation: FindingObservation,
  eventIds: ReadonlySet<string>,
): FindingObservation {
  const kept = [...new Set(observation.eventIds)].filter((eventId) => eventIds.has(eventId));
  return { ...observation, eventIds: kept, eventCount: kept.length };
}

/**
 * True when the observation adds nothing: it counted no event (only repeats named the finding), or one of
 * its source ids was already merged (stored, or held in memory).
 */
export function isReplay(
  observation: FindingObservation,
  sources: readonly string[],
  merged: readonly (readonly string[])[],
): boolean {
  if (observation.eventCount === 0) return true;
  return sources.some((source) => merged.some((known) => known.includes(source)));
}

/**
 * Whether an update changes what a reader would conclude: the count doubled, a new API or user agent,
 * or the activity went on for another six hours (GuardDuty's default re-publishing period for a
 * finding that keeps happening). Smaller changes wait for the next one that matters.
 */
const ONGOING_ACTIVITY_UPDATE_MS = 6 * 60 * 60_000;

export function isMeaningfulUpdate(before: FindingDetail, after: FindingDetail): boolean {
  return (
    after.eventCount >= 2 * Math.max(1, before.eventCount) ||
    after.eventNames.length > before.eventNames.length ||
    after.userAgents.length > before.userAgents.length ||
    Date.parse(after.lastSeen) - Date.parse(before.lastSeen) >= ONGOING_ACTIVITY_UPDATE_MS ||
    Date.parse(after.firstSeen) < Date.parse(before.firstSeen)
  );
}

/** The parts whose sources are all new to the stored finding: the others were merged by someone else. */
export function freshParts(parts: readonly PendingPart[], stored: readonly string[]): PendingPart[] {
  return parts.filter((part) => !part.sources.some((source) => stored.includes(source)));
}

/** The parts as one observation, to merge into the stored finding. */
export function combineParts(parts: readonly PendingPart[]): FindingObservation | undefined {
  const [first, ...rest] = parts;
  if (first === undefined) return undefined;
  let a = first.observation;
  for (const { observation } of rest) {
    a = {
      detail: a.detail,
      firstSeen: Math.min(a.firstSeen, observation.firstSeen),
      lastSeen: Math.max(a.lastSeen, observation.lastSeen),
      eventCount: a.eventCount + observation.eventCount,
      eventNames: unionCapped(a.eventNames, observation.eventNames, MAX_EVENT_NAMES),
      userAgents: unionCapped(a.userAgents, observation.userAgents, MAX_USER_AGENTS),
      eventIds: [...a.eventIds, ...observation.eventIds],
    };
  }
  return a;
}

/** The sources after a write: the new ones appended, the oldest dropped past the cap. */
export function mergeSources(stored: readonly string[], added: readonly string[]): string[] {
  const fresh = added.filter((source) => !stored.includes(source));
  return [...stored, ...fresh].slice(-MAX_SOURCES);
}

function unionCapped(a: readonly string[], b: readonly string[], cap: number): string[] {
  return [...new Set([...a, ...b])].slice(0, cap);
}
