import {
  DescribeInstancesCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeTransitGatewayAttachmentsCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
  type Filter,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import type { InventoryDocuments } from '../../lib/inventory/ec2-inventory-schema';

const valuesOf = (filters: Filter[] | undefined, name: string) =>
  filters?.find((filter) => filter.Name === name)?.Values;

/** One account's EC2, answering from that account's `aws ec2 describe-…` exports (same shapes as the SDK). */
export function ec2Answering(
  documents: InventoryDocuments,
  options: { routesDenied?: boolean } = {},
): EC2Client {
  const client = new EC2Client({ region: 'us-east-1' });
  const mock = mockClient(client);
  mock.on(DescribeInstancesCommand).callsFake((input: { Filters?: Filter[] }) => {
    const ids = valuesOf(input.Filters, 'instance-id') ?? [];
    return {
      Reservations: documents.instances.flatMap((doc) =>
        doc.Reservations.map((reservation) => ({
          ...reservation,
          Instances: reservation.Instances.filter((instance) => ids.includes(instance.InstanceId)),
        })),
      ),
    };
  });
  mock.on(DescribeNatGatewaysCommand).callsFake((input: { Filter?: Filter[] }) => {
    const vpcs = valuesOf(input.Filter, 'vpc-id') ?? [];
    return {
      NatGateways: documents.natGateways.flatMap((doc) =>
        doc.NatGateways.filter((nat) => vpcs.includes(nat.VpcId ?? '')),
      ),
    };
  });
  mock.on(DescribeVpcEndpointsCommand).callsFake((input: { Filters?: Filter[] }) => {
    const vpcs = valuesOf(input.Filters, 'vpc-id');
    const ids = valuesOf(input.Filters, 'vpc-endpoint-id');
    return {
      VpcEndpoints: documents.vpcEndpoints.flatMap((doc) =>
        doc.VpcEndpoints.filter((e) =>
          vpcs !== undefined ? vpcs.includes(e.VpcId ?? '') : (ids ?? []).includes(e.VpcEndpointId),
        ),
      ),
    };
  });
  mock.on(DescribeRouteTablesCommand).callsFake((input: { Filters?: Filter[] }) => {
    const vpcs = valuesOf(input.Filters, 'vpc-id') ?? [];
    return {
      RouteTables: (documents.routeTables ?? []).flatMap((doc) =>
        doc.RouteTables.filter((t) => vpcs.includes(t.VpcId ?? '')),
      ),
    };
  });
  mock.on(DescribeTransitGatewayAttachmentsCommand).callsFake((input: { Filters?: Filter[] }) => {
    const vpcs = valuesOf(input.Filters, 'resource-id');
    const gateways = valuesOf(input.Filters, 'transit-gateway-id');
    return {
      TransitGatewayAttachments: (documents.transitGatewayAttachments ?? []).flatMap((doc) =>
        doc.TransitGatewayAttachments.filter((a) =>
          vpcs !== undefined
            ? vpcs.includes(a.ResourceId ?? '')
            : (gateways ?? []).includes(a.TransitGatewayId),
        ),
      ),
    };
  });
  mock.on(DescribeNetworkInterfacesCommand).callsFake((input: { Filters?: Filter[] }) => {
    const ids = valuesOf(input.Filters, 'network-interface-id') ?? [];
    return {
      NetworkInterfaces: documents.instances.flatMap((doc) =>
        doc.Reservations.flatMap((reservation) =>
          reservation.Instances.flatMap((instance) =>
            (instance.NetworkInterfaces ?? [])
              .filter((nic) => ids.includes(nic.NetworkInterfaceId ?? ''))
              .map((nic) => ({
                NetworkInterfaceId: nic.NetworkInterfaceId,
                Attachment: { InstanceId: instance.InstanceId },
              })),
          ),
        ),
      ),
    };
  });
  if (options.routesDenied === true) {
    const denied = Object.assign(new Error('You are not authorized to perform this operation.'), {
      name: 'UnauthorizedOperation',
    });
    mock.on(DescribeRouteTablesCommand).rejects(denied);
    mock.on(DescribeTransitGatewayAttachmentsCommand).rejects(denied);
  }
  return client;
}
