import { NoSuchEntityException } from '@aws-sdk/client-iam';
import type { AccountGateways } from './call-executor';
import { roleNameOf } from './chain-planner';
import type { Incident } from './incident-schema';
import type { ObservedChain, ObservedRole } from './observed-state';

/**
 * Issue 17: reads, read-only, what the chain's steps replace: each derived role (its tags and path
 * decide protection, its inline policies are the prior state) and each created key's status, in the
 * account each lives in. `null`: it does not exist; absent from the maps: could not be read.
 */
export async function observeChain(
  incident: Incident,
  gatewaysFor: (accountId: string) => Promise<AccountGateways>,
): Promise<ObservedChain | undefined> {
  const chain = incident.chain;
  if (chain === undefined) return undefined;
  const roles = new Map<string, ObservedRole | null>();
  for (const role of chain.roles) {
    const gateways = await gatewaysFor(role.accountId);
    try {
      roles.set(role.roleArn, await gateways.iam.describeRole(roleNameOf(role.roleArn).name));
    } catch (error) {
      if (!(error instanceof NoSuchEntityException)) throw error;
      roles.set(role.roleArn, null);
    }
  }
  const accessKeys = new Map<string, 'Active' | 'Inactive' | null>();
  for (const key of chain.accessKeys) {
    const gateways = await gatewaysFor(key.accountId);
    accessKeys.set(key.accessKeyId, await gateways.iam.accessKeyStatus(key.userName, key.accessKeyId));
  }
  return { roles, accessKeys };
}
