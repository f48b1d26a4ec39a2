import type { Ec2Gateway } from './ec2-gateway';
import type { IamGateway } from './iam-gateway';
import { REF_PREFIX, type ApiCall, type FailClosed } from './response-plan';

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

/** What running one step's calls did. */
export interface StepExecution {
  /** Calls that succeeded, in order, before the first failure. */
  applied: number;
  /** The first failure, `api: Name: message`, with what fail-closed did; null when all succeeded. */
  error: string | null;
  /** Per interface moved by fail-closed: `failClosed:eni-…` → `isolation:sg-…`, `recorded:sg-…` or `left-open`. */
  recovered: Record<string, string>;
}

export const FAIL_CLOSED_OUTPUT_PREFIX = 'failClosed:';

/**
 * Runs a step's calls in order and stops at the first failure. A quarantine interface is at risk from
 * the moment its move to the all-open transition group is attempted (a failed call may still have been
 * applied) until its move to isolation succeeds. On any failure each interface at risk goes straight to
 * isolation, or back to its recorded groups if that fails too, before the step stops.
 */
export async function executeStepCalls(
  calls: readonly ApiCall[],
  gateways: AccountGateways,
  refs: Map<string, string>,
): Promise<StepExecution> {
  const atRisk = new Map<string, FailClosed>();
  let applied = 0;
  for (const call of calls) {
    const move = guardedMove(call);
    if (move !== null && !move.isolating) atRisk.set(move.eni, move.guard);
    try {
      await executeCall(call, gateways, refs);
      applied += 1;
      if (move?.isolating === true) atRisk.delete(move.eni);
    } catch (caught) {
      if (move !== null) atRisk.set(move.eni, move.guard);
      const recovered = await closeInterfaces(atRisk, gateways, refs);
      const moves = Object.entries(recovered).map(
        ([key, where]) => `${key.slice(FAIL_CLOSED_OUTPUT_PREFIX.length)} → ${where}`,
      );
      const error = `${call.api}: ${describeError(caught)}${moves.length > 0 ? `; fail-closed: ${moves.join(', ')}` : ''}`;
      return { applied, error, recovered };
    }
  }
  return { applied, error: null, recovered: {} };
}

/**
 * The same guarantee for a step run call by call (step-runner.ts, which records each call): given the
 * calls attempted so far, the last one having failed, every interface still at risk goes to isolation
 * (or back to its recorded groups). Returns what was done, keyed like StepExecution.recovered.
 */
export async function failClosedAfter(
  attempted: readonly ApiCall[],
  gateways: AccountGateways,
  refs: ReadonlyMap<string, string>,
): Promise<Record<string, string>> {
  const atRisk = new Map<string, FailClosed>();
  attempted.forEach((call, index) => {
    const move = guardedMove(call);
    if (move === null) return;
    const failed = index === attempted.length - 1;
    if (!move.isolating || failed) atRisk.set(move.eni, move.guard);
    else atRisk.delete(move.eni);
  });
  return atRisk.size === 0 ? {} : closeInterfaces(atRisk, gateways, refs);
}

async function closeInterfaces(
  atRisk: ReadonlyMap<string, FailClosed>,
  gateways: AccountGateways,
  refs: ReadonlyMap<string, string>,
): Promise<Record<string, string>> {
  const recovered: Record<string, string> = {};
  for (const [eni, guard] of atRisk) {
    const key = `${FAIL_CLOSED_OUTPUT_PREFIX}${eni}`;
    for (const [label, groups] of [
      ['isolation', guard.isolation],
      ['recorded', guard.recorded],
    ] as const) {
      try {
        const resolved = groups.map((group) => resolve(group, refs));
        await gateways.ec2.setInterfaceGroups(eni, resolved);
        recovered[key] = `${label}:${resolved.join(',')}`;
        break;
      } catch {
        recovered[key] = 'left-open';
      }
    }
  }
  return recovered;
}

function guardedMove(call: ApiCall): { eni: string; guard: FailClosed; isolating: boolean } | null {
  if (call.api !== 'ec2:ModifyNetworkInterfaceAttribute' || call.failClosed === undefined) return null;
  const guard = call.failClosed;
  return {
    eni: call.input.NetworkInterfaceId,
    guard,
    isolating: sameGroups(call.input.Groups, guard.isolation),
  };
}

function sameGroups(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((group, index) => group === b[index]);
}

function describeError(caught: unknown): string {
  return caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught);
}
