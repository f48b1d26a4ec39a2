import { cidrContains, normalizeAddress, parseAddress, parseCidr } from './ip-address';

/**
 * One way out of the instance's network: the addresses that part of the network sends from, and a
 * phrase a finding can quote ("egress via tgw-… to nat-… in account …").
 */
export interface EgressPath {
  readonly description: string;
  readonly addresses: readonly string[];
}

/** A VPC endpoint the instance reaches: one of its own VPC, or of a VPC on the same Transit Gateway. */
export interface EndpointPath {
  readonly vpcEndpointId: string;
  readonly vpcId?: string;
  readonly ownerId?: string;
  readonly description: string;
}

/**
 * Where an instance's calls may legitimately come from: its own addresses, the egress its subnet's
 * default route leads to, and the VPC endpoints it reaches. Built from EC2's Describe* output, offline
 * or live. `egress`, `endpoints` and `route` are absent when routes were not read (an older inventory,
 * an older cache item): `natGatewayIps` and `vpcEndpointIds` then hold every NAT gateway and endpoint
 * of the instance's VPC, as before routes were read.
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
  /** Every address of `egress` (or, without routes, of the VPC's NAT gateways). */
  readonly natGatewayIps: readonly string[];
  /** Every endpoint of `endpoints` (or, without routes, of the instance's VPC). */
  readonly vpcEndpointIds: readonly string[];
  /** `inventory` for files on disk, `ec2` for a live lookup. */
  readonly source: 'inventory' | 'ec2';
  /** The subnet's default route in words ("default route of subnet-… to tgw-…"), when routes were read. */
  readonly route?: string;
  readonly egress?: readonly EgressPath[];
  readonly endpoints?: readonly EndpointPath[];
}

/**
 * What the inventory knows of an account in a region, for instances it does not know (launched after it
 * was taken): every egress, public address and endpoint it holds for the account's VPCs there.
 */
export interface AccountNetwork {
  readonly accountId: string;
  readonly region: string;
  readonly egress: readonly EgressPath[];
  readonly endpoints: readonly EndpointPath[];
  /** Some subnet routes to an internet gateway: a new instance there may send from a fresh public address. */
  readonly publicSubnets: boolean;
}

/** Answers "is this address the instance's, and which part of the network says so?" without re-parsing. */
export class NetworkMatcher {
  private readonly addresses = new Map<string, string>();
  private readonly privateAddresses: ReadonlySet<string>;
  private readonly endpointPaths = new Map<string, EndpointPath>();
  private readonly prefixes;

  constructor(readonly network: InstanceNetwork) {
    const normalize = (list: readonly string[]) =>
      list.map((ip) => normalizeAddress(ip)).filter((ip): ip is string => ip !== undefined);
    const note = (list: readonly string[], description: string) => {
      for (const ip of normalize(list)) if (!this.addresses.has(ip)) this.addresses.set(ip, description);
    };
    this.privateAddresses = new Set(normalize(network.privateIps));
    note(network.privateIps, `its own address`);
    note(network.publicIps, `its own public address`);
    note(network.ipv6Addresses, `its own IPv6 address`);
    for (const path of network.egress ?? []) note(path.addresses, path.description);
    note(
      network.natGatewayIps,
      network.vpcId === undefined ? 'a NAT gateway of its VPC' : `a NAT gateway of its VPC ${network.vpcId}`,
    );
    for (const path of network.endpoints ?? []) this.endpointPaths.set(path.vpcEndpointId, path);
    for (const id of network.vpcEndpointIds) {
      if (!this.endpointPaths.has(id)) {
        this.endpointPaths.set(id, {
          vpcEndpointId: id,
          ...(network.vpcId !== undefined ? { vpcId: network.vpcId } : {}),
          description: `endpoint ${id} of its VPC`,
        });
      }
    }
    this.prefixes = network.prefixes.map(parseCidr).filter((cidr) => cidr !== undefined);
  }

  /** An address the instance sends from directly, or its egress sends for it. */
  ownsAddress(ip: string): boolean {
    return this.vouchingPath(ip) !== undefined;
  }

  /** Which part of the network sends from `ip` for the instance ("egress via nat-…"), if any. */
  vouchingPath(ip: string): string | undefined {
    const known = this.addresses.get(ip);
    if (known !== undefined) return known;
    return this.inPrefix(ip) ? 'a prefix delegated to its interface' : undefined;
  }

  /** A private address of the instance itself, as seen by an endpoint it reaches. */
  ownsPrivateAddress(ip: string): boolean {
    return this.privateAddresses.has(ip) || this.inPrefix(ip);
  }

  ownsEndpoint(vpcEndpointId: string): boolean {
    return this.endpointPaths.has(vpcEndpointId);
  }

  endpointPath(vpcEndpointId: string): EndpointPath | undefined {
    return this.endpointPaths.get(vpcEndpointId);
  }

  /** The instance's egress in words, for a finding that says what was expected. */
  describeEgress(): string {
    if (this.network.route !== undefined) {
      const paths = (this.network.egress ?? []).map((path) => path.description);
      return paths.length === 0 ? this.network.route : `${this.network.route}: ${paths.join('; ')}`;
    }
    return 'its own addresses and the NAT gateways of its VPC';
  }

  private inPrefix(ip: string): boolean {
    if (this.prefixes.length === 0) return false;
    const parsed = parseAddress(ip);
    return parsed !== undefined && this.prefixes.some((cidr) => cidrContains(cidr, parsed));
  }
}

/** The same questions about an account's known networks, for an instance the inventory does not know. */
export class AccountNetworkMatcher {
  private readonly addresses = new Map<string, string>();
  private readonly endpointPaths = new Map<string, EndpointPath>();

  constructor(readonly network: AccountNetwork) {
    for (const path of network.egress) {
      for (const ip of path.addresses) {
        const normalized = normalizeAddress(ip);
        if (normalized !== undefined && !this.addresses.has(normalized))
          this.addresses.set(normalized, path.description);
      }
    }
    for (const path of network.endpoints) this.endpointPaths.set(path.vpcEndpointId, path);
  }

  vouchingPath(ip: string): string | undefined {
    return this.addresses.get(ip);
  }

  endpointPath(vpcEndpointId: string): EndpointPath | undefined {
    return this.endpointPaths.get(vpcEndpointId);
  }

  get size(): number {
    return this.addresses.size;
  }
}
