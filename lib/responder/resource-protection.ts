import type { TagMatch } from './response-config-schema';

/** `*` matches any run of characters; everything else is literal. */
export function globMatches(pattern: string, value: string): boolean {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`).test(value);
}

export function matchingTag(
  tags: Readonly<Record<string, string>>,
  matches: readonly TagMatch[],
): TagMatch | undefined {
  return matches.find(
    (match) => match.key in tags && (match.value === undefined || tags[match.key] === match.value),
  );
}

export interface RoleProtectionInput {
  roleName: string;
  roleArn: string | null;
  path: string | null;
  tags: Readonly<Record<string, string>>;
  namePatterns: readonly string[];
  tagMatches: readonly TagMatch[];
  responderRolePatterns: readonly string[];
  responderRoleNames: readonly string[];
}

/** Why a role must not be touched, or null. */
export function roleProtectionReason(input: RoleProtectionInput): string | null {
  // Service-linked roles live under /aws-service-role/ and cannot have their sessions revoked
  // (IAM User Guide, id_roles_use_revoke-sessions.html); AWS owns their policies.
  if (input.path?.startsWith('/aws-service-role/') || input.roleArn?.includes(':role/aws-service-role/')) {
    return `role ${input.roleName} is a service-linked role (/aws-service-role/ path)`;
  }
  if (input.roleName.startsWith('AWSServiceRoleFor'))
    return `role ${input.roleName} is a service-linked role`;
  if (input.responderRoleNames.includes(input.roleName))
    return `role ${input.roleName} is the responder's own role`;
  const own = input.responderRolePatterns.find((pattern) => globMatches(pattern, input.roleName));
  if (own !== undefined) return `role ${input.roleName} is one of the responder's own roles (${own})`;
  const named = input.namePatterns.find((pattern) => globMatches(pattern, input.roleName));
  if (named !== undefined) return `role ${input.roleName} is protected by pattern ${named}`;
  const tag = matchingTag(input.tags, input.tagMatches);
  if (tag !== undefined) return `role ${input.roleName} is protected by tag ${tag.key}`;
  return null;
}

export interface InstanceProtectionInput {
  instanceId: string;
  tags: Readonly<Record<string, string>>;
  patterns: readonly string[];
  tagMatches: readonly TagMatch[];
}

export function instanceProtectionReason(input: InstanceProtectionInput): string | null {
  const name = input.tags.Name;
  const pattern = input.patterns.find(
    (candidate) =>
      globMatches(candidate, input.instanceId) || (name !== undefined && globMatches(candidate, name)),
  );
  if (pattern !== undefined) return `instance ${input.instanceId} is protected by pattern ${pattern}`;
  const tag = matchingTag(input.tags, input.tagMatches);
  if (tag !== undefined) return `instance ${input.instanceId} is protected by tag ${tag.key}`;
  return null;
}
