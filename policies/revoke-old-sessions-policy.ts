import type { PolicyDocument } from './policy-document';

export const REVOKE_POLICY_NAME = 'RevokeOldSessions';
/** The policy the IAM console's "Revoke active sessions" button attaches; we read it, never write it. */
export const CONSOLE_REVOKE_POLICY_NAME = 'AWSRevokeOlderSessions';

/**
 * Denies every action to sessions whose token was issued before `cutoff`, as the console's
 * "Revoke active sessions" does (IAM User Guide, id_roles_use_revoke-sessions.html). Sessions issued
 * later are untouched, so an instance recovers once its SDK fetches a fresh key (EC2 rotates them
 * roughly hourly).
 */
export function revokeOldSessionsPolicy(cutoff: Date): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenySessionsIssuedBeforeResponse',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { DateLessThan: { 'aws:TokenIssueTime': cutoff.toISOString() } },
      },
    ],
  };
}

/**
 * The cut-off a revoke document enforces: the latest `aws:TokenIssueTime` under `DateLessThan` in
 * any Deny statement. Works for ours and the console's; `null` when the document has none.
 */
export function revokeCutoffOf(documentJson: string): Date | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(documentJson);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || !('Statement' in parsed)) return null;
  const statements: unknown[] = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
  let latest: Date | null = null;
  for (const statement of statements) {
    const times = tokenIssueTimes(statement);
    for (const time of times) {
      const date = new Date(time);
      if (!Number.isNaN(date.getTime()) && (latest === null || date > latest)) latest = date;
    }
  }
  return latest;
}

function tokenIssueTimes(statement: unknown): string[] {
  if (typeof statement !== 'object' || statement === null) return [];
  const record = statement as Record<string, unknown>;
  if (record.Effect !== 'Deny') return [];
  const condition = record.Condition as Record<string, Record<string, unknown>> | undefined;
  const value = condition?.DateLessThan?.['aws:TokenIssueTime'];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}
