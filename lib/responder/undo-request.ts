import * as z from 'zod';
import { lazySchema } from '../contracts/lazy-schema';
import { IncidentStatusSchema, StepRecordSchema, UnknownIncidentError } from './audit-store';
import { PlanStepSchema } from './response-plan';
import type { ResponderDependencies } from './responder-service';
import { undoIncident } from './undo-service';
import { UntrustedAuditRecordError } from './undo-planner';

// Built on first use (lazySchema): only an operator's undo, a rare direct invocation, parses these.
/**
 * What an operator sends the responder Lambda to undo an incident (direct invocation; `credtrail undo
 * INC --lambda FN`). Only an incident id: the role, instance and calls come from the audit table and
 * are checked against the account (undo-planner.ts). Strict, so an EventBridge event (which always has
 * `source`, `detail`…) can never be read as one.
 */
export const UndoRequestSchema = lazySchema(() =>
  z.strictObject({
    action: z.literal('undo'),
    incidentId: z.string().regex(/^inc-[0-9a-f]{20}$/, 'must be an incident id (inc- and 20 hex digits)'),
    dryRun: z.boolean().optional(),
  }),
);
export type UndoRequest = z.infer<typeof UndoRequestSchema>;

export const UndoResponseSchema = lazySchema(() =>
  z.object({
    status: z.union([IncidentStatusSchema, z.literal('refused')]),
    incidentId: z.string().nullable(),
    reason: z.string().nullable(),
    /** What undo planned (also with dryRun). */
    plannedSteps: z.array(PlanStepSchema),
    /** What it did, step by step. */
    steps: z.array(StepRecordSchema.extend({ notes: z.array(z.string()) })),
  }),
);
export type UndoResponse = z.infer<typeof UndoResponseSchema>;

/** An event meant as an undo request: it names `action` and is not an EventBridge event. */
export function looksLikeUndoRequest(event: unknown): boolean {
  return typeof event === 'object' && event !== null && 'action' in event && !('source' in event);
}

export async function processUndoRequest(event: unknown, deps: ResponderDependencies): Promise<UndoResponse> {
  const request = UndoRequestSchema.safeParse(event);
  if (!request.success) {
    const reason = `invalid undo request: ${z.prettifyError(request.error)}`;
    deps.log.warn('undo request refused', { reason });
    return { status: 'refused', incidentId: null, reason, plannedSteps: [], steps: [] };
  }
  const { incidentId, dryRun } = request.data;
  try {
    const outcome = await undoIncident(incidentId, deps, { dryRun: dryRun === true });
    return { ...outcome, reason: null };
  } catch (error) {
    if (error instanceof UnknownIncidentError || error instanceof UntrustedAuditRecordError) {
      deps.log.warn('undo request refused', { incidentId, reason: error.message });
      return { status: 'refused', incidentId, reason: error.message, plannedSteps: [], steps: [] };
    }
    throw error;
  }
}
