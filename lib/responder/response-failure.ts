import type { ResponseMode } from '../contracts/response-event';
import type { IncidentRecord, StepRecord } from './audit-store';
import type { Incident } from './incident-schema';
import { failedDetail } from './response-details';
import { describeError, ResponseFailedError, type ResponseStage } from './response-errors';
import type { ResponsePlan } from './response-plan';
import type { ResponderDependencies, ResponseOutcome } from './responder-service';
import { closeStoppedRun, stepContextOf, type StepOutcome, type StepRun } from './step-runner';

/** What one attempt got as far as: what the failure path records and announces. */
export interface AttemptState {
  plan: ResponsePlan | null;
  /** The incident's record exists (created by this attempt or an earlier one). */
  recorded: boolean;
  run: StepRun | null;
}

export interface Failure {
  stage: ResponseStage;
  cause: unknown;
  /** May heal by itself: retried while attempts remain. */
  transient: boolean;
}

/** Records the response as failed(final) and announces it; the caller throws ResponseFailedError. */
export async function settleFailed(
  incident: Incident,
  mode: ResponseMode,
  attempts: number,
  failure: Failure,
  state: AttemptState,
  deps: ResponderDependencies,
): Promise<ResponseOutcome> {
  const { incidentId } = incident;
  const error = `${failure.stage}: ${describeError(failure.cause)}`;
  const at = deps.now();
  const context = stepContextOf(incident, mode, 'respond', deps);
  const plan = state.plan ?? unplannable(incident, mode, error, at);
  let steps: StepOutcome[] = state.run?.outcomes ?? [];
  if (state.run !== null && state.plan !== null) {
    try {
      steps = await closeStoppedRun(state.plan.steps, state.run, context);
    } catch (closing) {
      // The failure email below says what applied; the skipped records are only for display.
      deps.log.warn('could not record the skipped steps', { incidentId, error: describeError(closing) });
    }
  }
  const known = steps.length > 0 ? steps : await listedSteps(incidentId, mode, deps);
  // Announced before it is recorded: if the audit table is what fails, people still hear of it. If
  // the bus is what fails, the record still says `failed`, and every later delivery announces again.
  const unannounced = await deps.publisher
    .publishFailure(
      failedDetail({
        incident,
        mode,
        phase: 'respond',
        attempts,
        stage: failure.stage,
        error: describeError(failure.cause),
        steps: plan.steps.map((step) => ({
          ...step,
          status: known.find((done) => done.index === step.index)?.status ?? step.status,
          appliedCalls: known.find((done) => done.index === step.index)?.appliedCalls ?? 0,
        })),
        at,
      }),
    )
    .then(
      () => null,
      (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
    );
  const record: IncidentRecord = {
    incidentId,
    mode,
    status: 'failed',
    plan,
    createdAt: at.toISOString(),
    updatedAt: at.toISOString(),
    lastError: error,
  };
  // A record may exist even when this attempt made none (a concurrent or earlier attempt).
  const created = !state.recorded && (await deps.audit.createIncident(record));
  if (!created) await deps.audit.updateIncidentStatus(incidentId, mode, 'failed', at.toISOString(), error);
  deps.log.error('response failed (final)', { incidentId, mode, attempts, error });
  if (unannounced !== null) throw unannounced;
  return { incidentId, status: 'failed', plan, steps };
}

async function listedSteps(
  incidentId: string,
  mode: ResponseMode,
  deps: ResponderDependencies,
): Promise<StepRecord[]> {
  try {
    return await deps.audit.listSteps(incidentId, mode, 'respond');
  } catch {
    return [];
  }
}

/**
 * A failed(final) incident delivered again (a Lambda retry, GuardDuty's re-send): announce it again
 * (the settling attempt may have failed to) and fail again, so the event reaches the on-failure queue.
 */
export async function reannounceFailure(record: IncidentRecord, deps: ResponderDependencies): Promise<never> {
  const { incident } = record.plan;
  const steps = await deps.audit.listSteps(record.incidentId, record.mode, 'respond');
  const error = record.lastError ?? 'failed';
  await deps.publisher.publishFailure(
    failedDetail({
      incident,
      mode: record.mode,
      phase: 'respond',
      attempts: await deps.audit.recordAttempt(record.incidentId, record.mode, deps.now().toISOString()),
      stage: 'recording the outcome',
      error,
      steps: record.plan.steps.map((step) => ({
        ...step,
        status: steps.find((done) => done.index === step.index)?.status ?? step.status,
        appliedCalls: steps.find((done) => done.index === step.index)?.appliedCalls ?? 0,
      })),
      at: new Date(record.updatedAt),
    }),
  );
  throw new ResponseFailedError(record.incidentId, record.mode, 0, error, {
    incidentId: record.incidentId,
    status: 'failed',
    plan: record.plan,
    steps: [],
  } satisfies ResponseOutcome);
}

function unplannable(incident: Incident, mode: ResponseMode, error: string, at: Date): ResponsePlan {
  return {
    incident,
    mode,
    decision: 'alert-only',
    reasons: [`no response: ${error}`],
    plannedAt: at.toISOString(),
    steps: [],
  };
}
