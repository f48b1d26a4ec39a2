import { createHash } from 'node:crypto';
import type { FindingDetail } from '../contracts/finding-event';
import type { CredentialUse } from './credential-event';
import { MAX_EVENT_NAMES, MAX_USER_AGENTS, type FindingObservation } from './detector-store';

/** A finding a call feeds: its id, and how to describe it from the first call seen. */
export interface FindingTemplate {
  readonly findingId: string;
  readonly build: (use: CredentialUse) => FindingDetail;
}

/** One finding's sightings within a batch, saved to the store in one observation. */
export interface Aggregate {
  detail: FindingDetail;
  firstSeen: number;
  lastSeen: number;
  eventCount: number;
  eventNames: Set<string>;
  userAgents: Set<string>;
  eventIds: string[];
}

/** Adds one call to its finding's aggregate; an uncounted call (a repeat) only makes sure it exists. */
export function observe(
  aggregates: Map<string, Aggregate>,
  template: FindingTemplate,
  use: CredentialUse,
  counted: boolean,
): void {
  let aggregate = aggregates.get(template.findingId);
  if (aggregate === undefined) {
    aggregate = {
      detail: template.build(use),
      firstSeen: use.eventTime,
      lastSeen: use.eventTime,
      eventCount: 0,
      eventNames: new Set(),
      userAgents: new Set(),
      eventIds: [],
    };
    aggregates.set(template.findingId, aggregate);
  }
  if (!counted) return;
  aggregate.eventCount++;
  aggregate.eventIds.push(use.eventId);
  if (use.eventTime < aggregate.firstSeen) aggregate.firstSeen = use.eventTime;
  if (use.eventTime > aggregate.lastSeen) aggregate.lastSeen = use.eventTime;
  if (aggregate.eventNames.size < MAX_EVENT_NAMES) aggregate.eventNames.add(use.eventName);
  if (use.userAgent !== undefined && aggregate.userAgents.size < MAX_USER_AGENTS)
    aggregate.userAgents.add(use.userAgent);
}

export function toObservation(aggregate: Aggregate): FindingObservation {
  return {
    detail: aggregate.detail,
    firstSeen: aggregate.firstSeen,
    lastSeen: aggregate.lastSeen,
    eventCount: aggregate.eventCount,
    eventNames: [...aggregate.eventNames],
    userAgents: [...aggregate.userAgents],
    eventIds: aggregate.eventIds,
  };
}

export function findingIdOf(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}
