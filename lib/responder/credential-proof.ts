import { RESPONDABLE_FINDING_TYPES, type FindingType } from '../contracts/finding-event';
import type { Incident } from './incident-schema';
import type { ObservedState } from './observed-state';

/**
 * Why the responder refuses a finding before reading anything, or null. credtrail's own findings are
 * acted on only for RESPONDABLE_FINDING_TYPES: a session merely named `i-…` (no proof that EC2
 * delivered its key) or an IMDSv1 exposure is someone's choice or a weakness, not a theft, so it is
 * emailed and never planned. GuardDuty's InstanceCredentialExfiltration types are checked by the
 * normaliser and by the proof below.
 */
export function findingTypeRefusal(incident: Incident): string | null {
  if (incident.findingSource !== 'credtrail') return null;
  if ((RESPONDABLE_FINDING_TYPES as readonly string[]).includes(incident.findingType)) return null;
  return `refused: the responder does not act on ${incident.findingType as FindingType} findings (only ${RESPONDABLE_FINDING_TYPES.join(', ')}); alert only`;
}

/**
 * Why the finding's role cannot be shown to be the instance's, or null when it can: the instance
 * exists in the finding's account and region, carries an instance profile, and IAM says that profile
 * holds the very role GetRole describes (and, for credtrail findings, the role ARN the finding names).
 * Without this a finding naming role R and any instance would make the responder act on R.
 * Offline (nothing read: `observed.role` null) there is nothing to check; such a plan is never enforced.
 */
export function credentialProofRefusal(incident: Incident, observed: ObservedState): string | null {
  const { role, instance, instanceProfile } = observed;
  if (role === null) return null;
  const where = `account ${incident.accountId} ${incident.region}`;
  if (incident.roleArn !== null && role.arn !== incident.roleArn) {
    return `refused: the finding names role ${incident.roleArn}, but IAM's role of that name is ${role.arn}`;
  }
  if (instance === null) {
    return `refused: instance ${incident.instanceId} does not exist in ${where}, so nothing shows these are its credentials`;
  }
  if (instance.profileAssociation === null || instanceProfile === null) {
    return `refused: instance ${instance.instanceId} carries no instance profile, so role ${role.name} is not its role`;
  }
  if (!instanceProfile.roleArns.includes(role.arn)) {
    const holds = instanceProfile.roleArns.join(', ') || 'no role';
    return `refused: instance ${instance.instanceId}'s profile ${instanceProfile.profileArn} holds ${holds}, not ${role.arn}`;
  }
  return null;
}
