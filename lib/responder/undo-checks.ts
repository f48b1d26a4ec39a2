/**
 * True when a policy document only denies: every statement has `Effect` Deny. IAM cannot constrain
 * what `iam:PutRolePolicy` writes, so this is what keeps undo from writing an Allow back, whatever an
 * audit record says the previous document was.
 */
export function isDenyOnly(documentJson: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(documentJson);
  } catch {
    return false;
  }
  if (typeof parsed !== 'object' || parsed === null || !('Statement' in parsed)) return false;
  const statements: unknown[] = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
  return (
    statements.length > 0 &&
    statements.every(
      (statement) =>
        typeof statement === 'object' &&
        statement !== null &&
        'Effect' in statement &&
        statement.Effect === 'Deny',
    )
  );
}
