import type { STSClient } from '@aws-sdk/client-sts';
import { assumeMemberRole, type TemporaryCredentials } from '../aws/member-role';

/** Assumes the member response role in the finding's account, for fifteen minutes: one response. */
export class StsGateway {
  constructor(
    private readonly client: STSClient,
    private readonly sleep?: (ms: number) => Promise<void>,
  ) {}

  assumeMemberRole(roleArn: string, sessionName: string): Promise<TemporaryCredentials> {
    return assumeMemberRole(this.client, roleArn, {
      sessionName,
      durationSeconds: 900,
      ...(this.sleep === undefined ? {} : { sleep: this.sleep }),
    });
  }
}
