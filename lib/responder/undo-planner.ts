import type { StepRecord } from './audit-store';
import { QUARANTINE_TAG_KEY } from './response-planner';
import type { ApiCall, PlanStep } from './response-plan';

/**
 * Recorded outcomes → the steps that put back what they replaced, newest first. Pure. Only calls that
 * were applied are reverted; snapshots (evidence) and the shared isolation groups are kept.
 */
export function planUndo(records: readonly StepRecord[]): PlanStep[] {
  const touched = records.filter((record) => record.appliedCalls > 0).sort((a, b) => b.index - a.index);
  return touched.map((record, index) => undoStep(record, index));
}

function undoStep(record: StepRecord, index: number): PlanStep {
  const applied = record.calls.slice(0, record.appliedCalls);
  const prior = record.priorState;
  const base = {
    index,
    action: record.action,
    priorState: prior,
    notes: [] as string[],
    ...(record.accountId !== undefined ? { accountId: record.accountId } : {}),
  };
  if (prior.kind === 'role-policy') {
    if (!prior.known) {
      return {
        ...base,
        status: 'failed',
        reason: `prior state of ${prior.policyName} was not recorded`,
        calls: [],
      };
    }
    const calls: ApiCall[] =
      prior.previousDocument === null
        ? [{ api: 'iam:DeleteRolePolicy', input: { RoleName: prior.roleName, PolicyName: prior.policyName } }]
        : [
            {
              api: 'iam:PutRolePolicy',
              input: {
                RoleName: prior.roleName,
                PolicyName: prior.policyName,
                PolicyDocument: prior.previousDocument,
              },
            },
          ];
    const what = prior.previousDocument === null ? 'remove' : 'restore the previous';
    return { ...base, status: 'planned', reason: `${what} ${prior.policyName} on ${prior.roleName}`, calls };
  }
  if (prior.kind === 'instance') {
    const apis = new Set(applied.map((call) => call.api));
    const calls: ApiCall[] = [];
    if (apis.has('ec2:ModifyNetworkInterfaceAttribute')) {
      for (const eni of prior.interfaces) {
        calls.push({
          api: 'ec2:ModifyNetworkInterfaceAttribute',
          input: { NetworkInterfaceId: eni.networkInterfaceId, Groups: eni.groupIds },
        });
      }
    }
    if (apis.has('ec2:ModifyInstanceAttribute')) {
      calls.push({
        api: 'ec2:ModifyInstanceAttribute',
        input: {
          InstanceId: prior.instanceId,
          DisableApiTermination: { Value: prior.terminationProtection },
        },
      });
    }
    if (apis.has('ec2:DisassociateIamInstanceProfile') && prior.profileAssociation !== null) {
      calls.push({
        api: 'ec2:AssociateIamInstanceProfile',
        input: {
          InstanceId: prior.instanceId,
          IamInstanceProfile: { Arn: prior.profileAssociation.profileArn },
        },
      });
    }
    if (apis.has('ec2:CreateTags')) {
      const tag = applied.find((call) => call.api === 'ec2:CreateTags')?.input.Tags ?? [];
      calls.push({ api: 'ec2:DeleteTags', input: { Resources: [prior.instanceId], Tags: tag } });
    }
    const notes = ['Snapshots and the per-VPC isolation groups are kept.'];
    if (!apis.has('ec2:CreateTags') && applied.length > 0)
      notes.push(`Tag ${QUARANTINE_TAG_KEY} was not set.`);
    return {
      ...base,
      notes,
      status: calls.length > 0 ? 'planned' : 'skipped',
      reason: `restore security groups, termination protection and instance profile of ${prior.instanceId}`,
      calls,
    };
  }
  if (prior.kind === 'access-key') {
    if (prior.previousStatus === null) {
      return {
        ...base,
        status: 'failed',
        reason: `prior status of key ${prior.accessKeyId} was not recorded`,
        calls: [],
      };
    }
    return {
      ...base,
      status: 'planned',
      reason: `set key ${prior.accessKeyId} of ${prior.userName} back to ${prior.previousStatus}`,
      calls: [
        {
          api: 'iam:UpdateAccessKey',
          input: { UserName: prior.userName, AccessKeyId: prior.accessKeyId, Status: prior.previousStatus },
        },
      ],
    };
  }
  return { ...base, status: 'skipped', reason: 'nothing recorded to restore', calls: [] };
}
