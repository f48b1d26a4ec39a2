import type { AccountNetwork, EgressPath, EndpointPath, InstanceNetwork } from '../engine/instance-network';
import type { Ec2Instance, InventoryDocuments } from './ec2-inventory-schema';
import {
  RoutingIndex,
  routeTargetOf,
  type AttachmentFact,
  type EndpointFact,
  type InstanceFact,
  type NatGatewayFact,
  type RouteFact,
  type RoutingFacts,
} from './routed-network';

/**
 * Joins the Describe* exports into one network per instance. NAT gateways, endpoints and route tables
 * are joined by VPC id, not by file or account: in a shared VPC the instance belongs to a participant
 * account while the NAT gateways, endpoints and routes belong to the VPC owner, exported by another
 * account; with a Transit Gateway the egress belongs to the network account.
 */
export function buildInstanceNetworks(documents: InventoryDocuments): Map<string, InstanceNetwork> {
  const routing = new RoutingIndex(routingFactsOf(documents, ownerAccountsOf(documents)));
  const networks = new Map<string, InstanceNetwork>();
  for (const document of documents.instances) {
    for (const reservation of document.Reservations) {
      for (const instance of reservation.Instances) {
        const network = networkOf(instance, reservation.OwnerId, routing);
        const known = networks.get(instance.InstanceId);
        networks.set(instance.InstanceId, known === undefined ? network : merge(known, network));
      }
    }
  }
  return networks;
}

/** The facts routing is decided on, from the exports; every account that exported is trusted. */
export function routingFactsOf(
  documents: InventoryDocuments,
  trustedAccounts: ReadonlySet<string>,
): RoutingFacts {
  const natGateways: NatGatewayFact[] = [];
  for (const document of documents.natGateways) {
    for (const gateway of document.NatGateways) {
      // Deleted gateways are kept: a hunt over past logs must still recognise the addresses they had.
      if (gateway.VpcId === undefined || gateway.NatGatewayId === undefined || gateway.State === 'failed')
        continue;
      natGateways.push({
        natGatewayId: gateway.NatGatewayId,
        vpcId: gateway.VpcId,
        publicIps: gateway.NatGatewayAddresses.flatMap((address) =>
          address.PublicIp ? [address.PublicIp] : [],
        ),
      });
    }
  }
  const endpoints: EndpointFact[] = [];
  for (const document of documents.vpcEndpoints) {
    for (const endpoint of document.VpcEndpoints) {
      if (endpoint.VpcId === undefined) continue;
      endpoints.push({
        vpcEndpointId: endpoint.VpcEndpointId,
        vpcId: endpoint.VpcId,
        ...(endpoint.OwnerId ? { ownerId: endpoint.OwnerId } : {}),
      });
    }
  }
  const routeTables: RouteFact[] = [];
  for (const document of documents.routeTables ?? []) {
    for (const table of document.RouteTables) {
      if (table.VpcId === undefined) continue;
      const defaultRoute = table.Routes.map(routeTargetOf).find((target) => target !== undefined);
      routeTables.push({
        routeTableId: table.RouteTableId ?? 'rtb-unknown',
        vpcId: table.VpcId,
        ...(table.OwnerId ? { ownerId: table.OwnerId } : {}),
        main: table.Associations.some((association) => association.Main === true),
        subnetIds: table.Associations.flatMap((association) =>
          association.SubnetId ? [association.SubnetId] : [],
        ),
        ...(defaultRoute !== undefined ? { defaultRoute } : {}),
      });
    }
  }
  const attachments: AttachmentFact[] = [];
  for (const document of documents.transitGatewayAttachments ?? []) {
    for (const attachment of document.TransitGatewayAttachments) {
      // Deleting or deleted attachments carry nothing; pending ones soon will.
      if (attachment.ResourceType !== 'vpc' || attachment.ResourceId === undefined) continue;
      if (attachment.State === 'deleted' || attachment.State === 'failed' || attachment.State === 'rejected')
        continue;
      attachments.push({
        transitGatewayId: attachment.TransitGatewayId,
        vpcId: attachment.ResourceId,
        ...(attachment.ResourceOwnerId ? { ownerId: attachment.ResourceOwnerId } : {}),
      });
    }
  }
  const instances: InstanceFact[] = [];
  for (const document of documents.instances) {
    for (const reservation of document.Reservations) {
      for (const instance of reservation.Instances) {
        const { publicIps } = addressesOf(instance);
        instances.push({
          instanceId: instance.InstanceId,
          ...(reservation.OwnerId ? { accountId: reservation.OwnerId } : {}),
          networkInterfaceIds: (instance.NetworkInterfaces ?? []).flatMap((nic) =>
            nic.NetworkInterfaceId ? [nic.NetworkInterfaceId] : [],
          ),
          publicIps: [...publicIps],
        });
      }
    }
  }
  return { routeTables, natGateways, endpoints, attachments, instances, trustedAccounts };
}

/**
 * The known networks of each account in each region (key `account|region`): every egress, public
 * address and endpoint of the VPCs its known instances live in. An instance launched after the
 * inventory was taken is judged against these before anything it does can become its baseline.
 */
export function buildAccountNetworks(
  documents: InventoryDocuments,
  networks: ReadonlyMap<string, InstanceNetwork>,
): Map<string, AccountNetwork> {
  const routing = new RoutingIndex(routingFactsOf(documents, ownerAccountsOf(documents)));
  const grouped = new Map<string, { accountId: string; region: string; members: InstanceNetwork[] }>();
  for (const network of networks.values()) {
    if (network.accountId === undefined || network.region === undefined) continue;
    const key = accountNetworkKey(network.accountId, network.region);
    const group = grouped.get(key) ?? { accountId: network.accountId, region: network.region, members: [] };
    group.members.push(network);
    grouped.set(key, group);
  }
  const result = new Map<string, AccountNetwork>();
  for (const [key, { accountId, region, members }] of grouped) {
    const egress: EgressPath[] = [];
    const endpoints = new Map<string, EndpointPath>();
    let publicSubnets = false;
    const vpcIds = new Set(members.flatMap((member) => (member.vpcId === undefined ? [] : [member.vpcId])));
    for (const member of members) {
      if (member.publicIps.length > 0)
        egress.push({ description: `public address of ${member.instanceId}`, addresses: member.publicIps });
    }
    for (const vpcId of vpcIds) {
      const all = routing.allEgressOf(vpcId);
      publicSubnets ||= all.internet;
      for (const path of all.egress)
        egress.push({ ...path, description: `${path.description} (VPC ${vpcId})` });
      for (const path of routing.endpointsOf(vpcId)) endpoints.set(path.vpcEndpointId, path);
    }
    result.set(key, { accountId, region, egress, endpoints: [...endpoints.values()], publicSubnets });
  }
  return result;
}

export function accountNetworkKey(accountId: string, region: string): string {
  return `${accountId}|${region}`;
}

/** Accounts that own something in the inventory: the estate the user exported, hence trusted. */
export function ownerAccountsOf(documents: InventoryDocuments): Set<string> {
  const owners = new Set<string>();
  for (const document of documents.instances) {
    for (const reservation of document.Reservations) if (reservation.OwnerId) owners.add(reservation.OwnerId);
  }
  for (const document of documents.vpcEndpoints) {
    for (const endpoint of document.VpcEndpoints) if (endpoint.OwnerId) owners.add(endpoint.OwnerId);
  }
  // A network account may export only its routes, NAT gateways and attachments. An attachment's
  // resource owner is not an exporter: a Transit Gateway can be shared with a partner we do not trust.
  for (const document of documents.routeTables ?? []) {
    for (const table of document.RouteTables) if (table.OwnerId) owners.add(table.OwnerId);
  }
  return owners;
}

function addressesOf(instance: Ec2Instance) {
  const privateIps = new Set<string>();
  const publicIps = new Set<string>();
  const ipv6Addresses = new Set<string>();
  const prefixes = new Set<string>();
  const vpcIds = new Set<string>();
  add(privateIps, instance.PrivateIpAddress);
  add(publicIps, instance.PublicIpAddress);
  add(ipv6Addresses, instance.Ipv6Address);
  add(vpcIds, instance.VpcId);
  for (const nic of instance.NetworkInterfaces ?? []) {
    add(vpcIds, nic.VpcId);
    add(privateIps, nic.PrivateIpAddress);
    add(publicIps, nic.Association?.PublicIp);
    for (const address of nic.PrivateIpAddresses ?? []) {
      add(privateIps, address.PrivateIpAddress);
      add(publicIps, address.Association?.PublicIp);
    }
    for (const address of nic.Ipv6Addresses ?? []) add(ipv6Addresses, address.Ipv6Address);
    for (const prefix of nic.Ipv4Prefixes ?? []) add(prefixes, prefix.Ipv4Prefix);
    for (const prefix of nic.Ipv6Prefixes ?? []) add(prefixes, prefix.Ipv6Prefix);
  }
  return { privateIps, publicIps, ipv6Addresses, prefixes, vpcIds };
}

function networkOf(
  instance: Ec2Instance,
  ownerId: string | undefined,
  routing: RoutingIndex,
): InstanceNetwork {
  const { privateIps, publicIps, ipv6Addresses, prefixes, vpcIds } = addressesOf(instance);
  const vpcId = instance.VpcId ?? [...vpcIds][0];
  const subnetId = instance.SubnetId ?? instance.NetworkInterfaces?.find((nic) => nic.SubnetId)?.SubnetId;
  const region = regionOfZone(instance.Placement?.AvailabilityZone);
  return {
    instanceId: instance.InstanceId,
    ...(ownerId ? { accountId: ownerId } : {}),
    ...(region !== undefined ? { region } : {}),
    ...(vpcId !== undefined ? { vpcId } : {}),
    ...(subnetId !== undefined ? { subnetId } : {}),
    privateIps: [...privateIps],
    publicIps: [...publicIps],
    ipv6Addresses: [...ipv6Addresses],
    prefixes: [...prefixes],
    ...routedFields(routing, [...vpcIds], vpcId, subnetId),
    source: 'inventory',
  };
}

/**
 * The egress and endpoint fields of an instance's network. Without routes for its VPC, every NAT
 * gateway and endpoint of every VPC it has an interface in, as before routes were read.
 */
export function routedFields(
  routing: RoutingIndex,
  vpcIds: readonly string[],
  vpcId: string | undefined,
  subnetId: string | undefined,
): Pick<InstanceNetwork, 'natGatewayIps' | 'vpcEndpointIds' | 'route' | 'egress' | 'endpoints'> {
  const all = vpcId === undefined || vpcIds.includes(vpcId) ? vpcIds : [vpcId, ...vpcIds];
  const egress: EgressPath[] = [];
  const endpoints = new Map<string, EndpointPath>();
  let route: string | undefined;
  for (const id of all) {
    const routed = routing.egressOf(id, id === vpcId ? subnetId : undefined);
    if (id === vpcId) route = routed.route;
    egress.push(...routed.egress);
    for (const path of routing.endpointsOf(id))
      if (!endpoints.has(path.vpcEndpointId)) endpoints.set(path.vpcEndpointId, path);
  }
  const routed = vpcId !== undefined && routing.knowsRoutes(vpcId);
  return {
    natGatewayIps: [...new Set(egress.flatMap((path) => path.addresses))],
    vpcEndpointIds: [...endpoints.keys()],
    ...(routed && route !== undefined ? { route, egress, endpoints: [...endpoints.values()] } : {}),
  };
}

// us-east-1a -> us-east-1; local and wavelength zones (us-west-2-lax-1a) belong to their parent region.
const REGION_OF_ZONE = /^([a-z]{2}(?:-[a-z]+)+-\d+)/;

export function regionOfZone(zone: string | undefined): string | undefined {
  return zone === undefined ? undefined : REGION_OF_ZONE.exec(zone)?.[1];
}

/** The same instance in two exports (two snapshots, or a re-run): it may have used either's addresses. */
function merge(a: InstanceNetwork, b: InstanceNetwork): InstanceNetwork {
  const union = (x: readonly string[], y: readonly string[]) => [...new Set([...x, ...y])];
  return {
    ...b,
    ...a,
    privateIps: union(a.privateIps, b.privateIps),
    publicIps: union(a.publicIps, b.publicIps),
    ipv6Addresses: union(a.ipv6Addresses, b.ipv6Addresses),
    prefixes: union(a.prefixes, b.prefixes),
    natGatewayIps: union(a.natGatewayIps, b.natGatewayIps),
    vpcEndpointIds: union(a.vpcEndpointIds, b.vpcEndpointIds),
    ...(a.egress !== undefined || b.egress !== undefined
      ? { egress: [...(a.egress ?? []), ...(b.egress ?? [])] }
      : {}),
    ...(a.endpoints !== undefined || b.endpoints !== undefined
      ? { endpoints: [...(a.endpoints ?? []), ...(b.endpoints ?? [])] }
      : {}),
  };
}

function add(set: Set<string>, value: string | undefined): void {
  if (value) set.add(value);
}
