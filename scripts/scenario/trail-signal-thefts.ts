import {
  Api,
  USER_AGENTS,
  apiCallRecord,
  instanceIdentity,
  isoSeconds,
  type CloudTrailRecord,
} from './cloudtrail-records';
import type { OrganisationDay } from './organisation-day';
import type { InstancePlan } from './organisation-estate';
import { RandomSource } from './random-source';

/**
 * Issue 13's trail-side theft kinds, planted on a generated day as one extra log file per victim (the
 * hook: write `files` beside the day's own; the day's generator is untouched). Each story's evidence is in
 * the trail: an operator's SendCommand then the instance's key from the operator's address; a key used
 * from a Mac while the instance is Linux; a key used after the instance was stopped (near the day's end,
 * since the generated instance itself keeps calling).
 */
export interface PlantedSignalTheft {
  readonly label: 'operator-address' | 'workstation-user-agent' | 'used-after-stop';
  readonly type: string;
  readonly instanceId: string;
  readonly accessKeyId: string;
  readonly sourceIp: string;
  readonly vpcEndpointId: null;
}

export interface SignalTheftFile {
  readonly key: string;
  readonly records: readonly CloudTrailRecord[];
}

const HOUR = 3_600_000;
const MINUTE = 60_000;
const LAPTOP = '81.2.69.160';
const MAC_CLI = 'aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/macos#23.4.0 md/arch#arm64 lang/python#3.11.8';

// The same key the day's generator gives the instance for hour k (key-schedule.ts).
function profileKey(day: OrganisationDay, instance: InstancePlan, k: number): string {
  return new RandomSource(day.options.seed, 'profile-key', `${instance.instanceId}|${k}`).iamId('ASIA');
}

export function planSignalThefts(day: OrganisationDay): {
  files: SignalTheftFile[];
  thefts: PlantedSignalTheft[];
} {
  // Victims the day's own thefts leave alone: the staging account's instances 3 and 4 (or prod's last ones).
  const workloads = day.estate.accounts.filter((account) => !account.affiliated);
  const account = workloads[1] ?? workloads[0];
  const region = day.estate.regions[0] ?? 'us-east-1';
  const pool = day.estate.instances.filter(
    (instance) =>
      instance.accountId === account?.accountId && instance.region === region && instance.kind === 'nat',
  );
  const [operatorVictim, workstationVictim, stoppedVictim] = [pool[1], pool[2], pool[0]];
  if (operatorVictim === undefined || workstationVictim === undefined || stoppedVictim === undefined)
    throw new Error('the day has too few NAT instances for the trail-signal thefts');
  const hours = Math.round((day.end - day.start) / HOUR);
  const random = new RandomSource(day.options.seed, 'signal-thefts');
  const records: { accountId: string; region: string; record: CloudTrailRecord }[] = [];
  const thefts: PlantedSignalTheft[] = [];
  const use = (instance: InstancePlan, k: number, time: number, sourceIp: string, userAgent: string) => {
    const accessKeyId = profileKey(day, instance, k);
    const issuedAt = day.start + k * HOUR + instance.refreshOffsetMs;
    records.push({
      accountId: instance.accountId,
      region: instance.region,
      record: apiCallRecord(random, Api.listBuckets(instance.region), {
        time,
        region: instance.region,
        recipientAccountId: instance.accountId,
        userIdentity: instanceIdentity(instance, accessKeyId, issuedAt, 'profile'),
        sourceIp,
        userAgent,
      }),
    });
    return accessKeyId;
  };
  const operatorCall = (
    instance: InstancePlan,
    time: number,
    eventName: string,
    eventSource: string,
    requestParameters: Record<string, unknown>,
  ) =>
    records.push({
      accountId: instance.accountId,
      region: instance.region,
      record: {
        ...apiCallRecord(
          random,
          { eventSource, eventName, readOnly: false, category: 'Management', requestParameters },
          {
            time,
            region: instance.region,
            recipientAccountId: instance.accountId,
            userIdentity: {
              type: 'AssumedRole',
              principalId: 'AROAOPERATORSSO00001:alice@example.com',
              arn: `arn:aws:sts::${instance.accountId}:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com`,
              accountId: instance.accountId,
              accessKeyId: 'ASIAOPERATORSSO00001',
            },
            sourceIp: LAPTOP,
            userAgent: MAC_CLI,
          },
        ),
      },
    });

  // Operator: SendCommand at mid-day, the instance's key used from the laptop four minutes later.
  {
    const k = Math.floor(hours / 2);
    const t = day.start + k * HOUR + operatorVictim.refreshOffsetMs + 20 * MINUTE;
    operatorCall(operatorVictim, t, 'SendCommand', 'ssm.amazonaws.com', {
      instanceIds: [operatorVictim.instanceId],
      documentName: 'AWS-RunShellScript',
    });
    const accessKeyId = use(operatorVictim, k, t + 4 * MINUTE, LAPTOP, USER_AGENTS.awsCli);
    thefts.push({
      label: 'operator-address',
      type: 'InstanceCredentialExfiltration.OperatorAddress',
      instanceId: operatorVictim.instanceId,
      accessKeyId,
      sourceIp: LAPTOP,
      vpcEndpointId: null,
    });
  }
  // Workstation: a Linux instance's key used by the AWS CLI on macOS.
  {
    const k = Math.floor(hours / 3);
    const t = day.start + k * HOUR + workstationVictim.refreshOffsetMs + 30 * MINUTE;
    const sourceIp = '81.2.69.200';
    const accessKeyId = use(workstationVictim, k, t, sourceIp, MAC_CLI);
    thefts.push({
      label: 'workstation-user-agent',
      type: 'InstanceCredentialExfiltration.WorkstationUserAgent',
      instanceId: workstationVictim.instanceId,
      accessKeyId,
      sourceIp,
      vpcEndpointId: null,
    });
  }
  // Stopped: StopInstances 20 minutes before the day ends, the key in use then reused 10 minutes later.
  {
    const stopAt = day.end - 20 * MINUTE;
    const k = Math.floor((stopAt - day.start - stoppedVictim.refreshOffsetMs - 5 * MINUTE) / HOUR);
    operatorCall(stoppedVictim, stopAt, 'StopInstances', 'ec2.amazonaws.com', {
      instancesSet: { items: [{ instanceId: stoppedVictim.instanceId }] },
      force: false,
    });
    const sourceIp = '45.137.21.77';
    const accessKeyId = use(stoppedVictim, k, stopAt + 10 * MINUTE, sourceIp, USER_AGENTS.attackerGo);
    thefts.push({
      label: 'used-after-stop',
      type: 'InstanceCredentialExfiltration.UsedAfterInstanceStopped',
      instanceId: stoppedVictim.instanceId,
      accessKeyId,
      sourceIp,
      vpcEndpointId: null,
    });
  }

  const files = records.map(({ accountId, region: where, record }, index) => {
    const iso = isoSeconds(Date.parse(String(record['eventTime'])));
    const [yyyy, mm, dd] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10)];
    const stamp = `${yyyy}${mm}${dd}T${iso.slice(11, 13)}${iso.slice(14, 16)}Z`;
    return {
      key: `AWSLogs/${accountId}/CloudTrail/${where}/${yyyy}/${mm}/${dd}/${accountId}_CloudTrail_${where}_${stamp}_signal${index}.json.gz`,
      records: [record],
    };
  });
  return { files, thefts };
}
