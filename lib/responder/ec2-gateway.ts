import {
  AssociateIamInstanceProfileCommand,
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSnapshotCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  DisassociateIamInstanceProfileCommand,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  RevokeSecurityGroupEgressCommand,
  type EC2Client,
  type Instance,
  type IpPermission,
  type Tag,
} from '@aws-sdk/client-ec2';
import { InstanceNotFoundError } from './ec2-errors';
import type { ObservedInstance } from './observed-state';

export { InstanceNotFoundError };

// DescribeInstances answers an unknown id with an error, not an empty list (EC2 API reference, error
// codes): the instance does not exist in this account and region.
const UNKNOWN_INSTANCE_CODES = new Set(['InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed']);

export interface ObservedGroup {
  groupId: string;
  ruleCount: number;
}

/** The EC2 calls the responder makes, on a client for the finding's account and region. */
export class Ec2Gateway {
  constructor(private readonly client: EC2Client) {}

  async describeInstance(instanceId: string): Promise<ObservedInstance> {
    let result;
    try {
      result = await this.client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    } catch (error) {
      if (error instanceof Error && UNKNOWN_INSTANCE_CODES.has(error.name))
        throw new InstanceNotFoundError(instanceId, { cause: error });
      throw error;
    }
    const instance = result.Reservations?.flatMap((reservation) => reservation.Instances ?? [])[0];
    if (instance === undefined) throw new InstanceNotFoundError(instanceId);
    const associations = await this.client.send(
      new DescribeIamInstanceProfileAssociationsCommand({
        Filters: [
          { Name: 'instance-id', Values: [instanceId] },
          { Name: 'state', Values: ['associated'] },
        ],
      }),
    );
    const association = associations.IamInstanceProfileAssociations?.[0];
    return {
      instanceId,
      state: instance.State?.Name ?? 'unknown',
      tags: tagsOf(instance.Tags),
      interfaces: (instance.NetworkInterfaces ?? []).map((eni) => ({
        networkInterfaceId: eni.NetworkInterfaceId ?? '',
        vpcId: eni.VpcId ?? instance.VpcId ?? '',
        groupIds: (eni.Groups ?? []).map((group) => group.GroupId ?? ''),
      })),
      volumeIds: (instance.BlockDeviceMappings ?? []).flatMap((mapping) =>
        mapping.Ebs?.VolumeId ? [mapping.Ebs.VolumeId] : [],
      ),
      profileAssociation:
        association?.AssociationId !== undefined
          ? {
              associationId: association.AssociationId,
              profileArn: association.IamInstanceProfile?.Arn ?? '',
            }
          : null,
      // DescribeInstances does not say, and the member role may not call DescribeInstanceAttribute.
      terminationProtection: null,
    };
  }

  /** Every running instance that carries the instance profile: the role's whole fleet in this region. */
  async describeInstancesWithProfile(profileArn: string): Promise<Instance[]> {
    const instances: Instance[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(
        new DescribeInstancesCommand({
          Filters: [
            { Name: 'iam-instance-profile.arn', Values: [profileArn] },
            { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
          ],
          NextToken: nextToken,
        }),
      );
      instances.push(...(page.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []));
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
    return instances;
  }

  /**
   * Public addresses of the NAT gateways in these VPCs, read from their network interfaces
   * (`InterfaceType` natGateway): DescribeNetworkInterfaces is among the member role's reads,
   * DescribeNatGateways is not.
   */
  async natGatewayPublicIps(vpcIds: readonly string[]): Promise<string[]> {
    if (vpcIds.length === 0) return [];
    const ips: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(
        new DescribeNetworkInterfacesCommand({
          Filters: [{ Name: 'vpc-id', Values: [...vpcIds] }],
          NextToken: nextToken,
        }),
      );
      for (const eni of page.NetworkInterfaces ?? []) {
        if (eni.InterfaceType === 'natGateway' && eni.Association?.PublicIp)
          ips.push(eni.Association.PublicIp);
      }
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
    return ips;
  }

  async findSecurityGroup(vpcId: string, groupName: string): Promise<ObservedGroup | null> {
    const result = await this.client.send(
      new DescribeSecurityGroupsCommand({
        Filters: [
          { Name: 'vpc-id', Values: [vpcId] },
          { Name: 'group-name', Values: [groupName] },
        ],
      }),
    );
    const group = result.SecurityGroups?.[0];
    if (group?.GroupId === undefined) return null;
    return {
      groupId: group.GroupId,
      ruleCount: (group.IpPermissions ?? []).length + (group.IpPermissionsEgress ?? []).length,
    };
  }

  async createSecurityGroup(
    vpcId: string,
    groupName: string,
    description: string,
    tags: Tag[],
  ): Promise<string> {
    const result = await this.client.send(
      new CreateSecurityGroupCommand({
        VpcId: vpcId,
        GroupName: groupName,
        Description: description,
        TagSpecifications: [{ ResourceType: 'security-group', Tags: tags }],
      }),
    );
    if (result.GroupId === undefined)
      throw new Error(`CreateSecurityGroup returned no GroupId for ${groupName}`);
    return result.GroupId;
  }

  async authorizeIngress(groupId: string, permissions: IpPermission[]): Promise<void> {
    await this.client.send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: permissions }),
    );
  }

  async authorizeEgress(groupId: string, permissions: IpPermission[]): Promise<void> {
    await this.client.send(
      new AuthorizeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: permissions }),
    );
  }

  async revokeEgress(groupId: string, permissions: IpPermission[]): Promise<void> {
    await this.client.send(
      new RevokeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: permissions }),
    );
  }

  async setInterfaceGroups(networkInterfaceId: string, groupIds: string[]): Promise<void> {
    await this.client.send(
      new ModifyNetworkInterfaceAttributeCommand({
        NetworkInterfaceId: networkInterfaceId,
        Groups: groupIds,
      }),
    );
  }

  async setTerminationProtection(instanceId: string, enabled: boolean): Promise<void> {
    await this.client.send(
      new ModifyInstanceAttributeCommand({
        InstanceId: instanceId,
        DisableApiTermination: { Value: enabled },
      }),
    );
  }

  async createTags(resources: string[], tags: Tag[]): Promise<void> {
    await this.client.send(new CreateTagsCommand({ Resources: resources, Tags: tags }));
  }

  async deleteTags(resources: string[], tags: Tag[]): Promise<void> {
    await this.client.send(new DeleteTagsCommand({ Resources: resources, Tags: tags }));
  }

  async createSnapshot(volumeId: string, description: string, tags: Tag[]): Promise<string> {
    const result = await this.client.send(
      new CreateSnapshotCommand({
        VolumeId: volumeId,
        Description: description,
        TagSpecifications: [{ ResourceType: 'snapshot', Tags: tags }],
      }),
    );
    return result.SnapshotId ?? '';
  }

  async disassociateInstanceProfile(associationId: string): Promise<void> {
    await this.client.send(new DisassociateIamInstanceProfileCommand({ AssociationId: associationId }));
  }

  async associateInstanceProfile(instanceId: string, profileArn: string): Promise<void> {
    await this.client.send(
      new AssociateIamInstanceProfileCommand({
        InstanceId: instanceId,
        IamInstanceProfile: { Arn: profileArn },
      }),
    );
  }
}

export function tagsOf(tags: readonly Tag[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
}
