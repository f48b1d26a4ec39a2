import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FindingType } from '../../lib/contracts/finding-event';
import { ExitCode, registerDetectCommand } from '../../lib/cli/detect-command';
import { NETWORK_REFRESH_MS } from '../../lib/detector/detector-runtime';
import { compareEvents, type CredentialEvent } from '../../lib/engine/credential-event';
import { ExceptionList } from '../../lib/engine/credential-exception';
import { Detector } from '../../lib/engine/detector';
import type { NetworkLookup } from '../../lib/engine/detector-store';
import { DynamoDbStore } from '../../lib/state/dynamodb-store';
import { ensureTable, stateTableDefinition } from '../../lib/state/state-table';
import { deliveryOf, deliveryRecord, use, useRecord } from '../support/cloudtrail-records';
import { runCli } from '../support/cli-run';
import { startLocalDynamo, type LocalDynamo } from '../support/dynalite';
import { LAPTOP, MAC_CLI, actionOf, powerRecord, sendCommandRecord } from '../support/instance-actions';

/**
 * Issue 13's trail-side signals across containers: the action (SendCommand, StopInstances) in a file one
 * Lambda container handles, the use of the key in a file another handles, one state table between them.
 */
const KEY = 'ASIASIGNALKEY0000001';
const NAT = '52.1.1.1';
const LINUX_SDK = 'aws-sdk-java/2.25.11 Linux/5.10.213-201.855.amzn2.x86_64 Java/17.0.10';
const at = (minute: number) => new Date(Date.UTC(2026, 10, 26, 10, minute)).toISOString();

// The instance's own first minutes: its key delivered, a call from its NAT with its Linux SDK.
const ownCalls = (): CredentialEvent[] => [
  deliveryOf({ accessKeyId: KEY, eventTime: at(0) }),
  use({ accessKeyId: KEY, sourceIp: NAT, eventTime: at(1), userAgent: LINUX_SDK }),
];
const keyUsed = (minute: number, sourceIp: string, userAgent = LINUX_SDK) => [
  use({ accessKeyId: KEY, sourceIp, eventTime: at(minute), userAgent }),
];

describe('trail signals across two detector containers sharing one table (dynalite)', () => {
  let dynamo: LocalDynamo;
  let tables = 0;

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  afterAll(() => dynamo.stop());

  /** Two containers as the Lambda builds them (deferred batch writes, no inventory answering). */
  async function containers() {
    const tableName = `containers-${++tables}`;
    await ensureTable(dynamo.client, stateTableDefinition(tableName));
    // Processing time moves two minutes per file, as files arrive minutes apart.
    let now = Date.parse('2026-11-26T10:30:00Z');
    let files = 0;
    const container = () => {
      const store = new DynamoDbStore({
        client: dynamo.client,
        tableName,
        clock: () => now,
        deferBatchWrites: true,
      });
      const detector = new Detector({
        store,
        networks: { lookup: () => Promise.resolve(new Map<string, NetworkLookup>()) },
        exceptions: new ExceptionList([]),
        trustedAccounts: new Set(),
        clock: () => now,
        networkRefreshMs: NETWORK_REFRESH_MS,
      });
      /** One file, as the Lambda handles it: the types of the findings it created or updated. */
      return async (events: CredentialEvent[]) => {
        now += 2 * 60_000;
        const sorted = [...events].sort(compareEvents);
        const result = await store.withSource(`s3://trail/file-${++files}`, () => detector.process(sorted));
        await store.flushBatchWrites();
        return result.findings.filter((f) => f.detail.eventCount > 0).map((f) => f.detail.type);
      };
    };
    return [container(), container()] as const;
  }

  it('finds OperatorAddress when container B sees the key used from the address that sent A’s SendCommand', async () => {
    // Prepare
    const [a, b] = await containers();
    await a([...ownCalls(), ...actionOf(sendCommandRecord({ eventTime: at(5) }))]);

    // Act
    const found = await b(keyUsed(9, LAPTOP));

    // Assess
    expect(found).toContain(FindingType.OperatorAddress);
  });

  it.each([
    ['the command came from another address', { sourceIp: '81.2.69.161' }, 9],
    ['the command failed', { errorCode: 'AccessDenied' }, 9],
    ['the use came 45 minutes after the command', {}, 50],
  ])('finds no OperatorAddress when %s', async (_, command, useMinute) => {
    // Prepare
    const [a, b] = await containers();
    await a([...ownCalls(), ...actionOf(sendCommandRecord({ eventTime: at(5), ...command }))]);

    // Act
    const found = await b(keyUsed(useMinute, LAPTOP));

    // Assess: the use is still judged (a new origin), the operator signal is not raised.
    expect(found).not.toContain(FindingType.OperatorAddress);
  });

  it.each(['StopInstances', 'TerminateInstances'])(
    'finds UsedAfterInstanceStopped when B sees the key used from the instance’s own NAT after A’s %s',
    async (eventName) => {
      // Prepare
      const [a, b] = await containers();
      await a([...ownCalls(), ...actionOf(powerRecord(eventName, { eventTime: at(10) }))]);

      // Act
      const found = await b(keyUsed(40, NAT));

      // Assess
      expect(found).toEqual([FindingType.UsedAfterInstanceStopped]);
    },
  );

  it('finds no UsedAfterInstanceStopped once B handled the start, wherever the use is handled', async () => {
    // Prepare: A the stop, B the start, then A (a minute of processing later) the use.
    const [a, b] = await containers();
    await a([...ownCalls(), ...actionOf(powerRecord('StopInstances', { eventTime: at(10) }))]);
    await b(actionOf(powerRecord('StartInstances', { eventTime: at(20) })));

    // Act
    const found = await a(keyUsed(40, NAT));

    // Assess
    expect(found).toEqual([]);
  });

  it('finds WorkstationUserAgent when B sees a macOS client where A saw the instance’s Linux calls', async () => {
    // Prepare
    const [a, b] = await containers();
    const [fresh] = await containers();
    await a(ownCalls());

    // Act
    const found = await b(keyUsed(20, '81.2.69.200', MAC_CLI));
    // Without A's file (a table that never saw the instance's own calls): no platform, no signal.
    const unknown = await fresh(keyUsed(20, '81.2.69.200', MAC_CLI));

    // Assess
    expect(found).toContain(FindingType.WorkstationUserAgent);
    expect(unknown).not.toContain(FindingType.WorkstationUserAgent);
  });
});

describe('trail signals across two CLI runs (--state local:DIR)', () => {
  let dir: string;
  const run = (args: string[]) => runCli(['detect', ...args], registerDetectCommand);
  const file = (name: string, records: Record<string, unknown>[]) => {
    const folder = join(dir, name);
    mkdirSync(folder);
    writeFileSync(join(folder, 'log.json'), JSON.stringify({ Records: records }));
    return folder;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'credtrail-signals-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const OWN = () => [
    deliveryRecord({ accessKeyId: KEY, eventTime: at(0) }),
    useRecord({ accessKeyId: KEY, sourceIp: NAT, eventTime: at(1), userAgent: LINUX_SDK }),
  ];
  const typesOf = (stdout: string) =>
    stdout
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => (JSON.parse(line) as { type: string }).type);

  it('the second run finds the OperatorAddress and UsedAfterInstanceStopped the first run’s actions set up', async () => {
    // Prepare
    const state = `local:${join(dir, 'state')}`;
    const first = file('first', [
      ...OWN(),
      sendCommandRecord({ eventTime: at(5) }),
      powerRecord('StopInstances', { eventTime: at(10) }),
    ]);
    const second = file('second', [
      useRecord({ accessKeyId: KEY, sourceIp: LAPTOP, eventTime: at(20), userAgent: LINUX_SDK }),
    ]);

    // Act
    const day1 = await run([first, '--state', state, '--output', 'jsonl']);
    const day2 = await run([second, '--state', state, '--output', 'jsonl']);
    const forgetful = await run([second, '--output', 'jsonl']);

    // Assess
    expect(day1.exitCode).toBe(ExitCode.NoFindings);
    expect(day2.exitCode).toBe(ExitCode.Findings);
    expect(typesOf(day2.stdout)).toEqual(
      expect.arrayContaining([FindingType.OperatorAddress, FindingType.UsedAfterInstanceStopped]),
    );
    expect(typesOf(forgetful.stdout)).not.toContain(FindingType.OperatorAddress);
    expect(typesOf(forgetful.stdout)).not.toContain(FindingType.UsedAfterInstanceStopped);
  }, 60_000);
});
