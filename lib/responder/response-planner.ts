import ipaddr from 'ipaddr.js';
import type { ConfiguredAction, ResponseAction, ResponseMode } from '../contracts/response-event';
import { pinToNetworkPolicy, PIN_POLICY_NAME, type RoleNetwork } from '../../policies/pin-to-network-policy';
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
import { planChainSteps } from './chain-planner';
import { credentialProofRefusal, findingTypeRefusal } from './credential-proof';
import type { Incident } from './incident-schema';
import type { ObservedChain, ObservedState } from './observed-state';
import { planQuarantine } from './quarantine-planner';
import { roleProtectionReason, type RoleProtectionSettings } from './resource-protection';
import { settingsForRole, type ResponseConfig } from './response-config-schema';
import type { PlanStep, ResponsePlan } from './response-plan';

export { QUARANTINE_TAG_KEY } from './quarantine-planner';

export interface PlanInput {
  incident: Incident;
  config: ResponseConfig;
  /** Overrides the configured mode, the role's or the top level's (the CLI's `--enforce`). */
  mode?: ResponseMode;
  observed: ObservedState;
  /** Issue 17: what was read about the chain's roles and keys, in their accounts; absent offline. */
  observedChain?: ObservedChain;
  now: Date;
  /** Role names that are always protected, e.g. the member response role the responder assumes. */
  responderRoleNames: readonly string[];
}

const ACTION_ORDER: readonly ConfiguredAction[] = [
  'revoke-sessions',
  'pin-to-network',
  'quarantine-instance',
];

/**
 * Why nothing will be planned for this incident, decided from the finding and the configuration alone:
 * the responder then reads nothing in the member account. Empty when planning may go on.
 */
export function reasonsNotToRead(incident: Incident, config: ResponseConfig): string[] {
  const reasons: string[] = [];
  if (incident.sample) reasons.push('GuardDuty sample finding: never acted on');
  const typeRefusal = findingTypeRefusal(incident);
  if (typeRefusal !== null) reasons.push(typeRefusal);
  const settings = settingsForRole(config, incident.roleName);
  const wanted = ACTION_ORDER.filter((action) => settings.actions[incident.severity].includes(action));
  if (wanted.length === 0) {
    const scope = settings.rule === null ? '' : ` (role rule "${settings.rule}")`;
    reasons.push(`no actions configured for severity ${incident.severity}${scope}`);
  }
  return reasons;
}

/** incident + configuration + observed state + now → plan. Pure: reads nothing, changes nothing. */
export function planResponse(input: PlanInput): ResponsePlan {
  const { incident, config, now } = input;
  const settings = settingsForRole(config, incident.roleName);
  const mode = input.mode ?? settings.mode;
  const reasons = reasonsNotToRead(incident, config);
  if (reasons.length === 0) {
    const proofRefusal = credentialProofRefusal(incident, input.observed);
    if (proofRefusal !== null) reasons.push(proofRefusal);
  }
  const wanted = ACTION_ORDER.filter((action) => settings.actions[incident.severity].includes(action));
  const base: ResponsePlan = {
    incident,
    mode,
    decision: 'alert-only',
    reasons,
    plannedAt: now.toISOString(),
    steps: [],
  };
  if (reasons.length > 0) return base;

  const sizes = new Map(
    (input.observed.role?.inlinePolicies ?? []).map((p) => [p.name, countPolicyCharacters(p.document)]),
  );
  // A chain-growth update (its own incident per chain version) plans the chain only. The instance
  // role's revoke-sessions, pin and quarantine were decided by the finding's first response; doing them
  // again would move the revocation's cut-off to now and cut the instance's workload off for up to an
  // hour more per chain growth, while containing nothing new: the thief's instance key was denied by
  // the first cut-off (or, in dry-run, is still in the first plan for a person to carry out). Roles and
  // keys the earlier versions already covered are recognised from their observed state (a revocation
  // whose cut-off is after the thief's last session, a key already Inactive) and skipped.
  const own: PlanStep[] = (incident.chainUpdate === undefined ? wanted : []).map((action, index) => {
    switch (action) {
      case 'revoke-sessions':
        return planRevoke(input, index, sizes);
      case 'pin-to-network':
        return planPin(input, index, sizes);
      case 'quarantine-instance':
        return planQuarantine(input, index);
    }
  });
  // Issue 17: the roles the thief assumed and the keys it created, after the instance's own steps.
  const steps = [...own, ...planChainSteps(input, own.length)];
  // A step that cannot be done stops the plan: what comes after is not attempted.
  const failedAt = steps.findIndex((step) => step.status === 'failed');
  const settled = steps.map((step, index) =>
    failedAt >= 0 && index > failedAt && step.status !== 'skipped'
      ? {
          ...step,
          status: 'skipped' as const,
          reason: `not attempted: step ${failedAt} (${steps[failedAt]?.action}) cannot be done`,
        }
      : step,
  );
  const acting = settled.some((step) => step.status === 'planned' && step.calls.length > 0);
  return {
    ...base,
    decision: acting ? 'respond' : 'alert-only',
    reasons: acting ? [] : ['no step has anything to change'],
    steps: settled,
  };
}

export function roleProtectionSettings(
  config: ResponseConfig,
  responderRoleNames: readonly string[],
): RoleProtectionSettings {
  return {
    namePatterns: config.protected.roleNamePatterns,
    tagMatches: config.protected.roleTags,
    responderRolePatterns: config.responderRolePatterns,
    responderRoleNames,
  };
}

/** The role's real name, as GetRole returned it; the finding's name only offline. */
function roleNameOf(input: PlanInput): string {
  return input.observed.role?.name ?? input.incident.roleName;
}

// Decided on GetRole's name, path and tags; offline on the finding's name alone (path unknown).
function roleRefusal(input: PlanInput): string | null {
  const role = input.observed.role;
  const subject = role ?? { name: input.incident.roleName, path: null, tags: {} };
  return roleProtectionReason(subject, roleProtectionSettings(input.config, input.responderRoleNames));
}

function skipped(index: number, action: ResponseAction, reason: string): PlanStep {
  return { index, action, status: 'skipped', reason, calls: [], priorState: { kind: 'none' }, notes: [] };
}

function failed(index: number, action: ResponseAction, reason: string): PlanStep {
  return { index, action, status: 'failed', reason, calls: [], priorState: { kind: 'none' }, notes: [] };
}

function policyDocument(input: PlanInput, name: string): string | null {
  return input.observed.role?.inlinePolicies.find((policy) => policy.name === name)?.document ?? null;
}

/** IAM's quota on all inline policies of a role together; measured, never truncated. */
function sizeProblem(sizes: Map<string, number>, policyName: string, document: string): string | null {
  const after = new Map(sizes).set(policyName, countPolicyCharacters(document));
  const total = [...after.values()].reduce((sum, size) => sum + size, 0);
  if (total <= ROLE_INLINE_POLICY_CHARACTER_LIMIT) {
    sizes.set(policyName, countPolicyCharacters(document));
    return null;
  }
  return `inline policies of the role would hold ${total} non-whitespace characters with ${policyName}, over IAM's limit of ${ROLE_INLINE_POLICY_CHARACTER_LIMIT}; nothing was truncated`;
}

/** What putting an inline policy replaces: the role's current document of that name, if any. */
function rolePolicyPriorState(input: PlanInput, policyName: string) {
  return {
    kind: 'role-policy' as const,
    roleName: roleNameOf(input),
    policyName,
    previousDocument: policyDocument(input, policyName),
    known: input.observed.role !== null,
  };
}

function sightingTime(incident: Incident): Date | null {
  const time = new Date(incident.lastSeen ?? incident.firstSeen ?? '');
  return Number.isNaN(time.getTime()) ? null : time;
}

function planRevoke(input: PlanInput, index: number, sizes: Map<string, number>): PlanStep {
  const { incident, now } = input;
  const refusal = roleRefusal(input);
  if (refusal !== null) return skipped(index, 'revoke-sessions', refusal);
  const priorState = rolePolicyPriorState(input, REVOKE_POLICY_NAME);
  // A real revocation already in place (ours, or the console's button) whose cut-off is after the
  // stolen key was last seen already denies it. Only the exact revoke shape with a cut-off not later
  // than now counts (revokeCutoffOf): a planted decoy does not stop this revocation.
  const lastSighting = sightingTime(incident);
  for (const name of [REVOKE_POLICY_NAME, CONSOLE_REVOKE_POLICY_NAME]) {
    const document = policyDocument(input, name);
    const cutoff = document === null ? null : revokeCutoffOf(document, now);
    if (cutoff !== null && lastSighting !== null && cutoff >= lastSighting) {
      return {
        ...skipped(
          index,
          'revoke-sessions',
          `${name} already denies sessions issued before ${cutoff.toISOString()}, after the key was last seen`,
        ),
        priorState,
      };
    }
  }
  const document = serialisePolicy(revokeOldSessionsPolicy(now));
  const tooBig = sizeProblem(sizes, REVOKE_POLICY_NAME, document);
  if (tooBig !== null) return { ...failed(index, 'revoke-sessions', tooBig), priorState };
  return {
    index,
    action: 'revoke-sessions',
    status: 'planned',
    reason: `deny every session of ${roleNameOf(input)} issued before ${now.toISOString()}, including key ${incident.accessKeyId}`,
    calls: [
      {
        api: 'iam:PutRolePolicy',
        input: { RoleName: roleNameOf(input), PolicyName: REVOKE_POLICY_NAME, PolicyDocument: document },
      },
    ],
    priorState,
    notes: [
      // EC2 UG "Retrieve security credentials from instance metadata": new credentials are available at
      // least 5 minutes before the old expire; in practice a fresh key about every hour.
      'Every instance using this role loses AWS access until its SDK fetches credentials issued after the cut-off: up to about an hour.',
      'IAM policy changes can take a few minutes to take effect everywhere.',
      ...(priorState.known ? [] : ['Role policies were not read (offline): prior state unknown.']),
    ],
  };
}

function planPin(input: PlanInput, index: number, sizes: Map<string, number>): PlanStep {
  const { incident, config } = input;
  const refusal = roleRefusal(input);
  if (refusal !== null) return skipped(index, 'pin-to-network', refusal);
  const observedNetwork = input.observed.roleNetwork;
  const source = observedNetwork ?? incident.networkHint;
  const network: RoleNetwork = {
    vpcIds: [...source.vpcIds, ...config.pin.extraVpcIds],
    egressCidrs: [...source.egressIps, ...config.pin.extraEgressCidrs],
  };
  if (network.vpcIds.length === 0 && network.egressCidrs.length === 0) {
    return failed(
      index,
      'pin-to-network',
      "the role's network is unknown: no VPC and no egress address to pin to",
    );
  }
  const inside = attackerInsideNetwork(incident, network);
  if (inside !== null) return skipped(index, 'pin-to-network', inside);
  const priorState = rolePolicyPriorState(input, PIN_POLICY_NAME);
  const previousDocument = priorState.previousDocument;
  const document = serialisePolicy(pinToNetworkPolicy(network));
  if (previousDocument !== null && previousDocument === document) {
    return {
      ...skipped(index, 'pin-to-network', `${PIN_POLICY_NAME} already pins the role to this network`),
      priorState,
    };
  }
  const tooBig = sizeProblem(sizes, PIN_POLICY_NAME, document);
  if (tooBig !== null) return { ...failed(index, 'pin-to-network', tooBig), priorState };
  return {
    index,
    action: 'pin-to-network',
    status: 'planned',
    reason: `instance credentials of ${roleNameOf(input)} work only via VPC ${network.vpcIds.join(', ') || '(none)'} endpoints or from ${network.egressCidrs.join(', ') || '(none)'}`,
    calls: [
      {
        api: 'iam:PutRolePolicy',
        input: { RoleName: roleNameOf(input), PolicyName: PIN_POLICY_NAME, PolicyDocument: document },
      },
    ],
    priorState,
    notes: [
      observedNetwork === null
        ? 'Network taken from the finding, not from EC2: other instances of the role may use addresses not listed.'
        : 'Network read from EC2 for every running instance of the role in this region.',
      'Does not stop an attacker inside the same VPC or egressing through the same NAT.',
    ],
  };
}

function attackerInsideNetwork(incident: Incident, network: RoleNetwork): string | null {
  const ip = incident.origin.ip;
  if (ip === null || !ipaddr.isValid(ip)) return null;
  const address = ipaddr.parse(ip);
  for (const cidr of network.egressCidrs) {
    const range = cidr.includes('/') ? cidr : `${cidr}/${cidr.includes(':') ? 128 : 32}`;
    if (!ipaddr.isValidCIDR(range)) continue;
    const [base, bits] = ipaddr.parseCIDR(range);
    if (base.kind() === address.kind() && address.match([base, bits])) {
      return `attacker address ${ip} is inside the role's own egress ${cidr}: a pin cannot stop it`;
    }
  }
  return null;
}
