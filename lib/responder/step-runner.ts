import type { ResponseMode, ResponsePhase } from '../contracts/response-event';
import { StepRecordSchema, type AuditStore, type StepRecord } from './audit-store';
import { executeCall, failClosedAfter, type AccountGateways } from './call-executor';
import type { GatewaysByAccount } from './chain-state-reader';
import type { Incident } from './incident-schema';
import { describeError, StageError } from './response-errors';
import { stepDetail } from './response-details';
import type { PlanStep } from './response-plan';
import { alreadyInEffect, meansAlreadyApplied } from './resume-checks';
import type { ResponderDependencies, ResponderLog, ResponsePublisher } from './responder-service';

/** A step record plus what is for display only (notes). */
export type StepOutcome = StepRecord & Pick<PlanStep, 'notes'>;

export interface StepRunContext {
  incident: Incident;
  mode: ResponseMode;
  phase: ResponsePhase;
  audit: AuditStore;
  publisher: ResponsePublisher;
  log: ResponderLog;
  now(): Date;
}

/** The run context of one incident, mode and phase, from the responder's dependencies. */
export function stepContextOf(
  incident: Incident,
  mode: ResponseMode,
  phase: ResponsePhase,
  deps: ResponderDependencies,
): StepRunContext {
  return {
    incident,
    mode,
    phase,
    audit: deps.audit,
    publisher: deps.publisher,
    log: deps.log,
    now: () => deps.now(),
  };
}

export interface StepRun {
  /** Outcomes of the steps reached, in order, the stopped one last. */
  outcomes: StepOutcome[];
  /** The step whose call failed (its record says how many calls applied), or null when all ran. */
  stopped: { step: PlanStep; cause: unknown } | null;
}

/**
 * Runs the planned steps in order, resuming from `recorded` (the step records of earlier attempts):
 * applied steps are not run again, a partly applied step continues after its last recorded call.
 * Every applied call is followed by its step record, so an interruption leaves at most one call that
 * applied without a record; a resumed attempt looks before re-sending that one. Stops at the first
 * call that fails, recording that step as failed; bookkeeping failures (audit, bus) throw StageError.
 */
export async function runSteps(
  steps: readonly PlanStep[],
  gatewaysFor: GatewaysByAccount,
  context: StepRunContext,
  recorded: readonly StepRecord[] = [],
  resuming = false,
): Promise<StepRun> {
  const byIndex = new Map(recorded.map((record) => [record.index, record]));
  const refs = new Map<string, string>(recorded.flatMap((record) => Object.entries(record.outputs)));
  const outcomes: StepOutcome[] = [];
  for (const step of steps) {
    const earlier = byIndex.get(step.index);
    if (step.status !== 'planned' || step.calls.length === 0) {
      const outcome = outcomeOf(step, context, step.status, step.reason, 0, null, {});
      if (earlier === undefined) await record(outcome, context);
      outcomes.push(outcome);
      continue;
    }
    if (earlier?.status === 'applied') {
      outcomes.push({ ...earlier, notes: step.notes });
      continue;
    }
    const start = earlier?.appliedCalls ?? 0;
    let applied = start;
    let stoppedBy: StepCallError | null = null;
    // A step of the chain (issue 17) acts in its own account, through the member role there.
    let gateways: AccountGateways | null = null;
    try {
      gateways = await gatewaysFor(step.accountId ?? context.incident.accountId);
    } catch (error) {
      stoppedBy = new StepCallError('sts:AssumeRole', error);
    }
    if (gateways !== null) {
      ({ applied, stoppedBy } = await runCalls(step, start, gateways, refs, context, resuming));
    }
    if (stoppedBy !== null) {
      // A quarantine fails closed: no interface is left in the all-open transition group.
      const recovered =
        gateways === null ? {} : await failClosedAfter(step.calls.slice(0, applied + 1), gateways, refs);
      const moves = Object.entries(recovered).map(([key, where]) => `${key.split(':')[1] ?? key} → ${where}`);
      const failed = outcomeOf(
        step,
        context,
        'failed',
        `failed after ${applied} of ${step.calls.length} calls`,
        applied,
        `${describeError(stoppedBy)}${moves.length > 0 ? `; fail-closed: ${moves.join(', ')}` : ''}`,
        { ...Object.fromEntries(refs), ...recovered },
      );
      await record(failed, context);
      outcomes.push(failed);
      context.log.error('response step failed', {
        incidentId: context.incident.incidentId,
        phase: context.phase,
        step: step.index,
        action: step.action,
        error: failed.error,
      });
      return { outcomes, stopped: { step, cause: stoppedBy.cause } };
    }
    const done = outcomeOf(step, context, 'applied', step.reason, applied, null, Object.fromEntries(refs));
    await announce(done, context);
    context.log.info('response step', {
      incidentId: context.incident.incidentId,
      phase: context.phase,
      step: step.index,
      action: step.action,
      status: done.status,
    });
    outcomes.push(done);
  }
  return { outcomes, stopped: null };
}

/** Sends a step's calls from `start`, recording each; stops at the first that fails. */
async function runCalls(
  step: PlanStep,
  start: number,
  gateways: AccountGateways,
  refs: Map<string, string>,
  context: StepRunContext,
  resuming: boolean,
): Promise<{ applied: number; stoppedBy: StepCallError | null }> {
  let applied = start;
  let stoppedBy: StepCallError | null = null;
  for (const call of step.calls.slice(start)) {
    // Only the first call of an interrupted step may have applied without its record.
    const uncertain = resuming && applied === start;
    try {
      if (!(uncertain && (await alreadyInEffect(call, gateways, refs)))) {
        await executeCall(call, gateways, refs);
      }
    } catch (error) {
      if (!(uncertain && meansAlreadyApplied(call, error))) {
        stoppedBy = new StepCallError(call.api, error);
        break;
      }
    }
    applied += 1;
    const progress = outcomeOf(
      step,
      context,
      applied === step.calls.length ? 'applied' : 'planned',
      applied === step.calls.length
        ? step.reason
        : `interrupted after ${applied} of ${step.calls.length} calls`,
      applied,
      null,
      Object.fromEntries(refs),
    );
    await record(progress, context);
  }
  return { applied, stoppedBy };
}

/**
 * After a final stop: the failed step is announced (a person must finish by hand) and every later
 * step is recorded and announced as skipped. Returns the full list of outcomes.
 */
export async function closeStoppedRun(
  steps: readonly PlanStep[],
  run: StepRun,
  context: StepRunContext,
): Promise<StepOutcome[]> {
  const outcomes = [...run.outcomes];
  const failed = outcomes.at(-1);
  if (run.stopped === null || failed === undefined) return outcomes;
  await announce(failed, context);
  for (const step of steps.filter((candidate) => candidate.index > failed.index)) {
    const skipped = outcomeOf(
      step,
      context,
      'skipped',
      `not attempted: step ${failed.index} (${failed.action}) failed`,
      0,
      null,
      {},
    );
    await record(skipped, context);
    await announce(skipped, context);
    outcomes.push(skipped);
  }
  return outcomes;
}

/** Dry-run and alert-only: each step is recorded as planned (or skipped), nothing is called. */
export async function recordUnexecuted(
  steps: readonly PlanStep[],
  context: StepRunContext,
  recorded: readonly StepRecord[] = [],
): Promise<StepOutcome[]> {
  const done = new Set(recorded.map((step) => step.index));
  const outcomes: StepOutcome[] = [];
  for (const step of steps) {
    const outcome = outcomeOf(step, context, step.status, step.reason, 0, null, {});
    if (!done.has(step.index)) await record(outcome, context);
    outcomes.push(outcome);
  }
  return outcomes;
}

/** A call of a step failed; `cause` is the AWS error. */
class StepCallError extends Error {
  constructor(
    readonly api: string,
    cause: unknown,
  ) {
    super(`${api}: ${describeError(cause)}`, { cause });
    this.name = 'StepCallError';
  }
  override toString(): string {
    return this.message;
  }
}

function outcomeOf(
  step: PlanStep,
  context: StepRunContext,
  status: StepOutcome['status'],
  reason: string,
  appliedCalls: number,
  error: string | null,
  outputs: Record<string, string>,
): StepOutcome {
  return {
    incidentId: context.incident.incidentId,
    mode: context.mode,
    phase: context.phase,
    index: step.index,
    action: step.action,
    status,
    reason,
    calls: step.calls,
    ...(step.accountId !== undefined ? { accountId: step.accountId } : {}),
    priorState: step.priorState,
    notes: step.notes,
    appliedCalls,
    outputs,
    error,
    at: context.now().toISOString(),
  };
}

// Recorded before it is announced: the audit table is the source of truth undo reads.
async function record(outcome: StepOutcome, context: StepRunContext): Promise<void> {
  try {
    // The schema drops what is for display only (notes).
    await context.audit.putStep(StepRecordSchema.parse(outcome));
  } catch (error) {
    throw new StageError('recording a step', error);
  }
}

async function announce(outcome: StepOutcome, context: StepRunContext): Promise<void> {
  try {
    await context.publisher.publishStepResult(stepDetail(outcome, context.incident));
  } catch (error) {
    throw new StageError('announcing a step result', error);
  }
}
