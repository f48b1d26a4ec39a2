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
import { mockClient } from 'aws-sdk-client-mock';
import { Readable } from 'node:stream';
import {
  FINDING_DETAIL_TYPE,
  FINDING_UPDATE_DETAIL_TYPE,
  FindingDetailSchema,
} from '../../lib/contracts/finding-event';
import { createDetectorRuntime, type DetectorRuntime } from '../../lib/detector/detector-runtime';
import { ensureTable, exceptionsTableDefinition, stateTableDefinition } from '../../lib/state/state-table';
import s3Event from '../fixtures/detector/s3-event.json';
import { startLocalDynamo, type LocalDynamo } from '../support/dynalite';
import { TRAIL, taintTrail } from '../support/taint-trail';

const NOW = Date.parse('2026-11-26T10:20:00Z');
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const s3Mock = mockClient(S3Client);
const stsMock = mockClient(STSClient);
const ec2Mock = mockClient(EC2Client);
const eventsMock = mockClient(EventBridgeClient);
const logsMock = mockClient(CloudWatchLogsClient);

function body(text: string): GetObjectCommandOutput['Body'] {
  const bytes = Buffer.from(text);
  return Object.assign(Readable.from([bytes]), {
    transformToByteArray: () => Promise.resolve(new Uint8Array(bytes)),
    transformToString: () => Promise.resolve(text),
    transformToWebStream: () => {
      throw new Error('not used');
    },
  });
}

function message(key: string): string {
  const event = structuredClone(s3Event);
  const record = event.Records[0];
  if (record) {
    record.s3.bucket.name = 'org-trail';
    record.s3.object.key = key;
  }
  return JSON.stringify(event);
}

/**
 * Issue 17 in the Lambda: the hand-made incident's three files arrive one message at a time, as S3
 * notifies the queue. The chain lives in the state table (dynalite), so each file continues it.
 */
describe('the detector Lambda keeps the chain current as files arrive', () => {
  let dynamo: LocalDynamo;
  let tables = 0;
  const files = taintTrail();
  // Delivery order by the files' time: account A us-east-1, account B eu-west-1, account A eu-west-1.
  const keys = Object.keys(files).sort((a, b) =>
    (a.split('_')[3] ?? '').localeCompare(b.split('_')[3] ?? ''),
  );

  async function freshRuntime(): Promise<DetectorRuntime> {
    tables++;
    await ensureTable(dynamo.client, stateTableDefinition(`state-${tables}`));
    await ensureTable(dynamo.client, exceptionsTableDefinition(`exceptions-${tables}`));
    return runtimeOn(`state-${tables}`, `exceptions-${tables}`);
  }

  function runtimeOn(state: string, exceptions: string): DetectorRuntime {
    return createDetectorRuntime(
      {
        STATE_TABLE_NAME: state,
        EXCEPTIONS_TABLE_NAME: exceptions,
        EVENT_BUS_NAME: 'credtrail',
        FINDINGS_LOG_GROUP_NAME: '/credtrail/findings',
        MEMBER_READ_ROLE_NAME: 'credtrail-read',
        TRUSTED_ACCOUNTS: '',
        INSTANCE_REGIONS: 'us-east-1',
        EXCEPTIONS_CACHE_SECONDS: 300,
      },
      {
        s3: new S3Client({ region: 'us-east-1', credentials }),
        dynamodb: dynamo.client,
        sts: new STSClient({ region: 'us-east-1', credentials }),
        eventBridge: new EventBridgeClient({ region: 'us-east-1', credentials }),
        logs: new CloudWatchLogsClient({ region: 'us-east-1', credentials }),
        ec2: (region, assumed) => new EC2Client({ region, credentials: assumed ?? credentials }),
      },
      {
        region: 'us-east-1',
        logger: new Logger({ logLevel: 'SILENT' }),
        clock: () => NOW,
        sleep: () => Promise.resolve(),
      },
    );
  }

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  beforeEach(() => {
    stsMock.on(GetCallerIdentityCommand).resolves({ Account: '999988887777' });
    stsMock.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIAMEMBER',
        SecretAccessKey: 's',
        SessionToken: 't',
        Expiration: new Date(NOW + 3600_000),
      },
    });
    ec2Mock.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            {
              InstanceId: TRAIL.instanceId,
              VpcId: 'vpc-0a',
              SubnetId: 'subnet-0a',
              PrivateIpAddress: '10.0.1.5',
              PublicIpAddress: TRAIL.instanceAddress,
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
    for (const key of keys) {
      s3Mock
        .on(GetObjectCommand, { Bucket: 'org-trail', Key: key })
        .callsFake(() => ({ Body: body(JSON.stringify(files[key])) }));
    }
  });
  afterEach(() => {
    for (const mock of [s3Mock, stsMock, ec2Mock, eventsMock, logsMock]) mock.reset();
  });
  afterAll(() => dynamo.stop());

  const published = () =>
    eventsMock
      .commandCalls(PutEventsCommand)
      .flatMap((call) => call.args[0].input.Entries ?? [])
      .map((entry) => ({
        type: entry.DetailType,
        detail: FindingDetailSchema.parse(JSON.parse(entry.Detail ?? '{}')),
      }));

  it('announces the finding with its first hop, an update when the chain grows, nothing for a repeat', async () => {
    const runtime = await freshRuntime();
    await runtime.service.processMessage(message(keys[0] ?? ''));
    const [created, ...others] = published();
    expect(others).toEqual([]);
    expect(created?.type).toBe(FINDING_DETAIL_TYPE);
    expect(created?.detail.sourceIp).toBe(TRAIL.thiefAddress);
    expect(created?.detail.taint?.derivedSessions.map((s) => s.accessKeyId)).toEqual([TRAIL.hop1Key]);
    expect(created?.detail.chainVersion).toMatch(/^1-/);
    expect(created?.detail.change).toBeUndefined();
    // The workload's own AssumeRole, from its own address, is not the thief's.
    expect(JSON.stringify(created?.detail)).not.toContain(TRAIL.legitKey);

    // Account B's file: the second hop (as recorded in the role's account) and what it left behind.
    // The finding's own key does not appear in it: the update comes from the chain alone.
    await runtime.service.processMessage(message(keys[1] ?? ''));
    const update = published()[1];
    expect(published()).toHaveLength(2);
    expect(update?.type).toBe(FINDING_UPDATE_DETAIL_TYPE);
    expect(update?.detail.findingId).toBe(created?.detail.findingId);
    expect(update?.detail.taint?.derivedSessions.map((s) => [s.accessKeyId, s.accountId])).toEqual([
      [TRAIL.hop1Key, TRAIL.accountA],
      [TRAIL.hop2Key, TRAIL.accountB],
    ]);
    expect(update?.detail.taint?.persistence.map((a) => a.id)).toEqual([
      TRAIL.createdAccessKey,
      TRAIL.keyPairName,
      TRAIL.securityGroupId,
      TRAIL.launchedInstance,
    ]);
    expect(update?.detail.taint?.persistence[0]?.owner).toBe(TRAIL.backdoorUser);
    // What the bus rules route to the notifier and the responder: chain growth, a new version.
    expect(update?.detail.change).toBe('chain-growth');
    expect(update?.detail.chainVersion).toMatch(/^6-/);

    // Account A's eu-west-1 file holds the same AssumeRole again: nothing new, nothing announced.
    await runtime.service.processMessage(message(keys[2] ?? ''));
    expect(published()).toHaveLength(2);
  });

  it('a file delivered twice, or to another container, grows nothing and announces nothing again', async () => {
    const first = await freshRuntime();
    await first.service.processMessage(message(keys[0] ?? ''));
    await first.service.processMessage(message(keys[1] ?? ''));
    expect(published().map((p) => p.type)).toEqual([FINDING_DETAIL_TYPE, FINDING_UPDATE_DETAIL_TYPE]);
    // Another container over the same table receives account B's file again (SQS at least once).
    const second = runtimeOn(`state-${tables}`, `exceptions-${tables}`);
    await second.service.processMessage(message(keys[1] ?? ''));
    await first.service.processMessage(message(keys[1] ?? ''));
    expect(published()).toHaveLength(2);
  });
});
