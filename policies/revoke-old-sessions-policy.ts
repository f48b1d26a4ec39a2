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
 * The cut-off of a document that really revokes old sessions, or `null`. A statement counts only when
 * it is exactly the shape above: `Effect` Deny, `Action` `*`, `Resource` `*`, and one condition, a
 * single `DateLessThan` on `aws:TokenIssueTime`, no `NotAction`/`NotResource`/`Principal`. Anything else
 * (a Deny on one action, extra conditions that narrow it, a second operator) may be a decoy planted so
 * the responder skips revocation. A cut-off later than `now` is also refused: a policy that claims to
 * deny tokens issued in 2099 says nothing true about what was done. With several real statements the
 * latest cut-off wins. Works for ours and the console's (`AWSRevokeOlderSessions`).
 */
export function revokeCutoffOf(documentJson: string, now: Date): Date | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(documentJson);
  } catch {
    return null;
  }
  if (!isRecord(parsed) || !('Statement' in parsed)) return null;
  const statements: unknown[] = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
  let latest: Date | null = null;
  for (const statement of statements) {
    const cutoff = realRevokeCutoff(statement);
    if (cutoff !== null && cutoff <= now && (latest === null || cutoff > latest)) latest = cutoff;
  }
  return latest;
}

const REVOKE_STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Action', 'Resource', 'Condition']);

function realRevokeCutoff(statement: unknown): Date | null {
  if (!isRecord(statement)) return null;
  if (Object.keys(statement).some((key) => !REVOKE_STATEMENT_KEYS.has(key))) return null;
  if (statement.Effect !== 'Deny' || !isStar(statement.Action) || !isStar(statement.Resource)) return null;
  const condition = statement.Condition;
  if (!isRecord(condition) || Object.keys(condition).length !== 1) return null;
  const dateLessThan = condition.DateLessThan;
  if (!isRecord(dateLessThan) || Object.keys(dateLessThan).length !== 1) return null;
  const raw = dateLessThan['aws:TokenIssueTime'];
  const value = Array.isArray(raw) && raw.length === 1 ? (raw[0] as unknown) : raw;
  if (typeof value !== 'string') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** `"*"` or `["*"]`: every action, every resource. */
function isStar(value: unknown): boolean {
  return value === '*' || (Array.isArray(value) && value.length === 1 && value[0] === '*');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
