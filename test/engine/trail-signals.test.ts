import { FindingDetailSchema, FindingType, type FindingDetail } from '../../lib/contracts/finding-event';
import { normalizeRecord } from '../../lib/engine/cloudtrail-record';
import type { CredentialEvent } from '../../lib/engine/credential-event';
import { ExceptionList } from '../../lib/engine/credential-exception';
import { Detector } from '../../lib/engine/detector';
import type { NetworkLookup } from '../../lib/engine/detector-store';
import { platformOf } from '../../lib/engine/trail-signals';
import { MemoryStore } from '../../lib/state/memory-store';
import { ACCOUNT, INSTANCE, deliveryOf, use } from '../support/cloudtrail-records';

const NAT = '52.1.1.1';
const LAPTOP = '81.2.69.160';
const LINUX_SDK = 'aws-sdk-java/2.25.11 Linux/5.10.213-201.855.amzn2.x86_64 Java/17.0.10';
const MAC_CLI = 'aws-cli/2.15.30 ua/2.0 os/macos#23.4.0 md/arch#arm64 lang/python#3.11.8';
const at = (minute: number) => new Date(Date.UTC(2026, 10, 26, 10, minute)).toISOString();

/** A call by an operator (an SSO session) on the instance, as CloudTrail records it. */
function operatorRecord(
  eventName: string,
  eventSource: string,
  requestParameters: Record<string, unknown>,
  options: { minute: number; sourceIp?: string; errorCode?: string },
): CredentialEvent[] {
  const result = normalizeRecord({
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAOPERATOR:alice@example.com',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Admin/alice@example.com`,
      accountId: ACCOUNT,
      accessKeyId: 'ASIAOPERATORKEY00001',
    },
    eventTime: at(options.minute),
    eventSource,
    eventName,
    awsRegion: 'us-east-1',
    sourceIPAddress: options.sourceIp ?? LAPTOP,
    userAgent: MAC_CLI,
    requestParameters,
    responseElements: null,
    eventID: `op-${eventName}-${options.minute}`,
    recipientAccountId: ACCOUNT,
    ...(options.errorCode !== undefined ? { errorCode: options.errorCode } : {}),
  });
  // A failed call is no action: it normalises to nothing.
  if (result.status === 'unrelated') return [];
  if (result.status !== 'event')
    throw new Error(`operator record did not normalise: ${JSON.stringify(result)}`);
  return [result.event];
}

const sendCommand = (minute: number, options: { sourceIp?: string; errorCode?: string } = {}) =>
  operatorRecord(
    'SendCommand',
    'ssm.amazonaws.com',
    { instanceIds: [INSTANCE], documentName: 'AWS-RunShellScript' },
    { minute, ...options },
  );
const stopInstances = (minute: number, eventName = 'StopInstances') =>
  operatorRecord(
    eventName,
    'ec2.amazonaws.com',
    { instancesSet: { items: [{ instanceId: INSTANCE }] } },
    { minute },
  );

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
        ...stopInstances(10, eventName),
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
      ...stopInstances(10),
      use({ accessKeyId: KEY, sourceIp: NAT, eventTime: at(12), userAgent: LINUX_SDK }),
      ...operatorRecord(
        'StartInstances',
        'ec2.amazonaws.com',
        { instancesSet: { items: [{ instanceId: INSTANCE }] } },
        { minute: 20 },
      ),
      use({ accessKeyId: KEY, sourceIp: NAT, eventTime: at(40), userAgent: LINUX_SDK }),
    ]);

    // Assess
    expect(ofType(findings, FindingType.UsedAfterInstanceStopped)).toEqual([]);
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
