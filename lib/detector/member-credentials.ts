import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { assumeMemberRole, memberRoleArn, type TemporaryCredentials } from '../aws/member-role';

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
    private readonly sleep?: (ms: number) => Promise<void>,
  ) {}

  /** `undefined` means the Lambda's own credentials will do. */
  async forAccount(accountId: string, partition: string): Promise<TemporaryCredentials | undefined> {
    if (accountId === (await this.detectorAccount())) return undefined;
    const cached = this.cache.get(accountId);
    if (cached !== undefined && cached.expiration.getTime() - REFRESH_MARGIN_MS > this.clock()) return cached;
    const credentials = await assumeMemberRole(this.sts, memberRoleArn(partition, accountId, this.roleName), {
      sessionName: 'credtrail-detector',
      ...(this.sleep === undefined ? {} : { sleep: this.sleep }),
    });
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
