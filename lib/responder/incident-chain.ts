import type { FindingDetail } from '../contracts/finding-event';
import type { IncidentChain } from './incident-schema';

// A forged finding could name hundreds of roles; a real chain is a handful of hops.
export const MAX_CHAIN_ROLES = 20;
export const MAX_CHAIN_KEYS = 20;

const MANUAL_KINDS = new Set([
  'login-profile',
  'user',
  'role',
  'policy',
  'policy-attachment',
  'trust-policy',
  'group-membership',
  'key-pair',
  'instance',
  'function',
  'security-group-ingress',
  'bucket-policy',
  'bucket-acl',
  'snapshot-share',
]);

/**
 * The chain a response covers, from a credtrail finding's `taint`. `ownAccountOnly`: the publisher may
 * only speak for the finding's own account, so roles and keys elsewhere are dropped (a member account
 * must not get another account's roles revoked by putting a finding on the bus).
 */
export function incidentChainOf(detail: FindingDetail, ownAccountOnly: boolean): IncidentChain | undefined {
  const taint = detail.taint;
  if (taint === undefined) return undefined;
  const allowed = (accountId: string) =>
    /^\d{12}$/.test(accountId) && (!ownAccountOnly || accountId === detail.accountId);
  const roles = new Map<string, IncidentChain['roles'][number]>();
  for (const session of taint.derivedSessions) {
    if (session.via !== 'AssumeRole' || session.roleArn === null || !allowed(session.accountId)) continue;
    const known = roles.get(session.roleArn);
    if (known !== undefined) known.accessKeyIds.push(session.accessKeyId);
    else
      roles.set(session.roleArn, {
        roleArn: session.roleArn,
        accountId: session.accountId,
        accessKeyIds: [session.accessKeyId],
      });
  }
  const accessKeys = taint.persistence
    .filter(
      (artefact) => artefact.kind === 'access-key' && artefact.owner != null && allowed(artefact.accountId),
    )
    .map((artefact) => ({
      accessKeyId: artefact.id,
      userName: artefact.owner ?? '',
      accountId: artefact.accountId,
    }));
  // Sessions no role policy can revoke: GetSessionToken and GetFederationToken credentials belong to an
  // IAM user; a person denies that user's old tokens (or deactivates its key) by hand.
  const userSessions = taint.derivedSessions
    .filter((session) => session.via !== 'AssumeRole')
    .map((session) => ({
      kind: 'user-session',
      id: session.accessKeyId,
      context: `${session.via}${session.sessionName === null ? '' : ` ${session.sessionName}`}, valid until ${session.expiresAt}: deny the issuing user's tokens issued before now`,
      accountId: session.accountId,
      region: session.region,
    }));
  const manual = [
    ...userSessions,
    ...taint.persistence
      .filter((artefact) => MANUAL_KINDS.has(artefact.kind))
      .map(({ kind, id, context, accountId, region }) => ({ kind, id, context, accountId, region })),
  ];
  return {
    roles: [...roles.values()].slice(0, MAX_CHAIN_ROLES),
    accessKeys: accessKeys.slice(0, MAX_CHAIN_KEYS),
    manual,
  };
}
