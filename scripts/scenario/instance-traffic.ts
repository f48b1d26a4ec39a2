// An instance's own five minutes of CloudTrail: key deliveries, its calls by route (NAT, endpoints, other
// regions, pods, AWS services acting for it) and the SSM agent's identity-role calls.
import {
  Api,
  USER_AGENTS,
  apiCallRecord,
  ec2DeliveryRecord,
  instanceIdentity,
  type ApiCall,
  type CloudTrailRecord,
} from './cloudtrail-records';
import type { KeySchedule } from './key-schedule';
import type { Estate, InstancePlan, OrgAccount } from './organisation-estate';
import { RandomSource, drawCount } from './random-source';
import { SLOT, type Routed } from './scenario-events';
import type { ResolvedOptions } from './scenario-options';

/** The instance's application bucket, in its account and region. */
export function dataBucket(estate: Estate, instance: InstancePlan): string {
  const accountName =
    estate.accounts.find((account) => account.accountId === instance.accountId)?.name ?? instance.accountId;
  return `${accountName}-${instance.app}-data-${instance.region}`;
}

export function instanceSlot(
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
  const bucket = dataBucket(estate, instance);

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
