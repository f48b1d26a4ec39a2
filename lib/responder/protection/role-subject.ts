import type { TagMatch } from '../response-config-schema';

/**
 * The role a step would touch, as IAM's GetRole describes it (its real name, path and tags), never as
 * the finding spells it. Offline, nothing was read: the finding's name, path unknown, no tags.
 */
export interface RoleSubject {
  name: string;
  /** `/` for most roles; `null` when not read. */
  path: string | null;
  tags: Readonly<Record<string, string>>;
}

export interface RoleProtectionSettings {
  /** Configured glob patterns on role names; they match under any path. */
  namePatterns: readonly string[];
  tagMatches: readonly TagMatch[];
  /** credtrail's own roles by pattern (central and member). */
  responderRolePatterns: readonly string[];
  /** credtrail's own roles by exact name, e.g. the member response role the responder assumes. */
  responderRoleNames: readonly string[];
}

/** One protection rule: why the role must not be touched, or null when the rule does not apply. */
export type RoleProtectionRule = (role: RoleSubject, settings: RoleProtectionSettings) => string | null;
