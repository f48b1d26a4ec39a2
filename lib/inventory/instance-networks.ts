import type { InstanceNetwork } from '../engine/instance-network';
import type { Ec2Instance, InventoryDocuments } from './ec2-inventory-schema';

/**
 * Joins the three Describe* exports into one network per instance. NAT gateways and endpoints are
 * joined by VPC id, not by file or account: in a shared VPC the instance belongs to a participant
 * account while the NAT gateways and endpoints belong to the VPC owner, exported by another account.
 */
export function buildInstanceNetworks(documents: InventoryDocuments): Map<string, InstanceNetwork> {
  const natIpsByVpc = new Map<string, Set<string>>();
  for (const document of documents.natGateways) {
    for (const gateway of document.NatGateways) {
      // Deleted gateways are kept: a hunt over past logs must still recognise the addresses they had.
      if (gateway.VpcId === undefined || gateway.State === 'failed') continue;
      const ips = setIn(natIpsByVpc, gateway.VpcId);
      for (const address of gateway.NatGatewayAddresses) if (address.PublicIp) ips.add(address.PublicIp);
    }
  }
  const endpointsByVpc = new Map<string, Set<string>>();
  for (const document of documents.vpcEndpoints) {
    for (const endpoint of document.VpcEndpoints) {
      if (endpoint.VpcId !== undefined) setIn(endpointsByVpc, endpoint.VpcId).add(endpoint.VpcEndpointId);
    }
  }

  const networks = new Map<string, InstanceNetwork>();
  for (const document of documents.instances) {
    for (const reservation of document.Reservations) {
      for (const instance of reservation.Instances) {
        const network = networkOf(instance, reservation.OwnerId, natIpsByVpc, endpointsByVpc);
        const known = networks.get(instance.InstanceId);
        networks.set(instance.InstanceId, known === undefined ? network : merge(known, network));
      }
    }
  }
  return networks;
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
  return owners;
}

function networkOf(
  instance: Ec2Instance,
  ownerId: string | undefined,
  natIpsByVpc: ReadonlyMap<string, ReadonlySet<string>>,
  endpointsByVpc: ReadonlyMap<string, ReadonlySet<string>>,
): InstanceNetwork {
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
  const natGatewayIps = new Set<string>();
  const vpcEndpointIds = new Set<string>();
  for (const vpcId of vpcIds) {
    for (const ip of natIpsByVpc.get(vpcId) ?? []) natGatewayIps.add(ip);
    for (const id of endpointsByVpc.get(vpcId) ?? []) vpcEndpointIds.add(id);
  }
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
    natGatewayIps: [...natGatewayIps],
    vpcEndpointIds: [...vpcEndpointIds],
    source: 'inventory',
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
  };
}

function add(set: Set<string>, value: string | undefined): void {
  if (value) set.add(value);
}

function setIn(map: Map<string, Set<string>>, key: string): Set<string> {
  let set = map.get(key);
  if (set === undefined) {
    set = new Set();
    map.set(key, set);
  }
  return set;
}
