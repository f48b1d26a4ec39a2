import { roleNameMatches } from './glob';
import type { RoleProtectionRule } from './role-subject';

/**
 * Roles that administer the account itself. Revoking or pinning one locks the organisation out of the
 * account; writing a policy to one is how a subverted responder would take it over.
 */
export const LANDING_ZONE_ROLE_PATTERNS: ReadonlyArray<readonly [pattern: string, why: string]> = [
  ['OrganizationAccountAccessRole', 'AWS Organizations access role'],
  ['AWSControlTowerExecution', 'AWS Control Tower execution role'],
  ['AWSControlTower*', 'AWS Control Tower role'],
  ['AWSCloudFormationStackSetExecutionRole', 'CloudFormation StackSets execution role'],
  ['stacksets-exec-*', 'CloudFormation StackSets execution role'],
  ['cdk-*', 'CDK bootstrap role'],
  ['AWSReservedSSO_*', 'IAM Identity Center role'],
];

// IAM Identity Center creates its roles under /aws-reserved/sso.amazonaws.com/ (IAM Identity Center
// User Guide, "Referencing permission sets in resource policies"); the whole path is AWS-managed.
const RESERVED_PATH = '/aws-reserved/';

export const landingZoneRole: RoleProtectionRule = (role) => {
  if (role.path?.startsWith(RESERVED_PATH) === true)
    return `role ${role.name} is AWS-reserved (path ${role.path})`;
  const match = LANDING_ZONE_ROLE_PATTERNS.find(([pattern]) => roleNameMatches(pattern, role.name));
  return match === undefined ? null : `role ${role.name} is a landing-zone role (${match[1]})`;
};
