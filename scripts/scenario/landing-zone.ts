// The landing-zone layouts added to an estate (central egress and endpoints, NAT instance, appliance).
import type { Estate, InstancePlan, NatGatewayPlan, OrgAccount, Role, VpcPlan } from './organisation-estate';
import { RandomSource } from './random-source';

/**
 * The layouts most multi-account estates use, added to the first workload account's first region:
 * - central egress: a spoke VPC without NAT whose default route goes to a Transit Gateway owned by the
 *   network account, which leaves through the NAT gateways of its egress VPC (the network account is
 *   exported with the rest of the inventory);
 * - centralised interface endpoints: the spoke's STS calls go through an endpoint of the network
 *   account's endpoints VPC, reached over the same Transit Gateway;
 * - a NAT instance by route (fck-nat style: the route names the instance and its interface);
 * - a firewall/proxy appliance by interface (the main route table names only its inside interface; it
 *   sends from its outside interface's public address);
 * - an instance launched after the inventory was taken (in the spoke VPC, absent from the export).
 * The thefts planted in these layouts are in landing-zone-thefts.ts, their inventory exports in
 * landing-zone-inventory.ts.
 */
export const NETWORK_ACCOUNT: OrgAccount = { accountId: '444444444444', name: 'network', affiliated: true };

/** A NAT instance or an appliance: an egress hop of the routes, with no role and no calls of its own. */
export interface EgressHop {
  readonly kind: 'nat-instance' | 'appliance';
  readonly instanceId: string;
  readonly accountId: string;
  readonly region: string;
  readonly vpcId: string;
  readonly zone: number;
  /** The interface routes point at (the NAT instance's only one; the appliance's inside one). */
  readonly insideEni: string;
  readonly insideSubnet: string;
  readonly insidePrivateIp: string;
  /** The appliance's second interface, in a subnet that routes to an internet gateway. */
  readonly outside?: { readonly eni: string; readonly subnet: string; readonly privateIp: string };
  readonly publicIp: string;
}

export interface RouteTablePlan {
  readonly routeTableId: string;
  readonly accountId: string;
  readonly vpc: { readonly vpcId: string; readonly cidr: string };
  readonly main: boolean;
  readonly subnetIds: readonly string[];
  /** The default route's target, as `describe-route-tables` prints it. */
  readonly target: Readonly<Record<string, string>>;
}

export interface LandingZone {
  readonly network: OrgAccount;
  readonly workload: OrgAccount;
  readonly region: string;
  readonly transitGatewayId: string;
  readonly egressVpcId: string;
  readonly endpointsVpcId: string;
  /** The network account's NAT gateways: the spoke's egress over the Transit Gateway. */
  readonly centralNat: readonly NatGatewayPlan[];
  readonly centralStsEndpointId: string;
  readonly spoke: VpcPlan;
  readonly natInstanceVpc: VpcPlan;
  readonly applianceVpc: VpcPlan;
  readonly natInstance: EgressHop;
  readonly appliance: EgressHop;
  /** Workload instances per layout; `late` is missing from the inventory. */
  readonly spokeInstances: readonly InstancePlan[];
  readonly natInstanceApps: readonly InstancePlan[];
  readonly applianceApps: readonly InstancePlan[];
  readonly late: InstancePlan;
  readonly routeTables: readonly RouteTablePlan[];
  /** Whether the workload account has subnets routed to an internet gateway in the region (it has). */
  readonly publicSubnets: boolean;
}

/**
 * The estate with the landing-zone layouts added. Drawn from its own random stream, so the rest of the
 * estate (and every file drawn from it) is the same with or without them.
 */
export function addLandingZone(estate: Estate, seed: number): { estate: Estate; landingZone: LandingZone } {
  const workload = estate.accounts.find((account) => !account.affiliated);
  const region = estate.regions[0];
  if (workload === undefined || region === undefined) throw new RangeError('no workload account or region');
  const random = new RandomSource(seed, 'landing-zone');
  const id = (prefix: string) => `${prefix}-0${random.hex(16)}`;
  // Public addresses from 100.24.0.0/13 (EC2 us-east-1), which the rest of the estate never draws from.
  const usedPublic = new Set<string>();
  const publicIp = (): string => {
    for (;;) {
      const ip = `100.${random.int(24, 31)}.${random.int(0, 255)}.${random.int(1, 254)}`;
      if (!usedPublic.has(ip)) {
        usedPublic.add(ip);
        return ip;
      }
    }
  };
  const network = NETWORK_ACCOUNT;
  const transitGatewayId = id('tgw');
  const egressVpcId = id('vpc');
  const endpointsVpcId = id('vpc');
  const centralNat: NatGatewayPlan[] = [0, 1].map((zone) => ({
    natGatewayId: id('nat'),
    zone,
    subnetId: id('subnet'),
    publicIps: [publicIp()],
    privateIps: [`10.250.${zone}.10`],
    allocationIds: [id('eipalloc')],
  }));
  const centralStsEndpointId = id('vpce');

  const vpc = (net: string, central: boolean): VpcPlan => ({
    accountId: workload.accountId,
    region,
    vpcId: id('vpc'),
    net,
    ipv6Prefix: '',
    privateSubnets: [id('subnet'), id('subnet')],
    publicSubnets: [id('subnet'), id('subnet')],
    natGateways: [],
    s3EndpointId: id('vpce'),
    stsEndpointId: central ? centralStsEndpointId : id('vpce'),
    ...(central ? { stsEndpointAccountId: network.accountId } : {}),
    routeTableId: id('rtb'),
  });
  const spoke = vpc('10.40', true);
  const natInstanceVpc = vpc('10.41', false);
  const applianceVpc = vpc('10.42', false);

  const natInstance: EgressHop = {
    kind: 'nat-instance',
    instanceId: `i-0${random.hex(16)}`,
    accountId: workload.accountId,
    region,
    vpcId: natInstanceVpc.vpcId,
    zone: 0,
    insideEni: id('eni'),
    insideSubnet: natInstanceVpc.publicSubnets[0],
    insidePrivateIp: `${natInstanceVpc.net}.101.5`,
    publicIp: publicIp(),
  };
  const appliance: EgressHop = {
    kind: 'appliance',
    instanceId: `i-0${random.hex(16)}`,
    accountId: workload.accountId,
    region,
    vpcId: applianceVpc.vpcId,
    zone: 0,
    insideEni: id('eni'),
    insideSubnet: applianceVpc.privateSubnets[0],
    insidePrivateIp: `${applianceVpc.net}.1.5`,
    outside: {
      eni: id('eni'),
      subnet: applianceVpc.publicSubnets[0],
      privateIp: `${applianceVpc.net}.101.5`,
    },
    publicIp: publicIp(),
  };

  const role = (app: string): Role => {
    const name = `${workload.name}-${app}-InstanceRole-${random.chars(12, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}`;
    return { name, roleId: random.iamId('AROA'), arn: `arn:aws:iam::${workload.accountId}:role/${name}` };
  };
  let host = 10;
  const instance = (
    home: VpcPlan,
    app: Role,
    appName: string,
    zone: number,
    egressIps: readonly string[],
    inInventory = true,
  ): InstancePlan => ({
    instanceId: `i-0${random.hex(16)}`,
    accountId: workload.accountId,
    region,
    vpc: home,
    kind: 'nat',
    zone,
    subnetId: home.privateSubnets[zone] ?? '',
    privateIp: `${home.net}.${1 + zone}.${host++}`,
    podIps: [],
    role: app,
    roleDelivery: '2.0',
    refreshOffsetMs: random.int(2 * 60, 55 * 60) * 1000,
    app: appName,
    egressIps,
    ...(inInventory ? {} : { inInventory: false }),
  });
  const centralIps = centralNat.flatMap((nat) => nat.publicIps);
  const spokeRole = role('orders');
  const spokeInstances = [0, 1].map((zone) => instance(spoke, spokeRole, 'orders', zone, centralIps));
  const late = instance(spoke, spokeRole, 'orders', 1, centralIps, false);
  const natRole = role('ledger');
  const natInstanceApps = [0, 1].map((zone) =>
    instance(natInstanceVpc, natRole, 'ledger', zone, [natInstance.publicIp]),
  );
  const applianceRole = role('payments');
  const applianceApps = [0, 1].map((zone) =>
    instance(applianceVpc, applianceRole, 'payments', zone, [appliance.publicIp]),
  );

  const cidr = (plan: VpcPlan) => ({ vpcId: plan.vpcId, cidr: `${plan.net}.0.0/16` });
  const routeTables: RouteTablePlan[] = [
    {
      routeTableId: spoke.routeTableId,
      accountId: workload.accountId,
      vpc: cidr(spoke),
      main: true,
      subnetIds: spoke.privateSubnets,
      target: { TransitGatewayId: transitGatewayId },
    },
    {
      routeTableId: id('rtb'),
      accountId: workload.accountId,
      vpc: cidr(natInstanceVpc),
      main: false,
      subnetIds: [natInstance.insideSubnet],
      target: { GatewayId: id('igw') },
    },
    {
      routeTableId: natInstanceVpc.routeTableId,
      accountId: workload.accountId,
      vpc: cidr(natInstanceVpc),
      main: true,
      subnetIds: natInstanceVpc.privateSubnets,
      // EC2 prints both ids for a route to an instance.
      target: {
        InstanceId: natInstance.instanceId,
        InstanceOwnerId: workload.accountId,
        NetworkInterfaceId: natInstance.insideEni,
      },
    },
    {
      // The app subnets have no association of their own: the main table sends them to the firewall.
      routeTableId: applianceVpc.routeTableId,
      accountId: workload.accountId,
      vpc: cidr(applianceVpc),
      main: true,
      subnetIds: [],
      target: { NetworkInterfaceId: appliance.insideEni },
    },
    {
      routeTableId: id('rtb'),
      accountId: workload.accountId,
      vpc: cidr(applianceVpc),
      main: false,
      subnetIds: [appliance.outside?.subnet ?? ''],
      target: { GatewayId: id('igw') },
    },
    ...centralNat.map((nat) => ({
      routeTableId: id('rtb'),
      accountId: network.accountId,
      vpc: { vpcId: egressVpcId, cidr: '10.250.0.0/16' },
      main: nat.zone === 0,
      subnetIds: [id('subnet')],
      target: { NatGatewayId: nat.natGatewayId },
    })),
    {
      routeTableId: id('rtb'),
      accountId: network.accountId,
      vpc: { vpcId: egressVpcId, cidr: '10.250.0.0/16' },
      main: false,
      subnetIds: centralNat.map((nat) => nat.subnetId),
      target: { GatewayId: id('igw') },
    },
    {
      routeTableId: id('rtb'),
      accountId: network.accountId,
      vpc: { vpcId: endpointsVpcId, cidr: '10.251.0.0/16' },
      main: true,
      subnetIds: [],
      target: { TransitGatewayId: transitGatewayId },
    },
  ];

  const landingZone: LandingZone = {
    network,
    workload,
    region,
    transitGatewayId,
    egressVpcId,
    endpointsVpcId,
    centralNat,
    centralStsEndpointId,
    spoke,
    natInstanceVpc,
    applianceVpc,
    natInstance,
    appliance,
    spokeInstances,
    natInstanceApps,
    applianceApps,
    late,
    routeTables,
    publicSubnets: true,
  };
  return {
    estate: {
      ...estate,
      vpcs: [...estate.vpcs, spoke, natInstanceVpc, applianceVpc],
      instances: [...estate.instances, ...spokeInstances, late, ...natInstanceApps, ...applianceApps],
    },
    landingZone,
  };
}

/** The benign situations the layouts add to the manifest. */
export function describeLandingZoneTraps(zone: LandingZone): string[] {
  const nat = zone.centralNat.flatMap((gateway) => gateway.publicIps).join(', ');
  return [
    `Central egress: spoke VPC ${zone.spoke.vpcId} has no NAT; its default route goes to ${zone.transitGatewayId} (owned by the network account ${zone.network.accountId}, exported with the inventory), and its instances leave through the network account's NAT gateways (${nat}).`,
    `Centralised interface endpoints: the spoke's STS calls go through ${zone.centralStsEndpointId} in the network account's endpoints VPC ${zone.endpointsVpcId}, reached over the same Transit Gateway (vpcEndpointAccountId ${zone.network.accountId}).`,
    `NAT instance by route: ${zone.natInstanceVpc.vpcId}'s private subnets route to ${zone.natInstance.instanceId} (${zone.natInstance.publicIp}), named by instance and interface id.`,
    `Appliance by interface: ${zone.applianceVpc.vpcId}'s main route table sends 0.0.0.0/0 to the firewall's inside interface ${zone.appliance.insideEni}; it sends from its outside interface's ${zone.appliance.publicIp}.`,
    `An instance launched after the inventory was taken: ${zone.late.instanceId} in the spoke VPC is not in describe-instances; its account's known networks vouch for its egress.`,
    "Sessions merely named i-…: a release script on an instance assumes a deploy role with the instance id as session name and calls from the instance's egress (nothing to report).",
  ];
}
