import { Api, USER_AGENTS } from './cloudtrail-records';
import type { LandingZone } from './landing-zone';
import type { Estate, InstancePlan } from './organisation-estate';
import type { ScenarioException } from './organisation-day';
import type { TheftContext } from './planted-thefts';

const MINUTE = 60_000;

/**
 * The thefts of the landing-zone layouts, one function per layout: each must still be found, with the
 * layout's own traffic raising nothing. Every theft is one (key, origin) pair, hence one finding.
 */
export function planLandingZoneThefts(context: TheftContext, zone: LandingZone): void {
  centralEgressTheft(context, zone);
  centralEndpointTheft(context, zone);
  natInstanceTheft(context, zone);
  applianceTheft(context, zone);
  lateInstanceTheft(context, zone);
  podWithAnotherRoleTheft(context);
  podRangeInAffiliatedAccountTheft(context);
}

/** The spoke's egress is the network account's NAT gateways: any other public address is a thief's. */
function centralEgressTheft({ keys, hours, fit, plant, bucketOf }: TheftContext, zone: LandingZone): void {
  const instance = first(zone.spokeInstances);
  const k = fit(instance, Math.floor(hours * 0.35), 20 * MINUTE);
  const t = keys.switchTime(instance, k) + 12 * MINUTE;
  plant(
    'central-egress-elsewhere',
    `Credentials of ${instance.instanceId}, in a spoke VPC that leaves through ${zone.transitGatewayId} and the network account's NAT gateways, used from 89.248.165.31.`,
    'HIGH',
    instance,
    k,
    { sourceIp: '89.248.165.31', region: instance.region, userAgent: USER_AGENTS.awsCli },
    [
      [t, Api.getCallerIdentity()],
      [t + 6_000, Api.listBuckets(instance.region)],
      [
        t + 11_000,
        Api.object(
          'GetObject',
          instance.accountId,
          bucketOf(instance),
          'orders/2025-03.csv',
          instance.region,
          91_204,
        ),
      ],
    ],
  );
}

/** The central STS endpoint is the spoke's own, for the spoke instance's address only. */
function centralEndpointTheft({ keys, hours, fit, plant }: TheftContext, zone: LandingZone): void {
  const instance = second(zone.spokeInstances);
  const k = fit(instance, Math.floor(hours * 0.55), 15 * MINUTE);
  const t = keys.switchTime(instance, k) + 7 * MINUTE;
  const sourceIp = `${zone.spoke.net}.2.77`;
  plant(
    'central-endpoint-other-host',
    `Credentials of ${instance.instanceId} copied to ${sourceIp}, another host of the spoke VPC, and used through the network account's central STS endpoint ${zone.centralStsEndpointId}.`,
    'MEDIUM',
    instance,
    k,
    {
      sourceIp,
      region: instance.region,
      endpoint: { id: zone.centralStsEndpointId, accountId: zone.network.accountId },
      userAgent: USER_AGENTS.python,
    },
    [
      [t, Api.getCallerIdentity()],
      [t + 30_000, Api.getCallerIdentity()],
    ],
  );
}

/** Behind a NAT instance, another VPC's egress (the firewall's, same account) is not the instance's. */
function natInstanceTheft({ keys, hours, fit, plant }: TheftContext, zone: LandingZone): void {
  const instance = first(zone.natInstanceApps);
  const k = fit(instance, Math.floor(hours * 0.45), 15 * MINUTE);
  const t = keys.switchTime(instance, k) + 9 * MINUTE;
  plant(
    'nat-instance-other-vpc',
    `Credentials of ${instance.instanceId}, which leaves through NAT instance ${zone.natInstance.instanceId} (${zone.natInstance.publicIp}), used from a compromised host behind the firewall of another VPC of the same account (${zone.appliance.publicIp}).`,
    'HIGH',
    instance,
    k,
    { sourceIp: zone.appliance.publicIp, region: instance.region, userAgent: USER_AGENTS.attackerGo },
    [
      [t, Api.describeInstances()],
      [t + 8_000, Api.getSecretValue(instance.accountId, instance.region, `${instance.app}/db-Qw12Er`)],
    ],
  );
}

/** Behind an appliance reached by its interface: its outside address vouches, nothing else. */
function applianceTheft({ keys, hours, fit, plant }: TheftContext, zone: LandingZone): void {
  const instance = first(zone.applianceApps);
  const k = fit(instance, Math.floor(hours * 0.65), 15 * MINUTE);
  const t = keys.switchTime(instance, k) + 4 * MINUTE;
  plant(
    'appliance-elsewhere',
    `Credentials of ${instance.instanceId}, which leaves through the firewall ${zone.appliance.instanceId} (route to its interface ${zone.appliance.insideEni}), used from 146.70.52.9.`,
    'HIGH',
    instance,
    k,
    { sourceIp: '146.70.52.9', region: instance.region, userAgent: USER_AGENTS.awsCli },
    [
      [t, Api.getCallerIdentity()],
      [t + 20_000, Api.describeInstances()],
    ],
  );
}

/**
 * Launched after the inventory was taken, and robbed first: the attacker uses the fresh key before the
 * instance does. Its account's known networks, not the first user, decide; the account has subnets on
 * an internet gateway, so a new public address might be the instance's own: MEDIUM.
 */
function lateInstanceTheft({ keys, hours, fit, plant }: TheftContext, zone: LandingZone): void {
  const instance = zone.late;
  const k = Math.max(1, fit(instance, Math.floor(hours * 0.4), 15 * MINUTE));
  keys.setLag(instance, k, 150_000);
  const t = keys.delivery(instance, k) + 20_000;
  plant(
    'unlisted-instance-attacker-first',
    `${instance.instanceId} was launched after the inventory was taken; its fresh key was used from 45.155.205.233 before the instance used it: the account's known networks, not the first user, decide.`,
    zone.publicSubnets ? 'MEDIUM' : 'HIGH',
    instance,
    k,
    { sourceIp: '45.155.205.233', region: instance.region, userAgent: USER_AGENTS.attackerGo },
    [
      [t, Api.getCallerIdentity()],
      [t + 12_000, Api.listBuckets(instance.region)],
      [t + 8 * MINUTE, Api.describeInstances()],
    ],
  );
}

/**
 * A pod (in the exception's pod range, through the node VPC's own endpoint) using the key of an
 * instance that is not a node: the EKS exception is scoped to the node role, so it does not hide this.
 */
function podWithAnotherRoleTheft({ estate, keys, hours, fit, plant }: TheftContext): void {
  const node = estate.instances.find((instance) => instance.kind === 'eks-node');
  const instance = estate.instances.find(
    (candidate) => node !== undefined && candidate.vpc === node.vpc && candidate.kind !== 'eks-node',
  );
  if (node === undefined || instance === undefined) return;
  const k = fit(instance, Math.floor(hours * 0.85), 15 * MINUTE);
  const t = keys.switchTime(instance, k) + 5 * MINUTE;
  const sourceIp = node.podIps[0] ?? '100.64.0.9';
  plant(
    'pod-with-another-role',
    `A pod (${sourceIp}) on node ${node.instanceId} used the credentials of ${instance.instanceId} (role ${instance.role.name}) through the VPC's STS endpoint: the EKS exception covers the node role only.`,
    'MEDIUM',
    instance,
    k,
    {
      sourceIp,
      region: instance.region,
      endpoint: { id: instance.vpc.stsEndpointId, accountId: instance.vpc.accountId },
      userAgent: USER_AGENTS.kubelet,
    },
    [
      [t, Api.getCallerIdentity()],
      [t + 45_000, Api.getCallerIdentity()],
    ],
  );
}

/**
 * The node's own key, from an address of the pod range, but through the affiliated account's endpoint:
 * its VPC reuses the range. The exception vouches for the node VPC's endpoints only.
 */
function podRangeInAffiliatedAccountTheft({ estate, keys, hours, fit, plant }: TheftContext): void {
  const node = estate.instances.find((instance) => instance.kind === 'eks-node');
  const affiliated = estate.vpcs.find(
    (vpc) =>
      node !== undefined &&
      vpc.region === node.region &&
      estate.accounts.some((account) => account.affiliated && account.accountId === vpc.accountId),
  );
  if (node === undefined || affiliated === undefined) return;
  const k = fit(node, Math.floor(hours * 0.75), 15 * MINUTE);
  const t = keys.switchTime(node, k) + 11 * MINUTE;
  const sourceIp = '100.64.200.17';
  plant(
    'pod-range-affiliated-endpoint',
    `The key of EKS node ${node.instanceId} used from ${sourceIp} — inside the excepted pod range, which the ${affiliated.accountId} VPC reuses — through that account's STS endpoint ${affiliated.stsEndpointId}.`,
    'MEDIUM',
    node,
    k,
    {
      sourceIp,
      region: node.region,
      endpoint: { id: affiliated.stsEndpointId, accountId: affiliated.accountId },
      userAgent: USER_AGENTS.python,
    },
    [[t, Api.getCallerIdentity()]],
  );
}

/**
 * The EKS exception as the README recommends it: the pod range, for the node role, in its account and
 * VPC. (Unscoped, it would also hide a pod using another role's key.)
 */
export function scopedExceptions(estate: Estate, podCidr: string): ScenarioException[] {
  const node = estate.instances.find((instance) => instance.kind === 'eks-node');
  if (node === undefined) return [];
  return [
    {
      cidr: podCidr,
      accountId: node.accountId,
      roleName: node.role.name,
      reason: "EKS pods (custom networking) use the node role through the node VPC's endpoints",
    },
  ];
}

function first(instances: readonly InstancePlan[]): InstancePlan {
  const instance = instances[0];
  if (instance === undefined) throw new RangeError('layout without instances');
  return instance;
}

function second(instances: readonly InstancePlan[]): InstancePlan {
  const instance = instances[1];
  if (instance === undefined) throw new RangeError('layout with one instance');
  return instance;
}
