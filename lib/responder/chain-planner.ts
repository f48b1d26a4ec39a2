import type { ResponseAction } from '../contracts/response-event';
import {
  countPolicyCharacters,
  ROLE_INLINE_POLICY_CHARACTER_LIMIT,
  serialisePolicy,
} from '../../policies/policy-document';
import {
  CONSOLE_REVOKE_POLICY_NAME,
  REVOKE_POLICY_NAME,
  revokeCutoffOf,
  revokeOldSessionsPolicy,
} from '../../policies/revoke-old-sessions-policy';
import type { IncidentChain } from './incident-schema';
import { chainRoleKey, type ObservedRole } from './observed-state';
import { roleProtectionReason, userProtectionReason, type RoleSubject } from './resource-protection';
import { settingsForRole } from './response-config-schema';
import type { PlanStep } from './response-plan';
import { roleProtectionSettings, type PlanInput } from './response-planner';

type ChainRole = IncidentChain['roles'][number];
type ChainKey = IncidentChain['accessKeys'][number];

/**
 * Issue 17: the steps that cover the chain, numbered from `start`, after the incident's own. Per role
 * the thief assumed: `RevokeOldSessions` on that role, in its account, under the same protection rules
 * as the incident's role; per access key the thief created: deactivation (never deletion); everything
 * else listed for a person with its identifiers. Pure. The chain follows the `revoke-sessions`
 * decision for this role and severity, and is part of the same incident (one rate-limit slot).
 * `input.observedChain` absent: planned from the finding alone (offline), prior state unknown.
 */
export function planChainSteps(input: PlanInput, start: number): PlanStep[] {
  const chain = input.incident.chain;
  if (chain === undefined) return [];
  const { incident, config } = input;
  const revoking = settingsForRole(config, incident.roleName).actions[incident.severity].includes(
    'revoke-sessions',
  );
  const notRevoking = `revoke-sessions is not configured for ${incident.severity} findings of ${incident.roleName}`;
  const steps: PlanStep[] = [];
  const next = () => start + steps.length;
  for (const role of chain.roles) {
    steps.push(
      revoking
        ? planRoleRevoke(input, next(), role)
        : skipped(input, next(), 'revoke-derived-sessions', notRevoking, role.accountId),
    );
  }
  for (const key of chain.accessKeys) {
    steps.push(
      revoking
        ? planDeactivation(input, next(), key)
        : skipped(input, next(), 'deactivate-access-key', notRevoking, key.accountId),
    );
  }
  if (chain.manual.length > 0) steps.push(manualStep(next(), chain.manual));
  return steps;
}

function planRoleRevoke(input: PlanInput, index: number, role: ChainRole): PlanStep {
  const { incident, now } = input;
  const action = 'revoke-derived-sessions';
  const refuse = (reason: string) => skipped(input, index, action, reason, role.accountId);
  if (
    role.accountId === incident.accountId &&
    role.roleName.toLowerCase() === incident.roleName.toLowerCase()
  )
    return refuse(`${role.roleName} is the finding's own role: covered by revoke-sessions`);
  const observation = input.observedChain?.roles.get(chainRoleKey(role.accountId, role.roleName));
  if (observation?.state === 'missing')
    return refuse(`role ${role.roleName} no longer exists in account ${role.accountId}`);
  if (observation?.state === 'unreadable')
    return refuse(
      `role ${role.roleName} in account ${role.accountId} could not be read (${observation.reason}): its protection is unknown; revoke its sessions by hand if it is not protected`,
    );
  const observed = observation?.role ?? null;
  // GetRole's name, path and tags decide; offline the ARN's name and path, no tags.
  const subject: RoleSubject = observed ?? { name: role.roleName, path: pathOf(role.roleArn), tags: {} };
  const refusal = roleProtectionReason(
    subject,
    roleProtectionSettings(input.config, input.responderRoleNames),
  );
  if (refusal !== null) return refuse(refusal);
  const roleName = observed?.name ?? role.roleName;
  const priorState = {
    kind: 'role-policy' as const,
    roleName,
    policyName: REVOKE_POLICY_NAME,
    previousDocument: documentOf(observed, REVOKE_POLICY_NAME),
    known: observed !== null,
  };
  // A real revocation already in place whose cut-off is after the thief's last session was issued.
  const lastIssued = new Date(role.lastIssuedAt);
  for (const name of [REVOKE_POLICY_NAME, CONSOLE_REVOKE_POLICY_NAME]) {
    const document = documentOf(observed, name);
    const cutoff = document === null ? null : revokeCutoffOf(document, now);
    if (cutoff !== null && cutoff >= lastIssued)
      return {
        ...refuse(`${name} on ${roleName} already denies sessions issued before ${cutoff.toISOString()}`),
        priorState,
      };
  }
  const document = serialisePolicy(revokeOldSessionsPolicy(now));
  const tooBig = sizeProblem(observed, document);
  if (tooBig !== null) return { ...refuse(tooBig), status: 'failed', priorState };
  return {
    index,
    action,
    status: 'planned',
    reason: `deny every session of ${roleName} (account ${role.accountId}) issued before ${now.toISOString()}, including the thief's ${role.accessKeyIds.join(', ')}`,
    calls: [
      {
        api: 'iam:PutRolePolicy',
        input: { RoleName: roleName, PolicyName: REVOKE_POLICY_NAME, PolicyDocument: document },
      },
    ],
    ...accountOf(input, role.accountId),
    priorState,
    notes: [
      "The thief assumed this role with the stolen key (or a key derived from it): those sessions outlive the instance role's revocation.",
      'Every legitimate user of this role must obtain new credentials after the cut-off.',
      // Still revoked once they expired: a session the thief chained from them may not be in the trail read.
      ...(new Date(role.expiresAt) < now
        ? [
            `The thief's sessions of this role expired at ${role.expiresAt}; revoking also cuts any session minted from them that credtrail has not seen.`,
          ]
        : []),
      ...(observed === null ? ['Role was not read (offline): prior state and tags unknown.'] : []),
    ],
  };
}

function planDeactivation(input: PlanInput, index: number, key: ChainKey): PlanStep {
  const action = 'deactivate-access-key';
  const observation = input.observedChain?.accessKeys.get(key.accessKeyId);
  const previousStatus = observation?.state === 'found' ? observation.status : null;
  const priorState = {
    kind: 'access-key' as const,
    userName: key.userName,
    accessKeyId: key.accessKeyId,
    previousStatus,
  };
  const refuse = (reason: string) => ({
    ...skipped(input, index, action, reason, key.accountId),
    priorState,
  });
  if (observation?.state === 'missing')
    return refuse(`key ${key.accessKeyId} of ${key.userName} no longer exists in account ${key.accountId}`);
  if (observation?.state === 'unreadable')
    return refuse(
      `key ${key.accessKeyId} of ${key.userName} in account ${key.accountId} could not be read (${observation.reason}); deactivate it by hand`,
    );
  // GetUser's name and path and the user's tags decide; offline the finding's user name alone.
  const user =
    observation?.state === 'found' ? observation.user : { name: key.userName, path: null, tags: {} };
  const protection = userProtectionReason(user, {
    namePatterns: input.config.protected.userNamePatterns,
    tagMatches: input.config.protected.userTags,
  });
  if (protection !== null) return refuse(`${protection}: deactivate key ${key.accessKeyId} by hand`);
  if (previousStatus === 'Inactive') return refuse(`key ${key.accessKeyId} is already inactive`);
  return {
    index,
    action,
    status: 'planned',
    reason: `deactivate access key ${key.accessKeyId} of IAM user ${key.userName} (account ${key.accountId}), created by the thief`,
    calls: [
      {
        api: 'iam:UpdateAccessKey',
        input: { UserName: key.userName, AccessKeyId: key.accessKeyId, Status: 'Inactive' },
      },
    ],
    ...accountOf(input, key.accountId),
    priorState,
    notes: [
      'Deactivated, not deleted: the key stays as evidence and undo can re-activate it.',
      ...(observation === undefined ? ['Key status was not read (offline): prior state unknown.'] : []),
    ],
  };
}

function manualStep(index: number, manual: IncidentChain['manual']): PlanStep {
  return {
    index,
    action: 'manual-cleanup',
    status: 'skipped',
    reason: `${manual.length} things the thief left behind or credtrail will not act on: listed for a person, not touched`,
    calls: [],
    priorState: { kind: 'none' },
    notes: manual.map(
      (item) =>
        `${item.kind} ${item.id}${item.context === null ? '' : ` (${item.context})`} in account ${item.accountId}, ${item.region}`,
    ),
  };
}

function skipped(
  input: PlanInput,
  index: number,
  action: ResponseAction,
  reason: string,
  accountId: string,
): PlanStep {
  return {
    index,
    action,
    status: 'skipped',
    reason,
    calls: [],
    ...accountOf(input, accountId),
    priorState: { kind: 'none' },
    notes: [],
  };
}

function accountOf(input: PlanInput, accountId: string): { accountId?: string } {
  return accountId === input.incident.accountId ? {} : { accountId };
}

function documentOf(role: ObservedRole | null, policyName: string): string | null {
  return role?.inlinePolicies.find((policy) => policy.name === policyName)?.document ?? null;
}

function pathOf(roleArn: string): string {
  const resource = roleArn.split(':').slice(5).join(':');
  return resource.slice('role'.length, resource.lastIndexOf('/') + 1) || '/';
}

/** IAM's quota on all inline policies of a role together; measured, never truncated. */
function sizeProblem(role: ObservedRole | null, document: string): string | null {
  const others = (role?.inlinePolicies ?? []).filter((policy) => policy.name !== REVOKE_POLICY_NAME);
  const total =
    others.reduce((sum, policy) => sum + countPolicyCharacters(policy.document), 0) +
    countPolicyCharacters(document);
  if (total <= ROLE_INLINE_POLICY_CHARACTER_LIMIT) return null;
  return `inline policies of ${role?.name ?? 'the role'} would hold ${total} non-whitespace characters with ${REVOKE_POLICY_NAME}, over IAM's limit of ${ROLE_INLINE_POLICY_CHARACTER_LIMIT}; nothing was truncated`;
}
