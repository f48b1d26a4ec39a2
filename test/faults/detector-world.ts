import {
  CloudWatchLogsClient,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeInstancesCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeTransitGatewayAttachmentsCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
  type DescribeInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, S3Client, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { FindingDetailSchema, type FindingDetail } from '../../lib/contracts/finding-event';
import { AlertLedgerGateway } from '../../lib/notifier/alert-ledger-gateway';
import { notify } from '../../lib/notifier/notify';
import { SnsGateway } from '../../lib/notifier/sns-gateway';
import { ResponseConfigSchema } from '../../lib/responder/response-config-schema';
import { FindingItemSchema } from '../../lib/state/state-items';
import { ItemKind, OUTBOX_PARTITION, findingKey } from '../../lib/state/state-table';
import { deliveryRecord, useRecord } from '../support/cloudtrail-records';
import { faults } from './fault-switch';

/**
 * The world the detector's fault suite runs in: CloudTrail files in a mocked S3, a member account whose
 * EC2 answers for three instances, a bus, a findings log, and the notifier that turns what reached the
 * bus into emails. Every mocked call asks the fault switch first.
 */
export const BUCKET = 'org-trail';
const PREFIX = 'AWSLogs/o-abc123/111111111111/CloudTrail/us-east-1/2026/11/26/';
const logKey = (time: string, suffix: string) =>
  `${PREFIX}111111111111_CloudTrail_us-east-1_20261126T${time}Z_${suffix}.json.gz`;
export const FILE_1 = logKey('1005', 'firstFILEfirst01');
export const FILE_2 = logKey('1010', 'secondFILEsecnd2');
export const FILE_QUIET = logKey('1015', 'quietFILEquiet03');

const THIEF = '198.51.100.66';
export const INSTANCES = {
  A: { instanceId: 'i-0aaaaaaaaaaaaaaa1', accessKeyId: 'ASIAFAULTKEYAAAAAAA1', ownIp: '203.0.113.11' },
  B: { instanceId: 'i-0bbbbbbbbbbbbbbb2', accessKeyId: 'ASIAFAULTKEYBBBBBBB2', ownIp: '203.0.113.12' },
  C: { instanceId: 'i-0ccccccccccccccc3', accessKeyId: 'ASIAFAULTKEYCCCCCCC3', ownIp: '203.0.113.13' },
} as const;
type Name = keyof typeof INSTANCES;

const call = (name: Name, eventId: string, minute: number, fromThief: boolean) =>
  useRecord({
    eventId,
    accessKeyId: INSTANCES[name].accessKeyId,
    instanceId: INSTANCES[name].instanceId,
    sourceIp: fromThief ? THIEF : INSTANCES[name].ownIp,
    eventTime: `2026-11-26T10:${String(minute).padStart(2, '0')}:00Z`,
  });
const delivery = (name: Name) =>
  deliveryRecord({ accessKeyId: INSTANCES[name].accessKeyId, instanceId: INSTANCES[name].instanceId });

/** EC2 knows A and B; C is unknown to it (launched after, say), so C's first origin decides. */
const KNOWN_TO_EC2 = new Set<Name>(['A', 'B']);

/**
 * File 1 holds two thefts (A twice, B once); file 2 carries on A's (two more: a doubling, so a stored
 * update) and starts C's (twice). The true counts: A 4, B 1, C 2. The quiet file has no finding.
 */
export const TRUE_COUNTS: Record<Name, number> = { A: 4, B: 1, C: 2 };
const FILES: Record<string, unknown[]> = {
  [FILE_1]: [
    delivery('A'),
    delivery('B'),
    call('A', 'f1-a-own', 0, false),
    call('A', 'f1-a-1', 1, true),
    call('A', 'f1-a-2', 2, true),
    call('B', 'f1-b-own', 0, false),
    call('B', 'f1-b-1', 3, true),
  ],
  [FILE_2]: [
    call('A', 'f2-a-3', 6, true),
    call('A', 'f2-a-4', 7, true),
    delivery('C'),
    call('C', 'f2-c-own', 5, false),
    call('C', 'f2-c-1', 8, true),
    call('C', 'f2-c-2', 9, true),
  ],
  [FILE_QUIET]: [call('A', 'quiet-a-own', 12, false)],
};
const OBJECTS = new Map(
  Object.entries(FILES).map(([key, records]) => [key, gzipSync(JSON.stringify({ Records: records }))]),
);

/** CloudTrail's own notice for the files, as SQS hands it to the detector. */
export function notice(...keys: string[]): string {
  return JSON.stringify({ s3Bucket: BUCKET, s3ObjectKey: keys });
}

export const s3Mock = mockClient(S3Client);
export const stsMock = mockClient(STSClient);
export const ec2Mock = mockClient(EC2Client);
export const eventsMock = mockClient(EventBridgeClient);
export const logsMock = mockClient(CloudWatchLogsClient);
export const snsMock = mockClient(SNSClient);

/** What left the detector: entries PutEvents accepted, lines the findings log group received. */
export const outside = {
  bus: [] as PutEventsRequestEntry[],
  findingsLog: [] as { kind: string; findingId: string; eventCount: number }[],
};

const throttled = (service: string) =>
  Object.assign(new Error(`${service}: Rate exceeded`), { name: 'ThrottlingException', $metadata: {} });

/** aws-sdk-client-mock hands a fake's return value back as it is; the SDK's callers expect a promise. */
function answer<I, O>(fake: (input: I) => O): (input: I) => Promise<O> {
  return (input) => new Promise((resolve) => resolve(fake(input)));
}

function objectBody(bytes: Uint8Array): GetObjectCommandOutput['Body'] {
  // The SDK hands Node a Readable with its helper methods mixed in; this is the same shape.
  return Object.assign(Readable.from([Buffer.from(bytes)]), {
    transformToByteArray: () => Promise.resolve(bytes),
    transformToString: () => Promise.resolve(Buffer.from(bytes).toString('utf8')),
    transformToWebStream: () => {
      throw new Error('not used');
    },
  });
}

function instancesMatching(input: DescribeInstancesCommandInput) {
  const wanted = new Set(input.Filters?.flatMap((filter) => filter.Values ?? []) ?? []);
  return Object.entries(INSTANCES)
    .filter(([name, { instanceId }]) => KNOWN_TO_EC2.has(name as Name) && wanted.has(instanceId))
    .map(([, instance]) => instance)
    .map(({ instanceId, ownIp }) => ({
      InstanceId: instanceId,
      VpcId: 'vpc-0fault',
      SubnetId: 'subnet-0fault',
      PrivateIpAddress: '10.0.1.5',
      PublicIpAddress: ownIp,
    }));
}

/** Healthy answers for every mocked service, each behind the fault switch. */
export function primeAws(): void {
  for (const mock of [s3Mock, stsMock, ec2Mock, eventsMock, logsMock, snsMock]) mock.reset();
  outside.bus.length = 0;
  outside.findingsLog.length = 0;
  s3Mock.on(GetObjectCommand).callsFake(
    answer((input: { Bucket?: string; Key?: string }) => {
      if (faults.shouldFail({ service: 'S3', command: 'GetObject', target: input.Key }))
        throw throttled('S3');
      const bytes = input.Bucket === BUCKET ? OBJECTS.get(input.Key ?? '') : undefined;
      if (bytes === undefined) throw Object.assign(new Error('no such key'), { name: 'NoSuchKey' });
      return { Body: objectBody(bytes) };
    }),
  );
  stsMock.on(GetCallerIdentityCommand).callsFake(
    answer(() => {
      if (faults.shouldFail({ service: 'STS', command: 'GetCallerIdentity' })) throw throttled('STS');
      return { Account: '999988887777' };
    }),
  );
  stsMock.on(AssumeRoleCommand).callsFake(
    answer(() => {
      if (faults.shouldFail({ service: 'STS', command: 'AssumeRole' })) throw throttled('STS');
      return {
        Credentials: {
          AccessKeyId: 'ASIAMEMBER',
          SecretAccessKey: 'secret',
          SessionToken: 'token',
          Expiration: new Date(Date.parse('2026-11-27T00:00:00Z')),
        },
      };
    }),
  );
  ec2Mock.on(DescribeInstancesCommand).callsFake(
    answer((input: DescribeInstancesCommandInput) => {
      if (faults.shouldFail({ service: 'EC2', command: 'DescribeInstances' })) throw throttled('EC2');
      return { Reservations: [{ Instances: instancesMatching(input) }] };
    }),
  );
  ec2Mock.on(DescribeNatGatewaysCommand).resolves({ NatGateways: [] });
  ec2Mock.on(DescribeVpcEndpointsCommand).resolves({ VpcEndpoints: [] });
  ec2Mock.on(DescribeRouteTablesCommand).resolves({ RouteTables: [] });
  ec2Mock.on(DescribeTransitGatewayAttachmentsCommand).resolves({ TransitGatewayAttachments: [] });
  eventsMock.on(PutEventsCommand).callsFake(
    answer((input: { Entries?: PutEventsRequestEntry[] }) => {
      const entries = input.Entries ?? [];
      if (faults.shouldFail({ service: 'EventBridge', command: 'PutEvents' })) {
        if (faults.site?.failure !== 'failed-entries') throw throttled('EventBridge');
        // PutEvents answers 200 with every entry refused (the account's PutEvents quota, say).
        return {
          FailedEntryCount: entries.length,
          Entries: entries.map(() => ({ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' })),
        };
      }
      outside.bus.push(...entries);
      return { FailedEntryCount: 0, Entries: entries.map((_, index) => ({ EventId: `e-${index}` })) };
    }),
  );
  logsMock.on(CreateLogStreamCommand).callsFake(
    answer(() => {
      if (faults.shouldFail({ service: 'Logs', command: 'CreateLogStream' })) throw throttled('Logs');
      return {};
    }),
  );
  logsMock.on(PutLogEventsCommand).callsFake(
    answer((input: { logEvents?: { message?: string }[] }) => {
      if (faults.shouldFail({ service: 'Logs', command: 'PutLogEvents' })) throw throttled('Logs');
      for (const event of input.logEvents ?? []) {
        outside.findingsLog.push(JSON.parse(event.message ?? '{}') as (typeof outside.findingsLog)[number]);
      }
      return {};
    }),
  );
  snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
}

/** Finding details that reached the bus, as the notifier and responder would receive them. */
export function busFindings(): FindingDetail[] {
  return outside.bus.map((entry) => FindingDetailSchema.parse(JSON.parse(entry.Detail ?? '{}')));
}

export interface StoredState {
  readonly findings: Map<string, { eventCount: number; announced: boolean; instanceId: string }>;
  readonly outbox: string[];
}

/** The state table as a reader sees it (a Scan, strongly consistent enough on dynalite). */
export async function storedState(client: DynamoDBClient, tableName: string): Promise<StoredState> {
  const findings: StoredState['findings'] = new Map();
  const outbox: string[] = [];
  const documents = DynamoDBDocumentClient.from(client);
  const { Items } = await documents.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
  for (const item of Items ?? []) {
    if (item['pk'] === OUTBOX_PARTITION) outbox.push(String(item['findingId']));
    else if (item['sk'] === ItemKind.Finding && String(item['pk']).startsWith(findingKey(''))) {
      const finding = FindingItemSchema.parse(item);
      findings.set(finding.detail.findingId, {
        eventCount: finding.detail.eventCount,
        announced: finding.announced,
        instanceId: finding.detail.instanceId,
      });
    }
  }
  return { findings, outbox };
}

let ledgers = 0;

/**
 * Every bus entry, in order, through the real notifier (ledger on dynalite, SNS mocked): the emails
 * people get, per finding id. This is where at-least-once on the bus becomes once for people.
 */
export async function emailsPerFinding(client: DynamoDBClient): Promise<Map<string, number>> {
  const table = `alert-ledger-${++ledgers}`;
  await client.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const deps = {
    ledger: new AlertLedgerGateway(client, table),
    publisher: new SnsGateway(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:999988887777:t'),
    context: { config: ResponseConfigSchema.parse({}), severityThreshold: 7 },
    now: () => new Date('2026-11-26T12:00:00Z'),
  };
  const emails = new Map<string, number>();
  for (const entry of outside.bus) {
    const detail = FindingDetailSchema.parse(JSON.parse(entry.Detail ?? '{}'));
    const event = { source: entry.Source, 'detail-type': entry.DetailType, detail };
    const outcome = await notify(event, deps);
    if (outcome.status === 'sent') emails.set(detail.findingId, (emails.get(detail.findingId) ?? 0) + 1);
  }
  return emails;
}
