import {
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListRolePoliciesCommand,
  NoSuchEntityException,
  ListAccessKeysCommand,
  PutRolePolicyCommand,
  UpdateAccessKeyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import type { ObservedRole } from './observed-state';

/** The IAM calls the responder makes, on a client for the finding's account. */
export class IamGateway {
  constructor(private readonly client: IAMClient) {}

  async describeRole(roleName: string): Promise<ObservedRole> {
    const { Role: role } = await this.client.send(new GetRoleCommand({ RoleName: roleName }));
    const names: string[] = [];
    let marker: string | undefined;
    do {
      const page = await this.client.send(
        new ListRolePoliciesCommand({ RoleName: roleName, Marker: marker }),
      );
      names.push(...(page.PolicyNames ?? []));
      marker = page.IsTruncated === true ? page.Marker : undefined;
    } while (marker !== undefined);
    const inlinePolicies = await Promise.all(
      names.map(async (name) => {
        const policy = await this.client.send(
          new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }),
        );
        // IAM returns the document URL-encoded (IAM API reference, GetRolePolicy).
        return { name, document: decodeURIComponent(policy.PolicyDocument ?? '') };
      }),
    );
    return {
      name: roleName,
      arn: role?.Arn ?? '',
      path: role?.Path ?? '/',
      tags: Object.fromEntries((role?.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])),
      inlinePolicies,
    };
  }

  async putRolePolicy(roleName: string, policyName: string, document: string): Promise<void> {
    await this.client.send(
      new PutRolePolicyCommand({ RoleName: roleName, PolicyName: policyName, PolicyDocument: document }),
    );
  }

  async updateAccessKey(userName: string, accessKeyId: string, status: 'Active' | 'Inactive'): Promise<void> {
    await this.client.send(
      new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: status }),
    );
  }

  /** A user's key status, or null when the user or the key is gone. */
  async accessKeyStatus(userName: string, accessKeyId: string): Promise<'Active' | 'Inactive' | null> {
    let marker: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListAccessKeysCommand({ UserName: userName, Marker: marker }),
        );
        const found = page.AccessKeyMetadata?.find((key) => key.AccessKeyId === accessKeyId);
        if (found !== undefined) return found.Status === 'Inactive' ? 'Inactive' : 'Active';
        marker = page.IsTruncated === true ? page.Marker : undefined;
      } while (marker !== undefined);
    } catch (error) {
      if (error instanceof NoSuchEntityException) return null;
      throw error;
    }
    return null;
  }

  /** Idempotent: a policy already gone is what undo wanted. */
  async deleteRolePolicy(roleName: string, policyName: string): Promise<void> {
    try {
      await this.client.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }));
    } catch (error) {
      if (!(error instanceof NoSuchEntityException)) throw error;
    }
  }
}
