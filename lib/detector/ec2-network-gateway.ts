import {
  paginateDescribeInstances,
  paginateDescribeNatGateways,
  paginateDescribeVpcEndpoints,
  type EC2Client,
  type Instance,
} from '@aws-sdk/client-ec2';
import { networkOf } from './ec2-instance-network';

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

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

// Kept importable from here for existing callers; it lives apart so that reading it loads no EC2 client.
export { networkOf };
