import type { Logger } from '@aws-lambda-powertools/logger';
import type {
  ResponseFailedDetail,
  ResponseMode,
  ResponsePlanDetail,
  ResponseStepResultDetail,
} from '../contracts/response-event';
import { SETTLED_STATUSES, type AuditStore, type IncidentRecord, type IncidentStatus } from './audit-store';
import type { AccountGateways } from './call-executor';
import { gatewaysByAccount, observeChain, type GatewaysByAccount } from './chain-state-reader';
import type { Incident } from './incident-schema';
import { UNOBSERVED, type ObservedChain, type ObservedState } from './observed-state';
import type { RateLimiter } from './rate-limiter';
import { settingsForRole, type ResponseConfig } from './response-config-schema';
import { planDetail } from './response-details';
import {
  describeError,
  isTransientCallError,
  OfflineEnforceError,
  ResponseFailedError,
  RetryableResponseError,
  StageError,
  type ResponseStage,
} from './response-errors';
import { actionableSteps, downgradeToAlertOnly, type ResponsePlan } from './response-plan';
import { credentialProofRefusal } from './credential-proof';
import { planResponse, reasonsNotToRead } from './response-planner';
import { StateReader } from './state-reader';
import { recordUnexecuted, runSteps, stepContextOf, type StepOutcome } from './step-runner';
import { reannounceFailure, settleFailed, type AttemptState, type Failure } from './response-failure';

export type ResponderLog = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface ResponsePublisher {
  publishPlan(detail: ResponsePlanDetail): Promise<void>;
  publishStepResult(detail: ResponseStepResultDetail): Promise<void>;
  /** A response that is failed(final): emailed by the notifier, counted by an alarm. */
  publishFailure(detail: ResponseFailedDetail): Promise<void>;
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
  /**
   * Attempts (across invocations and containers) before a response is failed(final); default 3, the
   * Lambda's first try and its two async retries. The CLI passes Infinity: a person is its retry loop.
   */
  maxAttempts?: number;
}

export interface RespondOptions {
  mode?: ResponseMode;
  /** Plan without reading AWS (CLI only): prior state unknown, enforce refused. */
  offline?: boolean;
}

export type { StepOutcome };
export { planDetail };

export interface ResponseOutcome {
  incidentId: string;
  /** `duplicate`: this incident was already handled in this mode; nothing was done. */
  status: IncidentStatus | 'duplicate';
  plan: ResponsePlan | null;
  steps: StepOutcome[];
}

export { OfflineEnforceError };

/** Attempts before a response is failed(final): the Lambda's first try and its two async retries. */
export const DEFAULT_MAX_ATTEMPTS = 3;

/**
 * Plans a response to one incident, records and announces it, and in enforce mode carries it out:
 * `in-progress` (recorded with its plan) → `planned` | `alert-only` | `completed` | `failed` (final).
 * A failed attempt throws: RetryableResponseError while attempts remain (nothing recorded blocks the
 * next one, which resumes from the step records), ResponseFailedError once the response is final
 * (recorded, announced as `Response Failed`, and thrown so the Lambda's on-failure destination gets it).
 */
export async function respondToIncident(
  incident: Incident,
  deps: ResponderDependencies,
  options: RespondOptions = {},
): Promise<ResponseOutcome> {
  const mode = options.mode ?? settingsForRole(deps.config, incident.roleName).mode;
  if (options.offline === true) {
    if (mode === 'enforce') throw new OfflineEnforceError();
    return planOffline(incident, deps, mode);
  }
  const { incidentId } = incident;
  const maxAttempts = deps.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  let existing: IncidentRecord | null;
  let attempt: number;
  try {
    existing = await deps.audit.getIncident(incidentId, mode);
    if (existing?.status === 'failed') return await reannounceFailure(existing, deps);
    if (existing !== null && SETTLED_STATUSES.has(existing.status)) {
      // GuardDuty re-sends a finding with the same id every 6 h by default; EventBridge may deliver twice.
      deps.log.info('incident already handled; not responding again', {
        incidentId,
        mode,
        status: existing.status,
      });
      return { incidentId, status: 'duplicate', plan: existing.plan, steps: [] };
    }
    attempt = await deps.audit.recordAttempt(incidentId, mode, deps.now().toISOString());
  } catch (error) {
    if (error instanceof ResponseFailedError) throw error;
    throw new RetryableResponseError(incidentId, mode, 0, 'reading the audit trail', error);
  }

  const state: AttemptState = { plan: existing?.plan ?? null, recorded: existing !== null, run: null };
  try {
    if (attempt > maxAttempts) throw new AttemptsExhaustedError(existing?.lastError ?? null);
    return await carryThrough(incident, existing, mode, state, deps);
  } catch (error) {
    const failure = classify(error);
    if (failure.transient && attempt < maxAttempts) {
      deps.log.warn('response attempt failed; it will be retried', {
        incidentId,
        mode,
        attempt,
        maxAttempts,
        stage: failure.stage,
        error: describeError(failure.cause),
      });
      throw new RetryableResponseError(incidentId, mode, attempt, failure.stage, failure.cause);
    }
    let outcome: ResponseOutcome;
    try {
      outcome = await settleFailed(incident, mode, Math.min(attempt, maxAttempts), failure, state, deps);
    } catch (settling) {
      // Neither recorded nor announced: let the invocation fail so the retry (or the DLQ) has it.
      throw new RetryableResponseError(incidentId, mode, attempt, 'recording the outcome', settling);
    }
    throw new ResponseFailedError(
      incidentId,
      mode,
      Math.min(attempt, maxAttempts),
      `${failure.stage}: ${describeError(failure.cause)}`,
      outcome,
      { cause: failure.cause },
    );
  }
}

async function carryThrough(
  incident: Incident,
  existing: IncidentRecord | null,
  mode: ResponseMode,
  state: AttemptState,
  deps: ResponderDependencies,
): Promise<ResponseOutcome> {
  const { incidentId } = incident;
  let gateways: GatewaysByAccount | null = null;
  let plan: ResponsePlan;
  if (existing === null) {
    ({ plan, gateways } = await planFresh(incident, mode, deps));
    state.plan = plan;
    const now = deps.now().toISOString();
    const created = await inStage('recording the plan', () =>
      deps.audit.createIncident({
        incidentId,
        mode,
        status: 'in-progress',
        plan,
        createdAt: now,
        updatedAt: now,
        lastError: null,
      }),
    );
    if (!created) {
      deps.log.info('incident recorded concurrently; not responding again', { incidentId });
      return { incidentId, status: 'duplicate', plan, steps: [] };
    }
    state.recorded = true;
  } else {
    plan = existing.plan;
    deps.log.info('resuming an interrupted response', { incidentId, mode });
  }
  // Announced again by every attempt until settled: the notifier's ledger makes it one email.
  await inStage('announcing the plan', () => deps.publisher.publishPlan(planDetail(plan, 'respond')));
  deps.log.info('response planned', {
    incidentId,
    mode,
    decision: plan.decision,
    steps: plan.steps.map((step) => `${step.action}:${step.status}`),
  });
  const context = stepContextOf(incident, mode, 'respond', deps);
  const recorded =
    existing === null
      ? []
      : await inStage('reading the audit trail', () => deps.audit.listSteps(incidentId, mode, 'respond'));

  const enforcing = mode === 'enforce' && plan.decision === 'respond' && actionableSteps(plan).length > 0;
  if (!enforcing) {
    const steps = await recordUnexecuted(plan.steps, context, recorded);
    const status: IncidentStatus = plan.decision === 'alert-only' ? 'alert-only' : 'planned';
    await settle(incidentId, mode, status, deps);
    return { incidentId, status, plan, steps };
  }
  gateways ??= await inStage('assuming the member role', async () =>
    memberGateways(incident, deps, 'credtrail', await gatewaysForIncident(incident, deps, 'credtrail')),
  );
  const run = await runSteps(plan.steps, gateways, context, recorded, existing !== null);
  state.run = run;
  if (run.stopped !== null) throw new StepStoppedError(run.stopped.cause);
  await settle(incidentId, mode, 'completed', deps);
  return { incidentId, status: 'completed', plan, steps: run.outcomes };
}

async function planFresh(
  incident: Incident,
  mode: ResponseMode,
  deps: ResponderDependencies,
): Promise<{ plan: ResponsePlan; gateways: GatewaysByAccount | null }> {
  const now = deps.now();
  let gateways: GatewaysByAccount | null = null;
  let observed: ObservedState = UNOBSERVED;
  let observedChain: ObservedChain | undefined;
  const wanted = settingsForRole(deps.config, incident.roleName).actions[incident.severity];
  // Unknown state means unknown protection: a plan is only made from state that was read.
  // A sample, a type the responder does not act on, or no configured action: nothing is read.
  if (reasonsNotToRead(incident, deps.config).length === 0) {
    const reached = await inStage('assuming the member role', () =>
      gatewaysForIncident(incident, deps, 'credtrail'),
    );
    const byAccount = memberGateways(incident, deps, 'credtrail', reached);
    gateways = byAccount;
    observed = await inStage('reading the current state', () =>
      new StateReader(reached.iam, reached.ec2, deps.config).observe(incident, wanted),
    );
    // Issue 17: the chain's roles and keys, read in their accounts, once the instance's proof holds.
    const chain = incident.chain;
    if (chain !== undefined && credentialProofRefusal(incident, observed) === null) {
      observedChain = await inStage('reading the current state', () => observeChain(chain, byAccount));
    }
  }
  let plan = planResponse({
    incident,
    config: deps.config,
    mode,
    observed,
    ...(observedChain !== undefined ? { observedChain } : {}),
    now,
    responderRoleNames: deps.responderRoleNames,
  });
  if (mode === 'enforce' && actionableSteps(plan).length > 0) {
    const max = deps.config.rateLimit.maxIncidentsPerHour;
    const rate = await inStage('checking the rate limit', () => deps.rateLimiter.tryAcquire(now, max));
    if (!rate.allowed) {
      deps.log.warn('rate limit reached: alerting only', { incidentId: incident.incidentId, max });
      plan = downgradeToAlertOnly(
        plan,
        `rate limit: ${max} incidents already acted on this hour; alerting only`,
      );
    }
  }
  return { plan, gateways };
}

/** `--offline` (CLI, demo): planned from the finding alone, announced, not recorded: nothing to resume or undo. */
async function planOffline(
  incident: Incident,
  deps: ResponderDependencies,
  mode: ResponseMode,
): Promise<ResponseOutcome> {
  const plan = planResponse({
    incident,
    config: deps.config,
    mode,
    observed: UNOBSERVED,
    now: deps.now(),
    responderRoleNames: deps.responderRoleNames,
  });
  await deps.publisher.publishPlan(planDetail(plan, 'respond'));
  return {
    incidentId: incident.incidentId,
    status: plan.decision === 'alert-only' ? 'alert-only' : 'planned',
    plan,
    steps: [],
  };
}

async function settle(
  incidentId: string,
  mode: ResponseMode,
  status: IncidentStatus,
  deps: ResponderDependencies,
): Promise<void> {
  await inStage('recording the outcome', () =>
    deps.audit.updateIncidentStatus(incidentId, mode, status, deps.now().toISOString(), null),
  );
}

/** A step call failed; whether it is transient is decided from the AWS error. */
class StepStoppedError extends Error {
  constructor(cause: unknown) {
    super(describeError(cause), { cause });
    this.name = 'StepStoppedError';
  }
}

/** More deliveries than the bound: settle without another try. */
class AttemptsExhaustedError extends Error {
  constructor(lastError: string | null) {
    super(`attempts exhausted${lastError === null ? '' : `; last error: ${lastError}`}`);
    this.name = 'AttemptsExhaustedError';
  }
}

function classify(error: unknown): Failure {
  if (error instanceof StepStoppedError)
    return { stage: 'executing a step', cause: error.cause, transient: isTransientCallError(error.cause) };
  if (error instanceof StageError) return { stage: error.stage, cause: error.cause, transient: true };
  if (error instanceof AttemptsExhaustedError)
    return { stage: 'carrying out the response', cause: error, transient: false };
  // Reading, bookkeeping and anything unforeseen: retried (bounded), then final.
  return { stage: 'carrying out the response', cause: error, transient: true };
}

async function inStage<T>(stage: ResponseStage, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new StageError(stage, error);
  }
}

/** Gateways per account for one response: the incident's (already assumed) and, on demand, the chain's. */
function memberGateways(
  incident: Incident,
  deps: ResponderDependencies,
  prefix: string,
  own: AccountGateways,
): GatewaysByAccount {
  return gatewaysByAccount(
    (accountId) =>
      deps.gatewaysFor(accountId, incident.region, incident.partition, `${prefix}-${incident.incidentId}`),
    { accountId: incident.accountId, gateways: own },
  );
}

function gatewaysForIncident(
  incident: Incident,
  deps: ResponderDependencies,
  prefix: string,
): Promise<AccountGateways> {
  return deps.gatewaysFor(
    incident.accountId,
    incident.region,
    incident.partition,
    `${prefix}-${incident.incidentId}`,
  );
}
