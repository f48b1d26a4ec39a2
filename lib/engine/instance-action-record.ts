import type { InstanceAction } from './credential-event';
import { normalizeAddress } from './ip-address';

/**
 * The trail's records of people acting on instances, for the trail-side signals (trail-signals.ts). Only
 * calls that succeeded count: a denied SendCommand sent nothing, a failed StopInstances stopped nothing.
 */
const EFFECTS: ReadonlyMap<string, InstanceAction['effect']> = new Map([
  ['SendCommand', 'access'],
  ['StartSession', 'access'],
  ['SendSSHPublicKey', 'access'],
  ['StopInstances', 'stop'],
  ['TerminateInstances', 'stop'],
  ['StartInstances', 'start'],
]);
const SOURCES: ReadonlyMap<string, string> = new Map([
  ['SendCommand', 'ssm.amazonaws.com'],
  ['StartSession', 'ssm.amazonaws.com'],
  ['SendSSHPublicKey', 'ec2-instance-connect.amazonaws.com'],
  ['StopInstances', 'ec2.amazonaws.com'],
  ['TerminateInstances', 'ec2.amazonaws.com'],
  ['StartInstances', 'ec2.amazonaws.com'],
]);
const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;
const MAX_TARGETS = 50;

/** Cheap first test, for records normalizeRecord would otherwise drop. */
export function isInstanceActionName(eventName: unknown): boolean {
  return typeof eventName === 'string' && EFFECTS.has(eventName);
}

export function readInstanceAction(record: Record<string, unknown>): InstanceAction | undefined {
  const eventName = record['eventName'];
  if (typeof eventName !== 'string') return undefined;
  const effect = EFFECTS.get(eventName);
  if (effect === undefined || record['eventSource'] !== SOURCES.get(eventName)) return undefined;
  if (record['errorCode'] !== undefined) return undefined;
  const eventId = record['eventID'];
  const eventTime = typeof record['eventTime'] === 'string' ? Date.parse(record['eventTime']) : NaN;
  const region = record['awsRegion'];
  const accountId = record['recipientAccountId'];
  if (typeof eventId !== 'string' || Number.isNaN(eventTime) || typeof region !== 'string') return undefined;
  if (typeof accountId !== 'string') return undefined;
  const instanceIds = targetsOf(eventName, record['requestParameters']);
  if (instanceIds.length === 0) return undefined;
  const source = record['sourceIPAddress'];
  const sourceIp = typeof source === 'string' ? normalizeAddress(source) : undefined;
  return {
    kind: 'instance-action',
    eventId,
    eventTime,
    eventName,
    accountId,
    region,
    ...(sourceIp !== undefined ? { sourceIp } : {}),
    instanceIds,
    effect,
  };
}

function targetsOf(eventName: string, parameters: unknown): string[] {
  if (typeof parameters !== 'object' || parameters === null) return [];
  const p = parameters as Record<string, unknown>;
  let candidates: unknown[] = [];
  if (eventName === 'SendCommand') candidates = Array.isArray(p['instanceIds']) ? p['instanceIds'] : [];
  else if (eventName === 'StartSession') candidates = [p['target']];
  else if (eventName === 'SendSSHPublicKey') candidates = [p['instanceId']];
  else {
    const set = p['instancesSet'];
    const items =
      typeof set === 'object' && set !== null ? (set as Record<string, unknown>)['items'] : undefined;
    candidates = Array.isArray(items)
      ? items.map((item) =>
          typeof item === 'object' && item !== null
            ? (item as Record<string, unknown>)['instanceId']
            : undefined,
        )
      : [];
  }
  return candidates
    .filter((id): id is string => typeof id === 'string' && INSTANCE_ID.test(id))
    .slice(0, MAX_TARGETS);
}
