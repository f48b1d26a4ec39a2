import type { RoleProtectionRule } from './role-subject';

// Service-linked roles live under /aws-service-role/, are named AWSServiceRoleFor…, belong to the AWS
// service, and their sessions cannot be revoked (IAM User Guide, id_roles_use_revoke-sessions.html).
export const serviceLinkedRole: RoleProtectionRule = (role) => {
  if (role.path?.startsWith('/aws-service-role/') === true)
    return `role ${role.name} is a service-linked role (path ${role.path})`;
  if (/^AWSServiceRoleFor/i.test(role.name)) return `role ${role.name} is a service-linked role`;
  return null;
};
