// The email for an event the notifier routes but cannot read: forwarded raw, for a person to check.
import { createHash } from 'node:crypto';
import type { Alert } from './alert-renderer';
import { alertFooter, section, toSubjectSafe } from './email-text';

/** An event the notifier routes but cannot read still reaches a person, raw: silence is worse. */
export function renderUnreadable(event: unknown, problem: string): Alert {
  const raw = JSON.stringify(event, null, 2) ?? String(event);
  const id =
    typeof event === 'object' && event !== null && typeof (event as { id?: unknown }).id === 'string'
      ? (event as { id: string }).id
      : createHash('sha256').update(raw).digest('hex').slice(0, 32);
  const source =
    typeof event === 'object' && event !== null && typeof (event as { source?: unknown }).source === 'string'
      ? (event as { source: string }).source
      : 'unknown source';
  const body = [
    ...section('What happened', [
      `credtrail received an event from ${source} that it could not read, so it is forwarded raw. ` +
        'Check it by hand; a contract between credtrail components may have drifted.',
    ]),
    ...section('Problem', [problem]),
    ...section('Event', [raw.length > 20000 ? `${raw.slice(0, 20000)}\n... (truncated)` : raw]),
    ...alertFooter(),
  ];
  return {
    key: `unreadable/${id}`,
    subject: toSubjectSafe(`[credtrail] Unreadable event from ${source}: check by hand`),
    body: body.join('\n').trimStart(),
  };
}
