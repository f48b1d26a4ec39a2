import type { CredentialKind } from './credential-event';

/**
 * Keeps the events the engine holds small. A hunt holds every event of the reorder window (an hour of
 * an organisation's calls) and JSON.parse gives each record its own copy of every string: the role
 * ARN, the account, the event name, the user agent, the same for thousands of calls. Built from these
 * tables, an event shares those strings with every other call of its session and owns little more
 * than its eventID and time: the window costs the garbage collector a fraction of what it did, and
 * memory follows live sessions rather than records read.
 *
 * Everything here is memoisation of pure functions of a record's fields, so sharing never changes what
 * an event says. The tables are bounded (emptied when full), so a stream of attacker-chosen strings
 * costs lookups, not memory.
 */

/** What a call's signing identity tells the engine: the same for every call of one session. */
export interface SessionIdentity {
  readonly accessKeyId: string;
  readonly instanceId: string;
  readonly credentialKind: CredentialKind;
  readonly roleArn: string;
  readonly roleName: string;
  readonly accountId: string;
  readonly roleDelivery: string | undefined;
}

/** The record's fields a `SessionIdentity` is derived from, as the record holds them. */
export interface IdentityFields {
  readonly accessKeyId: string;
  readonly principalId: string;
  readonly arn: string | undefined;
  readonly accountId: string;
  readonly roleDelivery: string | undefined;
  readonly issuerArn: string | undefined;
  readonly issuerUserName: string | undefined;
}

/**
 * A session as the compactor knows it: its identity, and the strings its calls repeat. Most calls of a
 * session carry the region, user agent and session start of the one before: comparing with that one
 * answers without hashing the text (a user agent runs to a hundred characters and more); a changed
 * region or user agent goes to the shared table, a session start stays with its session.
 */
export class KnownSession {
  private lastRegion = '';
  private lastUserAgent = '';
  private sharedUserAgent = '';
  private lastCreatedAt = '';

  constructor(
    readonly fields: IdentityFields,
    readonly identity: SessionIdentity,
    private readonly compactor: EventCompactor,
  ) {}

  region(text: string): string {
    if (text !== this.lastRegion) this.lastRegion = this.compactor.share(text);
    return this.lastRegion;
  }

  /** The user agent as the engine keeps it: shortened by `cut`, then shared. */
  userAgent(text: string, cut: (text: string) => string): string {
    if (text !== this.lastUserAgent) {
      this.lastUserAgent = text;
      this.sharedUserAgent = this.compactor.share(cut(text));
    }
    return this.sharedUserAgent;
  }

  /**
   * The session start is kept per session only: it is one value per key, so the shared table would
   * gain nothing but an entry per key (33,800 distinct on a 340k-record instance-heavy day, about
   * three times that at 1M records: enough to fill the table and empty it for every other string).
   */
  createdAt(text: string): string {
    if (text !== this.lastCreatedAt) this.lastCreatedAt = text;
    return this.lastCreatedAt;
  }
}

const DEFAULT_MAX_ENTRIES = 100_000;

export class EventCompactor {
  private readonly strings = new Map<string, string>();
  private readonly identities = new Map<string, KnownSession>();
  private readonly addresses = new Map<string, string | null>();

  constructor(private readonly maxEntries = DEFAULT_MAX_ENTRIES) {}

  /** One shared copy of a string that recurs across records (event names, regions, user agents). */
  share(text: string): string {
    const known = this.strings.get(text);
    if (known !== undefined) return known;
    if (this.strings.size >= this.maxEntries) this.strings.clear();
    this.strings.set(text, text);
    return text;
  }

  /**
   * The session of a call, its identity derived once per access key: a later call reuses it when every
   * field it was derived from is the same (compared, never assumed), else it is derived afresh.
   */
  session(fields: IdentityFields, derive: (fields: IdentityFields) => SessionIdentity): KnownSession {
    const cached = this.identities.get(fields.accessKeyId);
    if (cached !== undefined && sameFields(cached.fields, fields)) return cached;
    const identity = derive(fields);
    if (this.identities.size >= this.maxEntries) this.identities.clear();
    // Keep the derived strings, not the record's: the fields compared later are equal by value.
    const known = new KnownSession(sharedFields(fields, identity), identity, this);
    this.identities.set(fields.accessKeyId, known);
    return known;
  }

  /** A source address in its one spelling (or undefined when it is not one), normalised once per text. */
  address(text: string, normalize: (text: string) => string | undefined): string | undefined {
    const known = this.addresses.get(text);
    if (known !== undefined) return known ?? undefined;
    const normalized = normalize(text);
    if (this.addresses.size >= this.maxEntries) this.addresses.clear();
    this.addresses.set(text, normalized === undefined ? null : this.share(normalized));
    return normalized === undefined ? undefined : this.share(normalized);
  }
}

function sameFields(a: IdentityFields, b: IdentityFields): boolean {
  return (
    a.principalId === b.principalId &&
    a.accountId === b.accountId &&
    a.roleDelivery === b.roleDelivery &&
    a.issuerArn === b.issuerArn &&
    a.issuerUserName === b.issuerUserName &&
    a.arn === b.arn
  );
}

function sharedFields(fields: IdentityFields, identity: SessionIdentity): IdentityFields {
  return {
    ...fields,
    accessKeyId: identity.accessKeyId,
    accountId: identity.accountId,
    roleDelivery: identity.roleDelivery,
  };
}
