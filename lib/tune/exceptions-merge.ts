import { EXCEPTION_MATCHERS, type CredentialException } from '../engine/credential-exception';

export interface ExceptionsMerge {
  /** The file's new content: every existing entry, in order, then the added ones. */
  readonly entries: CredentialException[];
  readonly added: CredentialException[];
  /** Existing entries carried over unchanged (live ones). */
  readonly kept: CredentialException[];
  /** Existing entries whose expiry has passed: kept in the file, reported, suppressing nothing. */
  readonly expired: CredentialException[];
  /** Accepted proposals not added because a live entry with the same matchers exists. */
  readonly duplicates: CredentialException[];
}

/** Two entries are the same exception when every matcher is equal; reason and expiry are notes. */
export function sameMatchers(a: CredentialException, b: CredentialException): boolean {
  return EXCEPTION_MATCHERS.every((matcher) => a[matcher] === b[matcher]);
}

function isLive(entry: CredentialException, now: number): boolean {
  return entry.expiresAt === undefined || Date.parse(entry.expiresAt) > now;
}

/**
 * Merges accepted proposals into an existing exceptions list. Nothing is dropped: existing entries
 * stay (expired ones are reported), a proposal equal to a live entry is not added again, and a
 * proposal equal to an expired entry is added, renewing it.
 */
export function mergeExceptions(
  existing: readonly CredentialException[],
  accepted: readonly CredentialException[],
  now: Date,
): ExceptionsMerge {
  const time = now.getTime();
  const kept = existing.filter((entry) => isLive(entry, time));
  const expired = existing.filter((entry) => !isLive(entry, time));
  const added: CredentialException[] = [];
  const duplicates: CredentialException[] = [];
  for (const proposal of accepted) {
    const known = [...kept, ...added].some((entry) => sameMatchers(entry, proposal));
    (known ? duplicates : added).push(proposal);
  }
  return { entries: [...existing, ...added], added, kept, expired, duplicates };
}

/** One line naming an exception's matchers, e.g. `cidr 100.64.0.0/20, roleName eks-node, vpcId vpc-1`. */
export function describeMatchers(entry: CredentialException): string {
  return EXCEPTION_MATCHERS.filter((matcher) => entry[matcher] !== undefined)
    .map((matcher) => `${matcher} ${entry[matcher]}`)
    .join(', ');
}
