// The organisation's estate: its accounts, VPCs and instances, drawn from the seed.
import { RandomSource } from './random-source';

/** One account of the organisation. `affiliated` accounts (shared services) are trusted, never victims. */
export interface OrgAccount {
  readonly accountId: string;
  readonly name: string;
  readonly affiliated: boolean;
}

export const ORGANISATION_ACCOUNTS: readonly OrgAccount[] = [
  { accountId: '111111111111', name: 'prod', affiliated: false },
  { accountId: '222222222222', name: 'staging', affiliated: false },
  { accountId: '333333333333', name: 'shared-services', affiliated: true },
];

/** The named accounts first, then synthetic workload accounts to scale a benchmark out. */
export function organisationAccounts(count: number): OrgAccount[] {
  const accounts = ORGANISATION_ACCOUNTS.slice(0, count);
  for (let i = accounts.length; i < count; i++) {
    accounts.push({
      accountId: `4000000${String(i).padStart(5, '0')}`,
      name: `workload-${i}`,
      affiliated: false,
    });
  }
  return accounts;
}

export type InstanceKind = 'public' | 'dual-stack' | 'nat' | 'eks-node';

export interface Role {
  readonly name: string;
  readonly roleId: string;
  readonly arn: string;
}

export interface NatGatewayPlan {
  readonly natGatewayId: string;
  readonly zone: number;
  readonly subnetId: string;
  readonly publicIps: readonly string[];
  readonly privateIps: readonly string[];
  readonly allocationIds: readonly string[];
}

export interface VpcPlan {
  readonly accountId: string;
  readonly region: string;
  readonly vpcId: string;
  /** First two octets of the VPC's 10.x.0.0/16: org VPCs overlap, as they do in real estates. */
  readonly net: string;
  readonly ipv6Prefix: string;
  readonly privateSubnets: readonly [string, string];
  readonly publicSubnets: readonly [string, string];
  readonly natGateways: readonly NatGatewayPlan[];
  readonly s3EndpointId: string;
  readonly stsEndpointId: string;
  /**
   * The owner of the STS endpoint the VPC's instances use, when it is not the VPC's own: a centralised
   * interface endpoint in the network account, reached over a Transit Gateway (landing-zone.ts).
   */
  readonly stsEndpointAccountId?: string;
  readonly routeTableId: string;
}

export interface InstancePlan {
  readonly instanceId: string;
  readonly accountId: string;
  readonly region: string;
  readonly vpc: VpcPlan;
  readonly kind: InstanceKind;
  readonly zone: number;
  readonly subnetId: string;
  readonly privateIp: string;
  readonly publicIp?: string;
  readonly ipv6Address?: string;
  /** EKS prefix delegation: a /28 of the node's subnet handed to its pods. */
  readonly ipv4Prefix?: string;
  /** Pod addresses in the EKS pod CIDR (custom networking): no instance's address at all. */
  readonly podIps: readonly string[];
  readonly role: Role;
  /** `sessionContext.ec2RoleDelivery`: "1.0" for a legacy box still on IMDSv1. */
  readonly roleDelivery: '1.0' | '2.0';
  /** When, within each hour, EC2 refreshes this instance's credentials (ms). */
  readonly refreshOffsetMs: number;
  readonly app: string;
  /**
   * The public addresses its subnet's default route leads to when that is not a NAT gateway of its own
   * VPC: the network account's NAT gateways over a Transit Gateway, a NAT instance, an appliance.
   */
  readonly egressIps?: readonly string[];
  /** False for an instance launched after the inventory was taken: its export does not list it. */
  readonly inInventory?: boolean;
}

export interface Estate {
  readonly accounts: readonly OrgAccount[];
  readonly regions: readonly string[];
  readonly vpcs: readonly VpcPlan[];
  readonly instances: readonly InstancePlan[];
}

export interface EstateOptions {
  readonly seed: number;
  readonly accounts: readonly OrgAccount[];
  readonly regions: readonly string[];
  readonly instancesPerVpc: number;
  readonly eksNodes: number;
}

// Public ranges EC2 really hands out in these regions (all `unicast` to ipaddr.js). 18.x is left out:
// the planted "other AWS account" attacker sends from there.
const PUBLIC_POOLS: Readonly<Record<string, readonly (readonly [number, number, number])[]>> = {
  'us-east-1': [
    [3, 80, 95],
    [44, 192, 223],
    [52, 0, 3],
    [54, 80, 91],
  ],
  'eu-west-1': [
    [34, 240, 255],
    [52, 16, 19],
    [54, 72, 79],
  ],
};
const FALLBACK_POOL: readonly (readonly [number, number, number])[] = [
  [13, 40, 59],
  [35, 152, 183],
];
const IPV6_POOLS: Readonly<Record<string, string>> = { 'us-east-1': '2600:1f18', 'eu-west-1': '2a05:d018' };

const APPS = ['web', 'api', 'batch', 'reporting', 'worker', 'search'];

export function buildEstate(options: EstateOptions): Estate {
  const random = new RandomSource(options.seed, 'estate');
  const usedPublic = new Set<string>();
  const vpcs: VpcPlan[] = [];
  const instances: InstancePlan[] = [];
  const hexId = (prefix: string, length = 17) => `${prefix}-0${random.hex(length - 1)}`;

  const publicIp = (region: string): string => {
    const pool = PUBLIC_POOLS[region] ?? FALLBACK_POOL;
    for (;;) {
      const [first, low, high] = random.pick(pool);
      const ip = `${first}.${random.int(low, high)}.${random.int(0, 255)}.${random.int(1, 254)}`;
      if (!usedPublic.has(ip)) {
        usedPublic.add(ip);
        return ip;
      }
    }
  };

  options.accounts.forEach((account, accountIndex) => {
    const roles = new Map<string, Role>();
    const roleFor = (app: string): Role => {
      let role = roles.get(app);
      if (role === undefined) {
        const name = `${account.name}-${app}-InstanceRole-${random.chars(12, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}`;
        role = { name, roleId: random.iamId('AROA'), arn: `arn:aws:iam::${account.accountId}:role/${name}` };
        roles.set(app, role);
      }
      return role;
    };

    options.regions.forEach((region, regionIndex) => {
      // prod and staging reuse 10.0/10.1 (overlapping private ranges across accounts is the norm).
      const second = account.affiliated
        ? 8 + regionIndex
        : accountIndex < 2
          ? regionIndex
          : 16 + accountIndex * 4 + regionIndex;
      const net = `10.${second}`;
      const v6 = IPV6_POOLS[region] ?? '2600:1f14';
      const ipv6Prefix = `${v6}:${random.hex(3).replace(/^0/, 'a')}:${random.int(16, 255).toString(16)}`;
      const subnet = () => hexId('subnet');
      const natGateways: NatGatewayPlan[] = [0, 1].map((zone) => {
        // The second NAT gateway has a secondary Elastic IP: it sends from either address.
        const count = zone === 1 ? 2 : 1;
        return {
          natGatewayId: hexId('nat'),
          zone,
          subnetId: '',
          publicIps: Array.from({ length: count }, () => publicIp(region)),
          privateIps: Array.from({ length: count }, (_, i) => `${net}.${101 + zone}.${200 + i}`),
          allocationIds: Array.from({ length: count }, () => hexId('eipalloc')),
        };
      });
      const publicSubnets: [string, string] = [subnet(), subnet()];
      const vpc: VpcPlan = {
        accountId: account.accountId,
        region,
        vpcId: hexId('vpc'),
        net,
        ipv6Prefix,
        privateSubnets: [subnet(), subnet()],
        publicSubnets,
        natGateways: natGateways.map((nat) => ({ ...nat, subnetId: publicSubnets[nat.zone] ?? '' })),
        s3EndpointId: hexId('vpce'),
        stsEndpointId: hexId('vpce'),
        routeTableId: hexId('rtb'),
      };
      vpcs.push(vpc);

      const usedHosts = new Set<string>();
      const privateIp = (zone: number, isPublic: boolean): string => {
        for (;;) {
          const ip = `${net}.${(isPublic ? 101 : 1) + zone}.${random.int(10, 199)}`;
          if (!usedHosts.has(ip)) {
            usedHosts.add(ip);
            return ip;
          }
        }
      };
      const kinds: InstanceKind[] = Array.from({ length: options.instancesPerVpc }, (_, i) =>
        i === 0 ? 'public' : i === 1 ? 'dual-stack' : 'nat',
      );
      const isEksVpc = accountIndex === firstWorkloadIndex(options.accounts) && regionIndex === 0;
      if (isEksVpc) for (let i = 0; i < options.eksNodes; i++) kinds.push('eks-node');

      kinds.forEach((kind, index) => {
        const zone = index % 2;
        const isPublic = kind === 'public';
        const app = kind === 'eks-node' ? 'eks-node' : (APPS[index % APPS.length] ?? 'web');
        const nodeIndex = index - options.instancesPerVpc;
        const instance: InstancePlan = {
          instanceId: `i-0${random.hex(16)}`,
          accountId: account.accountId,
          region,
          vpc,
          kind,
          zone,
          subnetId: (isPublic ? vpc.publicSubnets : vpc.privateSubnets)[zone] ?? '',
          privateIp: privateIp(zone, isPublic),
          ...(isPublic ? { publicIp: publicIp(region) } : {}),
          ...(kind === 'dual-stack'
            ? {
                ipv6Address: `${ipv6Prefix}0${zone + 1}:${random.int(0x1000, 0xffff).toString(16)}:${random
                  .int(0x1000, 0xffff)
                  .toString(
                    16,
                  )}:${random.int(0x1000, 0xffff).toString(16)}:${random.int(0x1000, 0xffff).toString(16)}`,
              }
            : {}),
          ...(kind === 'eks-node'
            ? { ipv4Prefix: `${net}.${1 + zone}.${208 + (nodeIndex % 3) * 16}/28` }
            : {}),
          podIps:
            kind === 'eks-node'
              ? Array.from(
                  { length: 6 },
                  () => `100.64.${nodeIndex * 8 + random.int(0, 7)}.${random.int(2, 254)}`,
                )
              : [],
          role: roleFor(app),
          roleDelivery: isLegacyImdsv1(
            options.accounts,
            accountIndex,
            regionIndex,
            options.regions.length,
            index,
          )
            ? '1.0'
            : '2.0',
          refreshOffsetMs: random.int(2 * 60, 55 * 60) * 1000,
          app,
        };
        instances.push(instance);
      });
    });
  });
  return { accounts: options.accounts, regions: options.regions, vpcs, instances };
}

/**
 * The legacy boxes still on IMDSv1: the first workload account's third instance in the first region
 * (also the victim of the planted outside-AWS theft, as in Stratus Red Team's detonation), and the
 * second workload account's fourth instance in the last region.
 */
function isLegacyImdsv1(
  accounts: readonly OrgAccount[],
  accountIndex: number,
  regionIndex: number,
  regionCount: number,
  index: number,
): boolean {
  const workloads = accounts.flatMap((account, i) => (account.affiliated ? [] : [i]));
  if (accountIndex === workloads[0]) return regionIndex === 0 && index === 2;
  if (accountIndex === workloads[1]) return regionIndex === regionCount - 1 && index === 3;
  return false;
}

export function firstWorkloadIndex(accounts: readonly OrgAccount[]): number {
  return Math.max(
    0,
    accounts.findIndex((account) => !account.affiliated),
  );
}
