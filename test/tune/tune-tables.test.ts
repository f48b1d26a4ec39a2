import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { PutItemCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FindingDetail } from '../../lib/contracts/finding-event';
import { DynamoAuditStore } from '../../lib/responder/dynamo-audit-store';
import { normaliseEvent } from '../../lib/responder/incident-normaliser';
import { UNOBSERVED } from '../../lib/responder/observed-state';
import { ResponseConfigSchema } from '../../lib/responder/response-config-schema';
import { planResponse } from '../../lib/responder/response-planner';
import { DynamoDbStore } from '../../lib/state/dynamodb-store';
import { ExceptionsTable } from '../../lib/state/exceptions-table';
import { startLocalDynamoServer } from '../../lib/state/local-store';
import { ensureTable, exceptionsTableDefinition, stateTableDefinition } from '../../lib/state/state-table';
import { startLocalDynamo, type LocalDynamo } from '../support/dynalite';
import { runTune } from './tune-cli-harness';
import { finding, NOW, podFindings } from './tune-fixtures';

const theft = finding({
  roleName: 'web',
  instanceId: 'i-0ab00000000000001',
  accessKeyId: 'ASIASTOLEN0000000001',
  sourceIp: '185.220.101.47',
  vpcEndpointId: null,
  vpcEndpointAccountId: null,
  severity: 'HIGH',
  at: 4,
});

// What the proposal for podFindings() is scoped to (see tune-command.test.ts).
const POD_MATCHERS = { cidr: '100.64.0.0/23', roleName: 'eks-node', vpcId: 'vpc-0eks' };

/** Stores findings the way the deployed detector does: its own store, into its own table layout. */
async function storeFindings(store: DynamoDbStore, findings: readonly FindingDetail[]): Promise<void> {
  await store.saveFindings(
    findings.map((detail, index) => ({
      detail,
      firstSeen: Date.parse(detail.firstSeen),
      lastSeen: Date.parse(detail.lastSeen),
      eventCount: detail.eventCount,
      eventNames: detail.eventNames,
      userAgents: detail.userAgents,
      eventIds: Array.from({ length: detail.eventCount }, (_, n) => `event-${index}-${n}`),
    })),
  );
  await store.flush();
}

function plannedTheft() {
  const normalised = normaliseEvent(
    {
      source: 'credtrail.detector',
      'detail-type': 'Instance Credential Exfiltration',
      account: theft.accountId,
      region: theft.region,
      detail: theft,
    },
    { trustedPublisherAccounts: [] },
  );
  if (!normalised.ok) throw new Error(normalised.reason);
  return planResponse({
    incident: normalised.incident,
    config: ResponseConfigSchema.parse({}),
    observed: UNOBSERVED,
    now: NOW,
    responderRoleNames: [],
  });
}

describe('credtrail tune against the deployed tables (dynalite)', () => {
  let dynamo: LocalDynamo;
  let tables = 0;

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  afterAll(() => dynamo.stop());

  async function table(definition: (name: string) => CreateTableCommandInput): Promise<string> {
    const name = `tune-${++tables}`;
    await ensureTable(dynamo.client, definition(name));
    return name;
  }

  async function itemsOf(tableName: string): Promise<Record<string, unknown>[]> {
    const { Items } = await DynamoDBDocumentClient.from(dynamo.client).send(
      new ScanCommand({ TableName: tableName }),
    );
    return Items ?? [];
  }

  async function stateWithFindings(): Promise<string> {
    const state = await table(stateTableDefinition);
    const store = new DynamoDbStore({ client: dynamo.client, tableName: state, clock: () => NOW.getTime() });
    await storeFindings(store, [...podFindings({ hours: 6 }), theft]);
    // Sessions share the table; they are not findings.
    await store.putDeliveries([
      {
        accessKeyId: 'ASIASESSION000000001',
        instanceId: 'i-0eks00000000000000',
        roleArn: 'arn:aws:iam::111111111111:role/eks-node',
        accountId: '111111111111',
        baselines: {},
      },
    ]);
    await store.flush();
    return state;
  }

  it('--state dynamodb:TABLE reads the findings the detector stored, and names an item it cannot read', async () => {
    // Prepare
    const state = await stateWithFindings();
    await dynamo.client.send(
      new PutItemCommand({
        TableName: state,
        Item: { pk: { S: 'FINDING#broken' }, sk: { S: 'FINDING' }, detail: { S: 'not a finding' } },
      }),
    );

    expect((await itemsOf(state)).map((item) => String(item['pk']))).toContain(
      'SESSION#ASIASESSION000000001',
    );

    // Act
    const run = await runTune(['--state', `dynamodb:${state}`], NOW, { dynamodb: dynamo.client });

    // Assess
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('credtrail tune: 37 findings');
    expect(run.stdout).toMatch(/Proposed exceptions \(1\)/);
    expect(run.stderr).toContain(`read 37 from state table ${state}`);
    expect(run.stderr).toContain(`skipped ${state} FINDING#broken: not a credtrail finding`);
  });

  it('a finding both in a file and in the table is counted once, in its latest form', async () => {
    // Prepare
    const state = await stateWithFindings();
    const dir = await mkdtemp(join(tmpdir(), 'credtrail-tune-tables-'));
    const file = join(dir, 'findings.jsonl');
    await writeFile(file, JSON.stringify(theft));

    // Act
    const run = await runTune([file, '--state', `dynamodb:${state}`, '--output', 'json'], NOW, {
      dynamodb: dynamo.client,
    });
    await rm(dir, { recursive: true, force: true });

    // Assess
    expect((JSON.parse(run.stdout) as { findings: number }).findings).toBe(37);
  });

  it('--audit-table reads the plans the responder recorded, and only the plans', async () => {
    // Prepare
    const state = await stateWithFindings();
    const audit = await table(stateTableDefinition); // same pk/sk layout as the deployed audit table
    const store = new DynamoAuditStore(dynamo.client, audit);
    const plan = plannedTheft();
    await store.createIncident({
      incidentId: plan.incident.incidentId,
      mode: 'dry-run',
      status: 'planned',
      plan,
      lastError: null,
      createdAt: NOW.toISOString(),
      updatedAt: NOW.toISOString(),
    });
    await store.recordAttempt(plan.incident.incidentId, 'dry-run', NOW.toISOString());
    await store.putStep({
      ...plan.steps[0]!,
      incidentId: plan.incident.incidentId,
      mode: 'dry-run',
      phase: 'respond',
      appliedCalls: 0,
      outputs: {},
      error: null,
      at: NOW.toISOString(),
    });

    // Act
    const run = await runTune(['--state', `dynamodb:${state}`, '--audit-table', audit], NOW, {
      dynamodb: dynamo.client,
    });

    // Assess
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('1 recorded plans, 0 planned offline');
    expect(run.stdout).toMatch(/111111111111 web {2}\[dry-run\] {2}NOT READY/);
    expect(run.stderr).not.toContain('skipped');
  });

  it('--table without --confirm shows what it would add, writes nothing and exits 1', async () => {
    // Prepare
    const state = await stateWithFindings();
    const exceptions = await table(exceptionsTableDefinition);

    // Act
    const run = await runTune(['--state', `dynamodb:${state}`, '--table', exceptions], NOW, {
      dynamodb: dynamo.client,
    });

    // Assess
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `exceptions table ${exceptions}: 1 to add, 0 kept, 0 expired, 0 already there\\n  to add: p-[0-9a-f]{8}-2027-02-26: cidr 100\\.64\\.0\\.0/23, vpcId vpc-0eks, accountId 111111111111, roleName eks-node \\(expires 2027-02-26T00:00:00Z\\)`,
      ),
    );
    expect(run.stderr).toContain('nothing written');
    expect(run.stderr).toContain('--confirm');
    expect(await itemsOf(exceptions)).toEqual([]);
  });

  it('--table --confirm adds the proposal beside existing entries, never changing them, and the detector reads it', async () => {
    // Prepare: an operator's entry (with a ticket link), an expired one, and one the detector rejects.
    const state = await stateWithFindings();
    const exceptions = await table(exceptionsTableDefinition);
    const operator = new ExceptionsTable(dynamo.client, exceptions);
    await operator.put('ci-runners', { roleName: 'ci-runner', reason: 'runners' });
    await dynamo.client.send(
      new PutItemCommand({
        TableName: exceptions,
        Item: {
          exceptionId: { S: 'partner' },
          vpcEndpointId: { S: 'vpce-0partner' },
          reason: { S: 'partner VPC' },
          expiresAt: { S: '2026-01-01T00:00:00Z' },
          ticket: { S: 'SEC-42' },
        },
      }),
    );
    await dynamo.client.send(
      new PutItemCommand({
        TableName: exceptions,
        Item: { exceptionId: { S: 'typo' }, cidr: { S: '10.0.0.0/8' } },
      }),
    );
    const before = await itemsOf(exceptions);

    // Act
    const run = await runTune(['--state', `dynamodb:${state}`, '--table', exceptions, '--confirm'], NOW, {
      dynamodb: dynamo.client,
    });

    // Assess
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toContain(
      `exceptions table ${exceptions}: 1 added, 1 kept, 1 expired, 0 already there`,
    );
    expect(run.stderr).toContain('expired (kept in the table, suppresses nothing');
    expect(run.stderr).toMatch(/left as it is, ignored by the detector \(.*\): item typo/);
    expect(run.stderr).toContain('wrote 1 item(s)');
    const after = await itemsOf(exceptions);
    expect(after).toEqual(expect.arrayContaining(before));
    expect(after).toHaveLength(4);
    const added = after.find((item) => !before.some((old) => old['exceptionId'] === item['exceptionId']));
    expect(added).toEqual({
      exceptionId: expect.stringMatching(/^p-[0-9a-f]{8}-2027-02-26$/) as unknown,
      ...POD_MATCHERS,
      accountId: '111111111111',
      reason: expect.stringContaining('eks-node') as unknown,
      expiresAt: '2027-02-26T00:00:00Z',
      addedBy: 'credtrail tune',
      addedAt: NOW.toISOString(),
    });
    const loaded = await operator.load();
    expect(loaded.exceptions).toEqual(expect.arrayContaining([expect.objectContaining(POD_MATCHERS)]));
  });

  it('a second run adds nothing: the entry is already there', async () => {
    // Prepare
    const state = await stateWithFindings();
    const exceptions = await table(exceptionsTableDefinition);
    const args = ['--state', `dynamodb:${state}`, '--table', exceptions, '--confirm'];
    await runTune(args, NOW, { dynamodb: dynamo.client });

    // Act
    const again = await runTune(args, NOW, { dynamodb: dynamo.client });
    const withoutConfirm = await runTune(args.slice(0, -1), NOW, { dynamodb: dynamo.client });

    // Assess
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain('0 added, 1 kept, 0 expired, 1 already there');
    expect(withoutConfirm.exitCode).toBe(0);
    expect(await itemsOf(exceptions)).toHaveLength(1);
  });

  it('renews an expired entry with a new item beside it, expiring after --expires-in-days', async () => {
    // Prepare: last quarter's tuning of the same pods, expired.
    const state = await stateWithFindings();
    const exceptions = await table(exceptionsTableDefinition);
    const lastQuarter = {
      ...POD_MATCHERS,
      accountId: '111111111111',
      reason: 'credtrail tune: pods',
      expiresAt: '2026-11-01T00:00:00Z',
    };
    await new ExceptionsTable(dynamo.client, exceptions).put('p-old-2026-11-01', lastQuarter);

    // Act
    const run = await runTune(
      ['--state', `dynamodb:${state}`, '--table', exceptions, '--confirm', '--expires-in-days', '30'],
      NOW,
      { dynamodb: dynamo.client },
    );

    // Assess
    expect(run.stderr).toContain('1 added, 0 kept, 1 expired, 0 already there');
    const items = await itemsOf(exceptions);
    expect(items.map((item) => [item['exceptionId'], item['expiresAt']])).toEqual(
      expect.arrayContaining([
        ['p-old-2026-11-01', '2026-11-01T00:00:00Z'],
        [expect.stringMatching(/^p-[0-9a-f]{8}-2026-12-28$/), '2026-12-28T00:00:00Z'],
      ]),
    );
    expect(items).toHaveLength(2);
  });

  it('an unreadable exceptions table stops the write with a clear error', async () => {
    // Prepare
    const state = await stateWithFindings();

    // Act
    const run = await runTune(
      ['--state', `dynamodb:${state}`, '--table', 'no-such-table', '--confirm'],
      NOW,
      {
        dynamodb: dynamo.client,
      },
    );

    // Assess
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(
      /--table no-such-table: cannot read the exceptions table .*nothing was written/,
    );
  });

  it('refuses --confirm without --table, and a run with no source at all', async () => {
    // Act
    const confirm = await runTune(['findings.jsonl', '--confirm'], NOW);
    const nothing = await runTune([], NOW);

    // Assess
    expect(confirm.exitCode).toBe(2);
    expect(confirm.stderr).toContain('--confirm goes with --table');
    expect(nothing.exitCode).toBe(2);
    expect(nothing.stderr).toContain('no findings to read: give files or folders, --state or --log-group');
  });
});

describe('credtrail tune --state local:DIR', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'credtrail-tune-local-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('reads the findings `detect --state local:DIR` kept on this machine', async () => {
    // Prepare: the embedded store detect uses, with the findings in it.
    const server = await startLocalDynamoServer(dir);
    await storeFindings(
      new DynamoDbStore({ client: server.client, tableName: server.tableName, clock: () => NOW.getTime() }),
      podFindings({ hours: 6 }),
    );
    await server.stop();

    // Act
    const run = await runTune(['--state', `local:${dir}`], NOW);

    // Assess
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('credtrail tune: 36 findings');
    expect(run.stderr).toContain(`read 36 from local state in ${dir}`);
  });

  it('refuses a directory that holds no state instead of creating one', async () => {
    // Act
    const run = await runTune(['--state', `local:${join(dir, 'missing')}`], NOW);
    const bad = await runTune(['--state', 'file:x'], NOW);

    // Assess
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('no such directory');
    expect(bad.stderr).toContain('expected dynamodb:TABLE or local:DIRECTORY');
  });
});

describe('ExceptionsTable.putNew (dynalite)', () => {
  it('never replaces an item with the same id, and says so', async () => {
    // Prepare
    const dynamo = await startLocalDynamo();
    try {
      await ensureTable(dynamo.client, exceptionsTableDefinition('exceptions'));
      const table = new ExceptionsTable(dynamo.client, 'exceptions');
      await table.put('p-1', { roleName: 'ci-runner', reason: "an operator's" });
      const provenance = { addedBy: 'credtrail tune', addedAt: NOW.toISOString() };

      // Act
      const taken = await table.putNew('p-1', { roleName: 'eks-node', reason: 'tuned' }, provenance);
      const fresh = await table.putNew('p-2', { roleName: 'eks-node', reason: 'tuned' }, provenance);

      // Assess
      expect([taken, fresh]).toEqual([false, true]);
      expect((await table.load()).exceptions).toEqual([
        { roleName: 'ci-runner', reason: "an operator's" },
        { roleName: 'eks-node', reason: 'tuned' },
      ]);
    } finally {
      await dynamo.stop();
    }
  });
});

describe('credtrail tune --log-group', () => {
  const logs = mockClient(CloudWatchLogsClient);
  afterEach(() => logs.reset());

  it('reads a window of the findings log group, every page, naming an event it cannot use', async () => {
    // Prepare: two pages of what FindingsLogWriter writes.
    const lines = podFindings({ hours: 6 }).map((f, index) => ({
      logStreamName: 'detector-1',
      eventId: `e${index}`,
      message: JSON.stringify({ kind: index % 2 === 0 ? 'finding' : 'finding-update', ...f }),
    }));
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: lines.slice(0, 20), nextToken: 'page-2' })
      .resolvesOnce({
        events: [...lines.slice(20), { logStreamName: 'other', eventId: 'junk', message: 'START' }],
      });

    // Act
    const run = await runTune(['--log-group', '/credtrail/findings', '--log-days', '3'], NOW, {
      logs: new CloudWatchLogsClient({ region: 'us-east-1' }),
    });

    // Assess
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('credtrail tune: 36 findings');
    expect(run.stdout).toMatch(/Proposed exceptions \(1\)/);
    expect(run.stderr).toContain('skipped /credtrail/findings other junk:1: not JSON');
    const calls = logs.commandCalls(FilterLogEventsCommand).map((call) => call.args[0].input);
    expect(calls).toEqual([
      expect.objectContaining({
        logGroupName: '/credtrail/findings',
        startTime: NOW.getTime() - 3 * 24 * 3_600_000,
        endTime: NOW.getTime(),
      }),
      expect.objectContaining({ nextToken: 'page-2' }),
    ]);
  });

  it('refuses a window that is not a positive number of days', async () => {
    // Act
    const run = await runTune(['--log-group', '/credtrail/findings', '--log-days', 'week'], NOW, {
      logs: new CloudWatchLogsClient({ region: 'us-east-1' }),
    });

    // Assess
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('--log-days must be a positive number');
    expect(logs.commandCalls(FilterLogEventsCommand)).toHaveLength(0);
  });
});
