import {
  paginateDescribeInstances,
  paginateDescribeNatGateways,
  paginateDescribeNetworkInterfaces,
  paginateDescribeRouteTables,
  paginateDescribeTransitGatewayAttachments,
  paginateDescribeVpcEndpoints,
  type EC2Client,
  type Instance,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import {
  routeTargetOf,
  type AttachmentFact,
  type EndpointFact,
  type NatGatewayFact,
  type RouteFact,
} from '../inventory/routed-network';
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

  /** The NAT gateways of the VPCs, with their public addresses. */
  async natGateways(vpcIds: readonly string[]): Promise<NatGatewayFact[]> {
    const facts: NatGatewayFact[] = [];
    for (const ids of chunks(vpcIds, FILTER_VALUES)) {
      const pages = paginateDescribeNatGateways(
        { client: this.ec2 },
        { Filter: [{ Name: 'vpc-id', Values: ids }] },
      );
      for await (const page of pages) {
        for (const gateway of page.NatGateways ?? []) {
          if (gateway.VpcId === undefined || gateway.NatGatewayId === undefined) continue;
          if (gateway.State === 'deleted' || gateway.State === 'failed') continue;
          facts.push({
            natGatewayId: gateway.NatGatewayId,
            vpcId: gateway.VpcId,
            publicIps: (gateway.NatGatewayAddresses ?? []).flatMap((address) =>
              address.PublicIp ? [address.PublicIp] : [],
            ),
          });
        }
      }
    }
    return facts;
  }

  async vpcEndpoints(vpcIds: readonly string[]): Promise<EndpointFact[]> {
    const facts: EndpointFact[] = [];
    for (const ids of chunks(vpcIds, FILTER_VALUES)) {
      const pages = paginateDescribeVpcEndpoints(
        { client: this.ec2 },
        { Filters: [{ Name: 'vpc-id', Values: ids }] },
      );
      for await (const page of pages) facts.push(...endpointFactsOf(page.VpcEndpoints ?? []));
    }
    return facts;
  }

  /**
   * Endpoints by id, wherever their VPC: by filter rather than `VpcEndpointIds`, so one id this account
   * does not own (a record names any endpoint it likes) does not fail the whole call.
   */
  async endpointsById(endpointIds: readonly string[]): Promise<EndpointFact[]> {
    const facts: EndpointFact[] = [];
    for (const ids of chunks(endpointIds, FILTER_VALUES)) {
      const pages = paginateDescribeVpcEndpoints(
        { client: this.ec2 },
        { Filters: [{ Name: 'vpc-endpoint-id', Values: ids }] },
      );
      for await (const page of pages) facts.push(...endpointFactsOf(page.VpcEndpoints ?? []));
    }
    return facts;
  }

  /** The route tables of the VPCs, reduced to their associations and default route. */
  async routeTables(vpcIds: readonly string[]): Promise<RouteFact[]> {
    const facts: RouteFact[] = [];
    for (const ids of chunks(vpcIds, FILTER_VALUES)) {
      const pages = paginateDescribeRouteTables(
        { client: this.ec2 },
        { Filters: [{ Name: 'vpc-id', Values: ids }] },
      );
      for await (const page of pages) {
        for (const table of page.RouteTables ?? []) {
          if (table.VpcId === undefined) continue;
          const defaultRoute = (table.Routes ?? []).map(routeTargetOf).find((target) => target !== undefined);
          facts.push({
            routeTableId: table.RouteTableId ?? 'rtb-unknown',
            vpcId: table.VpcId,
            ...(table.OwnerId ? { ownerId: table.OwnerId } : {}),
            main: (table.Associations ?? []).some((association) => association.Main === true),
            subnetIds: (table.Associations ?? []).flatMap((association) =>
              association.SubnetId ? [association.SubnetId] : [],
            ),
            ...(defaultRoute !== undefined ? { defaultRoute } : {}),
          });
        }
      }
    }
    return facts;
  }

  /**
   * VPC attachments, by attached VPC or by Transit Gateway. A member account sees its own attachments;
   * the gateway's owner (the network account) sees every attachment to it.
   */
  async transitGatewayAttachments(
    by: { readonly vpcIds: readonly string[] } | { readonly transitGatewayIds: readonly string[] },
  ): Promise<Array<AttachmentFact & { readonly transitGatewayOwnerId?: string }>> {
    const [name, values] =
      'vpcIds' in by ? ['resource-id', by.vpcIds] : ['transit-gateway-id', by.transitGatewayIds];
    const facts: Array<AttachmentFact & { readonly transitGatewayOwnerId?: string }> = [];
    for (const ids of chunks(values, FILTER_VALUES)) {
      const pages = paginateDescribeTransitGatewayAttachments(
        { client: this.ec2 },
        {
          Filters: [
            { Name: name, Values: ids },
            { Name: 'resource-type', Values: ['vpc'] },
          ],
        },
      );
      for await (const page of pages) {
        for (const attachment of page.TransitGatewayAttachments ?? []) {
          if (attachment.TransitGatewayId === undefined || attachment.ResourceId === undefined) continue;
          if (
            attachment.State === 'deleted' ||
            attachment.State === 'failed' ||
            attachment.State === 'rejected'
          )
            continue;
          facts.push({
            transitGatewayId: attachment.TransitGatewayId,
            vpcId: attachment.ResourceId,
            ...(attachment.ResourceOwnerId ? { ownerId: attachment.ResourceOwnerId } : {}),
            ...(attachment.TransitGatewayOwnerId
              ? { transitGatewayOwnerId: attachment.TransitGatewayOwnerId }
              : {}),
          });
        }
      }
    }
    return facts;
  }

  /** The instances the interfaces are attached to (an appliance's route names only its interface). */
  async interfaceInstances(networkInterfaceIds: readonly string[]): Promise<Map<string, string>> {
    const owners = new Map<string, string>();
    for (const ids of chunks(networkInterfaceIds, FILTER_VALUES)) {
      const pages = paginateDescribeNetworkInterfaces(
        { client: this.ec2 },
        { Filters: [{ Name: 'network-interface-id', Values: ids }] },
      );
      for await (const page of pages) {
        for (const eni of page.NetworkInterfaces ?? []) {
          if (eni.NetworkInterfaceId && eni.Attachment?.InstanceId)
            owners.set(eni.NetworkInterfaceId, eni.Attachment.InstanceId);
        }
      }
    }
    return owners;
  }
}

function endpointFactsOf(endpoints: readonly VpcEndpoint[]): EndpointFact[] {
  return endpoints.flatMap((endpoint) =>
    endpoint.VpcId === undefined || endpoint.VpcEndpointId === undefined
      ? []
      : [
          {
            vpcEndpointId: endpoint.VpcEndpointId,
            vpcId: endpoint.VpcId,
            ...(endpoint.OwnerId ? { ownerId: endpoint.OwnerId } : {}),
          },
        ],
  );
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

// Kept importable from here for existing callers; it lives apart so that reading it loads no EC2 client.
export { networkOf };
