import { FindingType, type FindingDetail } from '../../lib/contracts/finding-event';
import type { CredentialEvent } from '../../lib/engine/credential-event';
import { ExceptionList } from '../../lib/engine/credential-exception';
import { Detector } from '../../lib/engine/detector';
import type { NetworkDirectory, NetworkLookup } from '../../lib/engine/detector-store';
import { MemoryStore } from '../../lib/state/memory-store';
import { ACCOUNT, deliveryOf, use, type UseRecordOptions } from '../support/cloudtrail-records';

// Issue 13: a detector without inventory, fed hour by hour, for the learned-network tests.
export const NAT_A = '52.1.1.1';
export const NAT_B = '52.1.1.2';
export const NAT_C = '52.1.1.3';
export const THIEF = '185.220.101.7';
export const I1 = 'i-0aaaaaaaaaaaaaaa1';
export const I2 = 'i-0aaaaaaaaaaaaaaa2';
export const I3 = 'i-0aaaaaaaaaaaaaaa3';
export const noInventory: NetworkDirectory = {
  lookup: () => Promise.resolve(new Map<string, NetworkLookup>()),
};

export const at = (hour: number, minute = 0, second = 0) =>
  new Date(Date.UTC(2026, 10, 26, hour, minute, second)).toISOString();
export const key = (instanceId: string, hour: number) =>
  `ASIA${instanceId.slice(-4).toUpperCase()}K${String(hour).padStart(3, '0')}XX`.padEnd(20, 'X');

export function detector(store = new MemoryStore()): Detector {
  return new Detector({
    store,
    networks: noInventory,
    exceptions: new ExceptionList([]),
    trustedAccounts: new Set([ACCOUNT]),
    clock: () => Date.parse('2026-11-27T00:00:00Z'),
  });
}

/** Runs events through the detector in event-time order, in one batch per hour as files would come. */
export async function run(events: CredentialEvent[], target = detector()): Promise<FindingDetail[]> {
  const sorted = [...events].sort((a, b) => a.eventTime - b.eventTime);
  const findings = new Map<string, FindingDetail>();
  const hours = new Map<number, CredentialEvent[]>();
  for (const event of sorted) {
    const hour = Math.floor(event.eventTime / 3_600_000);
    hours.set(hour, [...(hours.get(hour) ?? []), event]);
  }
  for (const batch of hours.values()) {
    for (const { detail } of (await target.process(batch)).findings) findings.set(detail.findingId, detail);
  }
  return [...findings.values()].filter((finding) => finding.type !== FindingType.Imdsv1Delivery);
}

/** EC2 delivers `hour`'s key at hh:mm; the instance calls from each origin a few minutes later. */
export function instanceHour(
  instanceId: string,
  hour: number,
  calls: readonly (readonly [number, string | Omit<UseRecordOptions, 'accessKeyId' | 'instanceId'>])[],
  deliveredAtMinute = 0,
): CredentialEvent[] {
  const accessKeyId = key(instanceId, hour);
  return [
    deliveryOf({ accessKeyId, instanceId, eventTime: at(hour, deliveredAtMinute) }),
    ...calls.map(([minute, origin]) =>
      use({
        accessKeyId,
        instanceId,
        eventTime: at(hour, minute),
        ...(typeof origin === 'string' ? { sourceIp: origin } : origin),
      }),
    ),
  ];
}

export const origins = (findings: readonly FindingDetail[]) =>
  findings
    .map((f) => `${f.instanceId} ${f.accessKeyId} ${f.sourceIp ?? ''} ${f.vpcEndpointId ?? ''}`.trim())
    .sort();
