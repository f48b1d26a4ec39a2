import type { EgressPath, EndpointPath } from '../engine/instance-network';

/**
 * The network as routed: which egress an instance's subnet leads to, and which endpoints it reaches.
 * Pure; fed by inventory files offline and by EC2 Describe* calls in the Lambda, so both decide alike.
 */
export interface RouteFact {
  readonly routeTableId: string;
  readonly vpcId: string;
  readonly ownerId?: string;
  /** The VPC's main route table: subnets without their own association use it. */
  readonly main: boolean;
  readonly subnetIds: readonly string[];
  /** The `0.0.0.0/0` route's target, if the table has one. */
  readonly defaultRoute?: RouteTarget;
}

export type RouteTarget =
  | { readonly kind: 'internet-gateway'; readonly id: string }
  | { readonly kind: 'nat-gateway'; readonly id: string }
  /** A NAT instance or an appliance: by instance id, by interface id, or both. */
  | { readonly kind: 'instance'; readonly instanceId?: string; readonly networkInterfaceId?: string }
  | { readonly kind: 'transit-gateway'; readonly id: string }
  | { readonly kind: 'blackhole'; readonly id: string }
  /** Anything else (virtual private gateway, peering, Gateway Load Balancer endpoint): not followed. */
  | { readonly kind: 'other'; readonly id: string };

export interface NatGatewayFact {
  readonly natGatewayId: string;
  readonly vpcId: string;
  readonly publicIps: readonly string[];
}

export interface EndpointFact {
  readonly vpcEndpointId: string;
  readonly vpcId: string;
  readonly ownerId?: string;
}

export interface AttachmentFact {
  readonly transitGatewayId: string;
  readonly vpcId: string;
  readonly ownerId?: string;
}

/** An instance as an egress hop sees it: its public addresses, found by instance or interface id. */
export interface InstanceFact {
  readonly instanceId: string;
  readonly accountId?: string;
  readonly networkInterfaceIds: readonly string[];
  readonly publicIps: readonly string[];
}

export interface RoutingFacts {
  readonly routeTables: readonly RouteFact[];
  readonly natGateways: readonly NatGatewayFact[];
  readonly endpoints: readonly EndpointFact[];
  readonly attachments: readonly AttachmentFact[];
  readonly instances: readonly InstanceFact[];
  /** Accounts whose VPCs on a shared Transit Gateway may carry our egress and host our endpoints. */
  readonly trustedAccounts: ReadonlySet<string>;
}

/** What routing says about one subnet. `routed` is false when no route table of the VPC is known. */
export interface RoutedEgress {
  readonly routed: boolean;
  readonly route?: string;
  readonly egress: readonly EgressPath[];
  /** The default route goes to an internet gateway: the instance's own public addresses are its egress. */
  readonly internet: boolean;
}

/** Reads a route of `describe-route-tables` (CLI JSON or SDK object alike). */
export function routeTargetOf(route: {
  readonly DestinationCidrBlock?: string | undefined;
  readonly GatewayId?: string | undefined;
  readonly NatGatewayId?: string | undefined;
  readonly InstanceId?: string | undefined;
  readonly NetworkInterfaceId?: string | undefined;
  readonly TransitGatewayId?: string | undefined;
  readonly VpcPeeringConnectionId?: string | undefined;
  readonly State?: string | undefined;
}): RouteTarget | undefined {
  if (route.DestinationCidrBlock !== '0.0.0.0/0') return undefined;
  const id =
    route.NatGatewayId ??
    route.TransitGatewayId ??
    route.InstanceId ??
    route.NetworkInterfaceId ??
    route.GatewayId ??
    route.VpcPeeringConnectionId ??
    'unknown';
  if (route.State === 'blackhole') return { kind: 'blackhole', id };
  if (route.NatGatewayId) return { kind: 'nat-gateway', id: route.NatGatewayId };
  if (route.TransitGatewayId) return { kind: 'transit-gateway', id: route.TransitGatewayId };
  if (route.InstanceId || route.NetworkInterfaceId) {
    return {
      kind: 'instance',
      ...(route.InstanceId ? { instanceId: route.InstanceId } : {}),
      ...(route.NetworkInterfaceId ? { networkInterfaceId: route.NetworkInterfaceId } : {}),
    };
  }
  if (route.GatewayId?.startsWith('igw-')) return { kind: 'internet-gateway', id: route.GatewayId };
  return { kind: 'other', id };
}

export class RoutingIndex {
  private readonly tablesByVpc = new Map<string, RouteFact[]>();
  private readonly natsByVpc = new Map<string, NatGatewayFact[]>();
  private readonly natsById = new Map<string, NatGatewayFact>();
  private readonly endpointsByVpc = new Map<string, EndpointFact[]>();
  private readonly attachmentsByVpc = new Map<string, AttachmentFact[]>();
  private readonly attachmentsByGateway = new Map<string, AttachmentFact[]>();
  private readonly instancesById = new Map<string, InstanceFact>();
  private readonly instancesByInterface = new Map<string, InstanceFact>();

  constructor(private readonly facts: RoutingFacts) {
    for (const table of facts.routeTables) push(this.tablesByVpc, table.vpcId, table);
    for (const nat of facts.natGateways) {
      push(this.natsByVpc, nat.vpcId, nat);
      this.natsById.set(nat.natGatewayId, nat);
    }
    for (const endpoint of facts.endpoints) push(this.endpointsByVpc, endpoint.vpcId, endpoint);
    for (const attachment of facts.attachments) {
      push(this.attachmentsByVpc, attachment.vpcId, attachment);
      push(this.attachmentsByGateway, attachment.transitGatewayId, attachment);
    }
    for (const instance of facts.instances) {
      this.instancesById.set(instance.instanceId, instance);
      for (const eni of instance.networkInterfaceIds) this.instancesByInterface.set(eni, instance);
    }
  }

  /** Whether any route table of the VPC is known: without one, egress is every NAT gateway of the VPC. */
  knowsRoutes(vpcId: string): boolean {
    return this.tablesByVpc.has(vpcId);
  }

  /** The route table a subnet uses: its own association, else the VPC's main table. */
  tableOf(vpcId: string, subnetId: string | undefined): RouteFact | undefined {
    const tables = this.tablesByVpc.get(vpcId) ?? [];
    return (
      (subnetId === undefined ? undefined : tables.find((table) => table.subnetIds.includes(subnetId))) ??
      tables.find((table) => table.main)
    );
  }

  /** Where the subnet's default route leads. */
  egressOf(vpcId: string, subnetId: string | undefined): RoutedEgress {
    if (!this.knowsRoutes(vpcId)) {
      return { routed: false, internet: false, egress: this.vpcNatEgress(vpcId, `of its VPC ${vpcId}`) };
    }
    const table = this.tableOf(vpcId, subnetId);
    const where = subnetId ?? vpcId;
    const target = table?.defaultRoute;
    if (table === undefined || target === undefined) {
      return { routed: true, internet: false, route: `${where} has no default route`, egress: [] };
    }
    const route = `default route of ${where} (${table.routeTableId}) to ${targetName(target)}`;
    switch (target.kind) {
      case 'internet-gateway':
        return { routed: true, internet: true, route, egress: [] };
      case 'nat-gateway':
        return { routed: true, internet: false, route, egress: this.natGatewayEgress(target.id) };
      case 'instance':
        return { routed: true, internet: false, route, egress: this.instanceEgress(target, '') };
      case 'transit-gateway':
        return { routed: true, internet: false, route, egress: this.transitEgress(target.id, vpcId) };
      case 'blackhole':
        return { routed: true, internet: false, route: `${route}, a blackhole`, egress: [] };
      case 'other':
        // A route we do not follow (a virtual private gateway, a firewall endpoint): keep the VPC's own
        // NAT gateways, as before routes were read, rather than pretend nothing leaves.
        return {
          routed: true,
          internet: false,
          route: `${route}, not followed`,
          egress: this.vpcNatEgress(vpcId, `of its VPC ${vpcId}`),
        };
    }
  }

  /** Endpoints of the VPC itself, then of the trusted VPCs on the same Transit Gateways. */
  endpointsOf(vpcId: string): EndpointPath[] {
    const paths: EndpointPath[] = (this.endpointsByVpc.get(vpcId) ?? []).map((endpoint) => ({
      ...endpointFields(endpoint),
      description: `endpoint ${endpoint.vpcEndpointId} of its VPC ${vpcId}`,
    }));
    for (const attachment of this.attachmentsByVpc.get(vpcId) ?? []) {
      for (const peer of this.trustedPeers(attachment.transitGatewayId, vpcId)) {
        for (const endpoint of this.endpointsByVpc.get(peer.vpcId) ?? []) {
          paths.push({
            ...endpointFields(endpoint),
            description: `endpoint ${endpoint.vpcEndpointId} in ${peer.vpcId} of account ${peer.ownerId ?? 'unknown'}, reached over ${attachment.transitGatewayId}`,
          });
        }
      }
    }
    return paths;
  }

  /** Every egress the VPC's route tables lead to, for the known networks of an account. */
  allEgressOf(vpcId: string): { egress: EgressPath[]; internet: boolean } {
    const tables = this.tablesByVpc.get(vpcId);
    if (tables === undefined) return { egress: this.vpcNatEgress(vpcId, `of VPC ${vpcId}`), internet: false };
    const egress: EgressPath[] = [];
    let internet = false;
    for (const table of tables) {
      const routed = this.egressOf(vpcId, table.subnetIds[0]);
      egress.push(...routed.egress);
      internet ||= routed.internet;
    }
    return { egress, internet };
  }

  private natGatewayEgress(natGatewayId: string): EgressPath[] {
    const nat = this.natsById.get(natGatewayId);
    return nat === undefined
      ? []
      : [{ description: `egress via NAT gateway ${natGatewayId}`, addresses: nat.publicIps }];
  }

  private vpcNatEgress(vpcId: string, what: string): EgressPath[] {
    return (this.natsByVpc.get(vpcId) ?? []).map((nat) => ({
      description: `NAT gateway ${nat.natGatewayId} ${what}`,
      addresses: nat.publicIps,
    }));
  }

  private instanceEgress(
    target: Extract<RouteTarget, { kind: 'instance' }>,
    suffix: string,
    hop = '',
  ): EgressPath[] {
    const instance =
      (target.instanceId === undefined ? undefined : this.instancesById.get(target.instanceId)) ??
      (target.networkInterfaceId === undefined
        ? undefined
        : this.instancesByInterface.get(target.networkInterfaceId));
    if (instance === undefined) return [];
    // EC2 lists both ids on a route to an instance; a route to an interface alone is an appliance's.
    const via =
      target.instanceId !== undefined
        ? `NAT instance ${instance.instanceId}`
        : `appliance interface ${target.networkInterfaceId ?? ''} of ${instance.instanceId}`;
    return [{ description: `egress via ${hop}${via}${suffix}`, addresses: instance.publicIps }];
  }

  /**
   * Central egress: the NAT gateways and egress instances of the other VPCs attached to the gateway,
   * in trusted accounts only (a Transit Gateway may be shared with partners we do not vouch for).
   */
  private transitEgress(transitGatewayId: string, fromVpcId: string): EgressPath[] {
    const egress: EgressPath[] = [];
    for (const peer of this.trustedPeers(transitGatewayId, fromVpcId)) {
      const suffix = ` in ${peer.vpcId} of account ${peer.ownerId ?? 'unknown'}`;
      for (const nat of this.natsByVpc.get(peer.vpcId) ?? []) {
        egress.push({
          description: `egress via ${transitGatewayId} to NAT gateway ${nat.natGatewayId}${suffix}`,
          addresses: nat.publicIps,
        });
      }
      for (const table of this.tablesByVpc.get(peer.vpcId) ?? []) {
        const target = table.defaultRoute;
        if (target?.kind !== 'instance') continue;
        egress.push(...this.instanceEgress(target, suffix, `${transitGatewayId} to `));
      }
    }
    return egress;
  }

  private trustedPeers(transitGatewayId: string, fromVpcId: string): AttachmentFact[] {
    return (this.attachmentsByGateway.get(transitGatewayId) ?? []).filter(
      (peer) =>
        peer.vpcId !== fromVpcId &&
        peer.ownerId !== undefined &&
        this.facts.trustedAccounts.has(peer.ownerId),
    );
  }
}

function targetName(target: RouteTarget): string {
  if (target.kind === 'instance') {
    return [target.instanceId, target.networkInterfaceId].filter((id) => id !== undefined).join(' / ');
  }
  return target.id;
}

function endpointFields(endpoint: EndpointFact): Omit<EndpointPath, 'description'> {
  return {
    vpcEndpointId: endpoint.vpcEndpointId,
    vpcId: endpoint.vpcId,
    ...(endpoint.ownerId !== undefined ? { ownerId: endpoint.ownerId } : {}),
  };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
