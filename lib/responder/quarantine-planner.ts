import type { Incident } from './incident-schema';
import type { ObservedInstance } from './observed-state';
import type { PlanInput } from './response-planner';
import { instanceProtectionReason } from './resource-protection';
import type { ResponseConfig } from './response-config-schema';
import { REF_PREFIX, type ApiCall, type IpPermission, type PlanStep } from './response-plan';

export const QUARANTINE_TAG_KEY = 'credtrail:quarantine';
/** The tag on every security group credtrail creates: the incident that created it. */
export const CREATED_BY_TAG_KEY = 'credtrail:created-by';
const ALL_TRAFFIC: IpPermission[] = [
  { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
];

function skipped(index: number, reason: string): PlanStep {
  return {
    index,
    action: 'quarantine-instance',
    status: 'skipped',
    reason,
    calls: [],
    priorState: { kind: 'none' },
    notes: [],
  };
}

function failed(index: number, reason: string): PlanStep {
  return { ...skipped(index, reason), status: 'failed' };
}

export function planQuarantine(input: PlanInput, index: number): PlanStep {
  const { incident, config } = input;
  const instance = input.observed.instance;
  if (instance === null) return failed(index, `instance ${incident.instanceId} was not described`);
  const refusal = instanceProtectionReason(instance, {
    patterns: config.protected.instancePatterns,
    tagMatches: config.protected.instanceTags,
  });
  if (refusal !== null) return skipped(index, refusal);
  if (instance.state === 'terminated' || instance.state === 'shutting-down') {
    return skipped(index, `instance ${instance.instanceId} is ${instance.state}`);
  }
  const priorState = {
    kind: 'instance' as const,
    instanceId: instance.instanceId,
    interfaces: instance.interfaces.map(({ networkInterfaceId, groupIds }) => ({
      networkInterfaceId,
      groupIds,
    })),
    terminationProtection: instance.terminationProtection,
    profileAssociation: instance.profileAssociation,
  };
  const calls: ApiCall[] = [];
  const isolationIds = new Map<string, string>();
  const transitionIds = new Map<string, string>();
  for (const vpcId of [...new Set(instance.interfaces.map((eni) => eni.vpcId))]) {
    const existing = input.observed.isolationGroups[vpcId];
    const isolation = existing?.isolation ?? null;
    if (isolation !== null && isolation.ruleCount > 0) {
      return failed(
        index,
        `isolation group ${isolation.groupId} in ${vpcId} has ${isolation.ruleCount} rules; it must have none`,
      );
    }
    isolationIds.set(
      vpcId,
      isolation?.groupId ??
        createGroup(calls, config.quarantine.isolationGroupName, vpcId, incident, 'isolation'),
    );
    if (config.quarantine.untrackConnections) {
      transitionIds.set(
        vpcId,
        existing?.transition?.groupId ??
          createGroup(calls, config.quarantine.transitionGroupName, vpcId, incident, 'transition'),
      );
    }
  }
  const toMove = instance.interfaces.filter(
    (eni) => !(eni.groupIds.length === 1 && eni.groupIds[0] === isolationIds.get(eni.vpcId)),
  );
  // Each interface passes transition → isolation back to back, never all through the open group first;
  // both moves carry where it goes if anything fails meanwhile (call-executor.ts, fail-closed).
  for (const eni of toMove) {
    const failClosed = { isolation: [isolationIds.get(eni.vpcId) ?? ''], recorded: eni.groupIds };
    const transition = transitionIds.get(eni.vpcId);
    if (transition !== undefined) {
      calls.push({
        api: 'ec2:ModifyNetworkInterfaceAttribute',
        input: { NetworkInterfaceId: eni.networkInterfaceId, Groups: [transition] },
        failClosed,
      });
    }
    calls.push({
      api: 'ec2:ModifyNetworkInterfaceAttribute',
      input: { NetworkInterfaceId: eni.networkInterfaceId, Groups: failClosed.isolation },
      failClosed,
    });
  }
  if (instance.terminationProtection !== true) {
    calls.push({
      api: 'ec2:ModifyInstanceAttribute',
      input: { InstanceId: instance.instanceId, DisableApiTermination: { Value: true } },
    });
  }
  if (instance.tags[QUARANTINE_TAG_KEY] !== incident.incidentId) {
    calls.push({
      api: 'ec2:CreateTags',
      input: {
        Resources: [instance.instanceId],
        Tags: [{ Key: QUARANTINE_TAG_KEY, Value: incident.incidentId }],
      },
    });
  }
  if (config.quarantine.snapshotVolumes) {
    for (const volumeId of instance.volumeIds) {
      calls.push({
        api: 'ec2:CreateSnapshot',
        input: {
          VolumeId: volumeId,
          Description: `credtrail ${incident.incidentId}: evidence from ${instance.instanceId}`,
          Tags: [{ Key: QUARANTINE_TAG_KEY, Value: incident.incidentId }],
        },
      });
    }
  }
  if (config.quarantine.removeInstanceProfile && instance.profileAssociation !== null) {
    calls.push({
      api: 'ec2:DisassociateIamInstanceProfile',
      input: { AssociationId: instance.profileAssociation.associationId },
    });
  }
  if (calls.length === 0)
    return {
      ...skipped(index, `instance ${instance.instanceId} is already quarantined`),
      priorState,
    };
  return {
    index,
    action: 'quarantine-instance',
    status: 'planned',
    reason: `isolate ${instance.instanceId} (${instance.interfaces.length} interface(s)), protect it from termination and tag it`,
    calls,
    priorState,
    notes: quarantineNotes(instance, config),
  };
}

function createGroup(
  calls: ApiCall[],
  name: string,
  vpcId: string,
  incident: Incident,
  role: 'isolation' | 'transition',
): string {
  const outputRef = `${role}-group:${vpcId}`;
  const groupId = `${REF_PREFIX}${outputRef}`;
  calls.push({
    api: 'ec2:CreateSecurityGroup',
    input: {
      GroupName: name,
      Description:
        role === 'isolation'
          ? 'credtrail quarantine: no rules, isolates an instance'
          : 'credtrail quarantine: all-open step that untracks live connections before isolation',
      VpcId: vpcId,
      Tags: [{ Key: CREATED_BY_TAG_KEY, Value: incident.incidentId }],
    },
    outputRef,
  });
  if (role === 'isolation') {
    // A new group allows all IPv4 egress by default; isolation means no rules at all.
    calls.push({
      api: 'ec2:RevokeSecurityGroupEgress',
      input: { GroupId: groupId, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] },
    });
  } else {
    calls.push({
      api: 'ec2:AuthorizeSecurityGroupIngress',
      input: { GroupId: groupId, IpPermissions: ALL_TRAFFIC },
    });
    calls.push({
      api: 'ec2:AuthorizeSecurityGroupEgress',
      input: { GroupId: groupId, IpPermissions: [{ IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] }] },
    });
  }
  return groupId;
}

function quarantineNotes(instance: ObservedInstance, config: ResponseConfig): string[] {
  const notes = [
    'Security groups track connections: changing rules does not cut a tracked flow. Interfaces pass through an all-open group (flows become untracked) and then a no-rules group, which drops them (EC2 UG, "Security group connection tracking").',
  ];
  if (config.quarantine.untrackConnections) {
    notes.push(
      'Between the two moves the instance briefly accepts any traffic, as in AWSSupport-ContainEC2Instance.',
    );
  } else {
    notes[0] = 'Connections already tracked by the old groups may survive until they time out.';
  }
  if (config.quarantine.removeInstanceProfile && instance.profileAssociation !== null) {
    notes.push(
      'Removing the instance profile stops new credentials but does not invalidate issued ones: pair it with revoke-sessions.',
    );
  }
  notes.push(
    'Auto Scaling and load balancers are not changed: detach the instance yourself if it must stay out of service.',
  );
  return notes;
}
