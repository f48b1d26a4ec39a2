import { FindingDetailSchema, FindingType, type FindingDetail } from '../../lib/contracts/finding-event';
import type { CredentialEvent } from '../../lib/engine/credential-event';
import { ExceptionList } from '../../lib/engine/credential-exception';
import { Detector } from '../../lib/engine/detector';
import type { NetworkLookup } from '../../lib/engine/detector-store';
import { platformOf } from '../../lib/engine/trail-signals';
import { MemoryStore } from '../../lib/state/memory-store';
import { ACCOUNT, deliveryOf, use } from '../support/cloudtrail-records';
import { LAPTOP, MAC_CLI, actionOf, powerRecord, sendCommandRecord } from '../support/instance-actions';

const NAT = '52.1.1.1';
const LINUX_SDK = 'aws-sdk-java/2.25.11 Linux/5.10.213-201.855.amzn2.x86_64 Java/17.0.10';
const at = (minute: number) => new Date(Date.UTC(2026, 10, 26, 10, minute)).toISOString();

const sendCommand = (minute: number, options: { sourceIp?: string; errorCode?: string } = {}) =>
  actionOf(sendCommandRecord({ eventTime: at(minute), ...options }));
const power = (minute: number, eventName = 'StopInstances') =>
  actionOf(powerRecord(eventName, { eventTime: at(minute) }));

async function findingsOf(events: CredentialEvent[]): Promise<FindingDetail[]> {
  const detector = new Detector({
    store: new MemoryStore(),
    networks: { lookup: () => Promise.resolve(new Map<string, NetworkLookup>()) },
    exceptions: new ExceptionList([]),
    trustedAccounts: new Set([ACCOUNT]),
    clock: () => Date.parse('2026-11-27T00:00:00Z'),
  });
  const sorted = [...events].sort((a, b) => a.eventTime - b.eventTime);
  return (await detector.process(sorted)).findings.map(({ detail }) => detail);
}

const KEY = 'ASIASIGNALKEY0000001';
const ofType = (findings: FindingDetail[], type: FindingType) => findings.filter((f) => f.type === type);
// The instance's own first hour: its key delivered, its calls from its NAT with its Linux SDK.
const ownCalls = (): CredentialEvent[] => [
  deliveryOf({ accessKeyId: KEY, eventTime: at(0) }),
  use({ accessKeyId: KEY, sourceIp: NAT, eventTime: at(1), userAgent: LINUX_SDK }),
];

describe('trail-side signal: the operator’s address uses the instance’s key', () => {
  it('raises OperatorAddress when the address that sent SendCommand uses the key minutes later', async () => {
    // Act
    const findings = await findingsOf([
      ...ownCalls(),
      ...sendCommand(5),
      use({ accessKeyId: KEY, sourceIp: LAPTOP, eventTime: at(9), userAgent: LINUX_SDK }),
    ]);

    // Assess
    const [finding] = ofType(findings, FindingType.OperatorAddress);
    expect(finding).toMatchObject({ severity: 'HIGH', sourceIp: LAPTOP, eventCount: 1 });
    expect(finding?.reason).toMatch(/sent i-0a1b2c3d4e5f60718 SendCommand at .* 4 minutes later/);
    expect(FindingDetailSchema.parse(finding)).toEqual(finding);
  });

  it('raises nothing of the kind for a failed SendCommand, another address, or a use an hour later', async () => {
    // Act
    const findings = await findingsOf([
      ...ownCalls(),
      ...sendCommand(5, { errorCode: 'AccessDenied' }),
      ...sendCommand(6, { sourceIp: '81.2.69.161' }),
      use({ accessKeyId: KEY, sourceIp: LAPTOP, eventTime: at(9), userAgent: LINUX_SDK }),
    ]);
    const later = await findingsOf([
      ...ownCalls(),
      ...sendCommand(5),
      use({ accessKeyId: KEY, sourceIp: LAPTOP, eventTime: at(50), userAgent: LINUX_SDK }),
    ]);

    // Assess
    expect(ofType(findings, FindingType.OperatorAddress)).toEqual([]);
    expect(ofType(later, FindingType.OperatorAddress)).toEqual([]);
  });
});

describe('trail-side signal: a key used after its instance stopped', () => {
  it.each(['StopInstances', 'TerminateInstances'])(
    'raises UsedAfterInstanceStopped after %s',
    async (eventName) => {
      // Act
      const findings = await findingsOf([
        ...ownCalls(),
        ...power(10, eventName),
        use({ accessKeyId: KEY, sourceIp: NAT, eventTime: at(40), userAgent: LINUX_SDK }),
      ]);

      // Assess
      const [finding] = ofType(findings, FindingType.UsedAfterInstanceStopped);
      expect(finding).toMatchObject({ severity: 'HIGH', accessKeyId: KEY });
      expect(finding?.reason).toMatch(/30 minutes later/);
    },
  );

  it('raises nothing for calls during shutdown, or after the instance was started again', async () => {
    // Act
    const findings = await findingsOf([
      ...ownCalls(),
      ...power(10),
      use({ accessKeyId: KEY, sourceIp: NAT, eventTime: at(12), userAgent: LINUX_SDK }),
      ...power(20, 'StartInstances'),
      use({ accessKeyId: KEY, sourceIp: NAT, eventTime: at(40), userAgent: LINUX_SDK }),
    ]);

    // Assess
    expect(ofType(findings, FindingType.UsedAfterInstanceStopped)).toEqual([]);
  });
});

describe('trail-side signal: the stop judged on the instance’s timeline', () => {
  it('raises UsedAfterInstanceStopped for a use between the stop and a start handled earlier (a late file)', async () => {
    // Prepare: one detector handles the stop and the start, then a late file with a use in between.
    const detector = new Detector({
      store: new MemoryStore(),
      networks: { lookup: () => Promise.resolve(new Map<string, NetworkLookup>()) },
      exceptions: new ExceptionList([]),
      trustedAccounts: new Set([ACCOUNT]),
      clock: () => Date.parse('2026-11-27T00:00:00Z'),
    });
    await detector.process([...ownCalls(), ...power(10), ...power(30, 'StartInstances')]);

    // Act
    const during = await detector.process([
      use({ accessKeyId: KEY, sourceIp: NAT, eventTime: at(20), userAgent: LINUX_SDK }),
    ]);
    const after = await detector.process([
      use({ accessKeyId: KEY, sourceIp: NAT, eventTime: at(40), userAgent: LINUX_SDK }),
    ]);

    // Assess
    const types = (result: typeof during) => result.findings.map(({ detail }) => detail.type);
    expect(types(during)).toEqual([FindingType.UsedAfterInstanceStopped]);
    expect(types(after)).toEqual([]);
  });
});

describe('trail-side signal: a workstation’s user agent', () => {
  it('reads the platform a user agent names', () => {
    expect(
      [LINUX_SDK, MAC_CLI, 'Boto3/1.34 os/windows#10 lang/python#3.11', 'aws-sdk-go/1.44'].map(platformOf),
    ).toEqual(['linux', 'macos', 'windows', undefined]);
  });

  it('raises WorkstationUserAgent when a macOS client uses the key of an instance whose calls are Linux', async () => {
    // Act
    const findings = await findingsOf([
      ...ownCalls(),
      use({ accessKeyId: KEY, sourceIp: LAPTOP, eventTime: at(20), userAgent: MAC_CLI }),
    ]);

    // Assess
    const [finding] = ofType(findings, FindingType.WorkstationUserAgent);
    expect(finding).toMatchObject({ severity: 'MEDIUM', sourceIp: LAPTOP });
    expect(finding?.reason).toMatch(/macOS client .* instance's own calls come from linux/);
  });

  it('raises nothing when the instance itself is a Mac (EC2 Mac) or its platform is unknown', async () => {
    // Act
    const mac = await findingsOf([
      deliveryOf({ accessKeyId: KEY, eventTime: at(0) }),
      use({ accessKeyId: KEY, sourceIp: NAT, eventTime: at(1), userAgent: MAC_CLI }),
      use({ accessKeyId: KEY, sourceIp: NAT, eventTime: at(20), userAgent: MAC_CLI }),
    ]);
    const unknown = await findingsOf([
      deliveryOf({ accessKeyId: KEY, eventTime: at(0) }),
      use({ accessKeyId: KEY, sourceIp: LAPTOP, eventTime: at(20), userAgent: MAC_CLI }),
    ]);

    // Assess
    expect(ofType(mac, FindingType.WorkstationUserAgent)).toEqual([]);
    expect(ofType(unknown, FindingType.WorkstationUserAgent)).toEqual([]);
  });
});
