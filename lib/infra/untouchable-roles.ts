/**
 * Roles the member response role may never write on or pass, whatever a finding says. Plain data (no
 * aws-cdk-lib), so the responder's own protection check can read the same list.
 *
 * Each entry is a role name pattern (`*` wildcard) matched at any path: `protectedRoles=BreakGlass*`
 * must protect `admin/BreakGlassAdmin` too, and IAM matches a policy's `Resource` against the role ARN,
 * which carries the path (`role/admin/BreakGlassAdmin`).
 */
export const LANDING_ZONE_ROLE_PATTERNS: readonly string[] = [
  // AWS Organizations: the role a new member account is created with, admin of the account.
  'OrganizationAccountAccessRole',
  // AWS Control Tower: its execution role and the roles it deploys in every enrolled account.
  'AWSControlTowerExecution',
  'aws-controltower-*',
  // CloudFormation StackSets, self-managed and service-managed: they deploy this very stack.
  'AWSCloudFormationStackSetExecutionRole',
  'stacksets-exec-*',
  // CDK bootstrap (`cdk-<qualifier>-cfn-exec-role-…`, `…-deploy-role-…`): admin by default.
  'cdk-*',
  // IAM Identity Center permission sets (`aws-reserved/sso.amazonaws.com/AWSReservedSSO_…`).
  'AWSReservedSSO_*',
];

/** Paths whose every role is off limits: AWS owns them. */
export const UNTOUCHABLE_ROLE_PATHS: readonly string[] = [
  // Service-linked roles: AWS manages their policies; sessions cannot be revoked.
  'aws-service-role/',
  // IAM Identity Center's roles, whatever their name.
  'aws-reserved/',
];

/** credtrail's own role names by pattern, beside the configured names of its four roles. */
export const CREDTRAIL_ROLE_PATTERNS: readonly string[] = ['credtrail-*', 'Credtrail*'];

/** The tag that marks a role, user or instance as never to be touched (any value). */
export const PROTECTED_TAG_KEY = 'credtrail:protected';
/** Tag the responder puts on a security group it creates (tag on create). */
export const CREATED_BY_TAG_KEY = 'credtrail:created-by';
/** Tag the responder puts on an instance it quarantines, and on evidence snapshots. */
export const QUARANTINE_TAG_KEY = 'credtrail:quarantine';
/** Tags the responder may write and remove: its own, never the protection tag. */
export const CREDTRAIL_TAG_PATTERN = 'credtrail:*';
