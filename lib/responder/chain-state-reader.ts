import type { AccountGateways } from './call-executor';
import { RoleNotFoundError } from './iam-gateway';
import type { IncidentChain } from './incident-schema';
import { describeError } from './response-errors';
import {
  chainRoleKey,
  type ObservedChain,
  type ObservedChainKey,
  type ObservedChainRole,
} from './observed-state';

/** Gateways in one account (the member response role there), the incident's own account included. */
export type GatewaysByAccount = (accountId: string) => Promise<AccountGateways>;

/**
 * Issue 17: reads, read-only and in the account each lives in, what the chain's steps depend on and
 * replace: each role the thief assumed (GetRole's path and tags decide protection, its inline policies
 * are the prior state), each created key's user (GetUser's path, ListUserTags' tags decide protection)
 * and the key's status (ListAccessKeys). An account that cannot be
 * reached or read leaves its entries `unreadable`: they are then not acted on (unknown state means
 * unknown protection), and the rest of the response goes on.
 */
export async function observeChain(
  chain: IncidentChain,
  gatewaysFor: GatewaysByAccount,
): Promise<ObservedChain> {
  const roles = new Map<string, ObservedChainRole>();
  for (const role of chain.roles) {
    roles.set(chainRoleKey(role.accountId, role.roleName), await readRole(role, gatewaysFor));
  }
  const accessKeys = new Map<string, ObservedChainKey>();
  for (const key of chain.accessKeys) {
    accessKeys.set(key.accessKeyId, await readKey(key, gatewaysFor));
  }
  return { roles, accessKeys };
}

async function readRole(
  role: IncidentChain['roles'][number],
  gatewaysFor: GatewaysByAccount,
): Promise<ObservedChainRole> {
  try {
    const { iam } = await gatewaysFor(role.accountId);
    return { state: 'found', role: await iam.describeRole(role.roleName) };
  } catch (error) {
    if (error instanceof RoleNotFoundError) return { state: 'missing' };
    return { state: 'unreadable', reason: describeError(error) };
  }
}

async function readKey(
  key: IncidentChain['accessKeys'][number],
  gatewaysFor: GatewaysByAccount,
): Promise<ObservedChainKey> {
  try {
    const { iam } = await gatewaysFor(key.accountId);
    // The user first: a user that cannot be read is a protection not known, and the key is left alone.
    const user = await iam.describeUser(key.userName);
    if (user === null) return { state: 'missing' };
    const status = await iam.accessKeyStatus(key.userName, key.accessKeyId);
    return status === null ? { state: 'missing' } : { state: 'found', status, user };
  } catch (error) {
    return { state: 'unreadable', reason: describeError(error) };
  }
}

/**
 * One gateway set per account for one run, assumed on first use. A failed assumption is not kept:
 * the next step (or attempt) tries again.
 */
export function gatewaysByAccount(
  reach: GatewaysByAccount,
  own?: { accountId: string; gateways: AccountGateways },
): GatewaysByAccount {
  const cache = new Map<string, Promise<AccountGateways>>();
  if (own !== undefined) cache.set(own.accountId, Promise.resolve(own.gateways));
  return (accountId) => {
    const known = cache.get(accountId);
    if (known !== undefined) return known;
    const reached = reach(accountId);
    cache.set(accountId, reached);
    reached.catch(() => cache.delete(accountId));
    return reached;
  };
}
