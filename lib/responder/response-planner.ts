import ipaddr from 'ipaddr.js';
import { FindingType } from '../contracts/finding-event';
import type { ResponseAction, ResponseMode } from '../contracts/response-event';
import { pinToNetworkPolicy, PIN_POLICY_NAME, type RoleNetwork } from '../../policies/pin-to-network-policy';
import {
  countPolicyCharacters,
  ROLE_INLINE_POLICY_CHARACTER_LIMIT,
  serialisePolicy,
} from '../../policies/policy-document';
import {
  CONSOLE_REVOKE_POLICY_NAME,
  REVOKE_POLICY_NAME,
  revokeCutoffOf,
  revokeOldSessionsPolicy,
} from '../../policies/revoke-old-sessions-policy';
import type { Incident } from './incident-schema';
import { planChainSteps } from './chain-planner';
import type { ObservedChain, ObservedInstance, ObservedState } from './observed-state';
import { instanceProtectionReason, roleProtectionReason } from './resource-protection';
import type { ResponseConfig } from './response-config-schema';
import {
  REF_PREFIX,
  type ApiCall,
  type IpPermission,
  type PlanStep,
  type ResponsePlan,
} from './response-plan';

export interface PlanInput {
  incident: Incident;
  config: ResponseConfig;
  /** Overrides `config.mode` (the CLI's `--enforce`). */
  mode?: ResponseMode;
  observed: ObservedState;
  /** Issue 17: what was read about the chain's roles and keys (absent offline). */
  observedChain?: ObservedChain;
  now: Date;
  /** Role names that are always protected, e.g. the member response role the responder assumes. */
  responderRoleNames: readonly string[];
}

/** The actions a configuration turns on; the chain's actions follow `revoke-sessions`. */
type ConfiguredAction = 'revoke-sessions' | 'pin-to-network' | 'quarantine-instance';

export const QUARANTINE_TAG_KEY = 'credtrail:quarantine';
const ACTION_ORDER: readonly ConfiguredAction[] = [
  'revoke-sessions',
  'pin-to-network',
  'quarantine-instance',
];
const ALL_TRAFFIC: IpPermission[] = [
  { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
];

/** incident + configuration + observed state + now → plan. Pure: reads nothing, changes nothing. */
export function planResponse(input: PlanInput): ResponsePlan {
  const { incident, config, now } = input;
  const mode = input.mode ?? config.mode;
  const reasons: string[] = [];
  if (incident.sample) reasons.push('GuardDuty sample finding: never acted on');
  if (incident.findingType === FindingType.Imdsv1Delivery) {
    reasons.push('IMDSv1 delivery is an exposure, not a theft: alert only');
  }
  const wanted = ACTION_ORDER.filter((action) => config.actions[incident.severity].includes(action));
  if (wanted.length === 0) reasons.push(`no actions configured for severity ${incident.severity}`);
  const base: ResponsePlan = {
    incident,
    mode,
    decision: 'alert-only',
    reasons,
    plannedAt: now.toISOString(),
    steps: [],
  };
  if (reasons.length > 0) return base;

  const sizes = new Map(
    (input.observed.role?.inlinePolicies ?? []).map((p) => [p.name, countPolicyCharacters(p.document)]),
  );
  const main: PlanStep[] = wanted.map((action, index) => {
    switch (action) {
      case 'revoke-sessions':
        return planRevoke(input, index, sizes);
      case 'pin-to-network':
        return planPin(input, index, sizes);
      case 'quarantine-instance':
        return planQuarantine(input, index);
    }
  });
  // Issue 17: the roles the thief assumed and the keys they created, after the instance's own steps.
  const steps = [...main, ...planChainSteps(input, main.length, input.observedChain)];
  // A step that cannot be done stops the plan: what comes after is not attempted.
  const failedAt = steps.findIndex((step) => step.status === 'failed');
  const settled = steps.map((step, index) =>
    failedAt >= 0 && index > failedAt && step.status !== 'skipped'
      ? {
          ...step,
          status: 'skipped' as const,
          reason: `not attempted: step ${failedAt} (${steps[failedAt]?.action}) cannot be done`,
        }
      : step,
  );
  const acting = settled.some((step) => step.status === 'planned' && step.calls.length > 0);
  return {
    ...base,
    decision: acting ? 'respond' : 'alert-only',
    reasons: acting ? [] : ['no step has anything to change'],
    steps: settled,
  };
}

function roleRefusal(input: PlanInput): string | null {
  const role = input.observed.role;
  return roleProtectionReason({
    roleName: input.incident.roleName,
    roleArn: role?.arn ?? input.incident.roleArn,
    path: role?.path ?? null,
    tags: role?.tags ?? {},
    namePatterns: input.config.protected.roleNamePatterns,
    tagMatches: input.config.protected.roleTags,
    responderRolePatterns: input.config.responderRolePatterns,
    responderRoleNames: input.responderRoleNames,
  });
}

function skipped(index: number, action: ResponseAction, reason: string): PlanStep {
  return { index, action, status: 'skipped', reason, calls: [], priorState: { kind: 'none' }, notes: [] };
}

function failed(index: number, action: ResponseAction, reason: string): PlanStep {
  return { index, action, status: 'failed', reason, calls: [], priorState: { kind: 'none' }, notes: [] };
}

function policyDocument(input: PlanInput, name: string): string | null {
  return input.observed.role?.inlinePolicies.find((policy) => policy.name === name)?.document ?? null;
}

/** IAM's quota on all inline policies of a role together; measured, never truncated. */
function sizeProblem(sizes: Map<string, number>, policyName: string, document: string): string | null {
  const after = new Map(sizes).set(policyName, countPolicyCharacters(document));
  const total = [...after.values()].reduce((sum, size) => sum + size, 0);
  if (total <= ROLE_INLINE_POLICY_CHARACTER_LIMIT) {
    sizes.set(policyName, countPolicyCharacters(document));
    return null;
  }
  return `inline policies of the role would hold ${total} non-whitespace characters with ${policyName}, over IAM's limit of ${ROLE_INLINE_POLICY_CHARACTER_LIMIT}; nothing was truncated`;
}

/** What putting an inline policy replaces: the role's current document of that name, if any. */
function rolePolicyPriorState(input: PlanInput, policyName: string) {
  return {
    kind: 'role-policy' as const,
    roleName: input.incident.roleName,
    policyName,
    previousDocument: policyDocument(input, policyName),
    known: input.observed.role !== null,
  };
}

function planRevoke(input: PlanInput, index: number, sizes: Map<string, number>): PlanStep {
  const { incident, now } = input;
  const refusal = roleRefusal(input);
  if (refusal !== null) return skipped(index, 'revoke-sessions', refusal);
  const priorState = rolePolicyPriorState(input, REVOKE_POLICY_NAME);
  // A later cut-off already in place (ours, or the console's button) covers this one: keep the later time.
  for (const name of [REVOKE_POLICY_NAME, CONSOLE_REVOKE_POLICY_NAME]) {
    const document = policyDocument(input, name);
    const cutoff = document === null ? null : revokeCutoffOf(document);
    if (cutoff !== null && cutoff >= now) {
      return {
        ...skipped(
          index,
          'revoke-sessions',
          `${name} already denies sessions issued before ${cutoff.toISOString()}`,
        ),
        priorState,
      };
    }
  }
  const document = serialisePolicy(revokeOldSessionsPolicy(now));
  const tooBig = sizeProblem(sizes, REVOKE_POLICY_NAME, document);
  if (tooBig !== null) return { ...failed(index, 'revoke-sessions', tooBig), priorState };
  return {
    index,
    action: 'revoke-sessions',
    status: 'planned',
    reason: `deny every session of ${incident.roleName} issued before ${now.toISOString()}, including key ${incident.accessKeyId}`,
    calls: [
      {
        api: 'iam:PutRolePolicy',
        input: { RoleName: incident.roleName, PolicyName: REVOKE_POLICY_NAME, PolicyDocument: document },
      },
    ],
    priorState,
    notes: [
      // EC2 UG "Retrieve security credentials from instance metadata": new credentials are available at
      // least 5 minutes before the old expire; in practice a fresh key about every hour.
      'Every instance using this role loses AWS access until its SDK fetches credentials issued after the cut-off: up to about an hour.',
      'IAM policy changes can take a few minutes to take effect everywhere.',
      ...(priorState.known ? [] : ['Role policies were not read (offline): prior state unknown.']),
    ],
  };
}

function planPin(input: PlanInput, index: number, sizes: Map<string, number>): PlanStep {
  const { incident, config } = input;
  const refusal = roleRefusal(input);
  if (refusal !== null) return skipped(index, 'pin-to-network', refusal);
  const observedNetwork = input.observed.roleNetwork;
  const source = observedNetwork ?? incident.networkHint;
  const network: RoleNetwork = {
    vpcIds: [...source.vpcIds, ...config.pin.extraVpcIds],
    egressCidrs: [...source.egressIps, ...config.pin.extraEgressCidrs],
  };
  if (network.vpcIds.length === 0 && network.egressCidrs.length === 0) {
    return failed(
      index,
      'pin-to-network',
      "the role's network is unknown: no VPC and no egress address to pin to",
    );
  }
  const inside = attackerInsideNetwork(incident, network);
  if (inside !== null) return skipped(index, 'pin-to-network', inside);
  const priorState = rolePolicyPriorState(input, PIN_POLICY_NAME);
  const previousDocument = priorState.previousDocument;
  const document = serialisePolicy(pinToNetworkPolicy(network));
  if (previousDocument !== null && previousDocument === document) {
    return {
      ...skipped(index, 'pin-to-network', `${PIN_POLICY_NAME} already pins the role to this network`),
      priorState,
    };
  }
  const tooBig = sizeProblem(sizes, PIN_POLICY_NAME, document);
  if (tooBig !== null) return { ...failed(index, 'pin-to-network', tooBig), priorState };
  return {
    index,
    action: 'pin-to-network',
    status: 'planned',
    reason: `instance credentials of ${incident.roleName} work only via VPC ${network.vpcIds.join(', ') || '(none)'} endpoints or from ${network.egressCidrs.join(', ') || '(none)'}`,
    calls: [
      {
        api: 'iam:PutRolePolicy',
        input: { RoleName: incident.roleName, PolicyName: PIN_POLICY_NAME, PolicyDocument: document },
      },
    ],
    priorState,
    notes: [
      observedNetwork === null
        ? 'Network taken from the finding, not from EC2: other instances of the role may use addresses not listed.'
        : 'Network read from EC2 for every running instance of the role in this region.',
      'Does not stop an attacker inside the same VPC or egressing through the same NAT.',
    ],
  };
}

function attackerInsideNetwork(incident: Incident, network: RoleNetwork): string | null {
  const ip = incident.origin.ip;
  if (ip === null || !ipaddr.isValid(ip)) return null;
  const address = ipaddr.parse(ip);
  for (const cidr of network.egressCidrs) {
    const range = cidr.includes('/') ? cidr : `${cidr}/${cidr.includes(':') ? 128 : 32}`;
    if (!ipaddr.isValidCIDR(range)) continue;
    const [base, bits] = ipaddr.parseCIDR(range);
    if (base.kind() === address.kind() && address.match([base, bits])) {
      return `attacker address ${ip} is inside the role's own egress ${cidr}: a pin cannot stop it`;
    }
  }
  return null;
}

function planQuarantine(input: PlanInput, index: number): PlanStep {
  const { incident, config } = input;
  const instance = input.observed.instance;
  if (instance === null)
    return failed(index, 'quarantine-instance', `instance ${incident.instanceId} was not described`);
  const refusal = instanceProtectionReason({
    instanceId: instance.instanceId,
    tags: instance.tags,
    patterns: config.protected.instancePatterns,
    tagMatches: config.protected.instanceTags,
  });
  if (refusal !== null) return skipped(index, 'quarantine-instance', refusal);
  if (instance.state === 'terminated' || instance.state === 'shutting-down') {
    return skipped(index, 'quarantine-instance', `instance ${instance.instanceId} is ${instance.state}`);
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
        'quarantine-instance',
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
  for (const eni of toMove) {
    const transition = transitionIds.get(eni.vpcId);
    if (transition !== undefined) {
      calls.push({
        api: 'ec2:ModifyNetworkInterfaceAttribute',
        input: { NetworkInterfaceId: eni.networkInterfaceId, Groups: [transition] },
      });
    }
  }
  for (const eni of toMove) {
    calls.push({
      api: 'ec2:ModifyNetworkInterfaceAttribute',
      input: { NetworkInterfaceId: eni.networkInterfaceId, Groups: [isolationIds.get(eni.vpcId) ?? ''] },
    });
  }
  if (!instance.terminationProtection) {
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
      ...skipped(index, 'quarantine-instance', `instance ${instance.instanceId} is already quarantined`),
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
      Tags: [{ Key: 'credtrail:created-by', Value: incident.incidentId }],
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
