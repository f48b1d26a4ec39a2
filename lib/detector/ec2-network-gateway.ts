import {
  paginateDescribeInstances,
  paginateDescribeNatGateways,
  paginateDescribeVpcEndpoints,
  type EC2Client,
  type Instance,
} from '@aws-sdk/client-ec2';
import type { InstanceNetwork } from '../engine/instance-network';

// EC2 accepts up to 200 values per filter.
const FILTER_VALUES = 200;

/** EC2's Describe* calls in one account and region, reduced to what an instance's network is. */
export class Ec2NetworkGateway {
  constructor(private readonly ec2: EC2Client) {}

  /**
   * The instances EC2 knows among `instanceIds`. A filter rather than `InstanceIds`, so one unknown id
   * (terminated long ago, another region) does not fail the whole call.
   */
  async describeInstances(instanceIds: readonly string[]): Promise<Instance[]> {
    const instances: Instance[] = [];
    for (const ids of chunks(instanceIds, FILTER_VALUES)) {
      const pages = paginateDescribeInstances(
        { client: this.ec2 },
        { Filters: [{ Name: 'instance-id', Values: ids }] },
      );
      for await (const page of pages) {
        for (const reservation of page.Reservations ?? []) instances.push(...(reservation.Instances ?? []));
      }
    }
    return instances;
  }

  /** Public addresses of the NAT gateways in each VPC: where the instance's egress may come from. */
  async natGatewayIps(vpcIds: readonly string[]): Promise<Map<string, string[]>> {
    const byVpc = new Map<string, string[]>();
    for (const ids of chunks(vpcIds, FILTER_VALUES)) {
      const pages = paginateDescribeNatGateways(
        { client: this.ec2 },
        { Filter: [{ Name: 'vpc-id', Values: ids }] },
      );
      for await (const page of pages) {
        for (const gateway of page.NatGateways ?? []) {
          if (gateway.VpcId === undefined || gateway.State === 'deleted') continue;
          const list = byVpc.get(gateway.VpcId) ?? [];
          for (const address of gateway.NatGatewayAddresses ?? [])
            if (address.PublicIp) list.push(address.PublicIp);
          byVpc.set(gateway.VpcId, list);
        }
      }
    }
    return byVpc;
  }

  async vpcEndpointIds(vpcIds: readonly string[]): Promise<Map<string, string[]>> {
    const byVpc = new Map<string, string[]>();
    for (const ids of chunks(vpcIds, FILTER_VALUES)) {
      const pages = paginateDescribeVpcEndpoints(
        { client: this.ec2 },
        { Filters: [{ Name: 'vpc-id', Values: ids }] },
      );
      for await (const page of pages) {
        for (const endpoint of page.VpcEndpoints ?? []) {
          if (endpoint.VpcId === undefined || endpoint.VpcEndpointId === undefined) continue;
          byVpc.set(endpoint.VpcId, [...(byVpc.get(endpoint.VpcId) ?? []), endpoint.VpcEndpointId]);
        }
      }
    }
    return byVpc;
  }
}

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

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}
