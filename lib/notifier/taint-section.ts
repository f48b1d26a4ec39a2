import type { TaintSummary } from '../contracts/finding-event';
import { formatTime } from './email-text';

// An email is read on a phone: the first few of each, then where to see the rest.
const SHOWN = 8;

export const CHAIN_ACTION_DESCRIPTIONS = {
  'revoke-derived-sessions':
    'revoke-derived-sessions: the same revocation on a role the thief assumed with the stolen key; ' +
    'its sessions outlive the instance role’s revocation.',
  'deactivate-access-key':
    'deactivate-access-key: set an access key the thief created to Inactive (never deleted: evidence, ' +
    'and undo can re-activate it).',
  'manual-cleanup':
    'manual-cleanup: key pairs, instances, security-group rules and the like the thief left behind, ' +
    'listed with their identifiers for a person to remove; credtrail does not touch them.',
} as const;

/** "What the key did": the chain a stolen key grew and what it left behind, in a few lines. */
export function whatTheKeyDid(taint: TaintSummary | undefined, findingFile = 'finding.json'): string[] {
  if (taint === undefined) return [];
  const lines: string[] = [];
  if (taint.derivedSessions.length > 0) {
    lines.push(`Credentials minted with the stolen key (${taint.derivedSessions.length}), stolen too:`);
    for (const session of taint.derivedSessions.slice(0, SHOWN)) {
      const what = session.roleArn ?? `${session.via} ${session.sessionName ?? ''}`.trim();
      lines.push(
        `  - ${session.accessKeyId}: ${session.via} ${what}, valid until ${formatTime(session.expiresAt)}`,
      );
    }
    lines.push(`  ${taint.derivedCallCount} calls were made with them.`);
  }
  if (taint.persistence.length > 0) {
    lines.push(`Left behind (${taint.persistence.length}):`);
    for (const artefact of taint.persistence.slice(0, SHOWN)) {
      const context = artefact.context === null ? '' : ` (${artefact.context})`;
      lines.push(
        `  - ${artefact.kind} ${artefact.id}${context}, account ${artefact.accountId} ${artefact.region}`,
      );
    }
  }
  if (taint.reads.length > 0) {
    lines.push(`Read (${taint.reads.length}):`);
    for (const read of taint.reads.slice(0, SHOWN)) lines.push(`  - ${read.kind} ${read.id} x${read.count}`);
  }
  const more =
    taint.truncated ||
    taint.derivedSessions.length > SHOWN ||
    taint.persistence.length > SHOWN ||
    taint.reads.length > SHOWN;
  lines.push(
    `${more ? 'More than shown here. ' : ''}The full timeline: credtrail investigate ${findingFile} s3://<trail-bucket>/AWSLogs/`,
  );
  return lines;
}
