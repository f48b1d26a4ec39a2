import { PIN_POLICY_NAME } from '../../policies/pin-to-network-policy';
import { REVOKE_POLICY_NAME } from '../../policies/revoke-old-sessions-policy';
import type { StepRecord } from './audit-store';
import { chainKeyProblem, chainRoleProblem, identifierProblems } from './aws-identifiers';
import { FAIL_CLOSED_OUTPUT_PREFIX } from './call-executor';
import type { Incident } from './incident-schema';
import {
  chainRoleKey,
  type ObservedChain,
  type ObservedInstanceProfile,
  type ObservedRole,
  type ObservedState,
} from './observed-state';
import { QUARANTINE_TAG_KEY } from './quarantine-planner';
import { instanceProtectionReason, roleProtectionReason } from './resource-protection';
import type { ResponseConfig } from './response-config-schema';
import type { ApiCall, PlanStep } from './response-plan';
import { roleProtectionSettings } from './response-planner';
import { isDenyOnly } from './undo-checks';

export class UntrustedAuditRecordError extends Error {
  constructor(
    readonly incidentId: string,
    problem: string,
  ) {
    super(`audit record of ${incidentId} cannot be undone: ${problem}`);
    this.name = 'UntrustedAuditRecordError';
  }
}

/** The incident of an audit record must be the one asked for and name well-formed identifiers. */
export function checkRecordedIncident(incidentId: string, incident: Incident): void {
  if (incident.incidentId !== incidentId)
    throw new UntrustedAuditRecordError(incidentId, `its plan is for incident ${incident.incidentId}`);
  const problems = identifierProblems(incident);
  for (const role of incident.chain?.roles ?? []) {
    const problem = chainRoleProblem(role.roleArn, role.accountId, incident.partition);
    if (problem !== null) problems.push(problem);
  }
  for (const key of incident.chain?.accessKeys ?? []) {
    const problem = chainKeyProblem(key.accessKeyId, key.userName, key.accountId);
    if (problem !== null) problems.push(problem);
  }
  if (problems.length > 0) throw new UntrustedAuditRecordError(incidentId, problems.join('; '));
}

/** The only inline policies credtrail writes, so the only ones undo may put back or delete. */
export const CREDTRAIL_POLICY_NAMES: readonly string[] = [REVOKE_POLICY_NAME, PIN_POLICY_NAME];

/**
 * What undo knows besides the audit records, which it does not trust: anyone who could write the
 * audit table could rewrite a record to name another role, policy, document or instance profile.
 * `observed` is read now from the member account; the incident is the one the record was created for.
 */
export interface UndoContext {
  incidentId: string;
  incident: Incident;
  observed: ObservedState;
  /** The recorded instance profile as IAM describes it now, when a profile removal is to be undone. */
  recordedProfile: ObservedInstanceProfile | null;
  config: ResponseConfig;
  responderRoleNames: readonly string[];
  /** Issue 17: the chain's roles and keys as their accounts describe them now. */
  observedChain?: ObservedChain;
}

/**
 * Recorded outcomes → the steps that put back what they replaced, newest first. Pure. Only calls that
 * were applied are reverted; snapshots (evidence) and the shared isolation groups are kept. Each step
 * only ever undoes credtrail's own changes on the incident's role and instance, re-checks protection on
 * what IAM and EC2 say now, and never writes a policy that allows anything.
 */
export function planUndo(records: readonly StepRecord[], context: UndoContext): PlanStep[] {
  const touched = records
    .filter((record) => record.appliedCalls > 0 || failedClosed(record))
    .sort((a, b) => b.index - a.index);
  return touched.map((record, index) => undoStep(record, index, context));
}

function failedClosed(record: StepRecord): boolean {
  return Object.keys(record.outputs).some((key) => key.startsWith(FAIL_CLOSED_OUTPUT_PREFIX));
}

type StepBase = Pick<PlanStep, 'index' | 'action' | 'priorState' | 'notes' | 'accountId'>;

function refused(base: StepBase, reason: string): PlanStep {
  return { ...base, status: 'failed', reason: `refused: ${reason}`, calls: [] };
}

function undoStep(record: StepRecord, index: number, context: UndoContext): PlanStep {
  const base: StepBase = {
    index,
    action: record.action,
    priorState: record.priorState,
    notes: [],
    ...(record.accountId !== undefined ? { accountId: record.accountId } : {}),
  };
  if (record.incidentId !== context.incidentId)
    return refused(base, `record belongs to incident ${record.incidentId}, not ${context.incidentId}`);
  if (record.action === 'revoke-derived-sessions') return undoChainRevoke(record, base, context);
  if (record.priorState.kind === 'access-key') return undoDeactivation(record, base, context);
  if (record.accountId !== undefined && record.accountId !== context.incident.accountId)
    return refused(base, `a ${record.action} step acts in the incident's account, not ${record.accountId}`);
  if (record.priorState.kind === 'role-policy')
    return undoRolePolicy(record, base, context, context.observed.role, context.incident.roleName);
  if (record.priorState.kind === 'instance') return undoQuarantine(record, base, context);
  return { ...base, status: 'skipped', reason: 'nothing recorded to restore', calls: [] };
}

/** Issue 17: a role the thief assumed, in its account; only one the incident's chain names. */
function undoChainRevoke(record: StepRecord, base: StepBase, context: UndoContext): PlanStep {
  const prior = record.priorState;
  if (prior.kind !== 'role-policy') return refused(base, 'not a role policy record');
  const accountId = record.accountId ?? context.incident.accountId;
  const named = context.incident.chain?.roles.find(
    (role) => role.accountId === accountId && role.roleName.toLowerCase() === prior.roleName.toLowerCase(),
  );
  if (named === undefined)
    return refused(base, `role ${prior.roleName} in account ${accountId} is not in the incident's chain`);
  const observation = context.observedChain?.roles.get(chainRoleKey(accountId, named.roleName));
  if (observation?.state === 'unreadable')
    return refused(
      base,
      `role ${named.roleName} in account ${accountId} could not be read (${observation.reason})`,
    );
  const role = observation?.state === 'found' ? observation.role : null;
  return undoRolePolicy(record, base, context, role, named.roleName);
}

/** Issue 17: re-activates a key the response deactivated, if the chain names it and it is inactive now. */
function undoDeactivation(record: StepRecord, base: StepBase, context: UndoContext): PlanStep {
  const prior = record.priorState;
  if (prior.kind !== 'access-key') return refused(base, 'not an access key record');
  const accountId = record.accountId ?? context.incident.accountId;
  const named = context.incident.chain?.accessKeys.find(
    (key) =>
      key.accessKeyId === prior.accessKeyId && key.userName === prior.userName && key.accountId === accountId,
  );
  if (named === undefined)
    return refused(
      base,
      `key ${prior.accessKeyId} of ${prior.userName} is not one the incident's chain created`,
    );
  const foreign = record.calls
    .slice(0, record.appliedCalls)
    .find(
      (call) =>
        call.api !== 'iam:UpdateAccessKey' ||
        call.input.AccessKeyId !== named.accessKeyId ||
        call.input.UserName !== named.userName ||
        call.input.Status !== 'Inactive',
    );
  if (foreign !== undefined)
    return refused(
      base,
      `recorded call ${foreign.api} is not credtrail's deactivation of ${named.accessKeyId}`,
    );
  if (prior.previousStatus === null)
    return {
      ...base,
      status: 'failed',
      reason: `prior status of key ${named.accessKeyId} was not recorded`,
      calls: [],
    };
  if (prior.previousStatus === 'Inactive')
    return { ...base, status: 'skipped', reason: `key ${named.accessKeyId} was already inactive`, calls: [] };
  const now = context.observedChain?.accessKeys.get(named.accessKeyId);
  if (now?.state !== 'found')
    return {
      ...base,
      status: now?.state === 'missing' ? 'skipped' : 'failed',
      reason:
        now?.state === 'missing'
          ? `key ${named.accessKeyId} of ${named.userName} no longer exists`
          : `key ${named.accessKeyId} of ${named.userName} could not be read${now?.state === 'unreadable' ? ` (${now.reason})` : ''}`,
      calls: [],
    };
  if (now.status === 'Active')
    return { ...base, status: 'skipped', reason: `key ${named.accessKeyId} is active already`, calls: [] };
  return {
    ...base,
    status: 'planned',
    reason: `re-activate access key ${named.accessKeyId} of ${named.userName} (account ${accountId})`,
    calls: [
      {
        api: 'iam:UpdateAccessKey',
        input: { UserName: named.userName, AccessKeyId: named.accessKeyId, Status: 'Active' },
      },
    ],
  };
}

function undoRolePolicy(
  record: StepRecord,
  base: StepBase,
  context: UndoContext,
  role: ObservedRole | null,
  expectedRoleName: string,
): PlanStep {
  const prior = record.priorState;
  if (prior.kind !== 'role-policy') return refused(base, 'not a role policy record');
  if (!prior.known) {
    return {
      ...base,
      status: 'failed',
      reason: `prior state of ${prior.policyName} was not recorded`,
      calls: [],
    };
  }
  if (!CREDTRAIL_POLICY_NAMES.includes(prior.policyName))
    return refused(base, `${prior.policyName} is not a policy credtrail writes`);
  if (role === null) return refused(base, `role ${expectedRoleName} was not found`);
  const sameRole = (name: string) => name.toLowerCase() === role.name.toLowerCase();
  if (!sameRole(prior.roleName) || !sameRole(expectedRoleName))
    return refused(base, `record names role ${prior.roleName}, the role to restore is ${role.name}`);
  // What was applied must be credtrail's own write: this policy, on this role, Deny-only.
  const foreign = record.calls
    .slice(0, record.appliedCalls)
    .find(
      (call) =>
        call.api !== 'iam:PutRolePolicy' ||
        !sameRole(call.input.RoleName) ||
        call.input.PolicyName !== prior.policyName ||
        !isDenyOnly(call.input.PolicyDocument),
    );
  if (foreign !== undefined)
    return refused(base, `recorded call ${foreign.api} is not credtrail's write of ${prior.policyName}`);
  const protectedNow = roleProtectionReason(
    role,
    roleProtectionSettings(context.config, context.responderRoleNames),
  );
  if (protectedNow !== null) return refused(base, protectedNow);
  const previous = prior.previousDocument;
  if (previous !== null && isDenyOnly(previous)) {
    return {
      ...base,
      status: 'planned',
      reason: `restore the previous ${prior.policyName} on ${role.name}`,
      calls: [
        {
          api: 'iam:PutRolePolicy',
          input: { RoleName: role.name, PolicyName: prior.policyName, PolicyDocument: previous },
        },
      ],
    };
  }
  return {
    ...base,
    status: 'planned',
    reason: `remove ${prior.policyName} from ${role.name}`,
    calls: [{ api: 'iam:DeleteRolePolicy', input: { RoleName: role.name, PolicyName: prior.policyName } }],
    notes:
      previous === null
        ? []
        : [`The previous ${prior.policyName} was not a Deny-only document: it is not restored.`],
  };
}

function undoQuarantine(record: StepRecord, base: StepBase, context: UndoContext): PlanStep {
  const prior = record.priorState;
  if (prior.kind !== 'instance') return refused(base, 'not an instance record');
  const instance = context.observed.instance;
  if (prior.instanceId !== context.incident.instanceId || instance?.instanceId !== prior.instanceId)
    return refused(
      base,
      `record names instance ${prior.instanceId}, the incident's is ${context.incident.instanceId}`,
    );
  const protectedNow = instanceProtectionReason(instance, {
    patterns: context.config.protected.instancePatterns,
    tagMatches: context.config.protected.instanceTags,
  });
  if (protectedNow !== null) return refused(base, protectedNow);
  const applied = record.calls.slice(0, record.appliedCalls);
  const apis = new Set(applied.map((call) => call.api));
  const calls: ApiCall[] = [];
  const notes = ['Snapshots and the per-VPC isolation groups are kept.'];
  if (apis.has('ec2:ModifyNetworkInterfaceAttribute') || failedClosed(record)) {
    const restored = restoreInterfaces(prior.interfaces, context);
    calls.push(...restored.calls);
    notes.push(...restored.notes);
  }
  if (apis.has('ec2:ModifyInstanceAttribute') && prior.terminationProtection === null) {
    notes.push('Termination protection is left on: its earlier value was not read.');
  } else if (apis.has('ec2:ModifyInstanceAttribute') && prior.terminationProtection !== null) {
    calls.push({
      api: 'ec2:ModifyInstanceAttribute',
      input: {
        InstanceId: instance.instanceId,
        DisableApiTermination: { Value: prior.terminationProtection },
      },
    });
  }
  if (apis.has('ec2:DisassociateIamInstanceProfile') && prior.profileAssociation !== null) {
    const problem = profileRestoreProblem(prior.profileAssociation.profileArn, context);
    if (problem === null) {
      calls.push({
        api: 'ec2:AssociateIamInstanceProfile',
        input: {
          InstanceId: instance.instanceId,
          IamInstanceProfile: { Arn: prior.profileAssociation.profileArn },
        },
      });
    } else notes.push(`Instance profile not restored: ${problem}.`);
  }
  if (apis.has('ec2:CreateTags')) {
    // Built from constants, never from the record: only credtrail's quarantine tag is removed.
    calls.push({
      api: 'ec2:DeleteTags',
      input: {
        Resources: [instance.instanceId],
        Tags: [{ Key: QUARANTINE_TAG_KEY, Value: context.incidentId }],
      },
    });
  } else if (applied.length > 0) notes.push(`Tag ${QUARANTINE_TAG_KEY} was not set.`);
  return {
    ...base,
    notes,
    status: calls.length > 0 ? 'planned' : 'skipped',
    reason: `restore security groups, termination protection and instance profile of ${instance.instanceId}`,
    calls,
  };
}

/**
 * Moves an interface back only if it is still the instance's, sits only in credtrail's groups, and the
 * recorded groups are not credtrail's own (the all-open transition group above all).
 */
function restoreInterfaces(
  recorded: ReadonlyArray<{ networkInterfaceId: string; groupIds: string[] }>,
  context: UndoContext,
): { calls: ApiCall[]; notes: string[] } {
  const instance = context.observed.instance;
  const credtrailGroups = new Set(
    Object.values(context.observed.isolationGroups).flatMap((groups) =>
      [groups.isolation?.groupId, groups.transition?.groupId].filter((id): id is string => id !== undefined),
    ),
  );
  const calls: ApiCall[] = [];
  const notes: string[] = [];
  for (const eni of recorded) {
    const current = instance?.interfaces.find(
      (candidate) => candidate.networkInterfaceId === eni.networkInterfaceId,
    );
    if (current === undefined) {
      notes.push(`Interface ${eni.networkInterfaceId} is not attached to the instance: not changed.`);
    } else if (!current.groupIds.every((group) => credtrailGroups.has(group))) {
      notes.push(`Interface ${eni.networkInterfaceId} is no longer in credtrail's groups: not changed.`);
    } else if (eni.groupIds.length === 0 || eni.groupIds.some((group) => credtrailGroups.has(group))) {
      notes.push(
        `Interface ${eni.networkInterfaceId}: the recorded groups are credtrail's own: not restored.`,
      );
    } else {
      calls.push({
        api: 'ec2:ModifyNetworkInterfaceAttribute',
        input: { NetworkInterfaceId: eni.networkInterfaceId, Groups: eni.groupIds },
      });
    }
  }
  return { calls, notes };
}

// PassRole through AssociateIamInstanceProfile is how a tampered record would hand an admin role to an
// instance: restore only a profile of this account that holds exactly the incident's (unprotected) role,
// on an instance that has no profile now.
function profileRestoreProblem(profileArn: string, context: UndoContext): string | null {
  const { role, instance } = context.observed;
  if (instance?.profileAssociation !== null) return 'the instance already has a profile';
  if (role === null) return `role ${context.incident.roleName} was not found`;
  const profile = context.recordedProfile;
  if (profile === null || profile.profileArn !== profileArn) return `profile ${profileArn} was not found`;
  if (
    !profileArn.startsWith(
      `arn:${context.incident.partition}:iam::${context.incident.accountId}:instance-profile/`,
    )
  )
    return `profile ${profileArn} is not in account ${context.incident.accountId}`;
  if (profile.roleArns.length !== 1 || profile.roleArns[0] !== role.arn)
    return `profile ${profileArn} holds ${profile.roleArns.join(', ') || 'no role'}, not only ${role.arn}`;
  return roleProtectionReason(role, roleProtectionSettings(context.config, context.responderRoleNames));
}
