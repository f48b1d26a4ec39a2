import { renderEvent, type RenderContext } from './alert-renderer';
import { chainItemsOf } from './chain-update-alert';
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
  // Issue 17: a chain update's email names what earlier emails of the finding did not show.
  const chain = chainItemsOf(event);
  const chainSeen = chain?.update === true ? await deps.ledger.chainSeen(chain.findingId) : undefined;
  const rendered = renderEvent(
    event,
    chainSeen === undefined ? deps.context : { ...deps.context, chainSeen },
  );
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
  // After the send: a failure here is retried, finds the alert sent and stops (the next version's email
  // then lists these items as new again, which is the safe side).
  if (chain !== null) await deps.ledger.recordChainSeen(chain.findingId, chain.ids, deps.now());
  return {
    status: 'sent',
    key: alert.key,
    subject: alert.subject,
    ...(messageId === undefined ? {} : { messageId }),
  };
}
