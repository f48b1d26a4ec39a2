// The landing zone's inventory: egress hops, route tables, Transit Gateway attachments, network account.
import { zoneName, type InventoryExport } from './estate-inventory';
import type { EgressHop, LandingZone, RouteTablePlan } from './landing-zone';
import { RandomSource } from './random-source';

/**
 * What the landing zone adds to the inventory: the egress hops among the workload's instances, the
 * route tables and Transit Gateway attachments of both accounts, and the network account's own
 * exports (its NAT gateways, the central endpoint; it owns no instance with a role).
 */
export function landingZoneExports(zone: LandingZone, launchTime: string): InventoryExport[] {
  const random = new RandomSource(zone.transitGatewayId, 'inventory');
  const { region, network, workload } = zone;
  const entry = (
    accountId: string,
    command: InventoryExport['command'],
    document: Record<string, unknown>,
  ) => ({
    accountId,
    region,
    command,
    document,
  });
  const attachment = (vpcId: string, owner: string) => ({
    TransitGatewayAttachmentId: `tgw-attach-0${random.hex(16)}`,
    TransitGatewayId: zone.transitGatewayId,
    TransitGatewayOwnerId: network.accountId,
    ResourceOwnerId: owner,
    ResourceType: 'vpc',
    ResourceId: vpcId,
    State: 'available',
    Association: { TransitGatewayRouteTableId: `tgw-rtb-0${random.hex(16)}`, State: 'associated' },
    CreationTime: launchTime,
    Tags: [],
  });
  const spokeAttachment = attachment(zone.spoke.vpcId, workload.accountId);
  const tables = (accountId: string) => ({
    RouteTables: zone.routeTables
      .filter((table) => table.accountId === accountId)
      .map((table) => describeRouteTable(table, random)),
  });
  return [
    entry(workload.accountId, 'describe-instances', {
      Reservations: [zone.natInstance, zone.appliance].map((hop) => ({
        Groups: [],
        Instances: [describeHop(hop, launchTime)],
        OwnerId: hop.accountId,
        ReservationId: `r-0${random.hex(16)}`,
      })),
    }),
    entry(workload.accountId, 'describe-route-tables', tables(workload.accountId)),
    entry(workload.accountId, 'describe-transit-gateway-attachments', {
      TransitGatewayAttachments: [spokeAttachment],
    }),
    entry(network.accountId, 'describe-instances', { Reservations: [] }),
    entry(network.accountId, 'describe-nat-gateways', {
      NatGateways: zone.centralNat.map((nat) => ({
        CreateTime: launchTime,
        NatGatewayAddresses: nat.publicIps.map((publicIp, i) => ({
          AllocationId: nat.allocationIds[i],
          NetworkInterfaceId: `eni-0${random.hex(16)}`,
          PrivateIp: nat.privateIps[i],
          PublicIp: publicIp,
          IsPrimary: i === 0,
          Status: 'succeeded',
        })),
        NatGatewayId: nat.natGatewayId,
        State: 'available',
        SubnetId: nat.subnetId,
        VpcId: zone.egressVpcId,
        Tags: [{ Key: 'Name', Value: `central-egress-${zoneName(region, nat.zone)}` }],
        ConnectivityType: 'public',
      })),
    }),
    entry(network.accountId, 'describe-vpc-endpoints', {
      VpcEndpoints: [
        {
          VpcEndpointId: zone.centralStsEndpointId,
          VpcEndpointType: 'Interface',
          VpcId: zone.endpointsVpcId,
          ServiceName: `com.amazonaws.${region}.sts`,
          State: 'available',
          RouteTableIds: [],
          SubnetIds: [`subnet-0${random.hex(16)}`, `subnet-0${random.hex(16)}`],
          IpAddressType: 'ipv4',
          // Spokes resolve the service name through a Route 53 private hosted zone shared with them.
          PrivateDnsEnabled: false,
          RequesterManaged: false,
          NetworkInterfaceIds: [`eni-0${random.hex(16)}`, `eni-0${random.hex(16)}`],
          CreationTimestamp: launchTime,
          Tags: [{ Key: 'Name', Value: 'central-sts' }],
          OwnerId: network.accountId,
        },
      ],
    }),
    entry(network.accountId, 'describe-route-tables', tables(network.accountId)),
    entry(network.accountId, 'describe-transit-gateway-attachments', {
      // The gateway's owner sees every attachment to it.
      TransitGatewayAttachments: [
        spokeAttachment,
        attachment(zone.egressVpcId, network.accountId),
        attachment(zone.endpointsVpcId, network.accountId),
      ],
    }),
  ];
}

function describeRouteTable(table: RouteTablePlan, random: RandomSource): Record<string, unknown> {
  return {
    Associations: [
      ...(table.main
        ? [
            {
              Main: true,
              RouteTableAssociationId: `rtbassoc-0${random.hex(16)}`,
              RouteTableId: table.routeTableId,
              AssociationState: { State: 'associated' },
            },
          ]
        : []),
      ...table.subnetIds.map((subnetId) => ({
        Main: false,
        RouteTableAssociationId: `rtbassoc-0${random.hex(16)}`,
        RouteTableId: table.routeTableId,
        SubnetId: subnetId,
        AssociationState: { State: 'associated' },
      })),
    ],
    PropagatingVgws: [],
    RouteTableId: table.routeTableId,
    Routes: [
      {
        DestinationCidrBlock: table.vpc.cidr,
        GatewayId: 'local',
        Origin: 'CreateRouteTable',
        State: 'active',
      },
      { DestinationCidrBlock: '0.0.0.0/0', ...table.target, Origin: 'CreateRoute', State: 'active' },
    ],
    Tags: [],
    VpcId: table.vpc.vpcId,
    OwnerId: table.accountId,
  };
}

function describeHop(hop: EgressHop, launchTime: string): Record<string, unknown> {
  const nic = (eni: string, subnet: string, privateIp: string, index: number, publicIp?: string) => {
    const association =
      publicIp === undefined ? {} : { Association: { IpOwnerId: 'amazon', PublicIp: publicIp } };
    return {
      ...association,
      Attachment: {
        AttachTime: launchTime,
        DeleteOnTermination: true,
        DeviceIndex: index,
        Status: 'attached',
      },
      NetworkInterfaceId: eni,
      OwnerId: hop.accountId,
      PrivateIpAddress: privateIp,
      PrivateIpAddresses: [{ ...association, Primary: true, PrivateIpAddress: privateIp }],
      // Forwarding other hosts' packets needs the check off: the mark of a NAT instance or appliance.
      SourceDestCheck: false,
      Status: 'in-use',
      SubnetId: subnet,
      VpcId: hop.vpcId,
      InterfaceType: 'interface',
    };
  };
  const inside = nic(
    hop.insideEni,
    hop.insideSubnet,
    hop.insidePrivateIp,
    0,
    hop.outside === undefined ? hop.publicIp : undefined,
  );
  const outside =
    hop.outside === undefined
      ? []
      : [nic(hop.outside.eni, hop.outside.subnet, hop.outside.privateIp, 1, hop.publicIp)];
  return {
    InstanceId: hop.instanceId,
    InstanceType: hop.kind === 'appliance' ? 'c6in.large' : 't4g.nano',
    LaunchTime: launchTime,
    Placement: { AvailabilityZone: zoneName(hop.region, hop.zone), Tenancy: 'default' },
    PrivateIpAddress: hop.insidePrivateIp,
    PublicIpAddress: hop.publicIp,
    State: { Code: 16, Name: 'running' },
    SubnetId: hop.insideSubnet,
    VpcId: hop.vpcId,
    SourceDestCheck: false,
    NetworkInterfaces: [inside, ...outside],
    Tags: [{ Key: 'Name', Value: hop.kind === 'appliance' ? 'egress-firewall' : 'fck-nat' }],
  };
}
