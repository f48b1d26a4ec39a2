import type { ResponseFailedDetail } from '../contracts/response-event';
import type { Alert } from './alert-renderer';
import { cloudTrailKeyLink, ec2InstanceLink, iamRoleLink } from './console-links';
import { fields, fitSubject, formatTime, section } from './email-text';
import { incidentRows } from './response-plan-alert';

/**
 * A response that is failed(final): credtrail stopped trying. One email per incident, mode and phase
 * (the responder announces it again on every later delivery; the ledger keeps it to one).
 */
export function renderResponseFailure(failure: ResponseFailedDetail): Alert {
  const i = failure.incident;
  const subject = fitSubject(
    (role) =>
      `[credtrail] ${i.severity} RESPONSE FAILED (${failure.mode}${failure.phase === 'undo' ? ', undo' : ''}): ${role} on ${i.instanceId}`,
    i.roleName,
  );
  const applied = failure.steps.filter((step) => step.appliedCalls > 0);
  const steps = failure.steps.map(
    (step) =>
      `${step.index + 1}. ${step.action} [${step.status}]: ${step.appliedCalls} of ${step.totalCalls} calls applied`,
  );
  const body = [
    ...section('What happened', [
      `credtrail gave up on this ${failure.phase === 'undo' ? 'undo' : 'response'} after ${failure.attempts} attempt(s). ` +
        (applied.length === 0
          ? 'Nothing was changed.'
          : 'Some calls WERE applied (below): finish the response by hand, or undo it.'),
      '',
      `Stopped while ${failure.stage}:`,
      `  ${failure.error}`,
    ]),
    ...section('Incident', [
      ...fields([
        ['Incident', failure.incidentId],
        ['Mode', failure.mode],
        ...incidentRows(i),
        ['Failed at', formatTime(failure.failedAt)],
      ]),
    ]),
    ...section('Steps', steps.length > 0 ? steps : ['  (no plan could be made)']),
    ...section('Next steps', [
      '1. Read the error: AccessDenied on AssumeRole usually means the member response role is missing or not yet trusted in that account.',
      `2. Once fixed, run: credtrail respond <finding.json> --audit-table <audit table>${failure.mode === 'enforce' ? ' --enforce' : ''} (after undo if steps were applied), or act by hand.`,
      '3. The event is also in the responder failure queue; its alarm stays raised until the queue is emptied.',
    ]),
    ...section('Links', [
      `IAM role:            ${iamRoleLink(i.roleName)}`,
      `EC2 instance:        ${ec2InstanceLink(i.region, i.instanceId)}`,
      `CloudTrail for key:  ${cloudTrailKeyLink(i.region, i.accessKeyId)}`,
    ]),
    '',
    '--',
    'Sent by credtrail.',
  ];
  return {
    key: `response-failed/${failure.incidentId}/${failure.phase}/${failure.mode}`,
    subject,
    body: body.join('\n').trimStart(),
  };
}
