import type { Ec2Gateway } from './ec2-gateway';
import type { IamGateway } from './iam-gateway';
import { REF_PREFIX, type ApiCall } from './response-plan';

export class UnresolvedReferenceError extends Error {
  constructor(reference: string) {
    super(`no earlier call of this plan produced ${reference}`);
    this.name = 'UnresolvedReferenceError';
  }
}

export interface AccountGateways {
  iam: IamGateway;
  ec2: Ec2Gateway;
}

/** Resolves `ref:` values against the ids earlier calls produced. */
function resolve(value: string, refs: ReadonlyMap<string, string>): string {
  if (!value.startsWith(REF_PREFIX)) return value;
  const resolved = refs.get(value.slice(REF_PREFIX.length));
  if (resolved === undefined) throw new UnresolvedReferenceError(value);
  return resolved;
}

/** Sends one planned call through its gateway; records ids it creates in `refs`. */
export async function executeCall(
  call: ApiCall,
  gateways: AccountGateways,
  refs: Map<string, string>,
): Promise<void> {
  const { iam, ec2 } = gateways;
  switch (call.api) {
    case 'iam:PutRolePolicy':
      return iam.putRolePolicy(call.input.RoleName, call.input.PolicyName, call.input.PolicyDocument);
    case 'iam:DeleteRolePolicy':
      return iam.deleteRolePolicy(call.input.RoleName, call.input.PolicyName);
    case 'ec2:CreateSecurityGroup': {
      const id = await ec2.createSecurityGroup(
        call.input.VpcId,
        call.input.GroupName,
        call.input.Description,
        call.input.Tags,
      );
      refs.set(call.outputRef, id);
      return;
    }
    case 'ec2:AuthorizeSecurityGroupIngress':
      return ec2.authorizeIngress(resolve(call.input.GroupId, refs), call.input.IpPermissions);
    case 'ec2:AuthorizeSecurityGroupEgress':
      return ec2.authorizeEgress(resolve(call.input.GroupId, refs), call.input.IpPermissions);
    case 'ec2:RevokeSecurityGroupEgress':
      return ec2.revokeEgress(resolve(call.input.GroupId, refs), call.input.IpPermissions);
    case 'ec2:ModifyNetworkInterfaceAttribute':
      return ec2.setInterfaceGroups(
        call.input.NetworkInterfaceId,
        call.input.Groups.map((group) => resolve(group, refs)),
      );
    case 'ec2:ModifyInstanceAttribute':
      return ec2.setTerminationProtection(call.input.InstanceId, call.input.DisableApiTermination.Value);
    case 'ec2:CreateTags':
      return ec2.createTags(call.input.Resources, call.input.Tags);
    case 'ec2:DeleteTags':
      return ec2.deleteTags(call.input.Resources, call.input.Tags);
    case 'ec2:CreateSnapshot': {
      await ec2.createSnapshot(call.input.VolumeId, call.input.Description, call.input.Tags);
      return;
    }
    case 'ec2:DisassociateIamInstanceProfile':
      return ec2.disassociateInstanceProfile(call.input.AssociationId);
    case 'iam:UpdateAccessKey':
      return iam.updateAccessKey(call.input.UserName, call.input.AccessKeyId, call.input.Status);
    case 'ec2:AssociateIamInstanceProfile':
      return ec2.associateInstanceProfile(call.input.InstanceId, call.input.IamInstanceProfile.Arn);
  }
}
