import * as z from 'zod';
import { lazySchema } from './lazy-schema';

/**
 * The responder's contract (../shared/design.md): what it publishes to the credtrail bus after it
 * plans, applies or undoes a response. The notifier renders these; a rule can match on `status`.
 */
export const RESPONSE_SOURCE = 'credtrail.responder';
export const ResponseDetailType = {
  /** One per incident and phase: the whole plan, every step with its calls and the state it replaces. */
  Plan: 'Response Plan',
  /** One per executed step (enforce and undo): what happened to it. */
  StepResult: 'Response Step Result',
  /**
   * One per incident, mode and phase whose response is failed(final): retries are exhausted or the
   * failure cannot heal by itself. What was and was not applied is in `steps`.
   */
  Failed: 'Response Failed',
} as const;
export type ResponseDetailType = (typeof ResponseDetailType)[keyof typeof ResponseDetailType];

/** The actions a configuration turns on, per severity and role rule. */
export const ConfiguredActionSchema = z.enum(['revoke-sessions', 'pin-to-network', 'quarantine-instance']);
export type ConfiguredAction = z.infer<typeof ConfiguredActionSchema>;

/**
 * Issue 17: steps planned from the finding's chain (`taint`), never configured on their own. They follow
 * `revoke-sessions`: revoke the sessions of a role the thief assumed with the stolen key, deactivate an
 * access key the thief created, and list what a person must clean up (nothing is called for it).
 */
export const CHAIN_ACTIONS = ['revoke-derived-sessions', 'deactivate-access-key', 'manual-cleanup'] as const;

export const ResponseActionSchema = z.enum([...ConfiguredActionSchema.options, ...CHAIN_ACTIONS]);
export type ResponseAction = z.infer<typeof ResponseActionSchema>;

export function isConfiguredAction(action: ResponseAction): action is ConfiguredAction {
  return (ConfiguredActionSchema.options as readonly string[]).includes(action);
}

export const StepStatusSchema = z.enum(['planned', 'applied', 'skipped', 'failed']);
export type StepStatus = z.infer<typeof StepStatusSchema>;

export const ResponseModeSchema = z.enum(['dry-run', 'enforce']);
export type ResponseMode = z.infer<typeof ResponseModeSchema>;

export const ResponsePhaseSchema = z.enum(['respond', 'undo']);
export type ResponsePhase = z.infer<typeof ResponsePhaseSchema>;

// The event schemas below are built on first use (lazySchema): the responder, which only publishes
// these events, never parses one, and the notifier parses one kind per event.
const IsoTime = lazySchema(() => z.iso.datetime({ offset: true }));

/** One AWS API call exactly as it will be (or was) sent; `ref:` values name a group created earlier. */
export const ApiCallSummarySchema = lazySchema(() =>
  z.object({
    api: z.string(),
    input: z.record(z.string(), z.unknown()),
  }),
);

export const PlanStepDetailSchema = lazySchema(() =>
  z.object({
    index: z.number().int().nonnegative(),
    action: ResponseActionSchema,
    status: StepStatusSchema,
    /** Why the step is skipped or failed, or what it will do. */
    reason: z.string(),
    calls: z.array(ApiCallSummarySchema),
    /** The account the step acts in when it is not the incident's (a role the thief assumed elsewhere). */
    accountId: z.string().optional(),
    /** The state the calls replace, as read before planning (what undo restores). */
    priorState: z.record(z.string(), z.unknown()),
    /** Consequences an operator should know, e.g. the workload's outage after a revoke. */
    notes: z.array(z.string()),
  }),
);
export type PlanStepDetail = z.infer<typeof PlanStepDetailSchema>;

export const IncidentSummarySchema = lazySchema(() =>
  z.object({
    findingSource: z.enum(['guardduty', 'credtrail']),
    findingId: z.string(),
    findingType: z.string(),
    severity: z.enum(['HIGH', 'MEDIUM', 'LOW']),
    accountId: z.string(),
    region: z.string(),
    roleName: z.string(),
    instanceId: z.string(),
    accessKeyId: z.string(),
    attackerIp: z.string().nullable(),
    attackerAccountId: z.string().nullable(),
    attackerVpcEndpointId: z.string().nullable(),
  }),
);
export type IncidentSummary = z.infer<typeof IncidentSummarySchema>;

export const ResponsePlanDetailSchema = lazySchema(() =>
  z.object({
    schemaVersion: z.literal(1),
    phase: ResponsePhaseSchema,
    incidentId: z.string(),
    mode: ResponseModeSchema,
    /** `respond`: steps may run; `alert-only`: nothing will be changed (see `reasons`). */
    decision: z.enum(['respond', 'alert-only']),
    reasons: z.array(z.string()),
    plannedAt: IsoTime,
    incident: IncidentSummarySchema,
    steps: z.array(PlanStepDetailSchema),
  }),
);
export type ResponsePlanDetail = z.infer<typeof ResponsePlanDetailSchema>;

export const ResponseStepResultDetailSchema = lazySchema(() =>
  z.object({
    schemaVersion: z.literal(1),
    phase: ResponsePhaseSchema,
    incidentId: z.string(),
    findingId: z.string(),
    accountId: z.string(),
    mode: ResponseModeSchema,
    stepIndex: z.number().int().nonnegative(),
    action: ResponseActionSchema,
    status: StepStatusSchema,
    reason: z.string(),
    /** How many of the step's calls completed: a failed step says exactly where it stopped. */
    appliedCalls: z.number().int().nonnegative(),
    totalCalls: z.number().int().nonnegative(),
    error: z.string().nullable(),
    at: IsoTime,
  }),
);
export type ResponseStepResultDetail = z.infer<typeof ResponseStepResultDetailSchema>;

export const ResponseFailedDetailSchema = lazySchema(() =>
  z.object({
    schemaVersion: z.literal(1),
    phase: ResponsePhaseSchema,
    incidentId: z.string(),
    mode: ResponseModeSchema,
    incident: IncidentSummarySchema,
    /** Attempts made (each one a Lambda invocation or a CLI run). */
    attempts: z.number().int().nonnegative(),
    /** Where the last attempt stopped, e.g. `reading the current state`. */
    stage: z.string(),
    error: z.string(),
    /** Every planned step and how far it got; empty when no plan could be made. */
    steps: z.array(
      z.object({
        index: z.number().int().nonnegative(),
        action: ResponseActionSchema,
        status: StepStatusSchema,
        appliedCalls: z.number().int().nonnegative(),
        totalCalls: z.number().int().nonnegative(),
      }),
    ),
    failedAt: IsoTime,
  }),
);
export type ResponseFailedDetail = z.infer<typeof ResponseFailedDetailSchema>;
