import type { Logger } from '@aws-lambda-powertools/logger';
import type {
  PlanStepDetail,
  ResponseMode,
  ResponsePhase,
  ResponsePlanDetail,
  ResponseStepResultDetail,
} from '../contracts/response-event';
import {
  StepRecordSchema,
  UnknownIncidentError,
  type AuditStore,
  type IncidentStatus,
  type StepRecord,
} from './audit-store';
import { executeCall, type AccountGateways } from './call-executor';
import type { Incident } from './incident-schema';
import { observeChain } from './chain-state-reader';
import { UNOBSERVED, type ObservedChain, type ObservedState } from './observed-state';
import type { RateLimiter } from './rate-limiter';
import type { ResponseConfig } from './response-config-schema';
import { actionableSteps, downgradeToAlertOnly, type PlanStep, type ResponsePlan } from './response-plan';
import { planResponse } from './response-planner';
import { StateReader } from './state-reader';
import { planUndo } from './undo-planner';

export type ResponderLog = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface ResponsePublisher {
  publishPlan(detail: ResponsePlanDetail): Promise<void>;
  publishStepResult(detail: ResponseStepResultDetail): Promise<void>;
}

export interface ResponderDependencies {
  config: ResponseConfig;
  /** Always protected in addition to the configured patterns (the member response role). */
  responderRoleNames: readonly string[];
  audit: AuditStore;
  rateLimiter: RateLimiter;
  publisher: ResponsePublisher;
  /** IAM and EC2 gateways in the incident's account and region (assumed role in Lambda). */
  gatewaysFor(
    accountId: string,
    region: string,
    partition: string,
    sessionName: string,
  ): Promise<AccountGateways>;
  log: ResponderLog;
  now(): Date;
}

export interface RespondOptions {
  mode?: ResponseMode;
  /** Plan without reading AWS (CLI only): prior state unknown, enforce refused. */
  offline?: boolean;
}

export type StepOutcome = Omit<StepRecord, 'calls' | 'priorState'> &
  Pick<PlanStep, 'calls' | 'priorState' | 'notes'>;

export interface ResponseOutcome {
  incidentId: string;
  /** `duplicate`: this incident was already handled in this mode; nothing was done. */
  status: IncidentStatus | 'duplicate';
  plan: ResponsePlan | null;
  steps: StepOutcome[];
}

export class OfflineEnforceError extends Error {
  constructor() {
    super('an offline plan cannot be enforced: the state it would replace was not read');
    this.name = 'OfflineEnforceError';
  }
}

/** Plans a response to one incident, records and announces it, and in enforce mode carries it out. */
export async function respondToIncident(
  incident: Incident,
  deps: ResponderDependencies,
  options: RespondOptions = {},
): Promise<ResponseOutcome> {
  const mode = options.mode ?? deps.config.mode;
  if (options.offline === true && mode === 'enforce') throw new OfflineEnforceError();
  const existing = await deps.audit.getIncident(incident.incidentId, mode);
  if (existing !== null) {
    // GuardDuty re-sends a finding with the same id every 6 h by default; EventBridge may deliver twice.
    deps.log.info('incident already handled; not responding again', {
      incidentId: incident.incidentId,
      mode,
      status: existing.status,
    });
    return { incidentId: incident.incidentId, status: 'duplicate', plan: existing.plan, steps: [] };
  }

  const now = deps.now();
  let gateways: AccountGateways | null = null;
  let plan: ResponsePlan;
  try {
    let observed: ObservedState = UNOBSERVED;
    let observedChain: ObservedChain | undefined;
    const wanted = deps.config.actions[incident.severity];
    if (options.offline !== true && wanted.length > 0 && !incident.sample) {
      gateways = await deps.gatewaysFor(
        incident.accountId,
        incident.region,
        incident.partition,
        `credtrail-${incident.incidentId}`,
      );
      observed = await new StateReader(gateways.iam, gateways.ec2, deps.config).observe(incident, wanted);
      const own = gateways;
      observedChain = await observeChain(incident, (accountId) =>
        accountId === incident.accountId
          ? Promise.resolve(own)
          : deps.gatewaysFor(
              accountId,
              incident.region,
              incident.partition,
              `credtrail-${incident.incidentId}`,
            ),
      );
    }
    plan = planResponse({
      incident,
      config: deps.config,
      mode,
      observed,
      ...(observedChain !== undefined ? { observedChain } : {}),
      now,
      responderRoleNames: deps.responderRoleNames,
    });
  } catch (error) {
    // Unknown state means unknown protection: never act on it.
    deps.log.error('could not read the state a response needs', {
      incidentId: incident.incidentId,
      error: String(error),
    });
    plan = {
      incident,
      mode,
      decision: 'alert-only',
      reasons: [`could not read the current state: ${String(error)}`],
      plannedAt: now.toISOString(),
      steps: [],
    };
  }

  if (mode === 'enforce' && actionableSteps(plan).length > 0) {
    const max = deps.config.rateLimit.maxIncidentsPerHour;
    const rate = await deps.rateLimiter.tryAcquire(now, max);
    if (!rate.allowed) {
      deps.log.warn('rate limit reached: alerting only', { incidentId: incident.incidentId, max });
      plan = downgradeToAlertOnly(
        plan,
        `rate limit: ${max} incidents already acted on this hour; alerting only`,
      );
    }
  }

  const enforcing = mode === 'enforce' && plan.decision === 'respond' && gateways !== null;
  const initial: IncidentStatus = plan.reasons.some((reason) => reason.startsWith('could not read'))
    ? 'failed'
    : enforcing
      ? 'in-progress'
      : plan.decision === 'alert-only'
        ? 'alert-only'
        : 'planned';
  const created = await deps.audit.createIncident({
    incidentId: incident.incidentId,
    mode,
    status: initial,
    plan,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  });
  if (!created) {
    deps.log.info('incident recorded concurrently; not responding again', {
      incidentId: incident.incidentId,
    });
    return { incidentId: incident.incidentId, status: 'duplicate', plan, steps: [] };
  }
  await deps.publisher.publishPlan(planDetail(plan, 'respond'));
  deps.log.info('response planned', {
    incidentId: incident.incidentId,
    mode,
    decision: plan.decision,
    steps: plan.steps.map((step) => `${step.action}:${step.status}`),
  });

  if (!enforcing || gateways === null) {
    const steps = await recordUnexecuted(plan.steps, incident.incidentId, mode, 'respond', now, deps);
    return { incidentId: incident.incidentId, status: initial, plan, steps };
  }
  const steps = await executeSteps(plan.steps, gateways, incident, mode, 'respond', deps);
  const status: IncidentStatus = steps.some((step) => step.status === 'failed') ? 'failed' : 'completed';
  await deps.audit.updateIncidentStatus(incident.incidentId, mode, status, deps.now().toISOString());
  return { incidentId: incident.incidentId, status, plan, steps };
}

export interface UndoOutcome {
  incidentId: string;
  status: IncidentStatus;
  steps: StepOutcome[];
  plannedSteps: PlanStep[];
}

/** Restores what an enforced response replaced, from the audit records. `dryRun` only plans. */
export async function undoIncident(
  incidentId: string,
  deps: ResponderDependencies,
  options: { dryRun?: boolean } = {},
): Promise<UndoOutcome> {
  const record = await deps.audit.getIncident(incidentId, 'enforce');
  if (record === null) throw new UnknownIncidentError(incidentId);
  if (record.status === 'undone') {
    deps.log.info('incident already undone', { incidentId });
    return { incidentId, status: 'undone', steps: [], plannedSteps: [] };
  }
  const recorded = await deps.audit.listSteps(incidentId, 'enforce', 'respond');
  const undoSteps = planUndo(recorded);
  const undoPlan: ResponsePlan = {
    ...record.plan,
    decision: undoSteps.some((step) => step.status === 'planned') ? 'respond' : 'alert-only',
    reasons: undoSteps.length === 0 ? ['nothing was applied'] : [],
    plannedAt: deps.now().toISOString(),
    steps: undoSteps,
  };
  if (options.dryRun === true)
    return { incidentId, status: record.status, steps: [], plannedSteps: undoSteps };

  await deps.publisher.publishPlan(planDetail(undoPlan, 'undo'));
  const { incident } = record.plan;
  const gateways = await deps.gatewaysFor(
    incident.accountId,
    incident.region,
    incident.partition,
    `credtrail-undo-${incidentId}`,
  );
  const steps = await executeSteps(undoSteps, gateways, incident, 'enforce', 'undo', deps);
  const status: IncidentStatus = steps.some((step) => step.status === 'failed') ? 'undo-failed' : 'undone';
  await deps.audit.updateIncidentStatus(incidentId, 'enforce', status, deps.now().toISOString());
  return { incidentId, status, steps, plannedSteps: undoSteps };
}

async function executeSteps(
  steps: readonly PlanStep[],
  gateways: AccountGateways,
  incident: Incident,
  mode: ResponseMode,
  phase: ResponsePhase,
  deps: ResponderDependencies,
): Promise<StepOutcome[]> {
  const outcomes: StepOutcome[] = [];
  const refs = new Map<string, string>();
  let stopped: PlanStep | null = null;
  for (const step of steps) {
    let outcome: StepOutcome;
    if (stopped !== null) {
      outcome = outcomeOf(
        step,
        'skipped',
        `not attempted: step ${stopped.index} (${stopped.action}) failed`,
        0,
        null,
        deps,
        mode,
        phase,
        incident,
      );
    } else if (step.status !== 'planned') {
      outcome = outcomeOf(step, step.status, step.reason, 0, null, deps, mode, phase, incident);
    } else {
      let applied = 0;
      let error: string | null = null;
      for (const call of step.calls) {
        try {
          // Issue 17: a step for a role the thief assumed in another account runs in that account.
          const target =
            step.accountId === undefined || step.accountId === incident.accountId
              ? gateways
              : await deps.gatewaysFor(
                  step.accountId,
                  incident.region,
                  incident.partition,
                  `credtrail-${incident.incidentId}`,
                );
          await executeCall(call, target, refs);
          applied += 1;
        } catch (caught) {
          error = `${call.api}: ${caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)}`;
          break;
        }
      }
      outcome =
        error === null
          ? outcomeOf(step, 'applied', step.reason, applied, null, deps, mode, phase, incident)
          : outcomeOf(
              step,
              'failed',
              `failed after ${applied} of ${step.calls.length} calls`,
              applied,
              error,
              deps,
              mode,
              phase,
              incident,
            );
      outcome.outputs = Object.fromEntries(refs);
    }
    if (outcome.status === 'failed') stopped = step;
    // Recorded before it is announced: the audit table is the source of truth undo reads.
    await deps.audit.putStep(toRecord(outcome));
    await deps.publisher.publishStepResult(stepDetail(outcome, incident));
    const level = outcome.status === 'failed' ? 'error' : 'info';
    deps.log[level]('response step', {
      incidentId: incident.incidentId,
      phase,
      step: step.index,
      action: step.action,
      status: outcome.status,
      error: outcome.error,
    });
    outcomes.push(outcome);
  }
  return outcomes;
}

async function recordUnexecuted(
  steps: readonly PlanStep[],
  incidentId: string,
  mode: ResponseMode,
  phase: ResponsePhase,
  now: Date,
  deps: ResponderDependencies,
): Promise<StepOutcome[]> {
  const outcomes: StepOutcome[] = [];
  for (const step of steps) {
    const outcome: StepOutcome = {
      incidentId,
      mode,
      phase,
      index: step.index,
      action: step.action,
      status: step.status,
      reason: step.reason,
      calls: step.calls,
      priorState: step.priorState,
      notes: step.notes,
      appliedCalls: 0,
      outputs: {},
      error: null,
      at: now.toISOString(),
    };
    await deps.audit.putStep(toRecord(outcome));
    outcomes.push(outcome);
  }
  return outcomes;
}

function outcomeOf(
  step: PlanStep,
  status: StepOutcome['status'],
  reason: string,
  appliedCalls: number,
  error: string | null,
  deps: ResponderDependencies,
  mode: ResponseMode,
  phase: ResponsePhase,
  incident: Incident,
): StepOutcome {
  return {
    incidentId: incident.incidentId,
    mode,
    phase,
    index: step.index,
    action: step.action,
    status,
    reason,
    calls: step.calls,
    ...(step.accountId !== undefined ? { accountId: step.accountId } : {}),
    priorState: step.priorState,
    notes: step.notes,
    appliedCalls,
    outputs: {},
    error,
    at: deps.now().toISOString(),
  };
}

function toRecord(outcome: StepOutcome): StepRecord {
  // The schema drops what is for display only (notes).
  return StepRecordSchema.parse(outcome);
}

export function planDetail(plan: ResponsePlan, phase: ResponsePhase): ResponsePlanDetail {
  const { incident } = plan;
  return {
    schemaVersion: 1,
    phase,
    incidentId: incident.incidentId,
    mode: plan.mode,
    decision: plan.decision,
    reasons: plan.reasons,
    plannedAt: plan.plannedAt,
    incident: {
      findingSource: incident.findingSource,
      findingId: incident.findingId,
      findingType: incident.findingType,
      severity: incident.severity,
      accountId: incident.accountId,
      region: incident.region,
      roleName: incident.roleName,
      instanceId: incident.instanceId,
      accessKeyId: incident.accessKeyId,
      attackerIp: incident.origin.ip,
      attackerAccountId: incident.origin.accountId,
      attackerVpcEndpointId: incident.origin.vpcEndpointId,
    },
    steps: plan.steps.map((step): PlanStepDetail => ({
      index: step.index,
      action: step.action,
      status: step.status,
      reason: step.reason,
      calls: step.calls.map((call) => ({ api: call.api, input: call.input })),
      priorState: step.priorState,
      notes: step.notes,
    })),
  };
}

function stepDetail(outcome: StepOutcome, incident: Incident): ResponseStepResultDetail {
  return {
    schemaVersion: 1,
    phase: outcome.phase,
    incidentId: outcome.incidentId,
    findingId: incident.findingId,
    accountId: outcome.accountId ?? incident.accountId,
    mode: outcome.mode,
    stepIndex: outcome.index,
    action: outcome.action,
    status: outcome.status,
    reason: outcome.reason,
    appliedCalls: outcome.appliedCalls,
    totalCalls: outcome.calls.length,
    error: outcome.error,
    at: outcome.at,
  };
}
