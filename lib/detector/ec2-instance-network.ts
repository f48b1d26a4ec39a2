import type { Instance } from '@aws-sdk/client-ec2';
import type { InstanceNetwork } from '../engine/instance-network';
import { routedFields } from '../inventory/instance-networks';
import type { InstanceFact, RoutingIndex } from '../inventory/routed-network';

// Pure functions over EC2's descriptions, apart from the gateway so that the detector can use them
// without loading the EC2 client (the runtime provides it, loaded on first lookup).

/** An instance as an egress hop: its interfaces and public addresses. */
export function instanceFactOf(instance: Instance, accountId: string): InstanceFact {
  const publicIps = new Set<string>();
  if (instance.PublicIpAddress) publicIps.add(instance.PublicIpAddress);
  for (const eni of instance.NetworkInterfaces ?? []) {
    if (eni.Association?.PublicIp) publicIps.add(eni.Association.PublicIp);
    for (const address of eni.PrivateIpAddresses ?? [])
      if (address.Association?.PublicIp) publicIps.add(address.Association.PublicIp);
  }
  return {
    instanceId: instance.InstanceId ?? '',
    accountId,
    networkInterfaceIds: (instance.NetworkInterfaces ?? []).flatMap((eni) =>
      eni.NetworkInterfaceId ? [eni.NetworkInterfaceId] : [],
    ),
    publicIps: [...publicIps],
  };
}

/** One instance's network from EC2's description of it and of its VPC. */
export function networkOf(
  instance: Instance,
  context: {
    accountId: string;
    region: string;
    routing: RoutingIndex;
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
    ...routedFields(context.routing, vpcIdsOf(instance), instance.VpcId, instance.SubnetId),
    source: 'ec2',
  };
}

export function vpcIdsOf(instance: Instance): string[] {
  const ids = new Set<string>();
  if (instance.VpcId) ids.add(instance.VpcId);
  for (const eni of instance.NetworkInterfaces ?? []) if (eni.VpcId) ids.add(eni.VpcId);
  return [...ids];
}
