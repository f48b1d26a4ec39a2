import { renderEvent, type RenderContext } from './alert-renderer';
import type { AlertLedger } from './alert-ledger-gateway';
import type { AlertPublisher } from './sns-gateway';

export interface NotifierDependencies {
  readonly ledger: AlertLedger;
  readonly publisher: AlertPublisher;
  readonly context: RenderContext;
  readonly now: () => Date;
}

export type NotifyOutcome =
  | { readonly status: 'sent'; readonly key: string; readonly subject: string; readonly messageId?: string }
  | { readonly status: 'duplicate'; readonly key: string }
  | { readonly status: 'skipped'; readonly reason: string };

/**
 * One event in, at most one email out. Claim → publish → mark sent: a duplicate delivery (GuardDuty's
 * periodic re-send, EventBridge's retry) finds the claim and stops; a failed publish releases the claim
 * and throws, so EventBridge's retry sends the email after all.
 */
export async function notify(event: unknown, deps: NotifierDependencies): Promise<NotifyOutcome> {
  const rendered = renderEvent(event, deps.context);
  if (rendered.kind === 'skip') return { status: 'skipped', reason: rendered.reason };
  const { alert } = rendered;
  if (!(await deps.ledger.claim(alert.key, deps.now()))) return { status: 'duplicate', key: alert.key };
  let messageId: string | undefined;
  try {
    messageId = await deps.publisher.publish({ subject: alert.subject, body: alert.body });
  } catch (error) {
    await deps.ledger.release(alert.key);
    throw error;
  }
  await deps.ledger.markSent(alert.key, deps.now());
  return {
    status: 'sent',
    key: alert.key,
    subject: alert.subject,
    ...(messageId === undefined ? {} : { messageId }),
  };
}
