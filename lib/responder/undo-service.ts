import type { IncidentRecord, IncidentStatus, StepRecord } from './audit-store';
import { UnknownIncidentError } from './audit-store';
import { planDetail } from './response-details';
import type { PlanStep, ResponsePlan } from './response-plan';
import type { ResponderDependencies } from './responder-service';
import { closeStoppedRun, runSteps, stepContextOf, type StepOutcome } from './step-runner';
import { gatewaysByAccount, observeChain } from './chain-state-reader';
import { StateReader } from './state-reader';
import { checkRecordedIncident, planUndo } from './undo-planner';

const CHAIN_UNDO: ReadonlySet<string> = new Set(['revoke-derived-sessions', 'deactivate-access-key']);

export interface UndoOutcome {
  incidentId: string;
  status: IncidentStatus;
  steps: StepOutcome[];
  plannedSteps: PlanStep[];
}

/**
 * Restores what an enforced response replaced, from the audit records. `dryRun` only plans. A step
 * whose record is missing or partial (an interrupted response) is restored from the plan's recorded
 * prior state, assuming the call after its last recorded one may have applied.
 */
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
  const { incident } = record.plan;
  checkRecordedIncident(incidentId, incident);
  const recorded = recordsForUndo(record, await deps.audit.listSteps(incidentId, 'enforce', 'respond'));
  const gateways = await deps.gatewaysFor(
    incident.accountId,
    incident.region,
    incident.partition,
    `credtrail-undo-${incidentId}`,
  );
  // The records are checked against what the account says now (undo-planner.ts): never trusted alone.
  const { observed, recordedProfile } = await new StateReader(
    gateways.iam,
    gateways.ec2,
    deps.config,
  ).observeForUndo(incident, recordedProfileArn(recorded));
  const byAccount = gatewaysByAccount(
    (accountId) =>
      deps.gatewaysFor(accountId, incident.region, incident.partition, `credtrail-undo-${incidentId}`),
    { accountId: incident.accountId, gateways },
  );
  // Issue 17: the chain's roles and keys, read now in their accounts, when a chain step is to be undone.
  const chain = incident.chain;
  const observedChain =
    chain !== undefined &&
    recorded.some((step) => step.accountId !== undefined || CHAIN_UNDO.has(step.action))
      ? await observeChain(chain, byAccount)
      : undefined;
  const undoSteps = planUndo(recorded, {
    incidentId,
    incident,
    observed,
    recordedProfile,
    config: deps.config,
    responderRoleNames: deps.responderRoleNames,
    ...(observedChain !== undefined ? { observedChain } : {}),
  });
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
  const context = stepContextOf(incident, 'enforce', 'undo', deps);
  const run = await runSteps(undoSteps, byAccount, context);
  const steps = await closeStoppedRun(undoSteps, run, context);
  // A step refused at planning (a record that does not check out) is a failure to undo, too.
  const refused = undoSteps.some((step) => step.status === 'failed');
  const status: IncidentStatus = run.stopped === null && !refused ? 'undone' : 'undo-failed';
  await deps.audit.updateIncidentStatus(incidentId, 'enforce', status, deps.now().toISOString());
  return { incidentId, status, steps, plannedSteps: undoSteps };
}

/**
 * The step records undo works from. A settled response recorded every step it ran; an interrupted or
 * failed one may have applied one call past its last record (the record write failed, the
 * invocation crashed), so such a step counts one more call, restored from the plan's prior state.
 */
export function recordsForUndo(record: IncidentRecord, recorded: readonly StepRecord[]): StepRecord[] {
  const byIndex = new Map(recorded.map((step) => [step.index, step]));
  const interrupted = record.status === 'in-progress' || record.status === 'failed';
  return record.plan.steps.flatMap((step): StepRecord[] => {
    const done = byIndex.get(step.index);
    if (!interrupted || done?.status === 'applied' || step.status !== 'planned' || step.calls.length === 0)
      return done === undefined ? [] : [done];
    const appliedCalls = Math.min((done?.appliedCalls ?? 0) + 1, step.calls.length);
    return [
      {
        incidentId: record.incidentId,
        mode: 'enforce',
        phase: 'respond',
        index: step.index,
        action: step.action,
        status: done?.status ?? 'planned',
        reason: done?.reason ?? 'no step record: assumed applied',
        calls: step.calls,
        priorState: step.priorState,
        appliedCalls,
        outputs: done?.outputs ?? {},
        error: done?.error ?? null,
        at: done?.at ?? record.updatedAt,
      },
    ];
  });
}

function recordedProfileArn(records: readonly StepRecord[]): string | null {
  for (const record of records) {
    if (record.priorState.kind === 'instance' && record.priorState.profileAssociation !== null)
      return record.priorState.profileAssociation.profileArn;
  }
  return null;
}
