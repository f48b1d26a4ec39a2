import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';

/** Temporary credentials in the shape every SDK v3 client accepts as `credentials`. */
export interface TemporaryCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

export class MemberRoleError extends Error {
  constructor(
    readonly roleArn: string,
    cause: unknown,
  ) {
    super(`could not assume ${roleArn} (${cause instanceof Error ? cause.message : String(cause)})`);
    this.name = 'MemberRoleError';
  }
}

/** The role credtrail assumes in a member account; the same name in every account (StackSets). */
export function memberRoleArn(partition: string, accountId: string, roleName: string): string {
  return `arn:${partition}:iam::${accountId}:role/${roleName}`;
}

export interface AssumeMemberRoleOptions {
  readonly sessionName: string;
  readonly durationSeconds?: number;
  /** Tries in all; IAM changes take a few seconds to be seen everywhere. */
  readonly attempts?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

// IAM is eventually consistent: a member role (or its trust policy) that a StackSet created seconds
// ago is refused for a short while, with these codes, before it works. See the IAM User Guide,
// "Troubleshooting IAM", changes that I make are not always immediately visible.
const TRANSIENT_CODES = new Set(['AccessDenied', 'AccessDeniedException', 'InvalidClientTokenId']);

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Assumes a member account's credtrail role, retrying the refusals IAM's propagation delay causes with a
 * short backoff (1 s, 2 s). Any other failure, or a refusal that outlasts the retries, is a
 * MemberRoleError naming the role: the detector falls back to first-seen, the responder only alerts.
 */
export async function assumeMemberRole(
  sts: STSClient,
  roleArn: string,
  options: AssumeMemberRoleOptions,
): Promise<TemporaryCredentials> {
  const attempts = options.attempts ?? 3;
  const sleep = options.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      const output = await sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: options.sessionName.slice(0, 64),
          ...(options.durationSeconds === undefined ? {} : { DurationSeconds: options.durationSeconds }),
        }),
      );
      const issued = output.Credentials;
      if (
        issued?.AccessKeyId === undefined ||
        issued.SecretAccessKey === undefined ||
        issued.SessionToken === undefined
      ) {
        throw new MemberRoleError(roleArn, 'STS returned no credentials');
      }
      return {
        accessKeyId: issued.AccessKeyId,
        secretAccessKey: issued.SecretAccessKey,
        sessionToken: issued.SessionToken,
        expiration: issued.Expiration ?? new Date(Date.now() + 15 * 60_000),
      };
    } catch (error) {
      if (error instanceof MemberRoleError) throw error;
      const code = error instanceof Error ? error.name : '';
      if (!TRANSIENT_CODES.has(code) || attempt >= attempts) throw new MemberRoleError(roleArn, error);
      await sleep(1000 * 2 ** (attempt - 1));
    }
  }
}
