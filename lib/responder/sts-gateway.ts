import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';

/** Temporary credentials in the shape every SDK v3 client accepts as `credentials`. */
export interface MemberCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export class MemberRoleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MemberRoleError';
  }
}

/** Assumes the member response role in the finding's account. */
export class StsGateway {
  constructor(private readonly client: STSClient) {}

  async assumeMemberRole(roleArn: string, sessionName: string): Promise<MemberCredentials> {
    const result = await this.client.send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: sessionName.slice(0, 64),
        DurationSeconds: 900,
      }),
    );
    const credentials = result.Credentials;
    if (credentials?.AccessKeyId === undefined || credentials.SecretAccessKey === undefined) {
      throw new MemberRoleError(`AssumeRole ${roleArn} returned no credentials`);
    }
    return {
      accessKeyId: credentials.AccessKeyId,
      secretAccessKey: credentials.SecretAccessKey,
      sessionToken: credentials.SessionToken,
      expiration: credentials.Expiration,
    };
  }
}

export function memberRoleArn(partition: string, accountId: string, roleName: string): string {
  return `arn:${partition}:iam::${accountId}:role/${roleName}`;
}
