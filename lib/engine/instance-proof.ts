import type { CredentialUse } from './credential-event';
import type { SessionState } from './detector-store';

/**
 * Whether a key is really an instance's credentials. Anyone who may assume a role can name the session
 * `i-…`; only EC2 marks the calls (`sessionContext.ec2RoleDelivery`) or is seen delivering the key (the
 * session's `issuedAt` is set by EC2's `AssumeRole` record alone). Without either, an unexpected origin
 * is a session merely named like an instance: a lower finding the responder never acts on.
 */
export function hasInstanceCredentialProof(
  use: CredentialUse,
  session: Pick<SessionState, 'issuedAt'>,
): boolean {
  return use.roleDelivery !== undefined || session.issuedAt !== undefined;
}
