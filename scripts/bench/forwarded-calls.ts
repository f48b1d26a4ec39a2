/** The second path for the DynamoDB bench: what the member accounts' rule would forward from a generated day. */
import { compareEvents, type CredentialEvent } from '../../lib/engine/credential-event';
import { normalizeRecord } from '../../lib/engine/cloudtrail-record';
import { matchesEventPattern } from '../../lib/infra/event-pattern-matcher';
import { INSTANCE_CREDENTIAL_CALL_PATTERN } from '../../lib/infra/event-patterns';
import type { OrganisationDay } from '../scenario';

// The real-time queue's batch size (lib/infra/realtime-path.ts): one store flush per batch.
export const REALTIME_BATCH = 100;

export interface ForwardedCall {
  readonly arrival: number;
  readonly eventId: string;
  readonly event: CredentialEvent;
}

/** The calls the member rule forwards, as EventBridge wraps them, in order of arrival. */
export function forwardedCalls(day: OrganisationDay, delayMs: number): ForwardedCall[] {
  const calls: ForwardedCall[] = [];
  for (const file of day.files()) {
    if (file.kind !== 'log') continue;
    for (const record of file.records as Record<string, unknown>[]) {
      const envelope = { source: 'aws.ec2', 'detail-type': 'AWS API Call via CloudTrail', detail: record };
      if (!matchesEventPattern(INSTANCE_CREDENTIAL_CALL_PATTERN, envelope)) continue;
      const result = normalizeRecord(record);
      if (result.status !== 'event') continue;
      calls.push({
        arrival: result.event.eventTime + delayMs,
        eventId: result.event.eventId,
        event: result.event,
      });
    }
  }
  return calls.sort((a, b) => a.arrival - b.arrival || compareEvents(a.event, b.event));
}
