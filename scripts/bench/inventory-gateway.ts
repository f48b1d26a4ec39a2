import { EC2Client, type Instance } from '@aws-sdk/client-ec2';
import {
  DescribeInstancesOutputSchema,
  DescribeNatGatewaysOutputSchema,
  DescribeRouteTablesOutputSchema,
  DescribeTransitGatewayAttachmentsOutputSchema,
  DescribeVpcEndpointsOutputSchema,
} from '../../lib/inventory/ec2-inventory-schema';
import { routingFactsOf } from '../../lib/inventory/instance-networks';
import type {
  AttachmentFact,
  EndpointFact,
  NatGatewayFact,
  RouteFact,
} from '../../lib/inventory/routed-network';
import { Ec2NetworkGateway } from '../../lib/detector/ec2-network-gateway';
import type { OrganisationDay } from '../scenario';

/** EC2 answered from the scenario's `aws ec2 describe-…` exports instead of AWS. */
export class InventoryGateway extends Ec2NetworkGateway {
  constructor(
    private readonly day: OrganisationDay,
    private readonly accountId: string,
    private readonly region: string,
  ) {
    super(new EC2Client({ region }));
  }

  private documents(command: string): Record<string, unknown>[] {
    return this.day.inventory
      .filter((e) => e.accountId === this.accountId && e.region === this.region && e.command === command)
      .map((e) => e.document);
  }

  override describeInstances(instanceIds: readonly string[]): Promise<Instance[]> {
    const wanted = new Set(instanceIds);
    const instances = this.documents('describe-instances').flatMap((doc) =>
      (doc['Reservations'] as { Instances: Instance[] }[]).flatMap((r) => r.Instances),
    );
    return Promise.resolve(instances.filter((i) => i.InstanceId !== undefined && wanted.has(i.InstanceId)));
  }

  /** The routing facts of this account and region's exports, as the inventory reads them. */
  private facts() {
    const of = (command: string) => this.documents(command);
    return routingFactsOf(
      {
        instances: of('describe-instances').map((doc) => DescribeInstancesOutputSchema.parse(doc)),
        natGateways: of('describe-nat-gateways').map((doc) => DescribeNatGatewaysOutputSchema.parse(doc)),
        vpcEndpoints: of('describe-vpc-endpoints').map((doc) => DescribeVpcEndpointsOutputSchema.parse(doc)),
        routeTables: of('describe-route-tables').map((doc) => DescribeRouteTablesOutputSchema.parse(doc)),
        transitGatewayAttachments: of('describe-transit-gateway-attachments').map((doc) =>
          DescribeTransitGatewayAttachmentsOutputSchema.parse(doc),
        ),
      },
      new Set(),
    );
  }

  override natGateways(vpcIds: readonly string[]): Promise<NatGatewayFact[]> {
    return Promise.resolve(this.facts().natGateways.filter((nat) => vpcIds.includes(nat.vpcId)));
  }

  override vpcEndpoints(vpcIds: readonly string[]): Promise<EndpointFact[]> {
    return Promise.resolve(this.facts().endpoints.filter((endpoint) => vpcIds.includes(endpoint.vpcId)));
  }

  override routeTables(vpcIds: readonly string[]): Promise<RouteFact[]> {
    return Promise.resolve(this.facts().routeTables.filter((table) => vpcIds.includes(table.vpcId)));
  }

  override transitGatewayAttachments(
    by: { readonly vpcIds: readonly string[] } | { readonly transitGatewayIds: readonly string[] },
  ): Promise<AttachmentFact[]> {
    return Promise.resolve(
      this.facts().attachments.filter((attachment) =>
        'vpcIds' in by
          ? by.vpcIds.includes(attachment.vpcId)
          : by.transitGatewayIds.includes(attachment.transitGatewayId),
      ),
    );
  }

  override interfaceInstances(networkInterfaceIds: readonly string[]): Promise<Map<string, string>> {
    const owners = new Map<string, string>();
    for (const instance of this.facts().instances) {
      for (const eni of instance.networkInterfaceIds)
        if (networkInterfaceIds.includes(eni)) owners.set(eni, instance.instanceId);
    }
    return Promise.resolve(owners);
  }
}
