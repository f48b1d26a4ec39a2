// The organisation day: what it holds (manifest, inventory, exceptions, log files) and how it is made.
import { isoSeconds, type CloudTrailRecord } from './cloudtrail-records';
import { inventoryExports, mergeExports, type InventoryExport } from './estate-inventory';
import { KeySchedule } from './key-schedule';
import { addLandingZone, describeLandingZoneTraps, type LandingZone } from './landing-zone';
import { landingZoneExports } from './landing-zone-inventory';
import { scopedExceptions } from './landing-zone-thefts';
import { generateFiles } from './log-delivery';
import { namedSessionEvents, type ExpectedNamedSession } from './named-sessions';
import { buildEstate, type Estate, type OrgAccount } from './organisation-estate';
import { planThefts } from './planted-thefts';
import { HOUR } from './scenario-events';
import {
  ScenarioOptionsError,
  resolveOptions,
  type OrganisationDayOptions,
  type ResolvedOptions,
} from './scenario-options';

/** One stolen-credential story: exactly one (access key, origin) pair, so exactly one finding. */
export interface PlantedTheft {
  readonly label: string;
  readonly story: string;
  readonly severity: 'HIGH' | 'MEDIUM';
  readonly accountId: string;
  readonly instanceId: string;
  readonly roleName: string;
  /** The region the stolen key was used in (the calls' region, not always the instance's). */
  readonly region: string;
  readonly accessKeyId: string;
  readonly sourceIp: string;
  readonly vpcEndpointId: string | null;
  readonly vpcEndpointAccountId: string | null;
  readonly firstSeen: string;
  readonly eventCount: number;
}

export interface ExpectedImdsv1 {
  readonly accountId: string;
  readonly region: string;
  readonly instanceId: string;
}

export interface ScenarioManifest {
  readonly seed: number;
  readonly start: string;
  readonly end: string;
  readonly accounts: readonly OrgAccount[];
  readonly regions: readonly string[];
  readonly thefts: readonly PlantedTheft[];
  /** Instances expected to get the LOW IMDSv1 finding, one each. */
  readonly imdsv1Instances: readonly ExpectedImdsv1[];
  /** The benign situations in the data that must not raise a finding. */
  readonly traps: readonly string[];
  /** Sessions merely named `i-…` used from elsewhere: one LOW SessionNamedLikeInstance finding each. */
  readonly namedSessions?: readonly ExpectedNamedSession[];
  /** The network account of the landing-zone layouts: exported with the inventory, it owns no victim. */
  readonly networkAccountId?: string;
}

/** An entry of exceptions.json; several matchers are ANDed (lib/engine/credential-exception.ts). */
export interface ScenarioException {
  readonly cidr: string;
  readonly accountId?: string;
  readonly roleName?: string;
  readonly vpcId?: string;
  readonly reason: string;
}

export type ScenarioFile =
  | {
      readonly kind: 'log';
      /** The S3 key: AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/<acct>_CloudTrail_<region>_<time>_<id>.json.gz */
      readonly key: string;
      readonly accountId: string;
      readonly region: string;
      readonly records: readonly CloudTrailRecord[];
      /** How many of the records belong to the previous five minutes (delivered late). */
      readonly lateRecords: number;
    }
  | { readonly kind: 'digest'; readonly key: string; readonly document: Record<string, unknown> };

export interface OrganisationDay {
  readonly options: ResolvedOptions;
  readonly start: number;
  readonly end: number;
  readonly estate: Estate;
  /** The landing-zone layouts, when the options ask for them. */
  readonly landingZone?: LandingZone;
  readonly inventory: readonly InventoryExport[];
  readonly exceptions: readonly ScenarioException[];
  readonly manifest: ScenarioManifest;
  /** Generates the log files lazily, in delivery order; each call starts over and yields the same files. */
  files(): Generator<ScenarioFile>;
}

export const EKS_POD_CIDR = '100.64.0.0/16';

/**
 * A day of an organisation's CloudTrail: a few accounts and regions, instances behind NAT, with public
 * and IPv6 addresses, VPC endpoints, EKS nodes, hourly credential rotation, AWS services acting with
 * the roles, lots of other principals, and seven planted thefts. Deterministic for a seed.
 */
export function generateOrganisationDay(input: OrganisationDayOptions = {}): OrganisationDay {
  const options = resolveOptions(input);
  const start = Date.parse(`${options.date}T00:00:00Z`) + options.startHour * HOUR;
  if (Number.isNaN(start)) throw new ScenarioOptionsError(`date "${options.date}" is not YYYY-MM-DD`);
  const end = start + options.hours * HOUR;
  const base = buildEstate(options);
  const zone = options.landingZone ? addLandingZone(base, options.seed) : undefined;
  const landingZone = zone?.landingZone;
  const estate = zone?.estate ?? base;
  const keys = new KeySchedule(options.seed, start, end);
  const thefts = planThefts(estate, keys, start, end, landingZone);
  const named =
    landingZone === undefined ? undefined : namedSessionEvents(options.seed, landingZone, start, end);
  const launchTime = isoSeconds(start - 40 * 24 * HOUR).replace('Z', '+00:00');
  const inventory = mergeExports([
    ...inventoryExports(estate, launchTime),
    ...(landingZone === undefined ? [] : landingZoneExports(landingZone, launchTime)),
  ]);
  const manifest: ScenarioManifest = {
    seed: options.seed,
    start: isoSeconds(start),
    end: isoSeconds(end),
    accounts: options.accounts,
    regions: options.regions,
    thefts: thefts.map((theft) => theft.manifest),
    imdsv1Instances: estate.instances
      .filter((instance) => instance.roleDelivery === '1.0')
      .map(({ accountId, region, instanceId }) => ({ accountId, region, instanceId })),
    traps: [
      ...describeTraps(estate),
      ...(landingZone === undefined ? [] : describeLandingZoneTraps(landingZone)),
    ],
    ...(named !== undefined ? { namedSessions: named.expected } : {}),
    ...(landingZone !== undefined ? { networkAccountId: landingZone.network.accountId } : {}),
  };
  const events = [...thefts.flatMap((theft) => theft.events), ...(named?.events ?? [])];
  return {
    options,
    start,
    end,
    estate,
    ...(landingZone !== undefined ? { landingZone } : {}),
    inventory,
    // Scoped to the node's account, VPC and role, as the README advises: a lone private range vouches
    // for less than it seems (and `detect` warns about it).
    exceptions: scopedExceptions(estate, EKS_POD_CIDR),
    manifest,
    files: () => generateFiles(options, estate, keys, events, start, end),
  };
}

function describeTraps(estate: Estate): string[] {
  const nodes = estate.instances.filter((instance) => instance.kind === 'eks-node').length;
  const traps = [
    'Hourly credential rotation: an EC2 AssumeRole delivery per instance and hour; the SDK keeps the old key for a few minutes.',
    'Instances behind NAT: two NAT gateways per VPC, one of them sending from two Elastic IPs (primary and secondary).',
    'Instances with public IPs, and IPv6 dual-stack instances calling from their IPv6 address.',
    "An S3 gateway endpoint and an STS interface endpoint in every VPC, used from the instances' private addresses.",
    "Cross-region calls: instances calling the other region's APIs through their NAT gateway, logged in that region's files.",
    'AWS services acting with instance roles (invokedBy set; sourceIPAddress "AWS Internal" or <service>.amazonaws.com).',
    "The EC2 instance identity role (<account>:aws:ec2-instance:i-…) used by the SSM agent from the instance's own address.",
    'Overlapping private ranges: prod and staging VPCs both use 10.0.0.0/16 and 10.1.0.0/16.',
    "Cross-account S3 reads of the shared-services artifacts bucket: one call logged in both accounts' files, same eventID.",
    'Unrelated principals (IAM users, SSO console sessions, Lambda and ECS task roles, service-linked roles, AWS services) outnumber instance credentials.',
    'Records delivered late, in the next file; CloudTrail-Digest files beside the logs.',
  ];
  if (nodes > 0) {
    traps.push(
      `EKS: ${nodes} node(s) with a delegated /28 prefix; pods in the prefix call through the VPC's endpoints (the instance's own addresses).`,
      `EKS: pods in the custom-networking pod CIDR ${EKS_POD_CIDR} use the node's credentials through the node VPC's STS and S3 endpoints: MEDIUM findings unless the shipped exception (${EKS_POD_CIDR}, scoped to the node's account, VPC and role) is loaded.`,
    );
  }
  return traps;
}
