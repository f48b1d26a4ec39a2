// The seven planted thefts of every organisation day (and the landing-zone ones, through TheftContext):
// one stolen key and one origin each, so exactly one finding each.
import {
  Api,
  USER_AGENTS,
  apiCallRecord,
  instanceIdentity,
  isoSeconds,
  type ApiCall,
} from './cloudtrail-records';
import { dataBucket } from './instance-traffic';
import type { KeySchedule } from './key-schedule';
import type { LandingZone } from './landing-zone';
import { planLandingZoneThefts } from './landing-zone-thefts';
import type { PlantedTheft } from './organisation-day';
import type { Estate, InstancePlan } from './organisation-estate';
import { HOUR, MINUTE, type ScenarioEvent } from './scenario-events';
import { ScenarioOptionsError } from './scenario-options';

export const ATTACKER_ACCOUNT = '999999999999';
const ATTACKER_ENDPOINT = 'vpce-0a77ac4e5e1b2c3d4';

export interface TheftPlan {
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

export function planThefts(
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
  const plant: TheftContext['plant'] = (label, story, severity, instance, k, origin, calls) => {
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
  const bucketOf = (instance: InstancePlan) => dataBucket(estate, instance);

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
