import type { ResponseAction } from '../contracts/response-event';
import { InstanceNotFoundError } from './ec2-errors';
import type { Ec2Gateway } from './ec2-gateway';
import { RoleNotFoundError, type IamGateway } from './iam-gateway';
import type { Incident } from './incident-schema';
import type {
  ObservedInstance,
  ObservedInstanceProfile,
  ObservedRole,
  ObservedState,
} from './observed-state';
import type { ResponseConfig } from './response-config-schema';

/** Reads, with read-only calls, the state a plan needs and will replace. */
export class StateReader {
  constructor(
    private readonly iam: IamGateway,
    private readonly ec2: Ec2Gateway,
    private readonly config: ResponseConfig,
  ) {}

  async observe(incident: Incident, actions: readonly ResponseAction[]): Promise<ObservedState> {
    // The role is always read: its path and tags decide whether it is protected.
    const role = await this.iam.describeRole(incident.roleName);
    const instance = await this.describeInstance(incident.instanceId);
    // The proof that these are the instance's credentials: its profile holds the finding's role.
    const profileArn = instance?.profileAssociation?.profileArn ?? '';
    const instanceProfile = profileArn === '' ? null : await this.iam.instanceProfileRoles(profileArn);
    const roleNetwork = actions.includes('pin-to-network') ? await this.roleNetwork(instance) : null;
    const isolationGroups = actions.includes('quarantine-instance')
      ? await this.credtrailGroups(instance)
      : {};
    return { role, instance, instanceProfile, roleNetwork, isolationGroups };
  }

  /**
   * What undo checks the audit records against, read now: the incident's role and instance, the
   * credtrail groups of the instance's VPCs, and the recorded instance profile if one is to be restored.
   */
  async observeForUndo(
    incident: Incident,
    recordedProfileArn: string | null,
  ): Promise<{ observed: ObservedState; recordedProfile: ObservedInstanceProfile | null }> {
    const role = await this.findRole(incident.roleName);
    const instance = await this.describeInstance(incident.instanceId);
    const isolationGroups = await this.credtrailGroups(instance);
    const recordedProfile =
      recordedProfileArn === null ? null : await this.iam.findInstanceProfileRoles(recordedProfileArn);
    return {
      observed: { role, instance, instanceProfile: null, roleNetwork: null, isolationGroups },
      recordedProfile,
    };
  }

  private async findRole(roleName: string): Promise<ObservedRole | null> {
    try {
      return await this.iam.describeRole(roleName);
    } catch (error) {
      if (error instanceof RoleNotFoundError) return null;
      throw error;
    }
  }

  private async credtrailGroups(
    instance: ObservedInstance | null,
  ): Promise<ObservedState['isolationGroups']> {
    const groups: ObservedState['isolationGroups'] = {};
    for (const vpcId of new Set(instance?.interfaces.map((eni) => eni.vpcId) ?? [])) {
      groups[vpcId] = {
        isolation: await this.ec2.findSecurityGroup(vpcId, this.config.quarantine.isolationGroupName),
        transition: await this.ec2.findSecurityGroup(vpcId, this.config.quarantine.transitionGroupName),
      };
    }
    return groups;
  }

  private async describeInstance(instanceId: string): Promise<ObservedInstance | null> {
    try {
      return await this.ec2.describeInstance(instanceId);
    } catch (error) {
      if (error instanceof InstanceNotFoundError) return null;
      throw error;
    }
  }

  // Every instance carrying the same profile shares the role: pinning to one instance's network would
  // cut off the rest of the fleet, so the pin covers the fleet's VPCs, public addresses and NATs.
  private async roleNetwork(instance: ObservedInstance | null): Promise<ObservedState['roleNetwork']> {
    const profileArn = instance?.profileAssociation?.profileArn;
    if (profileArn === undefined || profileArn === '') return null;
    const fleet = await this.ec2.describeInstancesWithProfile(profileArn);
    const vpcIds = new Set<string>();
    const egressIps = new Set<string>();
    for (const member of fleet) {
      for (const eni of member.NetworkInterfaces ?? []) {
        if (eni.VpcId) vpcIds.add(eni.VpcId);
        if (eni.Association?.PublicIp) egressIps.add(eni.Association.PublicIp);
        for (const ipv6 of eni.Ipv6Addresses ?? []) if (ipv6.Ipv6Address) egressIps.add(ipv6.Ipv6Address);
      }
      if (member.PublicIpAddress) egressIps.add(member.PublicIpAddress);
    }
    for (const ip of await this.ec2.natGatewayPublicIps([...vpcIds])) egressIps.add(ip);
    return { vpcIds: [...vpcIds].sort(), egressIps: [...egressIps].sort() };
  }
}
