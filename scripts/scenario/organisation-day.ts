import {
  Api,
  USER_AGENTS,
  apiCallRecord,
  ec2DeliveryRecord,
  instanceIdentity,
  isoSeconds,
  type ApiCall,
  type CloudTrailRecord,
} from './cloudtrail-records';
import {
  addLandingZone,
  describeLandingZoneTraps,
  landingZoneExports,
  type LandingZone,
} from './landing-zone';
import { planLandingZoneThefts, scopedExceptions } from './landing-zone-thefts';
import { namedSessionEvents, type ExpectedNamedSession } from './named-sessions';
import { noiseRecords } from './noise-records';
import {
  ORGANISATION_ACCOUNTS,
  buildEstate,
  inventoryExports,
  mergeExports,
  organisationAccounts,
  type Estate,
  type InstancePlan,
  type InventoryExport,
  type OrgAccount,
} from './organisation-estate';
import { RandomSource } from './random-source';

export interface OrganisationDayOptions {
  readonly seed?: number;
  /** The UTC day, YYYY-MM-DD. */
  readonly date?: string;
  readonly startHour?: number;
  /** At least 3: the thefts need a rotated key that is reused hours later. */
  readonly hours?: number;
  /** A number of accounts (prod, staging, shared-services, then synthetic ones) or the accounts. */
  readonly accounts?: number | readonly OrgAccount[];
  readonly regions?: readonly string[];
  /** At least 5: one public, one dual-stack, the rest behind NAT; the thefts pick distinct victims. */
  readonly instancesPerVpc?: number;
  /** EKS nodes in the first workload account's first-region VPC. */
  readonly eksNodes?: number;
  /** Calls per instance and hour (its profile credentials; identity-role and delivery records come on top). */
  readonly callsPerInstanceHour?: number;
  /** Records of unrelated principals per instance-credential record. */
  readonly noiseRatio?: number;
  /** Share of records CloudTrail delivers in the next file. */
  readonly lateDeliveryRate?: number;
  /**
   * The landing-zone layouts (landing-zone.ts): central egress and endpoints over a Transit Gateway of
   * an exported network account, a NAT instance, an appliance, an instance missing from the inventory,
   * scoped exceptions over overlapping ranges and sessions merely named `i-…`, with their thefts.
   */
  readonly landingZone?: boolean;
}

export type ResolvedOptions = Required<Omit<OrganisationDayOptions, 'accounts'>> & {
  readonly accounts: readonly OrgAccount[];
};

export const DEFAULT_OPTIONS: ResolvedOptions = {
  seed: 20250314,
  date: '2025-03-14',
  startHour: 0,
  hours: 24,
  accounts: ORGANISATION_ACCOUNTS,
  regions: ['us-east-1', 'eu-west-1'],
  instancesPerVpc: 5,
  eksNodes: 2,
  callsPerInstanceHour: 30,
  noiseRatio: 2,
  lateDeliveryRate: 0.01,
  landingZone: true,
};

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

export class ScenarioOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioOptionsError';
  }
}

export const HOUR = 3_600_000;
const MINUTE = 60_000;
const SLOT = 5 * MINUTE;

export const EKS_POD_CIDR = '100.64.0.0/16';
export const ATTACKER_ACCOUNT = '999999999999';
const ATTACKER_ENDPOINT = 'vpce-0a77ac4e5e1b2c3d4';

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

function resolveOptions(input: OrganisationDayOptions): ResolvedOptions {
  const accounts =
    typeof input.accounts === 'number'
      ? organisationAccounts(input.accounts)
      : (input.accounts ?? DEFAULT_OPTIONS.accounts);
  const options: ResolvedOptions = { ...DEFAULT_OPTIONS, ...input, accounts };
  if (options.hours < 3)
    throw new ScenarioOptionsError('hours must be at least 3 (a rotated key is reused hours later)');
  if (options.instancesPerVpc < 5) throw new ScenarioOptionsError('instancesPerVpc must be at least 5');
  if (options.regions.length === 0) throw new ScenarioOptionsError('at least one region is needed');
  if (!accounts.some((account) => !account.affiliated))
    throw new ScenarioOptionsError('a workload account is needed');
  if (!accounts.some((account) => account.affiliated)) {
    throw new ScenarioOptionsError(
      'an affiliated (shared-services) account is needed for the affiliated-endpoint theft',
    );
  }
  return options;
}

/**
 * Which key an instance uses when. EC2 delivers a fresh key about hourly (at a fixed offset per
 * instance); the SDK switches to it a few minutes later; the old key stays valid for hours.
 */
export class KeySchedule {
  private readonly profileKeys = new Map<string, string>();
  private readonly identityKeys = new Map<string, string>();
  private readonly lagOverrides = new Map<string, number>();

  constructor(
    private readonly seed: number,
    private readonly start: number,
    readonly end: number,
  ) {}

  delivery(instance: InstancePlan, k: number): number {
    return this.start + k * HOUR + instance.refreshOffsetMs;
  }

  switchTime(instance: InstancePlan, k: number): number {
    const override = this.lagOverrides.get(`${instance.instanceId}|${k}`);
    const lag = override ?? new RandomSource(this.seed, 'lag', instance.instanceId, k).int(60, 240) * 1000;
    return this.delivery(instance, k) + lag;
  }

  /** The planted "attacker first" theft needs the instance to be slow to switch. */
  setLag(instance: InstancePlan, k: number, lagMs: number): void {
    this.lagOverrides.set(`${instance.instanceId}|${k}`, lagMs);
  }

  /** The key index in use at `time`; -1 is the key delivered before the window (its delivery is not logged). */
  indexAt(instance: InstancePlan, time: number): number {
    const k = Math.floor((time - this.start - instance.refreshOffsetMs) / HOUR);
    return time < this.switchTime(instance, k) ? k - 1 : k;
  }

  profileKey(instance: InstancePlan, k: number): string {
    const id = `${instance.instanceId}|${k}`;
    let key = this.profileKeys.get(id);
    if (key === undefined) {
      key = new RandomSource(this.seed, 'profile-key', id).iamId('ASIA');
      this.profileKeys.set(id, key);
    }
    return key;
  }

  /** The instance identity role's key at `time`, and when it was issued (no delivery record exists for it). */
  identityKey(instance: InstancePlan, time: number): { accessKeyId: string; issuedAt: number } {
    const offset = (instance.refreshOffsetMs + 30 * MINUTE) % HOUR;
    const h = Math.floor((time - this.start - offset) / HOUR);
    const id = `${instance.instanceId}|${h}`;
    let key = this.identityKeys.get(id);
    if (key === undefined) {
      key = new RandomSource(this.seed, 'identity-key', id).iamId('ASIA');
      this.identityKeys.set(id, key);
    }
    return { accessKeyId: key, issuedAt: this.start + h * HOUR + offset };
  }
}

/** A record routed to the log file of one account and region. */
export interface Routed {
  readonly accountId: string;
  readonly region: string;
  readonly record: CloudTrailRecord;
}

/** One call of the scenario outside an instance's own hourly traffic: a theft's, a named session's. */
export interface ScenarioEvent {
  readonly time: number;
  readonly build: (random: RandomSource) => Routed;
}

interface TheftPlan {
  readonly manifest: PlantedTheft;
  readonly events: readonly ScenarioEvent[];
}

/** Where a stolen key is used from: an address, and the VPC endpoint it went through, if any. */
export interface TheftOrigin {
  readonly sourceIp: string;
  readonly region: string;
  readonly endpoint?: { readonly id: string; readonly accountId: string };
  readonly userAgent: string;
}

/**
 * What a module planting thefts is given (landing-zone-thefts.ts; more kinds plug in the same way):
 * the estate, the key schedule and `plant`, which makes one (key, origin) pair, hence one finding.
 */
export interface TheftContext {
  readonly estate: Estate;
  readonly keys: KeySchedule;
  readonly start: number;
  readonly end: number;
  readonly hours: number;
  /** The `index`-th instance of an account in a region. */
  readonly victim: (accountId: string, region: string, index: number) => InstancePlan;
  /** The latest key index (at most `preferred`, not stolen yet) whose switch plus `offset` fits the window. */
  readonly fit: (instance: InstancePlan, preferred: number, offset: number) => number;
  readonly plant: (
    label: string,
    story: string,
    severity: 'HIGH' | 'MEDIUM',
    instance: InstancePlan,
    k: number,
    origin: TheftOrigin,
    calls: readonly (readonly [number, ApiCall])[],
  ) => void;
  readonly bucketOf: (instance: InstancePlan) => string;
}

function planThefts(
  estate: Estate,
  keys: KeySchedule,
  start: number,
  end: number,
  landingZone: LandingZone | undefined,
): TheftPlan[] {
  const workloads = estate.accounts.filter((account) => !account.affiliated);
  const affiliated = estate.accounts.find((account) => account.affiliated);
  const [prod] = workloads;
  if (prod === undefined || affiliated === undefined) throw new ScenarioOptionsError('accounts are missing');
  const second = workloads[1] ?? prod;
  const firstRegion = estate.regions[0] ?? '';
  const lastRegion = estate.regions[estate.regions.length - 1] ?? firstRegion;
  const hours = Math.round((end - start) / HOUR);
  const victim = (accountId: string, region: string, index: number): InstancePlan => {
    const found = estate.instances.filter((i) => i.accountId === accountId && i.region === region)[index];
    if (found === undefined) throw new ScenarioOptionsError(`no instance ${index} in ${accountId} ${region}`);
    return found;
  };
  // The latest key index (at most `preferred`) whose switch plus `offset` still ends inside the window.
  const stolen = new Set<string>();
  const fit = (instance: InstancePlan, preferred: number, offset: number): number => {
    let k = preferred;
    while (
      k > 0 &&
      (keys.switchTime(instance, k) + offset > end - 10 * MINUTE || stolen.has(keys.profileKey(instance, k)))
    )
      k--;
    return k;
  };

  const plans: TheftPlan[] = [];
  const plant = (
    label: string,
    story: string,
    severity: 'HIGH' | 'MEDIUM',
    instance: InstancePlan,
    k: number,
    origin: TheftOrigin,
    calls: readonly (readonly [number, ApiCall])[],
  ) => {
    const accessKeyId = keys.profileKey(instance, k);
    if (stolen.has(accessKeyId))
      throw new ScenarioOptionsError(`theft ${label} reuses a stolen key; use more hours`);
    stolen.add(accessKeyId);
    const issuedAt = keys.delivery(instance, k);
    const firstTime = Math.min(...calls.map(([time]) => time));
    if (calls.some(([time]) => time >= end || time < start)) {
      throw new ScenarioOptionsError(`theft ${label} does not fit in the window; use more hours`);
    }
    plans.push({
      manifest: {
        label,
        story,
        severity,
        accountId: instance.accountId,
        instanceId: instance.instanceId,
        roleName: instance.role.name,
        region: origin.region,
        accessKeyId,
        sourceIp: origin.sourceIp,
        vpcEndpointId: origin.endpoint?.id ?? null,
        vpcEndpointAccountId: origin.endpoint?.accountId ?? null,
        firstSeen: isoSeconds(firstTime),
        eventCount: calls.length,
      },
      events: calls.map(([time, api]) => ({
        time,
        build: (random) => ({
          accountId: instance.accountId,
          region: origin.region,
          record: apiCallRecord(random, api, {
            time,
            region: origin.region,
            recipientAccountId: instance.accountId,
            userIdentity: instanceIdentity(instance, accessKeyId, issuedAt, 'profile'),
            sourceIp: origin.sourceIp,
            userAgent: origin.userAgent,
            ...(origin.endpoint !== undefined ? { vpcEndpoint: origin.endpoint } : {}),
          }),
        }),
      })),
    });
  };
  const bucketOf = (instance: InstancePlan) =>
    `${accountName(estate, instance.accountId)}-${instance.app}-data-${instance.region}`;

  // (1) Stratus Red Team's story: SSRF on an IMDSv1 box, key used from a host outside AWS.
  {
    const instance = victim(prod.accountId, firstRegion, 2);
    const k = fit(instance, Math.floor(hours * 0.3), 30 * MINUTE);
    const t = keys.switchTime(instance, k) + 25 * MINUTE;
    plant(
      'outside-aws',
      `Credentials of ${instance.instanceId} (IMDSv1) read through an SSRF bug and used from 185.220.101.47, a host outside AWS.`,
      'HIGH',
      instance,
      k,
      { sourceIp: '185.220.101.47', region: firstRegion, userAgent: USER_AGENTS.awsCli },
      [
        [t, Api.getCallerIdentity()],
        [t + 4_000, Api.describeInstances()],
        [t + 9_000, Api.listBuckets(firstRegion)],
        [
          t + 15_000,
          Api.object(
            'GetObject',
            instance.accountId,
            bucketOf(instance),
            'exports/customers.csv',
            firstRegion,
            48_211,
          ),
        ],
      ],
    );
  }
  // (2) The attacker polls IMDS and uses the fresh key before the instance's SDK switches to it.
  {
    const instance = victim(prod.accountId, firstRegion, 3);
    const k = Math.max(1, fit(instance, Math.floor(hours * 0.5), 12 * MINUTE));
    keys.setLag(instance, k, 150_000);
    const t = keys.delivery(instance, k) + 20_000;
    plant(
      'attacker-first',
      `The fresh key of ${instance.instanceId} used from 45.137.21.9 twenty seconds after EC2 delivered it, before the instance itself: first-seen alone would trust the attacker, the inventory does not.`,
      'HIGH',
      instance,
      k,
      { sourceIp: '45.137.21.9', region: firstRegion, userAgent: USER_AGENTS.attackerGo },
      [
        [t, Api.getCallerIdentity()],
        [t + 15_000, Api.listBuckets(firstRegion)],
        [t + 50_000, Api.getSecretValue(instance.accountId, firstRegion, 'prod/db/master-AbCdEf')],
        [t + 9 * MINUTE, Api.describeInstances()],
      ],
    );
  }
  // (3) From an EC2 host in someone else's AWS account, calling another region than the instance's.
  {
    const instance = victim(prod.accountId, firstRegion, 0);
    const k = fit(instance, Math.floor(hours * 0.4), 12 * MINUTE);
    const t = keys.switchTime(instance, k) + 10 * MINUTE;
    plant(
      'other-aws-account',
      `Credentials of ${instance.instanceId} used from 18.206.107.24, an EC2 host of another AWS account, against ${lastRegion}.`,
      'HIGH',
      instance,
      k,
      { sourceIp: '18.206.107.24', region: lastRegion, userAgent: USER_AGENTS.attackerGo },
      [
        [t, Api.getCallerIdentity()],
        [t + 2_000, Api.describeInstances()],
        [t + 61_000, Api.describeInstances()],
      ],
    );
  }
  // (4) Through the attacker's own S3 endpoint, from a private address equal to the victim's own.
  {
    const instance = victim(prod.accountId, firstRegion, 4);
    const k = fit(instance, Math.floor(hours * 0.6), 20 * MINUTE);
    const t = keys.switchTime(instance, k) + 15 * MINUTE;
    const endpoint = { id: ATTACKER_ENDPOINT, accountId: ATTACKER_ACCOUNT };
    plant(
      'attacker-vpc-endpoint',
      `Credentials of ${instance.instanceId} used through VPC endpoint ${ATTACKER_ENDPOINT} of account ${ATTACKER_ACCOUNT} (outside the organisation), from ${instance.privateIp} — the victim's own private address, reused in the attacker's VPC.`,
      'HIGH',
      instance,
      k,
      { sourceIp: instance.privateIp, region: firstRegion, endpoint, userAgent: USER_AGENTS.awsCli },
      [
        [t, Api.listBuckets(firstRegion)],
        [
          t + 3_000,
          Api.object(
            'GetObject',
            instance.accountId,
            bucketOf(instance),
            'backups/2025-03-13.tar.gz',
            firstRegion,
            7_340_032,
          ),
        ],
        [
          t + 6_000,
          Api.object(
            'GetObject',
            instance.accountId,
            bucketOf(instance),
            'backups/2025-03-12.tar.gz',
            firstRegion,
            7_301_120,
          ),
        ],
      ],
    );
  }
  // (5) One quiet GetCallerIdentity: a thief checking that the key works, then gone.
  {
    const instance =
      second === prod ? victim(prod.accountId, lastRegion, 2) : victim(second.accountId, firstRegion, 2);
    const k = fit(instance, Math.floor(hours * 0.7), 40 * MINUTE);
    const t = keys.switchTime(instance, k) + 33 * MINUTE;
    plant(
      'single-quiet-call',
      `One GetCallerIdentity with the key of ${instance.instanceId} from 91.240.118.172, nothing else.`,
      'HIGH',
      instance,
      k,
      { sourceIp: '91.240.118.172', region: instance.region, userAgent: USER_AGENTS.awsCli },
      [[t, Api.getCallerIdentity()]],
    );
  }
  // (6) An old key, rotated out hours ago but still valid (instance keys live up to 6 h), reused.
  {
    const instance = victim(prod.accountId, firstRegion, 1);
    const k = Math.floor(hours * 0.2);
    const t = Math.min(keys.delivery(instance, k) + 4.5 * HOUR, end - 10 * MINUTE);
    if (t < keys.switchTime(instance, k + 1) + 20 * MINUTE)
      throw new ScenarioOptionsError('window too short for the old-key theft');
    plant(
      'old-key-reused',
      `A key of ${instance.instanceId} issued at ${isoSeconds(keys.delivery(instance, k))} and rotated out within the hour, reused at ${isoSeconds(t)} from 141.98.10.61.`,
      'HIGH',
      instance,
      k,
      { sourceIp: '141.98.10.61', region: firstRegion, userAgent: USER_AGENTS.attackerGo },
      [
        [t, Api.listBuckets(firstRegion)],
        [
          t + 5_000,
          Api.object(
            'GetObject',
            instance.accountId,
            bucketOf(instance),
            'config/app.yaml',
            firstRegion,
            2_311,
          ),
        ],
        [t + 8_000, Api.describeInstances()],
      ],
    );
  }
  // (7) Through the STS endpoint of the affiliated shared-services account: trusted owner, wrong VPC.
  {
    const instance = victim(prod.accountId, lastRegion, lastRegion === firstRegion ? 4 : 3);
    const host = victim(affiliated.accountId, instance.region, 2);
    const k = fit(instance, Math.floor(hours * 0.8), 25 * MINUTE);
    const t = keys.switchTime(instance, k) + 20 * MINUTE;
    const endpoint = { id: host.vpc.stsEndpointId, accountId: affiliated.accountId };
    plant(
      'affiliated-endpoint',
      `Credentials of ${instance.instanceId} copied to ${host.privateIp}, a host of the affiliated ${affiliated.name} account, and used through its STS endpoint ${endpoint.id}.`,
      'MEDIUM',
      instance,
      k,
      { sourceIp: host.privateIp, region: instance.region, endpoint, userAgent: USER_AGENTS.python },
      [
        [t, Api.getCallerIdentity()],
        [t + 40_000, Api.getCallerIdentity()],
      ],
    );
  }
  const context: TheftContext = { estate, keys, start, end, hours, victim, fit, plant, bucketOf };
  if (landingZone !== undefined) planLandingZoneThefts(context, landingZone);
  return plans;
}

function accountName(estate: Estate, accountId: string): string {
  return estate.accounts.find((account) => account.accountId === accountId)?.name ?? accountId;
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

function* generateFiles(
  options: ResolvedOptions,
  estate: Estate,
  keys: KeySchedule,
  events: readonly ScenarioEvent[],
  start: number,
  end: number,
): Generator<ScenarioFile> {
  const slots = Math.round((end - start) / SLOT);
  const theftEvents = [...events].sort((a, b) => a.time - b.time);
  const carry = new Map<string, CloudTrailRecord[]>();
  const hourKeys = new Map<string, string[]>();
  const shared = estate.accounts.find((account) => account.affiliated);
  const instancesByFile = new Map<string, number>();
  for (const instance of estate.instances) {
    const id = `${instance.accountId}|${instance.region}`;
    instancesByFile.set(id, (instancesByFile.get(id) ?? 0) + 1);
  }

  // Files are made one account at a time, so memory holds one account's five minutes, whatever the
  // scale. A record for another account (the bucket owner's copy of a cross-account S3 call) waits
  // in `pending` for that account's file, or in `carry` (next file) when that file is already out.
  const pending = new Map<string, CloudTrailRecord[]>();
  const listIn = <T>(map: Map<string, T[]>, id: string): T[] => {
    let list = map.get(id);
    if (list === undefined) map.set(id, (list = []));
    return list;
  };
  for (let slot = 0; slot < slots; slot++) {
    const slotStart = start + slot * SLOT;
    const slotEnd = slotStart + SLOT;
    const done = new Set<string>();
    for (const account of estate.accounts) {
      const routed: Routed[] = [];
      for (const instance of estate.instances) {
        if (instance.accountId !== account.accountId) continue;
        routed.push(...instanceSlot(options, estate, keys, instance, slot, slotStart, shared));
      }
      for (const region of estate.regions) {
        const instances = instancesByFile.get(`${account.accountId}|${region}`) ?? 0;
        const mean = (options.noiseRatio * options.callsPerInstanceHour * Math.max(instances, 1)) / 12;
        const random = new RandomSource(options.seed, 'noise', account.accountId, region, slot);
        for (const record of noiseRecords(
          random,
          account,
          region,
          slotStart,
          SLOT,
          drawCount(random, mean),
        )) {
          routed.push({ accountId: account.accountId, region, record });
        }
      }
      const sameTime = new Map<number, number>();
      for (const event of theftEvents) {
        if (event.time >= slotStart && event.time < slotEnd) {
          // Two calls in the same millisecond draw from two streams: one eventID each.
          const nth = sameTime.get(event.time) ?? 0;
          sameTime.set(event.time, nth + 1);
          const random =
            nth === 0
              ? new RandomSource(options.seed, 'theft', event.time)
              : new RandomSource(options.seed, 'theft', event.time, nth);
          const built = event.build(random);
          if (built.accountId === account.accountId) routed.push(built);
        }
      }
      for (const { accountId, region, record } of routed) {
        const id = `${accountId}|${region}`;
        listIn(done.has(accountId) ? carry : pending, id).push(record);
      }
      done.add(account.accountId);

      for (const region of estate.regions) {
        const id = `${account.accountId}|${region}`;
        const random = new RandomSource(options.seed, 'file', id, slot);
        const records = carry.get(id) ?? [];
        const lateRecords = records.length;
        const late: CloudTrailRecord[] = [];
        for (const record of pending.get(id) ?? []) {
          if (slot < slots - 1 && random.chance(options.lateDeliveryRate)) late.push(record);
          else records.push(record);
        }
        pending.delete(id);
        carry.set(id, late);
        const deliveredAt = slotEnd + random.int(30, 270) * 1000;
        if (records.length > 0) {
          const key = logKey(account.accountId, region, deliveredAt, random.chars(16));
          listIn(hourKeys, id).push(key);
          yield {
            kind: 'log',
            key,
            accountId: account.accountId,
            region,
            records: random.shuffle(records),
            lateRecords,
          };
        }
        if ((slot + 1) % 12 === 0) {
          yield digestFile(random, account.accountId, region, slotEnd, hourKeys.get(id) ?? []);
          hourKeys.set(id, []);
        }
      }
    }
  }
}

/** A count around `mean`, uniform on [0, 2·mean]. */
function drawCount(random: RandomSource, mean: number): number {
  const whole = Math.floor(mean * 2 * random.float() + random.float());
  return Math.max(0, whole);
}

function instanceSlot(
  options: ResolvedOptions,
  estate: Estate,
  keys: KeySchedule,
  instance: InstancePlan,
  slot: number,
  slotStart: number,
  shared: OrgAccount | undefined,
): Routed[] {
  const random = new RandomSource(options.seed, 'instance', instance.instanceId, slot);
  const slotEnd = slotStart + SLOT;
  const out: Routed[] = [];
  const own = (region: string, record: CloudTrailRecord) =>
    out.push({ accountId: instance.accountId, region, record });
  const profile = (k: number) =>
    instanceIdentity(instance, keys.profileKey(instance, k), keys.delivery(instance, k), 'profile');
  const egressIp = (allowIpv6: boolean): string => {
    if (instance.publicIp !== undefined) return instance.publicIp;
    if (allowIpv6 && instance.ipv6Address !== undefined && random.chance(0.8)) return instance.ipv6Address;
    if (instance.egressIps !== undefined) return random.pick(instance.egressIps);
    const nat = instance.vpc.natGateways[instance.zone] ?? instance.vpc.natGateways[0];
    return random.pick(nat?.publicIps ?? ['0.0.0.0']);
  };
  const otherRegions = estate.regions.filter((region) => region !== instance.region);
  const userAgent =
    instance.kind === 'eks-node'
      ? USER_AGENTS.kubelet
      : ([USER_AGENTS.java, USER_AGENTS.python, USER_AGENTS.node][instance.app.length % 3] ??
        USER_AGENTS.java);
  const bucket = `${accountName(estate, instance.accountId)}-${instance.app}-data-${instance.region}`;

  // EC2 delivers the hour's key, and the SDK's first call with it follows the switch.
  for (let k = 0; keys.delivery(instance, k) < slotEnd; k++) {
    const delivered = keys.delivery(instance, k);
    if (delivered >= slotStart) {
      own(instance.region, ec2DeliveryRecord(random, instance, keys.profileKey(instance, k), delivered));
    }
    const switched = keys.switchTime(instance, k);
    if (switched >= slotStart && switched < slotEnd) {
      const time = switched + random.int(5, 40) * 1000;
      own(
        instance.region,
        apiCallRecord(random, Api.describeTags(instance.instanceId), {
          time,
          region: instance.region,
          recipientAccountId: instance.accountId,
          userIdentity: profile(k),
          sourceIp: egressIp(false),
          userAgent,
        }),
      );
    }
  }

  const calls = drawCount(random, options.callsPerInstanceHour / 12);
  for (let i = 0; i < calls; i++) {
    const time = slotStart + random.int(0, SLOT - 1000);
    const k = keys.indexAt(instance, time);
    const base = {
      time,
      region: instance.region,
      recipientAccountId: instance.accountId,
      userIdentity: profile(k),
      userAgent,
    };
    const route = random.weighted<string>(
      instance.kind === 'eks-node'
        ? [
            [35, 'egress'],
            [10, 's3-endpoint'],
            [20, 'pod-sts'],
            [10, 'pod-s3'],
            [15, 'prefix-sts'],
            [5, 'service'],
          ]
        : [
            [50, 'egress'],
            [22, 's3-endpoint'],
            [10, 'sts-endpoint'],
            [10, otherRegions.length > 0 ? 'cross-region' : 'egress'],
            [8, 'service'],
          ],
    );
    // A centralised endpoint (landing-zone.ts) belongs to the network account, not the VPC's.
    const endpointCall = (sourceIp: string, endpointId: string, api: ApiCall) =>
      own(
        instance.region,
        apiCallRecord(random, api, {
          ...base,
          sourceIp,
          vpcEndpoint: {
            id: endpointId,
            accountId:
              endpointId === instance.vpc.stsEndpointId
                ? (instance.vpc.stsEndpointAccountId ?? instance.vpc.accountId)
                : instance.vpc.accountId,
          },
        }),
      );
    switch (route) {
      case 'egress': {
        const api =
          instance.kind === 'eks-node'
            ? random.pick([Api.getAuthorizationToken(), Api.describeInstances()])
            : random.pick([
                Api.describeInstances(),
                Api.getParameter(`/${instance.app}/config/db-host`),
                Api.getSecretValue(instance.accountId, instance.region, `${instance.app}/api-token-Xy12Ab`),
                Api.decrypt(instance.accountId, instance.region, 'mrk-4d1c2b3a4f5e6d7c8b9a0f1e2d3c4b5a'),
                Api.createLogStream(`/app/${instance.app}`, `${instance.instanceId}/${slot}`),
              ]);
        own(instance.region, apiCallRecord(random, api, { ...base, sourceIp: egressIp(true) }));
        break;
      }
      case 's3-endpoint': {
        // A tenth of the reads go to the shared-services artifacts bucket: CloudTrail logs such a data
        // event in both the caller's and the bucket owner's trail, under one eventID.
        if (shared !== undefined && shared.accountId !== instance.accountId && random.chance(0.1)) {
          const record = apiCallRecord(
            random,
            Api.object(
              'GetObject',
              shared.accountId,
              `${shared.name}-artifacts-${instance.region}`,
              `releases/${instance.app}/app-1.4.2.jar`,
              instance.region,
              18_874_368,
            ),
            {
              ...base,
              sourceIp: instance.privateIp,
              vpcEndpoint: { id: instance.vpc.s3EndpointId, accountId: instance.vpc.accountId },
            },
          );
          own(instance.region, record);
          out.push({
            accountId: shared.accountId,
            region: instance.region,
            record: { ...record, recipientAccountId: shared.accountId },
          });
        } else {
          const name = random.pick(['GetObject', 'GetObject', 'PutObject', 'HeadObject'] as const);
          endpointCall(
            instance.privateIp,
            instance.vpc.s3EndpointId,
            Api.object(
              name,
              instance.accountId,
              bucket,
              `${instance.app}/${random.hex(8)}.json`,
              instance.region,
              random.int(200, 90_000),
            ),
          );
        }
        break;
      }
      case 'sts-endpoint':
        endpointCall(
          instance.privateIp,
          instance.vpc.stsEndpointId,
          random.chance(0.7)
            ? Api.getCallerIdentity()
            : Api.assumeRole(
                `arn:aws:iam::${instance.accountId}:role/${instance.app}-deployer`,
                `${instance.app}-${random.hex(6)}`,
                random.iamId('ASIA'),
                time,
              ),
        );
        break;
      case 'cross-region': {
        const region = random.pick(otherRegions);
        own(
          region,
          apiCallRecord(
            random,
            random.chance(0.5)
              ? Api.describeInstances()
              : Api.getParameter(`/global/${instance.app}/endpoint`),
            {
              ...base,
              region,
              sourceIp: egressIp(true),
            },
          ),
        );
        break;
      }
      case 'pod-sts':
        endpointCall(random.pick(instance.podIps), instance.vpc.stsEndpointId, Api.getCallerIdentity());
        break;
      case 'pod-s3':
        endpointCall(
          random.pick(instance.podIps),
          instance.vpc.s3EndpointId,
          Api.object(
            'GetObject',
            instance.accountId,
            bucket,
            `charts/${random.hex(6)}.tgz`,
            instance.region,
            random.int(2_000, 60_000),
          ),
        );
        break;
      case 'prefix-sts': {
        const prefixBase = (instance.ipv4Prefix ?? instance.privateIp).split('/')[0] ?? instance.privateIp;
        const parts = prefixBase.split('.');
        const podIp = `${parts.slice(0, 3).join('.')}.${Number(parts[3]) + random.int(1, 14)}`;
        endpointCall(podIp, instance.vpc.stsEndpointId, Api.getCallerIdentity());
        break;
      }
      default: {
        // An AWS service acting with the role (forward access): the service, not the key holder, calls.
        const service = random.weighted<readonly [string, string, ApiCall]>([
          [
            3,
            [
              's3.amazonaws.com',
              's3.amazonaws.com',
              Api.decrypt(instance.accountId, instance.region, 'mrk-4d1c2b3a4f5e6d7c8b9a0f1e2d3c4b5a'),
            ],
          ],
          [
            1,
            [
              'AWS Internal',
              'AWS Internal',
              Api.decrypt(instance.accountId, instance.region, 'mrk-4d1c2b3a4f5e6d7c8b9a0f1e2d3c4b5a'),
            ],
          ],
          [
            1,
            [
              'athena.amazonaws.com',
              'athena.amazonaws.com',
              Api.consoleDescribe('GetTable', 'glue.amazonaws.com'),
            ],
          ],
        ]);
        const [invokedBy, sourceIp, api] = service;
        own(
          instance.region,
          apiCallRecord(random, api, {
            ...base,
            userIdentity: { ...profile(k), invokedBy },
            sourceIp,
            userAgent: invokedBy,
          }),
        );
      }
    }
  }

  // The SSM agent calls with the EC2 instance identity role, from the instance's own address.
  if (random.chance(0.5)) {
    const time = slotStart + random.int(0, SLOT - 1000);
    const identity = keys.identityKey(instance, time);
    own(
      instance.region,
      apiCallRecord(random, Api.updateInstanceInformation(instance.instanceId), {
        time,
        region: instance.region,
        recipientAccountId: instance.accountId,
        userIdentity: instanceIdentity(instance, identity.accessKeyId, identity.issuedAt, 'identity'),
        sourceIp: egressIp(false),
        userAgent: USER_AGENTS.ssmAgent,
      }),
    );
  }
  return out;
}

function logKey(accountId: string, region: string, deliveredAt: number, id: string): string {
  const iso = new Date(deliveredAt).toISOString();
  const [yyyy, mm, dd] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10)];
  const stamp = `${yyyy}${mm}${dd}T${iso.slice(11, 13)}${iso.slice(14, 16)}Z`;
  return `AWSLogs/${accountId}/CloudTrail/${region}/${yyyy}/${mm}/${dd}/${accountId}_CloudTrail_${region}_${stamp}_${id}.json.gz`;
}

/** The hourly digest CloudTrail writes beside the logs: hashes of the hour's files, no records. */
function digestFile(
  random: RandomSource,
  accountId: string,
  region: string,
  hourEnd: number,
  logKeys: readonly string[],
): ScenarioFile {
  const iso = new Date(hourEnd).toISOString();
  const [yyyy, mm, dd] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10)];
  const stamp = `${yyyy}${mm}${dd}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const bucket = 'org-cloudtrail-logs-333333333333';
  return {
    kind: 'digest',
    key: `AWSLogs/${accountId}/CloudTrail-Digest/${region}/${yyyy}/${mm}/${dd}/${accountId}_CloudTrail-Digest_${region}_org-trail_${region}_${stamp}.json.gz`,
    document: {
      awsAccountId: accountId,
      digestStartTime: isoSeconds(hourEnd - HOUR),
      digestEndTime: isoSeconds(hourEnd),
      digestS3Bucket: bucket,
      digestPublicKeyFingerprint: random.hex(32),
      digestSignatureAlgorithm: 'SHA256withRSA',
      previousDigestSignature: random.hex(64),
      logFiles: logKeys.map((key) => ({
        s3Bucket: bucket,
        s3Object: key,
        hashValue: random.hex(64),
        hashAlgorithm: 'SHA-256',
      })),
    },
  };
}
