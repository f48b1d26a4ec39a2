import * as z from 'zod';
import { FINDING_SOURCE, FINDING_UPDATE_DETAIL_TYPE, FindingDetailSchema } from '../contracts/finding-event';
import {
  RESPONSE_SOURCE,
  ResponseDetailType,
  ResponseFailedDetailSchema,
  ResponsePlanDetailSchema,
  ResponseStepResultDetailSchema,
} from '../contracts/response-event';
import type { ResponseConfig } from '../responder/response-config-schema';
import { GUARDDUTY_SOURCE } from '../responder/guardduty-finding-schema';
import { renderChainUpdate } from './chain-update-alert';
import { renderCredtrailFinding } from './credtrail-finding-alert';
import { GuardDutyAlertDetailSchema } from './guardduty-alert-schema';
import { renderGuardDutyFinding } from './guardduty-finding-alert';
import { renderResponsePlan, renderStepFailure } from './response-plan-alert';
import { renderResponseFailure } from './response-failure-alert';
import { renderUnreadable } from './unreadable-alert';

/**
 * Pure renderers: an EventBridge event in, the email a person acts on out. `key` identifies the alert
 * for de-duplication: one per finding (not per sighting: GuardDuty re-sends a finding with the same id
 * every 15 min to 6 h, and the detector may re-publish a finding it updates), one per chain version of
 * a credtrail finding (issue 17), one per response plan, one per failed step.
 */
export interface Alert {
  readonly key: string;
  readonly subject: string;
  readonly body: string;
}

export type RenderResult =
  { readonly kind: 'alert'; readonly alert: Alert } | { readonly kind: 'skip'; readonly reason: string };

export interface RenderContext {
  /** The responder's configuration, parsed: lets a finding's email say what credtrail will do. */
  readonly config: ResponseConfig;
  /** Findings at or above this numeric severity reach the responder (the rule's threshold). */
  readonly severityThreshold: number;
  /** Issue 17: the chain items earlier emails of this finding showed (the ledger's record). */
  readonly chainSeen?: ReadonlySet<string>;
}

const EnvelopeSchema = z
  .object({
    id: z.string().optional(),
    source: z.string(),
    'detail-type': z.string().optional(),
    detail: z.unknown(),
  })
  .loose();
type Envelope = z.infer<typeof EnvelopeSchema>;

export function renderEvent(event: unknown, context: RenderContext): RenderResult {
  const envelope = EnvelopeSchema.safeParse(event);
  if (!envelope.success) return { kind: 'alert', alert: renderUnreadable(event, 'not an EventBridge event') };
  const { source, detail } = envelope.data;
  const detailType = envelope.data['detail-type'];

  if (source === FINDING_SOURCE) {
    const finding = FindingDetailSchema.safeParse(detail);
    if (finding.success && detailType === FINDING_UPDATE_DETAIL_TYPE) {
      const update = renderChainUpdate(finding.data, {
        ...context,
        chainSeen: context.chainSeen ?? new Set(),
      });
      return 'skip' in update ? { kind: 'skip', reason: update.skip } : { kind: 'alert', alert: update };
    }
    if (finding.success) return { kind: 'alert', alert: renderCredtrailFinding(finding.data, context) };
    return { kind: 'alert', alert: renderUnreadable(event, z.prettifyError(finding.error)) };
  }
  if (source === GUARDDUTY_SOURCE) {
    const finding = GuardDutyAlertDetailSchema.safeParse(detail);
    if (finding.success) return { kind: 'alert', alert: renderGuardDutyFinding(finding.data, context) };
    return { kind: 'alert', alert: renderUnreadable(event, z.prettifyError(finding.error)) };
  }
  if (source === RESPONSE_SOURCE) return renderResponderEvent(envelope.data, detailType);
  return { kind: 'alert', alert: renderUnreadable(event, `unexpected source "${source}"`) };
}

function renderResponderEvent(envelope: Envelope, detailType: string | undefined): RenderResult {
  if (detailType === ResponseDetailType.Plan) {
    const plan = ResponsePlanDetailSchema.safeParse(envelope.detail);
    if (plan.success) return { kind: 'alert', alert: renderResponsePlan(plan.data) };
    return { kind: 'alert', alert: renderUnreadable(envelope, z.prettifyError(plan.error)) };
  }
  if (detailType === ResponseDetailType.StepResult) {
    const step = ResponseStepResultDetailSchema.safeParse(envelope.detail);
    if (!step.success)
      return { kind: 'alert', alert: renderUnreadable(envelope, z.prettifyError(step.error)) };
    // The plan's email already listed every step; only a failure needs a person's attention again.
    if (step.data.status !== 'failed') {
      return {
        kind: 'skip',
        reason: `step ${step.data.stepIndex} ${step.data.status}: covered by the plan's email`,
      };
    }
    return { kind: 'alert', alert: renderStepFailure(step.data) };
  }
  if (detailType === ResponseDetailType.Failed) {
    const failure = ResponseFailedDetailSchema.safeParse(envelope.detail);
    if (failure.success) return { kind: 'alert', alert: renderResponseFailure(failure.data) };
    return { kind: 'alert', alert: renderUnreadable(envelope, z.prettifyError(failure.error)) };
  }
  return {
    kind: 'alert',
    alert: renderUnreadable(envelope, `unknown responder detail-type "${detailType ?? ''}"`),
  };
}
