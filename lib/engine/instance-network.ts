import { cidrContains, normalizeAddress, parseAddress, parseCidr } from './ip-address';

/**
 * Where an instance's calls may legitimately come from: its own addresses, the NAT gateways of its
 * VPC, and the VPC endpoints of its VPC. Built from EC2's Describe* output, offline or live.
 */
export interface InstanceNetwork {
  readonly instanceId: string;
  readonly accountId?: string;
  readonly region?: string;
  readonly vpcId?: string;
  readonly subnetId?: string;
  readonly privateIps: readonly string[];
  readonly publicIps: readonly string[];
  readonly ipv6Addresses: readonly string[];
  /** Prefixes delegated to the instance's interfaces (EKS prefix delegation, IPv6 prefixes). */
  readonly prefixes: readonly string[];
  readonly natGatewayIps: readonly string[];
  readonly vpcEndpointIds: readonly string[];
  /** `inventory` for files on disk, `ec2` for a live lookup. */
  readonly source: 'inventory' | 'ec2';
}

/** Answers "is this address the instance's?" without re-parsing on every call. */
export class NetworkMatcher {
  private readonly addresses: ReadonlySet<string>;
  private readonly privateAddresses: ReadonlySet<string>;
  private readonly endpoints: ReadonlySet<string>;
  private readonly prefixes;

  constructor(readonly network: InstanceNetwork) {
    const normalize = (list: readonly string[]) =>
      list.map((ip) => normalizeAddress(ip)).filter((ip): ip is string => ip !== undefined);
    this.privateAddresses = new Set(normalize(network.privateIps));
    this.addresses = new Set([
      ...this.privateAddresses,
      ...normalize(network.publicIps),
      ...normalize(network.ipv6Addresses),
      ...normalize(network.natGatewayIps),
    ]);
    this.endpoints = new Set(network.vpcEndpointIds);
    this.prefixes = network.prefixes.map(parseCidr).filter((cidr) => cidr !== undefined);
  }

  /** An address the instance sends from directly, or its VPC's NAT gateways send for it. */
  ownsAddress(ip: string): boolean {
    if (this.addresses.has(ip)) return true;
    if (this.prefixes.length === 0) return false;
    const parsed = parseAddress(ip);
    return parsed !== undefined && this.prefixes.some((cidr) => cidrContains(cidr, parsed));
  }

  /** A private address of the instance itself, as seen by a VPC endpoint of its VPC. */
  ownsPrivateAddress(ip: string): boolean {
    if (this.privateAddresses.has(ip)) return true;
    if (this.prefixes.length === 0) return false;
    const parsed = parseAddress(ip);
    return parsed !== undefined && this.prefixes.some((cidr) => cidrContains(cidr, parsed));
  }

  ownsEndpoint(vpcEndpointId: string): boolean {
    return this.endpoints.has(vpcEndpointId);
  }
}
