import type { AccountGateways } from './call-executor';
import type { ApiCall } from './response-plan';

/**
 * An interrupted attempt may have applied one call whose step record was never written. Before that
 * call is sent again, look: if its effect is already there, it is not applied a second time. Only the
 * calls that are not naturally idempotent need a look; the others set a value and may be re-sent.
 */
export async function alreadyInEffect(
  call: ApiCall,
  gateways: AccountGateways,
  refs: Map<string, string>,
): Promise<boolean> {
  switch (call.api) {
    case 'iam:PutRolePolicy': {
      const current = await gateways.iam.getRolePolicyDocument(call.input.RoleName, call.input.PolicyName);
      return current !== null && sameDocument(current, call.input.PolicyDocument);
    }
    case 'ec2:CreateSecurityGroup': {
      // The plan saw no group of this name: one there now is the earlier attempt's.
      const group = await gateways.ec2.findSecurityGroup(call.input.VpcId, call.input.GroupName);
      if (group === null) return false;
      refs.set(call.outputRef, group.groupId);
      return true;
    }
    default:
      return false;
  }
}

// Error codes EC2 gives a re-sent call whose effect is already there (EC2 API reference, error codes).
const ALREADY_APPLIED: Partial<Record<ApiCall['api'], string>> = {
  'ec2:AuthorizeSecurityGroupIngress': 'InvalidPermission.Duplicate',
  'ec2:AuthorizeSecurityGroupEgress': 'InvalidPermission.Duplicate',
  'ec2:RevokeSecurityGroupEgress': 'InvalidPermission.NotFound',
  'ec2:DisassociateIamInstanceProfile': 'InvalidAssociationID.NotFound',
};

/** Whether a re-sent call's error only says its effect is already there. */
export function meansAlreadyApplied(call: ApiCall, error: unknown): boolean {
  const expected = ALREADY_APPLIED[call.api];
  return expected !== undefined && error instanceof Error && error.name === expected;
}

function sameDocument(a: string, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return a === b;
  }
}
