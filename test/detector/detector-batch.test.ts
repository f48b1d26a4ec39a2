import {
  CloudWatchLogsClient,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeInstancesCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeTransitGatewayAttachmentsCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, S3Client, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import {
  FINDING_DETAIL_TYPE,
  FINDING_SOURCE,
  FINDING_UPDATE_DETAIL_TYPE,
  FindingDetailSchema,
} from '../../lib/contracts/finding-event';
import { processDetectorBatch } from '../../lib/detector/detector-batch';
import type { DetectorEnvironment } from '../../lib/detector/detector-environment';
import { createDetectorRuntime, type DetectorRuntime } from '../../lib/detector/detector-runtime';
import { ensureTable, exceptionsTableDefinition, stateTableDefinition } from '../../lib/state/state-table';
import { deliveryRecord, useRecord } from '../fixtures/detector/cloudtrail-records';
import cloudTrailNotice from '../fixtures/detector/cloudtrail-sns-notice.json';
import s3Event from '../fixtures/detector/s3-event.json';
import snsEnvelope from '../fixtures/detector/sns-envelope.json';
import sqsRecord from '../fixtures/detector/sqs-record.json';
import { asEventBridgeEvent } from '../support/cloudtrail-records';
import { startLocalDynamo, type LocalDynamo } from '../support/dynalite';

const NOW = Date.parse('2024-08-02T09:00:00Z');
const DETECTOR_ACCOUNT = '999988887777';
const PREFIX = 'AWSLogs/o-abc123/111122223333/CloudTrail/eu-west-1/2024/08/02/';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

const s3Mock = mockClient(S3Client);
const stsMock = mockClient(STSClient);
const ec2Mock = mockClient(EC2Client);
const eventsMock = mockClient(EventBridgeClient);
const logsMock = mockClient(CloudWatchLogsClient);

// A log file: the instance's delivery, a call from its own public address, two from a stranger.
const goodFile = {
  Records: [
    deliveryRecord({ eventId: 'd-1', accessKeyId: 'ASIAGOOD', instanceId: 'i-0good' }),
    useRecord({ eventId: 'u-1', accessKeyId: 'ASIAGOOD', instanceId: 'i-0good', sourceIp: '203.0.113.10' }),
    useRecord({ eventId: 'u-2', accessKeyId: 'ASIAGOOD', instanceId: 'i-0good', sourceIp: '198.51.100.7' }),
    useRecord({ eventId: 'u-3', accessKeyId: 'ASIAGOOD', instanceId: 'i-0good', sourceIp: '198.51.100.7' }),
  ],
};
const otherFile = {
  Records: [
    useRecord({ eventId: 'o-1', accessKeyId: 'ASIAOTHER', instanceId: 'i-0other', sourceIp: '203.0.113.99' }),
    useRecord({ eventId: 'o-2', accessKeyId: 'ASIAOTHER', instanceId: 'i-0other', sourceIp: '192.0.2.44' }),
  ],
};

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

function serveObjects(objects: Record<string, Uint8Array>): void {
  for (const [key, bytes] of Object.entries(objects)) {
    s3Mock
      .on(GetObjectCommand, { Bucket: 'org-trail', Key: PREFIX + key })
      .callsFake(() => ({ Body: objectBody(bytes) }));
  }
}

function s3Message(key: string): string {
  const event = structuredClone(s3Event);
  const record = event.Records[0];
  if (record) record.s3.object.key = PREFIX + key;
  return JSON.stringify(event);
}

function noticeMessage(keys: string[], inEnvelope: boolean): string {
  const notice = JSON.stringify({
    ...structuredClone(cloudTrailNotice),
    s3ObjectKey: keys.map((key) => PREFIX + key),
  });
  return inEnvelope ? JSON.stringify({ ...structuredClone(snsEnvelope), Message: notice }) : notice;
}

function sqsEvent(bodies: string[]): SQSEvent {
  return {
    Records: bodies.map((body, index): SQSRecord => ({
      ...structuredClone(sqsRecord),
      messageId: `m-${index}`,
      body,
    })),
  };
}

const context: Context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'credtrail-detector',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:999988887777:function:credtrail-detector',
  memoryLimitInMB: '512',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/credtrail-detector',
  logStreamName: '2024/08/02/[$LATEST]abc',
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

function detailOf(entry: { Detail?: string }) {
  return FindingDetailSchema.parse(JSON.parse(entry.Detail ?? '{}'));
}

function publishedEntries() {
  return eventsMock.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries ?? []);
}

describe('processDetectorBatch', () => {
  let dynamo: LocalDynamo;
  let runtime: DetectorRuntime;
  let tables = 0;
  const logger = new Logger({ logLevel: 'SILENT' });

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  afterAll(() => dynamo.stop());

  const runtimeEnv = (): DetectorEnvironment => ({
    STATE_TABLE_NAME: `state-${tables}`,
    EXCEPTIONS_TABLE_NAME: `exceptions-${tables}`,
    EVENT_BUS_NAME: 'credtrail',
    FINDINGS_LOG_GROUP_NAME: '/credtrail/findings',
    MEMBER_READ_ROLE_NAME: 'credtrail-read',
    TRUSTED_ACCOUNTS: '',
    INSTANCE_REGIONS: '',
    EXCEPTIONS_CACHE_SECONDS: 300,
  });
  const clientsFor = (local: LocalDynamo) => ({
    s3: new S3Client({ region: 'eu-west-1', credentials }),
    dynamodb: local.client,
    sts: new STSClient({ region: 'eu-west-1', credentials }),
    eventBridge: new EventBridgeClient({ region: 'eu-west-1', credentials }),
    logs: new CloudWatchLogsClient({ region: 'eu-west-1', credentials }),
    ec2: (region: string, assumed: { accessKeyId: string; secretAccessKey: string } | undefined) =>
      new EC2Client({ region, credentials: assumed ?? credentials }),
  });
  const runtimeOptions = () => ({
    region: 'eu-west-1',
    logger,
    clock: () => NOW,
    sleep: () => Promise.resolve(),
  });

  beforeEach(async () => {
    tables++;
    const env = runtimeEnv();
    await ensureTable(dynamo.client, stateTableDefinition(env.STATE_TABLE_NAME));
    await ensureTable(dynamo.client, exceptionsTableDefinition(env.EXCEPTIONS_TABLE_NAME));
    runtime = createDetectorRuntime(env, clientsFor(dynamo), runtimeOptions());
    stsMock.on(GetCallerIdentityCommand).resolves({ Account: DETECTOR_ACCOUNT });
    stsMock.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIAMEMBER',
        SecretAccessKey: 'secret',
        SessionToken: 'token',
        Expiration: new Date(NOW + 3600_000),
      },
    });
    ec2Mock.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            {
              InstanceId: 'i-0good',
              VpcId: 'vpc-0a',
              SubnetId: 'subnet-0a',
              PrivateIpAddress: '10.0.1.5',
              PublicIpAddress: '203.0.113.10',
            },
          ],
        },
      ],
    });
    ec2Mock.on(DescribeNatGatewaysCommand).resolves({ NatGateways: [] });
    ec2Mock.on(DescribeVpcEndpointsCommand).resolves({ VpcEndpoints: [] });
    ec2Mock.on(DescribeRouteTablesCommand).resolves({ RouteTables: [] });
    ec2Mock.on(DescribeTransitGatewayAttachmentsCommand).resolves({ TransitGatewayAttachments: [] });
    eventsMock.on(PutEventsCommand).callsFake((input: { Entries?: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: (input.Entries ?? []).map((_, index) => ({ EventId: `e-${index}` })),
    }));
    logsMock.on(CreateLogStreamCommand).resolves({});
    logsMock.on(PutLogEventsCommand).resolves({});
    serveObjects({
      'good.json.gz': gzipSync(JSON.stringify(goodFile)),
      'other.json': Buffer.from(JSON.stringify(otherFile)),
      'corrupt.json.gz': Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x42, 0x42, 0x42]),
    });
  });

  afterEach(() => {
    for (const mock of [s3Mock, stsMock, ec2Mock, eventsMock, logsMock]) mock.reset();
  });

  const run = (bodies: string[]) =>
    processDetectorBatch(sqsEvent(bodies), context, runtime, {
      logger,
      metrics: new Metrics({ namespace: 'test' }),
    });

  it('reads the file an S3 event names, judges it against EC2, and announces the finding on the bus and in the log', async () => {
    // Act
    const response = await run([s3Message('good.json.gz')]);

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const entries = publishedEntries();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      EventBusName: 'credtrail',
      Source: FINDING_SOURCE,
      DetailType: FINDING_DETAIL_TYPE,
    });
    const detail = FindingDetailSchema.parse(JSON.parse(entries[0]?.Detail ?? '{}'));
    expect(detail).toMatchObject({
      sourceIp: '198.51.100.7',
      eventCount: 2,
      instanceId: 'i-0good',
      region: 'eu-west-1',
    });
    expect(detail.expected).toMatchObject({ source: 'inventory', publicIps: ['203.0.113.10'], note: null });
    expect(stsMock.commandCalls(AssumeRoleCommand)[0]?.args[0].input.RoleArn).toBe(
      'arn:aws:iam::111122223333:role/credtrail-read',
    );
    const logged = logsMock.commandCalls(PutLogEventsCommand)[0]?.args[0].input;
    expect(logged?.logGroupName).toBe('/credtrail/findings');
    expect(JSON.parse(logged?.logEvents?.[0]?.message ?? '{}')).toMatchObject({
      kind: 'finding',
      findingId: detail.findingId,
    });
  });

  it('judges calls forwarded by the real-time path, reads no file, and counts a call the file repeats once', async () => {
    // Prepare: the good file's calls, one message each, as the real-time queue delivers them.
    const forwarded = goodFile.Records.map((record) => JSON.stringify(asEventBridgeEvent(record)));

    // Act
    const live = await run(forwarded);
    const later = await run([s3Message('good.json.gz')]);

    // Assess
    expect([live.batchItemFailures, later.batchItemFailures]).toEqual([[], []]);
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(1);
    const details = publishedEntries().map(detailOf);
    expect(details[0]).toMatchObject({ instanceId: 'i-0good', sourceIp: '198.51.100.7' });
    expect(details.every((detail) => detail.eventCount <= 2)).toBe(true);
  });

  it.each([
    ['real-time first', 'live', 'file'],
    ['file first', 'file', 'live'],
  ] as const)(
    'counts a call once when the paths reach two containers (%s), and the second path announces nothing',
    async (_, first, second) => {
      // Prepare: two containers over one table, as Lambda concurrency makes them.
      const forwarded = goodFile.Records.map((record) => JSON.stringify(asEventBridgeEvent(record)));
      const containers = [runtime, createDetectorRuntime(runtimeEnv(), clientsFor(dynamo), runtimeOptions())];
      const bodies = { live: forwarded, file: [s3Message('good.json.gz')] };

      // Act
      for (const [index, path] of [first, second].entries()) {
        const container = containers[index];
        if (container === undefined) throw new Error('no container');
        const response = await processDetectorBatch(sqsEvent(bodies[path]), context, container, {
          logger,
          metrics: new Metrics({ namespace: 'test' }),
        });
        expect(response.batchItemFailures).toEqual([]);
      }

      // Assess: announced once (the real-time path then says when the count doubles), never above the
      // truth, nothing more from the second path; the table holds the true count.
      const announced = publishedEntries().map((entry) => [entry.DetailType, detailOf(entry).eventCount]);
      expect(announced).toEqual(
        first === 'live'
          ? [
              [FINDING_DETAIL_TYPE, 1],
              [FINDING_UPDATE_DETAIL_TYPE, 2],
            ]
          : [[FINDING_DETAIL_TYPE, 2]],
      );
      const stored = await DynamoDBDocumentClient.from(dynamo.client).send(
        new ScanCommand({ TableName: runtimeEnv().STATE_TABLE_NAME }),
      );
      // Finding items only (the taint chain keeps an item with the same sort key under another prefix).
      const findings = (stored.Items ?? []).filter(
        (item) => item['sk'] === 'FINDING' && String(item['pk']).startsWith('FINDING#'),
      );
      expect(findings.map((item) => FindingDetailSchema.parse(item['detail']).eventCount)).toEqual([2]);
    },
  );

  it.each([
    ['raw', false],
    ['in an SNS envelope', true],
  ])("reads every file of CloudTrail's own notice (%s)", async (_, inEnvelope) => {
    // Act
    const response = await run([noticeMessage(['good.json.gz', 'other.json'], inEnvelope)]);

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(2);
    expect(publishedEntries().map((entry) => detailOf(entry).instanceId)).toEqual(['i-0good', 'i-0other']);
  });

  it('fails only the message whose gzip is corrupt', async () => {
    // Act
    const response = await run([
      s3Message('good.json.gz'),
      s3Message('corrupt.json.gz'),
      s3Message('other.json'),
    ]);

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    expect(publishedEntries()).toHaveLength(2);
  });

  it('skips digest files and other objects without reading or failing them', async () => {
    // Prepare
    const digest =
      'AWSLogs/o-abc123/111122223333/CloudTrail-Digest/eu-west-1/2024/08/02/111122223333_CloudTrail-Digest_eu-west-1_org_eu-west-1_20240802T083512Z.json.gz';

    // Act
    const response = await run([
      JSON.stringify({ s3Bucket: 'org-trail', s3ObjectKey: [digest] }),
      JSON.stringify({
        s3Bucket: 'org-trail',
        s3ObjectKey: ['AWSLogs/o-abc123/111122223333/CloudTrail/ConfigWritabilityCheckFile'],
      }),
    ]);

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(0);
  });

  it('retries only the entries PutEvents failed, and succeeds when they go through', async () => {
    // Prepare
    eventsMock
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ EventId: 'e-0' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }],
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });

    // Act
    const response = await run([noticeMessage(['good.json.gz', 'other.json'], false)]);

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const calls = eventsMock.commandCalls(PutEventsCommand);
    expect(calls.map((call) => call.args[0].input.Entries?.length)).toEqual([2, 1]);
    expect(calls[1]?.args[0].input.Entries?.[0]).toEqual(calls[0]?.args[0].input.Entries?.[1]);
  });

  it('fails the message back to SQS when PutEvents keeps failing, and announces the finding on the retry', async () => {
    // Prepare
    eventsMock
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException' }] });

    // Act
    const failed = await run([s3Message('good.json.gz')]);
    const attempts = eventsMock.commandCalls(PutEventsCommand).length;
    eventsMock.reset();
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-0' }] });
    const retried = await run([s3Message('good.json.gz')]);

    // Assess
    expect(failed.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }]);
    expect(attempts).toBe(4);
    expect(retried.batchItemFailures).toEqual([]);
    expect(publishedEntries().map((entry) => entry.DetailType)).toEqual([FINDING_DETAIL_TYPE]);
  });

  it('announces the findings of a message whose later file failed, on the retry in another container', async () => {
    // Act: good.json.gz is stored, corrupt.json.gz fails the message
    const failed = await run([noticeMessage(['good.json.gz', 'corrupt.json.gz'], false)]);
    const publishedBefore = publishedEntries().length;
    serveObjects({ 'corrupt.json.gz': gzipSync(JSON.stringify({ Records: [] })) });
    runtime = createDetectorRuntime(runtimeEnv(), clientsFor(dynamo), runtimeOptions());
    const retried = await run([noticeMessage(['good.json.gz', 'corrupt.json.gz'], false)]);

    // Assess
    expect(failed.batchItemFailures).toHaveLength(1);
    expect(publishedBefore).toBe(0);
    expect(retried.batchItemFailures).toEqual([]);
    expect(publishedEntries().map((entry) => detailOf(entry).eventCount)).toEqual([2]);
  });

  it('counts the same records under another S3 key, in another container, not at all', async () => {
    // Prepare
    serveObjects({ 'copy.json.gz': gzipSync(JSON.stringify(goodFile)) });
    await run([s3Message('good.json.gz')]);

    // Act
    runtime = createDetectorRuntime(runtimeEnv(), clientsFor(dynamo), runtimeOptions());
    await run([s3Message('copy.json.gz')]);
    await runtime.service.endBatch();

    // Assess: one announcement at the true count (2 calls from the stranger), no doubled "update"
    expect(publishedEntries().map((entry) => detailOf(entry).eventCount)).toEqual([2]);
  });

  it('still reports the finding when enrichment fails, and says why in the finding', async () => {
    // Prepare
    stsMock
      .on(AssumeRoleCommand)
      .rejects(new Error('AccessDenied: not authorized to perform sts:AssumeRole'));

    // Act
    const response = await run([s3Message('good.json.gz')]);

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const detail = FindingDetailSchema.parse(JSON.parse(publishedEntries()[0]?.Detail ?? '{}'));
    expect(detail.expected.source).toBe('first-seen');
    expect(detail.expected.firstOrigin).toBe('203.0.113.10');
    expect(detail.expected.note).toContain('could not assume arn:aws:iam::111122223333:role/credtrail-read');
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it('fails the message of an object deleted before it was read, naming it, and processes the rest', async () => {
    // Prepare: S3 is strongly consistent, so NoSuchKey means the object is gone; SQS retries, then the DLQ.
    s3Mock
      .on(GetObjectCommand, { Bucket: 'org-trail', Key: PREFIX + 'gone.json.gz' })
      .rejects(Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' }));
    const errors: unknown[] = [];
    const spy = jest
      .spyOn(logger, 'error')
      .mockImplementation((...args: unknown[]) => void errors.push(args));

    // Act
    const response = await run([s3Message('gone.json.gz'), s3Message('good.json.gz')]);

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }]);
    expect(publishedEntries()).toHaveLength(1);
    const logged = (errors[0] as [string, { error: Error }] | undefined)?.[1].error;
    expect(logged?.message).toBe(
      `s3://org-trail/${PREFIX}gone.json.gz: could not be read (NoSuchKey: The specified key does not exist.)`,
    );
    spy.mockRestore();
  });

  it('fails the message while DynamoDB throttles, announces nothing half-done, and succeeds on the retry', async () => {
    // Prepare: a client whose next requests are throttled past the SDK's own retries.
    let throttled = 50;
    const throttling = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'eu-west-1',
      credentials,
      maxAttempts: 1,
    });
    throttling.middlewareStack.add(
      (next) => async (args) => {
        if (throttled-- > 0) {
          throw Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
            name: 'ProvisionedThroughputExceededException',
            $metadata: {},
          });
        }
        return next(args);
      },
      { step: 'initialize', name: 'throttle' },
    );
    const throttledRuntime = createDetectorRuntime(
      runtimeEnv(),
      { ...clientsFor(dynamo), dynamodb: throttling },
      runtimeOptions(),
    );

    // Act
    const failed = await processDetectorBatch(
      sqsEvent([s3Message('good.json.gz')]),
      context,
      throttledRuntime,
      {
        logger,
        metrics: new Metrics({ namespace: 'test' }),
      },
    );
    const announcedWhileThrottled = publishedEntries().length;
    throttled = 0;
    const retried = await processDetectorBatch(
      sqsEvent([s3Message('good.json.gz')]),
      context,
      throttledRuntime,
      {
        logger,
        metrics: new Metrics({ namespace: 'test' }),
      },
    );

    // Assess
    expect(failed.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }]);
    expect(announcedWhileThrottled).toBe(0);
    expect(retried.batchItemFailures).toEqual([]);
    expect(publishedEntries().map((entry) => detailOf(entry).eventCount)).toEqual([2]);
  });

  it('waits out IAM propagation of a freshly deployed member role before judging by inventory', async () => {
    // Prepare: the StackSet's role is refused once, as IAM's eventual consistency does.
    stsMock
      .on(AssumeRoleCommand)
      .rejectsOnce(
        Object.assign(new Error('not authorized to perform sts:AssumeRole'), { name: 'AccessDenied' }),
      )
      .resolves({
        Credentials: {
          AccessKeyId: 'ASIAMEMBER',
          SecretAccessKey: 'secret',
          SessionToken: 'token',
          Expiration: new Date(NOW + 3600_000),
        },
      });

    // Act
    const response = await run([s3Message('good.json.gz')]);

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(stsMock.commandCalls(AssumeRoleCommand)).toHaveLength(2);
    expect(detailOf(publishedEntries()[0] ?? {}).expected).toEqual(
      expect.objectContaining({ source: 'inventory', note: null }),
    );
  });

  it('announces growth of a known finding under another detail-type, once the count doubles', async () => {
    // Prepare
    await run([s3Message('good.json.gz')]);
    const more = {
      Records: [3, 4, 5].map((n) =>
        useRecord({
          eventId: `u-${n + 10}`,
          accessKeyId: 'ASIAGOOD',
          instanceId: 'i-0good',
          sourceIp: '198.51.100.7',
        }),
      ),
    };
    serveObjects({ 'more.json': Buffer.from(JSON.stringify(more)) });

    // Act
    await run([s3Message('more.json')]);

    // Assess
    const types = publishedEntries().map((entry) => [entry.DetailType, detailOf(entry).eventCount]);
    expect(types).toEqual([
      [FINDING_DETAIL_TYPE, 2],
      [FINDING_UPDATE_DETAIL_TYPE, 5],
    ]);
  });
});
