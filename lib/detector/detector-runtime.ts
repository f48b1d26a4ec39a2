import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import type { Logger } from '@aws-lambda-powertools/logger';
import { randomUUID } from 'node:crypto';
import type { TemporaryCredentials } from '../aws/member-role';
import { Detector } from '../engine/detector';
import { ExceptionList } from '../engine/credential-exception';
import { DynamoDbStore } from '../state/dynamodb-store';
import { ExceptionsTable } from '../state/exceptions-table';
import { RequestCounter } from '../state/request-counter';
import { DetectorService } from './detector-service';
import type { DetectorEnvironment } from './detector-environment';
import { Ec2NetworkDirectory } from './ec2-network-directory';
import { ExceptionsRefresher } from './exceptions-refresher';
import { FindingsLogWriter } from './findings-log-writer';
import { FindingsPublisher } from './findings-publisher';
import { MemberCredentials, partitionOf } from './member-credentials';
import { S3LogGateway } from './s3-log-gateway';
import { TaintFollower } from './taint-follower';
import { TaintTracker } from '../engine/taint-tracker';
import { DynamoDbTaintStore } from '../state/taint-dynamodb-store';

/** How old an EC2 answer may be before a suspicious origin is checked against a fresh one. */
export const NETWORK_REFRESH_MS = 15 * 60_000;

/** Every AWS client the detector uses; tests pass real clients patched by aws-sdk-client-mock. */
export interface DetectorClients {
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
  readonly sts: STSClient;
  readonly eventBridge: EventBridgeClient;
  readonly logs: CloudWatchLogsClient;
  readonly ec2: (
    region: string,
    credentials: TemporaryCredentials | undefined,
  ) => EC2Client | Promise<EC2Client>;
}

export interface DetectorRuntime {
  readonly service: DetectorService;
  /** DynamoDB requests sent, reported as a metric per batch. */
  readonly dynamoRequests: RequestCounter;
}

export interface RuntimeOptions {
  readonly region: string;
  readonly logger: Logger;
  readonly clock?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export function defaultClients(): DetectorClients {
  return {
    s3: new S3Client({}),
    dynamodb: new DynamoDBClient({}),
    sts: new STSClient({}),
    eventBridge: new EventBridgeClient({}),
    logs: new CloudWatchLogsClient({}),
    // Loaded at the first EC2 lookup, not at cold start: the runtime's own SDK provides it (it is left
    // out of the bundle, lib/infra/lambda-bundling.ts), and most batches are answered from the cache.
    ec2: async (region, credentials) =>
      new (await import('@aws-sdk/client-ec2')).EC2Client({
        region,
        ...(credentials !== undefined ? { credentials } : {}),
      }),
  };
}

/** The composition root: everything the detector Lambda needs, built once per container. */
export function createDetectorRuntime(
  env: DetectorEnvironment,
  clients: DetectorClients,
  options: RuntimeOptions,
): DetectorRuntime {
  const clock = options.clock ?? Date.now;
  const sleep = options.sleep;
  const dynamoRequests = new RequestCounter().attach(clients.dynamodb);
  const store = new DynamoDbStore({
    client: clients.dynamodb,
    tableName: env.STATE_TABLE_NAME,
    clock,
    deferBatchWrites: true,
    ...(sleep !== undefined ? { sleep } : {}),
  });
  const taintStore = new DynamoDbTaintStore({ client: clients.dynamodb, tableName: env.STATE_TABLE_NAME });
  const credentials = new MemberCredentials(clients.sts, env.MEMBER_READ_ROLE_NAME, clock, sleep);
  const directory = new Ec2NetworkDirectory({
    cache: store,
    gatewayFor: async (accountId, region) => {
      const { Ec2NetworkGateway } = await import('./ec2-network-gateway');
      return new Ec2NetworkGateway(
        await clients.ec2(region, await credentials.forAccount(accountId, partitionOf(region))),
      );
    },
    fallbackRegions:
      listOf(env.INSTANCE_REGIONS).length > 0 ? listOf(env.INSTANCE_REGIONS) : [options.region],
    // The network account among them: central egress and endpoints on a shared Transit Gateway.
    trustedAccounts: new Set(listOf(env.TRUSTED_ACCOUNTS)),
  });
  const detector = new Detector({
    store,
    networks: directory,
    exceptions: new ExceptionList([]),
    trustedAccounts: new Set(listOf(env.TRUSTED_ACCOUNTS)),
    // The trail's recipient accounts are the organisation's own (CloudTrail delivers a record to the
    // account that received the call), so their endpoints are affiliated, not foreign.
    trustRecipientAccounts: true,
    clock,
    // A suspicious origin is checked against a fresh EC2 answer when ours is older than this: a new
    // Elastic IP or NAT gateway must not raise an alarm.
    networkRefreshMs: NETWORK_REFRESH_MS,
  });
  const service = new DetectorService({
    logs: new S3LogGateway(clients.s3),
    detector,
    ledger: store,
    directory,
    exceptions: new ExceptionsRefresher(
      new ExceptionsTable(clients.dynamodb, env.EXCEPTIONS_TABLE_NAME),
      env.EXCEPTIONS_CACHE_SECONDS * 1000,
      clock,
      options.logger,
    ),
    publisher: new FindingsPublisher({
      eventBridge: clients.eventBridge,
      busName: env.EVENT_BUS_NAME,
      ...(sleep !== undefined ? { sleep } : {}),
    }),
    findingsLog: new FindingsLogWriter(
      clients.logs,
      env.FINDINGS_LOG_GROUP_NAME,
      `detector/${new Date(clock()).toISOString().slice(0, 10)}/${randomUUID()}`,
      clock,
    ),
    logger: options.logger,
    clock,
    // Issue 17: the chain lives in the same table, in item kinds of its own.
    taint: new TaintFollower(new TaintTracker(taintStore, clock), taintStore, clock),
  });
  return { service, dynamoRequests };
}

function listOf(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}
