import { roleNameMatches } from './glob';
import type { RoleProtectionRule } from './role-subject';

// A pattern protects the role under any path: `BreakGlass*` covers `/admin/BreakGlassAdmin`. A pattern
// with a slash is matched against the path and name too (`admin/*` covers every role under /admin/).
export const configuredRolePattern: RoleProtectionRule = (role, settings) => {
  const qualified = `${(role.path ?? '/').replace(/^\//, '')}${role.name}`;
  const pattern = settings.namePatterns.find(
    (candidate) =>
      roleNameMatches(candidate, role.name) ||
      (candidate.includes('/') && roleNameMatches(candidate.replace(/^\//, ''), qualified)),
  );
  return pattern === undefined ? null : `role ${role.name} is protected by pattern ${pattern}`;
};
