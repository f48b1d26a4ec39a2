import {
  FINDING_DETAIL_TYPE,
  FINDING_SOURCE,
  RESPONDABLE_FINDING_TYPES,
  type FindingDetail,
} from '../contracts/finding-event';
import { isConfiguredAction, type ConfiguredAction } from '../contracts/response-event';
import { normaliseEvent } from '../responder/incident-normaliser';
import { UNOBSERVED } from '../responder/observed-state';
import { settingsForRole, type ResponseConfig, type RoleRule } from '../responder/response-config-schema';
import type { ResponsePlan } from '../responder/response-plan';
import { planResponse } from '../responder/response-planner';
import type { GroupVerdict } from './exception-proposals';

/** A plan and where it came from: the responder's audit record, or planned here from the finding. */
export interface PlanOfRecord {
  readonly plan: ResponsePlan;
  readonly source: 'recorded' | 'planned-offline';
}

export interface ActionTally {
  /** Plans that would have acted (at least one step with calls). */
  readonly incidents: number;
  readonly 'revoke-sessions': number;
  readonly 'pin-to-network': number;
  /** Distinct instances a quarantine step was planned for. */
  readonly 'quarantine-instance': number;
  /** Steps that could not be planned (e.g. offline: the instance was not described). */
  readonly undecided: number;
}

export interface RoleReport {
  readonly accountId: string;
  readonly roleName: string;
  readonly findings: readonly FindingDetail[];
  /** Findings each proposal would remove, by proposal id. */
  readonly removedBy: Readonly<Record<string, number>>;
  /** Findings no proposal removes. */
  readonly remaining: readonly FindingDetail[];
  /** What enforcing would have done over the window, and what would still be done with the proposals. */
  readonly wouldHave: ActionTally;
  readonly wouldStill: ActionTally;
  readonly currentMode: string;
  /** No finding left that would reach the responder: enforcing this role would have changed nothing. */
  readonly readyToEnforce: boolean;
}

export interface GoLiveReport {
  readonly roles: RoleReport[];
  /** Role rules for the response configuration: `enforce` for every ready role. */
  readonly suggestedRoleRules: RoleRule[];
  readonly plans: { readonly recorded: number; readonly plannedOffline: number };
  /** Findings that reach the responder but could not be planned (the responder would refuse them too). */
  readonly unplanned: readonly { readonly findingId: string; readonly reason: string }[];
}

export interface GoLiveInput {
  readonly findings: readonly FindingDetail[];
  readonly verdicts: readonly GroupVerdict[];
  readonly recordedPlans: readonly ResponsePlan[];
  readonly config: ResponseConfig;
  /** Findings at or above this score reach the responder (the stack's responderSeverityThreshold). */
  readonly severityThreshold: number;
  readonly now: Date;
}

/** Per role: what dry-run saw, what the proposals remove, and what enforcing would have changed. */
export function goLiveReport(input: GoLiveInput): GoLiveReport {
  const removedBy = new Map<string, string>();
  for (const { decision } of input.verdicts) {
    if (decision.status !== 'proposed') continue;
    for (const findingId of decision.covers) removedBy.set(findingId, decision.proposalId);
  }
  const { plans, unplanned } = plansOfRecord(input);
  const roleKey = (accountId: string, roleName: string) => `${accountId} ${roleName}`;
  const keys = new Set([
    ...input.findings.map((finding) => roleKey(finding.accountId, finding.roleName)),
    ...plans.map(({ plan }) => roleKey(plan.incident.accountId, plan.incident.roleName)),
  ]);
  const roles = [...keys].sort().map((key): RoleReport => {
    const [accountId = '', roleName = ''] = key.split(' ');
    const findings = input.findings.filter((f) => roleKey(f.accountId, f.roleName) === key);
    const rolePlans = plans.filter(
      ({ plan }) => roleKey(plan.incident.accountId, plan.incident.roleName) === key,
    );
    const removed: Record<string, number> = {};
    for (const finding of findings) {
      const proposal = removedBy.get(finding.findingId);
      if (proposal !== undefined) removed[proposal] = (removed[proposal] ?? 0) + 1;
    }
    const remaining = findings.filter((finding) => !removedBy.has(finding.findingId));
    const stillPlanned = rolePlans.filter(
      ({ plan }) => plan.incident.findingSource !== 'credtrail' || !removedBy.has(plan.incident.findingId),
    );
    const reaching = remaining.filter((finding) => reachesResponder(finding, input.severityThreshold));
    const wouldStill = tally(stillPlanned);
    const settings = settingsForRole(input.config, roleName);
    return {
      accountId,
      roleName,
      findings,
      removedBy: removed,
      remaining,
      wouldHave: tally(rolePlans),
      wouldStill,
      currentMode: settings.rule === null ? settings.mode : `${settings.mode} (rule "${settings.rule}")`,
      readyToEnforce: reaching.length === 0 && wouldStill.incidents === 0 && wouldStill.undecided === 0,
    };
  });
  return {
    roles,
    suggestedRoleRules: roles
      .filter((role) => role.readyToEnforce)
      .map((role) => ({ pattern: role.roleName, mode: 'enforce' as const })),
    plans: {
      recorded: plans.filter((plan) => plan.source === 'recorded').length,
      plannedOffline: plans.filter((plan) => plan.source === 'planned-offline').length,
    },
    unplanned,
  };
}

function reachesResponder(finding: FindingDetail, threshold: number): boolean {
  return finding.severityScore >= threshold && RESPONDABLE_FINDING_TYPES.includes(finding.type);
}

/**
 * Recorded plans first (the responder's own answer, one per incident); every finding that reaches the
 * responder and has none is planned here with the responder's planner, in enforce mode, from the
 * finding alone (nothing read from AWS).
 */
function plansOfRecord(input: GoLiveInput): {
  plans: PlanOfRecord[];
  unplanned: { findingId: string; reason: string }[];
} {
  const latest = new Map<string, ResponsePlan>();
  for (const plan of input.recordedPlans) {
    const known = latest.get(plan.incident.incidentId);
    if (known === undefined || plan.plannedAt > known.plannedAt) latest.set(plan.incident.incidentId, plan);
  }
  const recordedFindings = new Set([...latest.values()].map((plan) => plan.incident.findingId));
  const offline: PlanOfRecord[] = [];
  const unplanned: { findingId: string; reason: string }[] = [];
  for (const finding of input.findings) {
    if (recordedFindings.has(finding.findingId) || !reachesResponder(finding, input.severityThreshold))
      continue;
    const normalised = normaliseEvent(
      {
        source: FINDING_SOURCE,
        'detail-type': FINDING_DETAIL_TYPE,
        account: finding.accountId,
        region: finding.region,
        detail: finding,
      },
      { trustedPublisherAccounts: [] },
    );
    if (!normalised.ok) {
      unplanned.push({ findingId: finding.findingId, reason: normalised.reason });
      continue;
    }
    offline.push({
      source: 'planned-offline',
      plan: planResponse({
        incident: normalised.incident,
        config: input.config,
        mode: 'enforce',
        observed: UNOBSERVED,
        now: input.now,
        responderRoleNames: [],
      }),
    });
  }
  return {
    plans: [...[...latest.values()].map((plan) => ({ plan, source: 'recorded' as const })), ...offline],
    unplanned,
  };
}

function tally(plans: readonly PlanOfRecord[]): ActionTally {
  const counts: Record<ConfiguredAction, number> = {
    'revoke-sessions': 0,
    'pin-to-network': 0,
    'quarantine-instance': 0,
  };
  const quarantined = new Set<string>();
  let incidents = 0;
  let undecided = 0;
  for (const { plan } of plans) {
    let acting = false;
    for (const step of plan.steps) {
      if (step.status === 'failed') undecided++;
      if (step.status !== 'planned' || step.calls.length === 0) continue;
      acting = true;
      if (step.action === 'quarantine-instance') quarantined.add(plan.incident.instanceId);
      // The chain's steps (issue 17) belong to the incident already counted.
      else if (isConfiguredAction(step.action)) counts[step.action]++;
    }
    if (acting) incidents++;
  }
  return { incidents, ...counts, 'quarantine-instance': quarantined.size, undecided };
}
