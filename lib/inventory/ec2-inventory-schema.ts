import * as z from 'zod';

/**
 * What `aws ec2 describe-instances`, `describe-nat-gateways` and `describe-vpc-endpoints` print (the
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

/** Every document of an inventory, grouped by the command that printed it. */
export interface InventoryDocuments {
  readonly instances: readonly DescribeInstancesOutput[];
  readonly natGateways: readonly DescribeNatGatewaysOutput[];
  readonly vpcEndpoints: readonly DescribeVpcEndpointsOutput[];
}

export const INVENTORY_COMMANDS = {
  instances: 'describe-instances',
  natGateways: 'describe-nat-gateways',
  vpcEndpoints: 'describe-vpc-endpoints',
} as const;
export type InventoryKind = keyof typeof INVENTORY_COMMANDS;
