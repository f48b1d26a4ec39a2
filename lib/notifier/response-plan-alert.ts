// The responder's emails: the plan of an incident (dry-run, enforce or undo) and a step that failed.
import type {
  IncidentSummary,
  ResponsePlanDetail,
  ResponseStepResultDetail,
} from '../contracts/response-event';
import { describeCall } from '../responder/call-description';
import type { Alert } from './alert-renderer';
import { alertLinks } from './console-links';
import { alertFooter, fields, fitSubject, formatTime, section, toSubjectSafe } from './email-text';

/** What both responder emails say of the incident: the finding, where, and whose key. */
export function incidentRows(i: IncidentSummary): [string, string | null | undefined][] {
  return [
    ['Severity', i.severity],
    ['Finding', `${i.findingSource} ${i.findingType} (${i.findingId})`],
    ['Account', i.accountId],
    ['Region', i.region],
    ['Role', i.roleName],
    ['Instance', i.instanceId],
    ['Access key', i.accessKeyId],
    ['Attacker IP', i.attackerIp],
  ];
}

export function renderResponsePlan(plan: ResponsePlanDetail): Alert {
  const i = plan.incident;
  const verb =
    plan.decision === 'alert-only'
      ? 'no action'
      : plan.mode === 'dry-run'
        ? 'DRY-RUN plan'
        : plan.phase === 'undo'
          ? 'UNDO'
          : 'RESPONDING';
  const actions = plan.steps.map((s) => s.action).join('+') || 'none';
  const subject = fitSubject(
    (role) => `[credtrail] ${i.severity} ${verb}: ${role} on ${i.instanceId}: ${actions}`,
    i.roleName,
  );
  const intro =
    plan.decision === 'alert-only'
      ? `credtrail will change nothing for this ${plan.phase === 'undo' ? 'undo' : 'incident'}:`
      : plan.mode === 'dry-run'
        ? 'Dry-run: credtrail recorded this plan and changed NOTHING. These are the steps enforce mode would run:'
        : plan.phase === 'undo'
          ? 'Enforce: credtrail is undoing its earlier response, step by step:'
          : 'Enforce: credtrail is carrying out these steps now. A failed step sends its own email.';
  const steps = plan.steps.flatMap((step) => [
    `${step.index + 1}. ${step.action}${step.accountId === undefined ? '' : ` (account ${step.accountId})`} [${step.status}]: ${step.reason}`,
    ...step.calls.map((call) => `     ${describeCall(call)}`),
    ...step.notes.map((note) => `     note: ${note}`),
  ]);
  const body = [
    ...section('Response', [
      ...fields([
        ['Mode', plan.mode],
        ['Phase', plan.phase],
        ['Decision', plan.decision],
        ['Planned at', formatTime(plan.plannedAt)],
        ['Incident', plan.incidentId],
      ]),
      ...(plan.reasons.length > 0 ? ['', 'Why:', ...plan.reasons.map((r) => `  - ${r}`)] : []),
    ]),
    ...section('Incident', [
      ...fields([
        ...incidentRows(i),
        ['Attacker account', i.attackerAccountId],
        ['Attacker endpoint', i.attackerVpcEndpointId],
      ]),
    ]),
    ...section('Steps', [intro, ...(steps.length > 0 ? steps : ['  (no steps)'])]),
    ...section('Links', alertLinks(i.region, i.roleName, i.instanceId, i.accessKeyId)),
    ...alertFooter(),
  ];
  return {
    key: `plan/${plan.incidentId}/${plan.phase}/${plan.mode}`,
    subject,
    body: body.join('\n').trimStart(),
  };
}

export function renderStepFailure(step: ResponseStepResultDetail): Alert {
  const subject = toSubjectSafe(
    `[credtrail] ACTION FAILED: ${step.action} (step ${step.stepIndex + 1}) in ${step.accountId}, ${step.phase}`,
  );
  const body = [
    ...section('What happened', [
      `The responder could not finish ${step.action} for finding ${step.findingId}: it stopped after ` +
        `${step.appliedCalls} of ${step.totalCalls} calls. The remaining calls were NOT made; finish or undo them by hand.`,
    ]),
    ...section('Step', [
      ...fields([
        ['Mode', step.mode],
        ['Phase', step.phase],
        ['Account', step.accountId],
        ['Incident', step.incidentId],
        ['At', formatTime(step.at)],
        ['Reason', step.reason],
        ['Error', step.error],
      ]),
    ]),
    ...section('Next steps', [
      '1. Read the error: an AccessDenied usually means the member response role is missing in that account or lacks a permission.',
      '2. The plan email for this incident lists every call; apply the rest by hand if the threat is live.',
    ]),
    ...alertFooter(),
  ];
  return {
    key: `step-failed/${step.incidentId}/${step.phase}/${step.stepIndex}`,
    subject,
    body: body.join('\n').trimStart(),
  };
}
