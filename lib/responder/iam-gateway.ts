import {
  DeleteRolePolicyCommand,
  GetInstanceProfileCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  ListAccessKeysCommand,
  ListRolePoliciesCommand,
  ListUserTagsCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
  UpdateAccessKeyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import type { ObservedRole } from './observed-state';
import type { UserSubject } from './protection/user-protection';

export class RoleNotFoundError extends Error {
  constructor(
    readonly roleName: string,
    options?: ErrorOptions,
  ) {
    super(`role ${roleName} not found`, options);
    this.name = 'RoleNotFoundError';
  }
}

/** The roles an instance profile holds, as IAM says (one at most, by IAM's quota). */
export interface InstanceProfileRoles {
  profileArn: string;
  roleArns: string[];
}

/** The IAM calls the responder makes, on a client for the finding's account. */
export class IamGateway {
  constructor(private readonly client: IAMClient) {}

  async describeRole(roleName: string): Promise<ObservedRole> {
    let role;
    try {
      ({ Role: role } = await this.client.send(new GetRoleCommand({ RoleName: roleName })));
    } catch (error) {
      if (error instanceof NoSuchEntityException) throw new RoleNotFoundError(roleName, { cause: error });
      throw error;
    }
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
    // GetRole's own name and path, not the finding's spelling: protection is decided on these.
    return {
      name: role?.RoleName ?? roleName,
      arn: role?.Arn ?? '',
      path: role?.Path ?? '/',
      tags: Object.fromEntries((role?.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])),
      inlinePolicies,
    };
  }

  /** The roles of an instance profile; the name is the last segment of its ARN. */
  /** null when the profile no longer exists. */
  async findInstanceProfileRoles(profileArn: string): Promise<InstanceProfileRoles | null> {
    try {
      return await this.instanceProfileRoles(profileArn);
    } catch (error) {
      if (error instanceof NoSuchEntityException) return null;
      throw error;
    }
  }

  async instanceProfileRoles(profileArn: string): Promise<InstanceProfileRoles> {
    const name = profileArn.slice(profileArn.lastIndexOf('/') + 1);
    const { InstanceProfile: profile } = await this.client.send(
      new GetInstanceProfileCommand({ InstanceProfileName: name }),
    );
    return {
      profileArn: profile?.Arn ?? '',
      roleArns: (profile?.Roles ?? []).flatMap((role) => (role.Arn === undefined ? [] : [role.Arn])),
    };
  }

  async putRolePolicy(roleName: string, policyName: string, document: string): Promise<void> {
    await this.client.send(
      new PutRolePolicyCommand({ RoleName: roleName, PolicyName: policyName, PolicyDocument: document }),
    );
  }

  /** The inline policy's document, decoded, or null when the role has no policy of that name. */
  async getRolePolicyDocument(roleName: string, policyName: string): Promise<string | null> {
    try {
      const policy = await this.client.send(
        new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }),
      );
      return decodeURIComponent(policy.PolicyDocument ?? '');
    } catch (error) {
      if (error instanceof NoSuchEntityException) return null;
      throw error;
    }
  }

  /** Sets a key's status; never deletes it. */
  async updateAccessKey(userName: string, accessKeyId: string, status: 'Active' | 'Inactive'): Promise<void> {
    await this.client.send(
      new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: status }),
    );
  }

  /**
   * Issue 17: the user whose key a step would deactivate, by GetUser's own name and path and every tag
   * (ListUserTags, paged): what protection is decided on. null when the user no longer exists.
   */
  async describeUser(userName: string): Promise<UserSubject | null> {
    let user;
    try {
      ({ User: user } = await this.client.send(new GetUserCommand({ UserName: userName })));
    } catch (error) {
      if (error instanceof NoSuchEntityException) return null;
      throw error;
    }
    const tags: Record<string, string> = {};
    let marker: string | undefined;
    do {
      const page = await this.client.send(new ListUserTagsCommand({ UserName: userName, Marker: marker }));
      for (const tag of page.Tags ?? []) tags[tag.Key ?? ''] = tag.Value ?? '';
      marker = page.IsTruncated === true ? page.Marker : undefined;
    } while (marker !== undefined);
    return { name: user?.UserName ?? userName, path: user?.Path ?? '/', tags };
  }

  /** A user's key status, or null when the user or the key no longer exists. */
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
