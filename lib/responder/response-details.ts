import type {
  IncidentSummary,
  PlanStepDetail,
  ResponseFailedDetail,
  ResponseMode,
  ResponsePhase,
  ResponsePlanDetail,
  ResponseStepResultDetail,
} from '../contracts/response-event';
import type { StepRecord } from './audit-store';
import type { Incident } from './incident-schema';
import type { PlanStep, ResponsePlan } from './response-plan';

/** The bus events the responder publishes, built from its plans and step records. Pure. */
export function planDetail(plan: ResponsePlan, phase: ResponsePhase): ResponsePlanDetail {
  return {
    schemaVersion: 1,
    phase,
    incidentId: plan.incident.incidentId,
    mode: plan.mode,
    decision: plan.decision,
    reasons: plan.reasons,
    plannedAt: plan.plannedAt,
    incident: incidentSummary(plan.incident),
    steps: plan.steps.map((step): PlanStepDetail => ({
      index: step.index,
      action: step.action,
      status: step.status,
      reason: step.reason,
      calls: step.calls.map((call) => ({ api: call.api, input: call.input })),
      ...(step.accountId !== undefined ? { accountId: step.accountId } : {}),
      priorState: step.priorState,
      notes: step.notes,
    })),
  };
}

export function stepDetail(outcome: StepRecord, incident: Incident): ResponseStepResultDetail {
  return {
    schemaVersion: 1,
    phase: outcome.phase,
    incidentId: outcome.incidentId,
    findingId: incident.findingId,
    // A step of the chain (issue 17) may act in another account.
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

export interface FailureFacts {
  incident: Incident;
  mode: ResponseMode;
  phase: ResponsePhase;
  attempts: number;
  stage: string;
  error: string;
  /** The plan's steps, with the recorded outcome where there is one. */
  steps: ReadonlyArray<Pick<PlanStep, 'index' | 'action' | 'status' | 'calls'> & { appliedCalls: number }>;
  at: Date;
}

export function failedDetail(facts: FailureFacts): ResponseFailedDetail {
  return {
    schemaVersion: 1,
    phase: facts.phase,
    incidentId: facts.incident.incidentId,
    mode: facts.mode,
    incident: incidentSummary(facts.incident),
    attempts: facts.attempts,
    stage: facts.stage,
    error: facts.error,
    steps: facts.steps.map((step) => ({
      index: step.index,
      action: step.action,
      status: step.status,
      appliedCalls: step.appliedCalls,
      totalCalls: step.calls.length,
    })),
    failedAt: facts.at.toISOString(),
  };
}

function incidentSummary(incident: Incident): IncidentSummary {
  return {
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
  };
}
