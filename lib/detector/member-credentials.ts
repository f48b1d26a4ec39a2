import { AssumeRoleCommand, GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';

/** Temporary credentials in the shape every SDK client accepts as `credentials`. */
export interface TemporaryCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

export class MemberRoleError extends Error {
  constructor(roleArn: string, cause: unknown) {
    super(`could not assume ${roleArn} (${cause instanceof Error ? cause.message : String(cause)})`);
    this.name = 'MemberRoleError';
  }
}

// Refresh a little before expiry so no EC2 call is signed with credentials about to lapse.
const REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * Credentials for reading EC2 in the account an instance lives in: none (the Lambda's own) in the
 * detector's account, else the member read role, assumed once per account and kept until near expiry.
 */
export class MemberCredentials {
  private ownAccount?: Promise<string>;
  private readonly cache = new Map<string, TemporaryCredentials>();

  constructor(
    private readonly sts: STSClient,
    private readonly roleName: string,
    private readonly clock: () => number,
  ) {}

  /** `undefined` means the Lambda's own credentials will do. */
  async forAccount(accountId: string, partition: string): Promise<TemporaryCredentials | undefined> {
    if (accountId === (await this.detectorAccount())) return undefined;
    const cached = this.cache.get(accountId);
    if (cached !== undefined && cached.expiration.getTime() - REFRESH_MARGIN_MS > this.clock()) return cached;
    const roleArn = `arn:${partition}:iam::${accountId}:role/${this.roleName}`;
    let output;
    try {
      output = await this.sts.send(
        new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'credtrail-detector' }),
      );
    } catch (error) {
      throw new MemberRoleError(roleArn, error);
    }
    const issued = output.Credentials;
    if (
      issued?.AccessKeyId === undefined ||
      issued.SecretAccessKey === undefined ||
      issued.SessionToken === undefined
    ) {
      throw new MemberRoleError(roleArn, 'STS returned no credentials');
    }
    const credentials: TemporaryCredentials = {
      accessKeyId: issued.AccessKeyId,
      secretAccessKey: issued.SecretAccessKey,
      sessionToken: issued.SessionToken,
      expiration: issued.Expiration ?? new Date(this.clock() + 15 * 60_000),
    };
    this.cache.set(accountId, credentials);
    return credentials;
  }

  private detectorAccount(): Promise<string> {
    this.ownAccount ??= this.sts
      .send(new GetCallerIdentityCommand({}))
      .then((identity) => identity.Account ?? '');
    // A failed lookup must not stick for the container's life.
    this.ownAccount.catch(() => (this.ownAccount = undefined));
    return this.ownAccount;
  }
}

/** The partition of a region, for the member role's ARN. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}
