import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeInstancesCommand,
  EC2Client,
  ModifyNetworkInterfaceAttributeCommand,
} from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import {
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { lambdaContext } from '../support/lambda-context';
import { memberRoleArn } from '../../lib/aws/member-role';
import { renderEvent } from '../../lib/notifier/alert-renderer';
import { DynamoAuditStore } from '../../lib/responder/dynamo-audit-store';
import { Ec2Gateway } from '../../lib/responder/ec2-gateway';
import { EventBusGateway } from '../../lib/responder/event-bus-gateway';
import { IamGateway } from '../../lib/responder/iam-gateway';
import { DynamoRateLimiter } from '../../lib/responder/rate-limiter';
import { makeIdempotentResponder } from '../../lib/responder/responder-lambda';
import type { ResponderDependencies } from '../../lib/responder/responder-service';
import { StsGateway } from '../../lib/responder/sts-gateway';
import { undoIncident } from '../../lib/responder/undo-service';
import { startLocalDynamo, type LocalDynamo } from '../support/dynalite';
import { ec2Mock, eventsMock, iamMock, primeAccount, silentLogger, stsMock } from './aws-mocks';
import { config, credtrailEvent, NOW } from './responder-fixtures';

/**
 * Fault injection: every AWS call site of the responder fails, once and persistently, in one and in
 * two "containers" (two handlers with their own clients over one dynalite table). A delivery is
 * EventBridge → Lambda async invoke: up to 3 attempts, then the on-failure queue.
 */
const AUDIT = 'credtrail-audit';
const IDEMPOTENCY = 'credtrail-idempotency';
const ACTIONS = { HIGH: ['revoke-sessions', 'pin-to-network', 'quarantine-instance'] };

const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });

/** The member account's inline role policies, so reads see what writes did. */
const policies = new Map<string, string>();
/** Successful PutRolePolicy calls per policy name: an IAM change applied twice shows here. */
const applied = new Map<string, number>();

type Site = {
  name: string;
  arm(persistent: boolean): void;
  /** The record a persistent fault leaves when it is the audit table that fails (default `failed`). */
  recordWhenDown?: string | null;
};
let failNext: ((command: string, table: string | undefined) => boolean) | null = null;
/** Faults actually injected: a case whose fault never fired proves nothing. */
let injected = 0;

function failing<T>(persistent: boolean, ok: (input: T) => unknown): (input: T) => unknown {
  let failed = false;
  return (input: T) => {
    if (persistent || !failed) {
      failed = true;
      injected += 1;
      throw throttled();
    }
    return ok(input);
  };
}

// The document client may hand the base client plain or marshalled keys, depending on middleware order.
function sortKey(value: unknown): string {
  if (typeof value === 'string') return value;
  const marshalled = value as { S?: unknown } | undefined;
  return typeof marshalled?.S === 'string' ? marshalled.S : '';
}

/** Entries PutEvents accepted. */
const delivered: PutEventsRequestEntry[] = [];
function deliver(input: { Entries?: PutEventsRequestEntry[] }) {
  delivered.push(...(input.Entries ?? []));
  return { FailedEntryCount: 0, Entries: [{ EventId: 'e' }] };
}

function putPolicy(input: { PolicyName?: string; PolicyDocument?: string }) {
  policies.set(input.PolicyName ?? '', input.PolicyDocument ?? '');
  applied.set(input.PolicyName ?? '', (applied.get(input.PolicyName ?? '') ?? 0) + 1);
  return {};
}

function primeStatefulIam(): void {
  policies.clear();
  applied.clear();
  iamMock.on(PutRolePolicyCommand).callsFake(putPolicy);
  iamMock.on(ListRolePoliciesCommand).callsFake(() => ({ PolicyNames: [...policies.keys()] }));
  iamMock.on(GetRolePolicyCommand).callsFake((input: { PolicyName?: string }) => {
    const document = policies.get(input.PolicyName ?? '');
    if (document === undefined) throw new NoSuchEntityException({ message: 'no policy', $metadata: {} });
    return { PolicyDocument: encodeURIComponent(document) };
  });
  iamMock.on(DeleteRolePolicyCommand).callsFake((input: { PolicyName?: string }) => {
    policies.delete(input.PolicyName ?? '');
    return {};
  });
}

function auditWrite(command: string, persistent: boolean, sortKeyPrefix: string): Site['arm'] {
  return () => {
    let failed = false;
    failNext = (name, key) => {
      if (name !== command || !(key ?? '').startsWith(sortKeyPrefix)) return false;
      if (!persistent && failed) return false;
      failed = true;
      return true;
    };
  };
}

const SITES: Site[] = [
  { name: 'STS AssumeRole', arm: (p) => stsMock.on(AssumeRoleCommand).callsFake(failing(p, credentials)) },
  { name: 'IAM GetRole', arm: (p) => iamMock.on(GetRoleCommand).callsFake(failing(p, () => role)) },
  {
    name: 'IAM PutRolePolicy',
    arm: (p) => iamMock.on(PutRolePolicyCommand).callsFake(failing(p, putPolicy)),
  },
  {
    name: 'EC2 DescribeInstances',
    arm: (p) => ec2Mock.on(DescribeInstancesCommand).callsFake(failing(p, () => instances)),
  },
  {
    name: 'EC2 ModifyNetworkInterfaceAttribute',
    arm: (p) => ec2Mock.on(ModifyNetworkInterfaceAttributeCommand).callsFake(failing(p, () => ({}))),
  },
  {
    name: 'DynamoDB audit PutItem (plan)',
    arm: (p) => auditWrite('PutItemCommand', p, 'PLAN#')(p),
    recordWhenDown: null,
  },
  { name: 'DynamoDB audit PutItem (step)', arm: (p) => auditWrite('PutItemCommand', p, 'STEP#')(p) },
  {
    name: 'DynamoDB audit UpdateItem (status)',
    arm: (p) => auditWrite('UpdateItemCommand', p, 'PLAN#')(p),
    // Every step applied, the outcome could not be written: still open, announced as failed, queued.
    recordWhenDown: 'in-progress',
  },
  {
    name: 'EventBridge PutEvents',
    arm: (p) => eventsMock.on(PutEventsCommand).callsFake(failing(p, deliver)),
  },
];

// Captured once from the primed account, so a faulty site can answer like the healthy one.
let role: unknown;
let instances: unknown;
const credentials = () => ({
  Credentials: { AccessKeyId: 'ASIA', SecretAccessKey: 's', SessionToken: 't', Expiration: NOW },
});

describe('responder under injected faults', () => {
  let dynamo: LocalDynamo;
  let tableSuffix = 0;

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  afterAll(() => dynamo.stop());

  /** One "container": its own clients (DynamoDB with the fault hook), handler and dependencies. */
  function container(tables: { audit: string; idempotency: string }) {
    const client = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { TableName?: string; Item?: { sk?: unknown }; Key?: { sk?: unknown } };
        const key = sortKey(input.Item?.sk ?? input.Key?.sk);
        if (input.TableName === tables.audit && failNext?.(context.commandName ?? '', key) === true) {
          injected += 1;
          throw Object.assign(new Error('Throughput exceeds the current capacity'), {
            name: 'ProvisionedThroughputExceededException',
          });
        }
        return next(args);
      },
      { step: 'initialize', name: 'faultInjection' },
    );
    const sts = new StsGateway(new STSClient({ region: 'us-east-1' }), () => Promise.resolve());
    const deps: ResponderDependencies = {
      config: config({ mode: 'enforce', actions: ACTIONS }),
      responderRoleNames: ['CredtrailMemberResponse'],
      audit: new DynamoAuditStore(client, tables.audit),
      rateLimiter: new DynamoRateLimiter(client, tables.audit),
      publisher: new EventBusGateway(new EventBridgeClient({ region: 'us-east-1' }), 'credtrail'),
      gatewaysFor: async (accountId, region, partition, sessionName) => {
        const creds = await sts.assumeMemberRole(
          memberRoleArn(partition, accountId, 'CredtrailMemberResponse'),
          sessionName,
        );
        return {
          iam: new IamGateway(new IAMClient({ region, credentials: creds })),
          ec2: new Ec2Gateway(new EC2Client({ region, credentials: creds })),
        };
      },
      log: silentLogger(),
      now: () => NOW,
    };
    const handler = makeIdempotentResponder({
      deps,
      idempotencyTableName: tables.idempotency,
      dynamo: client,
    });
    return { handler, deps };
  }

  async function freshTables(): Promise<{ audit: string; idempotency: string }> {
    tableSuffix += 1;
    const tables = { audit: `${AUDIT}-${tableSuffix}`, idempotency: `${IDEMPOTENCY}-${tableSuffix}` };
    await dynamo.client.send(
      new CreateTableCommand({
        TableName: tables.audit,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
    await dynamo.client.send(
      new CreateTableCommand({
        TableName: tables.idempotency,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );
    return tables;
  }

  /** Emails people would get: every published responder event the notifier renders, once per key. */
  function emails(): string[] {
    const keys = new Set<string>();
    // Only what reached the bus: a PutEvents call the fault rejected delivered nothing.
    {
      for (const entry of delivered) {
        const rendered = renderEvent(
          { source: entry.Source, 'detail-type': entry.DetailType, detail: JSON.parse(entry.Detail ?? '{}') },
          { config: config(), severityThreshold: 7 },
        );
        if (rendered.kind === 'alert') keys.add(rendered.alert.key);
      }
    }
    return [...keys];
  }

  beforeEach(() => {
    primeAccount();
    primeStatefulIam();
    failNext = null;
    injected = 0;
    delivered.length = 0;
    eventsMock.on(PutEventsCommand).callsFake(deliver);
  });

  beforeAll(() => {
    primeAccount();
    // What the healthy mocks answer, for the faulty sites to answer the same once they heal.
    role = {
      Role: {
        RoleName: 'WebAppRole',
        RoleId: 'AROAEXAMPLEROLEID1234',
        Arn: 'arn:aws:iam::123456789012:role/WebAppRole',
        Path: '/',
        CreateDate: NOW,
      },
    };
  });

  const cases = SITES.flatMap((site) =>
    [false, true].flatMap((persistent) => [1, 2].map((containers) => ({ site, persistent, containers }))),
  );

  it.each(cases.map((c) => [c.site.name, c.persistent ? 'persistently' : 'once', c.containers, c] as const))(
    '%s failing %s, %i container(s): completed or failed(final) with an email, nothing in progress, no IAM change twice',
    async (_name, _how, _count, { site, persistent, containers }) => {
      // Prepare
      const tables = await freshTables();
      instances = await healthyInstances();
      const runtimes = Array.from({ length: containers }, () => container(tables));
      site.arm(persistent);
      const event = structuredClone(credtrailEvent);
      const dlq: unknown[] = [];
      // Act: Lambda's async invoke: the first try and two retries, alternating containers.
      let result: unknown = null;
      for (let attempt = 0; attempt < 3 && result === null; attempt++) {
        const runtime = runtimes[attempt % runtimes.length];
        if (runtime === undefined) throw new Error('no runtime');
        result = await runtime.handler(event, lambdaContext('credtrail-responder')).catch(() => null);
      }
      if (result === null) dlq.push(event);
      // Assess
      const deps = runtimes[0]?.deps;
      if (deps === undefined) throw new Error('no runtime');
      failNext = null;
      const record = await deps.audit.getIncident(knownIncidentId, 'enforce');
      const mailed = emails();
      expect(injected).toBeGreaterThan(0);
      const seen = {
        result: (result as { status?: string } | null)?.status ?? null,
        record: record?.status ?? null,
        dlq: dlq.length,
        failureEmail: mailed.includes(`response-failed/${knownIncidentId}/respond/enforce`),
        planEmail: mailed.includes(`plan/${knownIncidentId}/respond/enforce`),
      };
      // One fault heals within Lambda's retries, whichever container runs them. A persistent one ends
      // failed(final): announced (unless the bus itself is down) and in the on-failure queue.
      expect(seen).toEqual(
        persistent
          ? {
              result: null,
              record: site.recordWhenDown === undefined ? 'failed' : site.recordWhenDown,
              dlq: 1,
              failureEmail: site.name !== 'EventBridge PutEvents',
              // eslint-disable-next-line jest/no-conditional-expect -- an asymmetric matcher, not an assertion
              planEmail: expect.any(Boolean) as unknown,
            }
          : { result: 'completed', record: 'completed', dlq: 0, failureEmail: false, planEmail: true },
      );
      for (const [policy, count] of applied) expect([policy, count]).toEqual([policy, 1]);
    },
  );

  async function healthyInstances(): Promise<unknown> {
    primeAccount();
    primeStatefulIam();
    const client = new EC2Client({ region: 'us-east-1' });
    const output = await client.send(new DescribeInstancesCommand({}));
    ec2Mock.resetHistory();
    eventsMock.on(PutEventsCommand).callsFake(deliver);
    return output;
  }

  let knownIncidentId = '';
  beforeAll(async () => {
    primeAccount();
    primeStatefulIam();
    const tables = await freshTables();
    const { handler } = container(tables);
    const result = (await handler(structuredClone(credtrailEvent), lambdaContext('credtrail-responder'))) as {
      incidentId: string;
    };
    knownIncidentId = result.incidentId;
  });

  it('a step record lost after its IAM call applied: undo still removes the policy', async () => {
    const tables = await freshTables();
    const { handler, deps } = container(tables);
    let failing = true;
    failNext = (name, key) =>
      failing && name === 'PutItemCommand' && (key ?? '').startsWith('STEP#enforce#respond#000');
    for (let attempt = 0; attempt < 3; attempt++)
      await handler(structuredClone(credtrailEvent), lambdaContext('credtrail-responder')).catch(() => null);
    failing = false;
    const record = await deps.audit.getIncident(knownIncidentId, 'enforce');
    expect(record?.status).toBe('failed');
    expect(policies.has('RevokeOldSessions')).toBe(true);
    expect(applied.get('RevokeOldSessions')).toBe(1);
    // Act
    const undo = await undoIncident(knownIncidentId, deps);
    // Assess
    expect(undo.status).toBe('undone');
    expect(undo.steps.map((step) => step.action)).toContain('revoke-sessions');
    expect(policies.has('RevokeOldSessions')).toBe(false);
  });
});
