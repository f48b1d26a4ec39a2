import type { TagMatch } from '../response-config-schema';

/** `*` matches any run of characters; everything else is literal. */
export function globMatches(pattern: string, value: string, options: { ignoreCase?: boolean } = {}): boolean {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`, options.ignoreCase === true ? 'i' : '').test(value);
}

// IAM role names are unique regardless of case (IAM User Guide, "IAM identifiers": names are not
// distinguished by case), so `webapprole` and `WebAppRole` are one role: protection ignores case.
export function roleNameMatches(pattern: string, name: string): boolean {
  return globMatches(pattern, name, { ignoreCase: true });
}

export function matchingTag(
  tags: Readonly<Record<string, string>>,
  matches: readonly TagMatch[],
): TagMatch | undefined {
  return matches.find(
    (match) => match.key in tags && (match.value === undefined || tags[match.key] === match.value),
  );
}

/** The tag that protects a role or an instance whatever the configuration says. */
export const PROTECTED_TAG_KEY = 'credtrail:protected';
