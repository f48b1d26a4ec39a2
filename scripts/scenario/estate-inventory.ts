// The inventory of an estate as the AWS CLI exports it (describe-instances, -nat-gateways, -vpc-endpoints).
import type { Estate, InstancePlan, VpcPlan } from './organisation-estate';
import { RandomSource } from './random-source';

/** The three AWS CLI exports of one account and region, shaped like `aws ec2 describe-… --output json`. */
export interface InventoryExport {
  readonly accountId: string;
  readonly region: string;
  readonly command:
    | 'describe-instances'
    | 'describe-nat-gateways'
    | 'describe-vpc-endpoints'
    | 'describe-route-tables'
    | 'describe-transit-gateway-attachments';
  readonly document: Record<string, unknown>;
}

// The list each command's document holds: exports of one account, region and command are one file.
const LIST_OF: Readonly<Record<InventoryExport['command'], string>> = {
  'describe-instances': 'Reservations',
  'describe-nat-gateways': 'NatGateways',
  'describe-vpc-endpoints': 'VpcEndpoints',
  'describe-route-tables': 'RouteTables',
  'describe-transit-gateway-attachments': 'TransitGatewayAttachments',
};

/** Joins exports of the same account, region and command into one document, as one CLI call prints. */
export function mergeExports(exports: readonly InventoryExport[]): InventoryExport[] {
  const merged = new Map<string, InventoryExport>();
  for (const entry of exports) {
    const id = `${entry.accountId}|${entry.region}|${entry.command}`;
    const known = merged.get(id);
    const list = LIST_OF[entry.command];
    if (known === undefined) {
      merged.set(id, entry);
      continue;
    }
    const items = (document: Record<string, unknown>) => (document[list] as unknown[] | undefined) ?? [];
    merged.set(id, { ...known, document: { [list]: [...items(known.document), ...items(entry.document)] } });
  }
  return [...merged.values()];
}

export function inventoryExports(estate: Estate, launchTime: string): InventoryExport[] {
  const exports: InventoryExport[] = [];
  for (const vpc of estate.vpcs) {
    const instances = estate.instances.filter(
      (instance) => instance.vpc === vpc && instance.inInventory !== false,
    );
    const random = new RandomSource(vpc.vpcId, 'inventory');
    exports.push({
      accountId: vpc.accountId,
      region: vpc.region,
      command: 'describe-instances',
      document: {
        Reservations: instances.map((instance) => ({
          Groups: [],
          Instances: [describeInstance(instance, launchTime, random)],
          OwnerId: instance.accountId,
          ReservationId: `r-0${random.hex(16)}`,
        })),
      },
    });
    exports.push({
      accountId: vpc.accountId,
      region: vpc.region,
      command: 'describe-nat-gateways',
      document: {
        NatGateways: vpc.natGateways.map((nat) => ({
          CreateTime: launchTime,
          NatGatewayAddresses: nat.publicIps.map((publicIp, i) => ({
            AllocationId: nat.allocationIds[i],
            NetworkInterfaceId: `eni-0${random.hex(16)}`,
            PrivateIp: nat.privateIps[i],
            PublicIp: publicIp,
            AssociationId: `eipassoc-0${random.hex(16)}`,
            IsPrimary: i === 0,
            Status: 'succeeded',
          })),
          NatGatewayId: nat.natGatewayId,
          State: 'available',
          SubnetId: nat.subnetId,
          VpcId: vpc.vpcId,
          Tags: [{ Key: 'Name', Value: `nat-${zoneName(vpc.region, nat.zone)}` }],
          ConnectivityType: 'public',
        })),
      },
    });
    exports.push({
      accountId: vpc.accountId,
      region: vpc.region,
      command: 'describe-vpc-endpoints',
      document: {
        VpcEndpoints: [
          {
            VpcEndpointId: vpc.s3EndpointId,
            VpcEndpointType: 'Gateway',
            VpcId: vpc.vpcId,
            ServiceName: `com.amazonaws.${vpc.region}.s3`,
            State: 'available',
            PolicyDocument:
              '{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}',
            RouteTableIds: [vpc.routeTableId],
            SubnetIds: [],
            Groups: [],
            PrivateDnsEnabled: false,
            RequesterManaged: false,
            NetworkInterfaceIds: [],
            DnsEntries: [],
            CreationTimestamp: launchTime,
            Tags: [],
            OwnerId: vpc.accountId,
          },
          ...(vpc.stsEndpointAccountId !== undefined && vpc.stsEndpointAccountId !== vpc.accountId
            ? []
            : [stsEndpointExport(vpc, launchTime, random)]),
        ],
      },
    });
  }
  return mergeExports(exports);
}

function stsEndpointExport(vpc: VpcPlan, launchTime: string, random: RandomSource): Record<string, unknown> {
  return {
    VpcEndpointId: vpc.stsEndpointId,
    VpcEndpointType: 'Interface',
    VpcId: vpc.vpcId,
    ServiceName: `com.amazonaws.${vpc.region}.sts`,
    State: 'available',
    RouteTableIds: [],
    SubnetIds: [...vpc.privateSubnets],
    Groups: [{ GroupId: `sg-0${random.hex(16)}`, GroupName: 'vpc-endpoints' }],
    IpAddressType: 'ipv4',
    DnsOptions: { DnsRecordIpType: 'ipv4' },
    PrivateDnsEnabled: true,
    RequesterManaged: false,
    NetworkInterfaceIds: [`eni-0${random.hex(16)}`, `eni-0${random.hex(16)}`],
    DnsEntries: [
      {
        DnsName: `${vpc.stsEndpointId}-${random.chars(8, 'abcdefghijklmnopqrstuvwxyz0123456789')}.sts.${vpc.region}.vpce.amazonaws.com`,
        HostedZoneId: 'Z7HUB22UULQXV',
      },
    ],
    CreationTimestamp: launchTime,
    Tags: [],
    OwnerId: vpc.accountId,
  };
}

export function zoneName(region: string, zone: number): string {
  return `${region}${zone === 0 ? 'a' : 'b'}`;
}

function describeInstance(
  instance: InstancePlan,
  launchTime: string,
  random: RandomSource,
): Record<string, unknown> {
  const dns = (ip: string) =>
    instance.region === 'us-east-1'
      ? `ip-${ip.replaceAll('.', '-')}.ec2.internal`
      : `ip-${ip.replaceAll('.', '-')}.${instance.region}.compute.internal`;
  const association =
    instance.publicIp === undefined
      ? {}
      : {
          Association: {
            IpOwnerId: 'amazon',
            PublicDnsName:
              instance.region === 'us-east-1'
                ? `ec2-${instance.publicIp.replaceAll('.', '-')}.compute-1.amazonaws.com`
                : `ec2-${instance.publicIp.replaceAll('.', '-')}.${instance.region}.compute.amazonaws.com`,
            PublicIp: instance.publicIp,
          },
        };
  return {
    AmiLaunchIndex: 0,
    ImageId: `ami-0${random.hex(16)}`,
    InstanceId: instance.instanceId,
    InstanceType:
      instance.kind === 'eks-node' ? 'm6i.xlarge' : random.pick(['t3.medium', 'm6i.large', 'c6i.large']),
    LaunchTime: launchTime,
    Monitoring: { State: 'disabled' },
    Placement: {
      AvailabilityZone: zoneName(instance.region, instance.zone),
      GroupName: '',
      Tenancy: 'default',
    },
    PrivateDnsName: dns(instance.privateIp),
    PrivateIpAddress: instance.privateIp,
    ProductCodes: [],
    PublicDnsName: '',
    ...(instance.publicIp !== undefined ? { PublicIpAddress: instance.publicIp } : {}),
    State: { Code: 16, Name: 'running' },
    StateTransitionReason: '',
    SubnetId: instance.subnetId,
    VpcId: instance.vpc.vpcId,
    Architecture: 'x86_64',
    EbsOptimized: true,
    EnaSupport: true,
    Hypervisor: 'xen',
    IamInstanceProfile: {
      Arn: `arn:aws:iam::${instance.accountId}:instance-profile/${instance.role.name}`,
      Id: random.iamId('AIPA'),
    },
    NetworkInterfaces: [
      {
        ...association,
        Attachment: {
          AttachTime: launchTime,
          AttachmentId: `eni-attach-0${random.hex(16)}`,
          DeleteOnTermination: true,
          DeviceIndex: 0,
          Status: 'attached',
          NetworkCardIndex: 0,
        },
        Description: '',
        Groups: [{ GroupId: `sg-0${random.hex(16)}`, GroupName: instance.app }],
        Ipv6Addresses:
          instance.ipv6Address === undefined
            ? []
            : [{ Ipv6Address: instance.ipv6Address, IsPrimaryIpv6: false }],
        MacAddress: `0e:${random.hex(2)}:${random.hex(2)}:${random.hex(2)}:${random.hex(2)}:${random.hex(2)}`,
        NetworkInterfaceId: `eni-0${random.hex(16)}`,
        OwnerId: instance.accountId,
        PrivateDnsName: dns(instance.privateIp),
        PrivateIpAddress: instance.privateIp,
        PrivateIpAddresses: [
          {
            ...association,
            Primary: true,
            PrivateDnsName: dns(instance.privateIp),
            PrivateIpAddress: instance.privateIp,
          },
        ],
        SourceDestCheck: true,
        Status: 'in-use',
        SubnetId: instance.subnetId,
        VpcId: instance.vpc.vpcId,
        InterfaceType: 'interface',
        ...(instance.ipv4Prefix !== undefined ? { Ipv4Prefixes: [{ Ipv4Prefix: instance.ipv4Prefix }] } : {}),
      },
    ],
    RootDeviceName: '/dev/xvda',
    RootDeviceType: 'ebs',
    ...(instance.ipv6Address !== undefined ? { Ipv6Address: instance.ipv6Address } : {}),
    MetadataOptions: {
      State: 'applied',
      HttpTokens: instance.roleDelivery === '1.0' ? 'optional' : 'required',
      HttpPutResponseHopLimit: instance.kind === 'eks-node' ? 2 : 1,
      HttpEndpoint: 'enabled',
      HttpProtocolIpv6: 'disabled',
      InstanceMetadataTags: 'disabled',
    },
    Tags: [{ Key: 'Name', Value: `${instance.app}-${instance.instanceId.slice(-4)}` }],
  };
}
