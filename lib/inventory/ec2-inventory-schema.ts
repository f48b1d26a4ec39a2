import * as z from 'zod';

/**
 * What `aws ec2 describe-instances`, `describe-nat-gateways`, `describe-vpc-endpoints`,
 * `describe-route-tables` and `describe-transit-gateway-attachments` print (the
 * CLI's PascalCase JSON). Only the fields that make up an instance's network are read; everything else
 * the CLI prints, now or in a later version, is accepted and ignored.
 * https://docs.aws.amazon.com/cli/latest/reference/ec2/describe-instances.html
 */
const AssociationSchema = z.object({ PublicIp: z.string().optional() });

const PrivateIpAddressSchema = z.object({
  PrivateIpAddress: z.string().optional(),
  Association: AssociationSchema.optional(),
});

export const NetworkInterfaceSchema = z.object({
  NetworkInterfaceId: z.string().optional(),
  SubnetId: z.string().optional(),
  VpcId: z.string().optional(),
  PrivateIpAddress: z.string().optional(),
  PrivateIpAddresses: z.array(PrivateIpAddressSchema).optional(),
  Association: AssociationSchema.optional(),
  Ipv6Addresses: z.array(z.object({ Ipv6Address: z.string().optional() })).optional(),
  Ipv4Prefixes: z.array(z.object({ Ipv4Prefix: z.string().optional() })).optional(),
  Ipv6Prefixes: z.array(z.object({ Ipv6Prefix: z.string().optional() })).optional(),
});
export type NetworkInterface = z.infer<typeof NetworkInterfaceSchema>;

export const Ec2InstanceSchema = z.object({
  InstanceId: z.string().min(1),
  VpcId: z.string().optional(),
  SubnetId: z.string().optional(),
  PrivateIpAddress: z.string().optional(),
  PublicIpAddress: z.string().optional(),
  Ipv6Address: z.string().optional(),
  Placement: z.object({ AvailabilityZone: z.string().optional() }).optional(),
  NetworkInterfaces: z.array(NetworkInterfaceSchema).optional(),
});
export type Ec2Instance = z.infer<typeof Ec2InstanceSchema>;

export const DescribeInstancesOutputSchema = z.object({
  Reservations: z.array(
    z.object({
      OwnerId: z.string().optional(),
      Instances: z.array(Ec2InstanceSchema).default([]),
    }),
  ),
});
export type DescribeInstancesOutput = z.infer<typeof DescribeInstancesOutputSchema>;

export const NatGatewaySchema = z.object({
  NatGatewayId: z.string().optional(),
  VpcId: z.string().optional(),
  State: z.string().optional(),
  // Primary and secondary addresses alike: a NAT gateway with several EIPs sends from any of them.
  NatGatewayAddresses: z.array(z.object({ PublicIp: z.string().optional() })).default([]),
});
export type NatGateway = z.infer<typeof NatGatewaySchema>;

export const DescribeNatGatewaysOutputSchema = z.object({ NatGateways: z.array(NatGatewaySchema) });
export type DescribeNatGatewaysOutput = z.infer<typeof DescribeNatGatewaysOutputSchema>;

export const VpcEndpointSchema = z.object({
  VpcEndpointId: z.string().min(1),
  VpcId: z.string().optional(),
  VpcEndpointType: z.string().optional(),
  ServiceName: z.string().optional(),
  State: z.string().optional(),
  OwnerId: z.string().optional(),
});
export type VpcEndpoint = z.infer<typeof VpcEndpointSchema>;

export const DescribeVpcEndpointsOutputSchema = z.object({ VpcEndpoints: z.array(VpcEndpointSchema) });
export type DescribeVpcEndpointsOutput = z.infer<typeof DescribeVpcEndpointsOutputSchema>;

/**
 * One route. Only the default route (`0.0.0.0/0`) decides egress; the target is whichever id is set.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Route.html
 */
export const RouteSchema = z.object({
  DestinationCidrBlock: z.string().optional(),
  GatewayId: z.string().optional(),
  NatGatewayId: z.string().optional(),
  InstanceId: z.string().optional(),
  NetworkInterfaceId: z.string().optional(),
  TransitGatewayId: z.string().optional(),
  State: z.string().optional(),
});
export type Route = z.infer<typeof RouteSchema>;

export const RouteTableSchema = z.object({
  RouteTableId: z.string().optional(),
  VpcId: z.string().optional(),
  OwnerId: z.string().optional(),
  Associations: z
    .array(
      z.object({
        Main: z.boolean().optional(),
        SubnetId: z.string().optional(),
        RouteTableId: z.string().optional(),
      }),
    )
    .default([]),
  Routes: z.array(RouteSchema).default([]),
});
export type RouteTable = z.infer<typeof RouteTableSchema>;

export const DescribeRouteTablesOutputSchema = z.object({ RouteTables: z.array(RouteTableSchema) });
export type DescribeRouteTablesOutput = z.infer<typeof DescribeRouteTablesOutputSchema>;

/** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TransitGatewayAttachment.html */
export const TransitGatewayAttachmentSchema = z.object({
  TransitGatewayAttachmentId: z.string().optional(),
  TransitGatewayId: z.string().min(1),
  TransitGatewayOwnerId: z.string().optional(),
  ResourceOwnerId: z.string().optional(),
  ResourceType: z.string().optional(),
  ResourceId: z.string().optional(),
  State: z.string().optional(),
});
export type TransitGatewayAttachment = z.infer<typeof TransitGatewayAttachmentSchema>;

export const DescribeTransitGatewayAttachmentsOutputSchema = z.object({
  TransitGatewayAttachments: z.array(TransitGatewayAttachmentSchema),
});
export type DescribeTransitGatewayAttachmentsOutput = z.infer<
  typeof DescribeTransitGatewayAttachmentsOutputSchema
>;

/** Every document of an inventory, grouped by the command that printed it. */
export interface InventoryDocuments {
  readonly instances: readonly DescribeInstancesOutput[];
  readonly natGateways: readonly DescribeNatGatewaysOutput[];
  readonly vpcEndpoints: readonly DescribeVpcEndpointsOutput[];
  /** Absent in inventories taken before routes were read: egress is then every NAT gateway of the VPC. */
  readonly routeTables?: readonly DescribeRouteTablesOutput[];
  readonly transitGatewayAttachments?: readonly DescribeTransitGatewayAttachmentsOutput[];
}

export const INVENTORY_COMMANDS = {
  instances: 'describe-instances',
  natGateways: 'describe-nat-gateways',
  vpcEndpoints: 'describe-vpc-endpoints',
  routeTables: 'describe-route-tables',
  transitGatewayAttachments: 'describe-transit-gateway-attachments',
} as const;
export type InventoryKind = keyof typeof INVENTORY_COMMANDS;
