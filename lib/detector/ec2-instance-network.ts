import type { Instance } from '@aws-sdk/client-ec2';
import type { InstanceNetwork } from '../engine/instance-network';

/** One instance's network from EC2's description of it and of its VPC. */
export function networkOf(
  instance: Instance,
  context: {
    accountId: string;
    region: string;
    natGatewayIps: readonly string[];
    vpcEndpointIds: readonly string[];
  },
): InstanceNetwork {
  const interfaces = instance.NetworkInterfaces ?? [];
  const privateIps = new Set<string>();
  const publicIps = new Set<string>();
  const ipv6Addresses = new Set<string>();
  const prefixes = new Set<string>();
  if (instance.PrivateIpAddress) privateIps.add(instance.PrivateIpAddress);
  if (instance.PublicIpAddress) publicIps.add(instance.PublicIpAddress);
  for (const eni of interfaces) {
    for (const address of eni.PrivateIpAddresses ?? []) {
      if (address.PrivateIpAddress) privateIps.add(address.PrivateIpAddress);
      if (address.Association?.PublicIp) publicIps.add(address.Association.PublicIp);
    }
    if (eni.Association?.PublicIp) publicIps.add(eni.Association.PublicIp);
    for (const address of eni.Ipv6Addresses ?? [])
      if (address.Ipv6Address) ipv6Addresses.add(address.Ipv6Address);
    for (const prefix of eni.Ipv4Prefixes ?? []) if (prefix.Ipv4Prefix) prefixes.add(prefix.Ipv4Prefix);
    for (const prefix of eni.Ipv6Prefixes ?? []) if (prefix.Ipv6Prefix) prefixes.add(prefix.Ipv6Prefix);
  }
  return {
    instanceId: instance.InstanceId ?? '',
    accountId: context.accountId,
    region: context.region,
    ...(instance.VpcId !== undefined ? { vpcId: instance.VpcId } : {}),
    ...(instance.SubnetId !== undefined ? { subnetId: instance.SubnetId } : {}),
    privateIps: [...privateIps],
    publicIps: [...publicIps],
    ipv6Addresses: [...ipv6Addresses],
    prefixes: [...prefixes],
    natGatewayIps: [...context.natGatewayIps],
    vpcEndpointIds: [...context.vpcEndpointIds],
    source: 'ec2',
  };
}
