import * as z from 'zod';
import { lazySchema } from '../contracts/lazy-schema';
import { ResponseModeSchema, ResponsePhaseSchema } from '../contracts/response-event';
import { PlanStepSchema, ResponsePlanSchema } from './response-plan';

export const IncidentStatusSchema = z.enum([
  'planned',
  'alert-only',
  'in-progress',
  'completed',
  'failed',
  'undone',
  'undo-failed',
]);
export type IncidentStatus = z.infer<typeof IncidentStatusSchema>;

// Built on first use, with the plan schemas they hold (response-plan.ts): most findings read no record back.
export const IncidentRecordSchema = lazySchema(() =>
  z.object({
    incidentId: z.string(),
    mode: ResponseModeSchema,
    status: IncidentStatusSchema,
    plan: ResponsePlanSchema,
    createdAt: z.string(),
    updatedAt: z.string(),
    /** Why the last attempt stopped; for a `failed` record, why the response is final. */
    lastError: z.string().nullable().default(null),
  }),
);
export type IncidentRecord = z.infer<typeof IncidentRecordSchema>;

/** One step's outcome, with the state it replaced: what undo reads back. A plan step, once run. */
export const StepRecordSchema = lazySchema(() =>
  PlanStepSchema.omit({ notes: true }).extend({
    incidentId: z.string(),
    mode: ResponseModeSchema,
    phase: ResponsePhaseSchema,
    appliedCalls: z.number().int().nonnegative(),
    /** Ids created by the step's calls (security groups), by `outputRef`. */
    outputs: z.record(z.string(), z.string()),
    error: z.string().nullable(),
    at: z.string(),
  }),
);
export type StepRecord = z.infer<typeof StepRecordSchema>;

/**
 * Statuses nothing more will happen to: a delivery of the same incident and mode is a duplicate.
 * `in-progress` is the only other status: recorded with its plan, not yet carried through (announced,
 * every step recorded); the next attempt resumes it from its step records.
 */
export const SETTLED_STATUSES: ReadonlySet<IncidentStatus> = new Set([
  'planned',
  'alert-only',
  'completed',
  'failed',
  'undone',
  'undo-failed',
]);

/**
 * Where plans and step outcomes are kept: DynamoDB in Lambda, JSON files for the CLI. One incident id
 * has at most one record per mode, so a dry-run never blocks a later enforce of the same finding.
 */
export interface AuditStore {
  /** Writes the record unless one exists for this incident and mode; false when it already did. */
  createIncident(record: IncidentRecord): Promise<boolean>;
  getIncident(incidentId: string, mode: IncidentRecord['mode']): Promise<IncidentRecord | null>;
  updateIncidentStatus(
    incidentId: string,
    mode: IncidentRecord['mode'],
    status: IncidentStatus,
    at: string,
    lastError?: string | null,
  ): Promise<void>;
  /**
   * Counts one more attempt at this incident and mode, atomically across containers, and returns the
   * count including this one. A separate item: counting never blocks a later attempt.
   */
  recordAttempt(incidentId: string, mode: IncidentRecord['mode'], at: string): Promise<number>;
  putStep(step: StepRecord): Promise<void>;
  listSteps(
    incidentId: string,
    mode: IncidentRecord['mode'],
    phase: StepRecord['phase'],
  ): Promise<StepRecord[]>;
}

export class UnknownIncidentError extends Error {
  constructor(readonly incidentId: string) {
    super(`no enforced response recorded for incident ${incidentId}`);
    this.name = 'UnknownIncidentError';
  }
}
