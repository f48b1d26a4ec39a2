import type { TagMatch } from '../response-config-schema';
import { matchingTag, PROTECTED_TAG_KEY, roleNameMatches } from './glob';

/**
 * Issue 17: the IAM user whose access key a step would deactivate, as GetUser (name, path) and
 * ListUserTags describe it, never as the finding spells it. Offline: the finding's name, nothing else.
 */
export interface UserSubject {
  name: string;
  /** `/` for most users; `null` when not read. */
  path: string | null;
  tags: Readonly<Record<string, string>>;
}

export interface UserProtectionSettings {
  /** Configured glob patterns on user names (`protected.userNamePatterns`). */
  namePatterns: readonly string[];
  tagMatches: readonly TagMatch[];
}

export type UserProtectionRule = (user: UserSubject, settings: UserProtectionSettings) => string | null;

// `credtrail:protected` always protects, whatever the configured tag list says (as for roles).
export const userProtectionTag: UserProtectionRule = (user, settings) => {
  const tag = matchingTag(user.tags, [{ key: PROTECTED_TAG_KEY }, ...settings.tagMatches]);
  return tag === undefined ? null : `user ${user.name} is protected by tag ${tag.key}`;
};

// IAM user names, like role names, are unique regardless of case: patterns ignore case.
export const configuredUserPattern: UserProtectionRule = (user, settings) => {
  const pattern = settings.namePatterns.find((candidate) => roleNameMatches(candidate, user.name));
  return pattern === undefined ? null : `user ${user.name} is protected by pattern ${pattern}`;
};

/**
 * Users that keep the account reachable when everything else fails: a break-glass or administrator
 * user. A thief's key on one is deactivated by a person who knows which keys are the team's own.
 */
export const ADMIN_USER_PATTERNS: ReadonlyArray<readonly [pattern: string, why: string]> = [
  ['*break*glass*', 'break-glass user'],
  ['*emergency*', 'emergency-access user'],
  ['*admin*', 'administrator user'],
];
export const ADMIN_USER_PATHS: readonly string[] = [
  '/admin/',
  '/break-glass/',
  '/breakglass/',
  '/emergency/',
];

export const adminUser: UserProtectionRule = (user) => {
  const path = ADMIN_USER_PATHS.find((prefix) => user.path?.toLowerCase().startsWith(prefix) === true);
  if (path !== undefined) return `user ${user.name} is an administrator user (path ${user.path ?? ''})`;
  const match = ADMIN_USER_PATTERNS.find(([pattern]) => roleNameMatches(pattern, user.name));
  return match === undefined ? null : `user ${user.name} is a ${match[1]} (pattern ${match[0]})`;
};
