import { credtrailOwnRole } from './protection/credtrail-own-role';
import { configuredRolePattern } from './protection/configured-role-pattern';
import {
  configuredInstancePattern,
  instanceProtectionTag,
  type InstanceProtectionRule,
  type InstanceProtectionSettings,
  type InstanceSubject,
} from './protection/instance-protection';
import { landingZoneRole } from './protection/landing-zone-role';
import { roleProtectionTag } from './protection/role-protection-tag';
import type { RoleProtectionRule, RoleProtectionSettings, RoleSubject } from './protection/role-subject';
import { serviceLinkedRole } from './protection/service-linked-role';
import {
  adminUser,
  configuredUserPattern,
  userProtectionTag,
  type UserProtectionRule,
  type UserProtectionSettings,
  type UserSubject,
} from './protection/user-protection';

export { globMatches, matchingTag } from './protection/glob';
export type { RoleSubject, RoleProtectionSettings } from './protection/role-subject';
export type { UserSubject, UserProtectionSettings } from './protection/user-protection';

/** Every rule that can put a role out of the responder's reach, each in its own file under protection/. */
export const ROLE_PROTECTION_RULES: readonly RoleProtectionRule[] = [
  serviceLinkedRole,
  credtrailOwnRole,
  landingZoneRole,
  configuredRolePattern,
  roleProtectionTag,
];

export const INSTANCE_PROTECTION_RULES: readonly InstanceProtectionRule[] = [
  configuredInstancePattern,
  instanceProtectionTag,
];

/** Why a role must not be touched (the first rule that says so), or null. */
export function roleProtectionReason(role: RoleSubject, settings: RoleProtectionSettings): string | null {
  return firstReason(ROLE_PROTECTION_RULES, role, settings);
}

/** Issue 17: the owners of access keys a thief created. */
export const USER_PROTECTION_RULES: readonly UserProtectionRule[] = [
  adminUser,
  configuredUserPattern,
  userProtectionTag,
];

/** Why the user whose key a step would deactivate must not be touched, or null. */
export function userProtectionReason(user: UserSubject, settings: UserProtectionSettings): string | null {
  return firstReason(USER_PROTECTION_RULES, user, settings);
}

export function instanceProtectionReason(
  instance: InstanceSubject,
  settings: InstanceProtectionSettings,
): string | null {
  return firstReason(INSTANCE_PROTECTION_RULES, instance, settings);
}

/** The reason the first rule gives, in the list's order, or null when none objects. */
function firstReason<Subject, Settings>(
  rules: readonly ((subject: Subject, settings: Settings) => string | null)[],
  subject: Subject,
  settings: Settings,
): string | null {
  for (const rule of rules) {
    const reason = rule(subject, settings);
    if (reason !== null) return reason;
  }
  return null;
}
