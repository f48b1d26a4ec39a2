import type { DerivedSession, FindingDetail } from '../contracts/finding-event';
import { chainKeyProblem, chainRoleProblem, parseRoleArn } from './aws-identifiers';
import type { IncidentChain } from './incident-schema';

// A forged finding could name hundreds of roles; a real chain is a handful of hops.
export const MAX_CHAIN_ROLES = 20;
export const MAX_CHAIN_KEYS = 20;

type ManualItem = IncidentChain['manual'][number];
type ChainRole = IncidentChain['roles'][number];

export interface ChainScope {
  /** The incident's partition: a role of another partition is refused. */
  partition: string;
  /**
   * The publisher may only speak for the finding's own account: roles and keys elsewhere are listed,
   * not acted on (a member account must not get another account's roles revoked by a finding it put
   * on the bus).
   */
  ownAccountOnly: boolean;
}

/**
 * The chain a response covers, from a credtrail finding's `taint`, every field of which the attacker
 * may have written: each role ARN, key id and user name is format-checked (aws-identifiers.ts), and
 * whatever fails a check, lies outside the publisher's reach or past the caps is listed for a person
 * with the reason, never acted on and never dropped.
 */
export function incidentChainOf(detail: FindingDetail, scope: ChainScope): IncidentChain | undefined {
  const taint = detail.taint;
  if (taint === undefined) return undefined;
  const manual: ManualItem[] = [];
  const list = (kind: string, id: string, context: string | null, accountId: string, region: string) =>
    manual.push({
      kind,
      id: id.slice(0, 256),
      context: context?.slice(0, 512) ?? null,
      accountId: accountId.slice(0, 20),
      region: region.slice(0, 40),
    });
  const outOfScope = (accountId: string): string | null =>
    scope.ownAccountOnly && accountId !== detail.accountId
      ? `account ${accountId} is not the finding's (${detail.accountId}), and the finding's publisher may only speak for its own account`
      : null;

  const roles = new Map<string, ChainRole>();
  for (const session of taint.derivedSessions) {
    if (session.via !== 'AssumeRole' || session.roleArn === null) {
      list(
        'user-session',
        session.accessKeyId,
        userSessionAdvice(session),
        session.accountId,
        session.region,
      );
      continue;
    }
    const problem =
      chainRoleProblem(session.roleArn, session.accountId, scope.partition) ?? outOfScope(session.accountId);
    const arn = parseRoleArn(session.roleArn);
    if (problem !== null || arn === null) {
      const why = `not acted on: ${problem ?? 'role ARN is not well-formed'}`;
      list(
        'role-session',
        session.accessKeyId,
        `${session.roleArn}; ${why}`,
        session.accountId,
        session.region,
      );
      continue;
    }
    // IAM role names are unique regardless of case: one step per role.
    const key = `${arn.accountId}/${arn.name.toLowerCase()}`;
    const known = roles.get(key);
    if (known !== undefined) {
      known.accessKeyIds.push(session.accessKeyId);
      if (session.expiresAt > known.expiresAt) known.expiresAt = session.expiresAt;
      if (session.mintedAt > known.lastIssuedAt) known.lastIssuedAt = session.mintedAt;
    } else if (roles.size >= MAX_CHAIN_ROLES) {
      list(
        'role-session',
        session.accessKeyId,
        `${session.roleArn}; not acted on: more than ${MAX_CHAIN_ROLES} roles in the chain`,
        session.accountId,
        session.region,
      );
    } else {
      roles.set(key, {
        roleArn: session.roleArn,
        roleName: arn.name,
        accountId: arn.accountId,
        accessKeyIds: [session.accessKeyId],
        lastIssuedAt: session.mintedAt,
        expiresAt: session.expiresAt,
      });
    }
  }

  const accessKeys = new Map<string, IncidentChain['accessKeys'][number]>();
  for (const artefact of taint.persistence) {
    const { kind, id, context, accountId, region } = artefact;
    if (kind !== 'access-key') {
      list(kind, id, context, accountId, region);
      continue;
    }
    if (accessKeys.has(id)) continue;
    const owner = artefact.owner ?? null;
    const problem =
      owner === null
        ? 'the user it belongs to is not known; deactivate it by hand'
        : (chainKeyProblem(id, owner, accountId) ??
          outOfScope(accountId) ??
          (accessKeys.size >= MAX_CHAIN_KEYS ? `more than ${MAX_CHAIN_KEYS} created keys` : null));
    if (problem !== null || owner === null) {
      list(
        kind,
        id,
        `${context ?? 'created access key'}; not acted on: ${problem ?? 'no owner'}`,
        accountId,
        region,
      );
      continue;
    }
    accessKeys.set(id, { accessKeyId: id, userName: owner, accountId });
  }
  return { roles: [...roles.values()], accessKeys: [...accessKeys.values()], manual };
}

// GetSessionToken and GetFederationToken credentials belong to an IAM user, and no role policy revokes
// them: a person denies that user's tokens issued before now (or deactivates the key that minted them).
function userSessionAdvice(session: DerivedSession): string {
  const name = session.sessionName === null ? '' : ` ${session.sessionName}`;
  return `${session.via}${name}, valid until ${session.expiresAt}: no role policy revokes it; deny the issuing user's tokens issued before now`;
}
