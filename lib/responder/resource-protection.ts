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

export { globMatches, matchingTag } from './protection/glob';
export type { RoleSubject, RoleProtectionSettings } from './protection/role-subject';

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
  for (const rule of ROLE_PROTECTION_RULES) {
    const reason = rule(role, settings);
    if (reason !== null) return reason;
  }
  return null;
}

export function instanceProtectionReason(
  instance: InstanceSubject,
  settings: InstanceProtectionSettings,
): string | null {
  for (const rule of INSTANCE_PROTECTION_RULES) {
    const reason = rule(instance, settings);
    if (reason !== null) return reason;
  }
  return null;
}
