import { roleNameMatches } from './glob';
import type { RoleProtectionRule } from './role-subject';

/** credtrail's default role names start so; kept even when the configuration lists no patterns. */
export const CREDTRAIL_ROLE_PATTERNS = ['credtrail-*', 'credtrail*'] as const;

// The responder must never weaken or lock out credtrail itself: detector, responder and member roles,
// whatever names the deployment gave them (configured names and patterns) and the default prefixes.
export const credtrailOwnRole: RoleProtectionRule = (role, settings) => {
  const byName = settings.responderRoleNames.find((name) => name.toLowerCase() === role.name.toLowerCase());
  if (byName !== undefined) return `role ${role.name} is the responder's own role`;
  const pattern = [...settings.responderRolePatterns, ...CREDTRAIL_ROLE_PATTERNS].find((candidate) =>
    roleNameMatches(candidate, role.name),
  );
  if (pattern !== undefined) return `role ${role.name} is one of credtrail's own roles (${pattern})`;
  return null;
};
