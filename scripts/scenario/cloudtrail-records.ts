import type { InstancePlan } from './organisation-estate';
import type { RandomSource } from './random-source';

/** One CloudTrail record as it appears in a log file's `Records` list. */
export type CloudTrailRecord = Record<string, unknown>;

/** CloudTrail prints seconds, not milliseconds: 2025-03-14T08:23:55Z. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** An API call: what is called, independent of who calls it and from where. */
export interface ApiCall {
  readonly eventSource: string;
  readonly eventName: string;
  readonly readOnly: boolean;
  readonly category: 'Management' | 'Data';
  readonly requestParameters: Record<string, unknown> | null;
  readonly responseElements?: Record<string, unknown> | null;
  readonly resources?: readonly Record<string, unknown>[];
  readonly additionalEventData?: Record<string, unknown>;
  readonly host?: string;
}

export interface CallContext {
  readonly time: number;
  readonly region: string;
  readonly recipientAccountId: string;
  readonly userIdentity: Record<string, unknown>;
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly vpcEndpoint?: { readonly id: string; readonly accountId: string };
  readonly eventId?: string;
}

/** The record CloudTrail writes for one call, fields in the order CloudTrail prints them. */
export function apiCallRecord(random: RandomSource, call: ApiCall, context: CallContext): CloudTrailRecord {
  const service = call.eventSource.replace('.amazonaws.com', '');
  return {
    eventVersion: call.category === 'Data' ? '1.10' : '1.09',
    userIdentity: context.userIdentity,
    eventTime: isoSeconds(context.time),
    eventSource: call.eventSource,
    eventName: call.eventName,
    awsRegion: context.region,
    sourceIPAddress: context.sourceIp,
    userAgent: context.userAgent,
    requestParameters: call.requestParameters,
    responseElements: call.responseElements ?? null,
    ...(call.additionalEventData !== undefined ? { additionalEventData: call.additionalEventData } : {}),
    requestID: service === 's3' ? random.chars(16, 'ABCDEF0123456789') : random.uuid(),
    eventID: context.eventId ?? random.uuid(),
    readOnly: call.readOnly,
    ...(call.resources !== undefined ? { resources: call.resources } : {}),
    eventType: 'AwsApiCall',
    managementEvent: call.category === 'Management',
    recipientAccountId: context.recipientAccountId,
    ...(context.vpcEndpoint !== undefined
      ? { vpcEndpointId: context.vpcEndpoint.id, vpcEndpointAccountId: context.vpcEndpoint.accountId }
      : {}),
    eventCategory: call.category,
    ...(context.sourceIp.includes('amazonaws.com') || context.sourceIp.startsWith('AWS Internal')
      ? {}
      : {
          tlsDetails: {
            tlsVersion: 'TLSv1.3',
            cipherSuite: 'TLS_AES_128_GCM_SHA256',
            clientProvidedHostHeader: call.host ?? `${service}.${context.region}.amazonaws.com`,
          },
        }),
  };
}

/** The session of an instance profile role (`AROA…:i-…`) or of the EC2 instance identity role. */
export function instanceIdentity(
  instance: InstancePlan,
  accessKeyId: string,
  issuedAt: number,
  kind: 'profile' | 'identity',
): Record<string, unknown> {
  const { accountId, instanceId } = instance;
  const issuer =
    kind === 'profile'
      ? {
          type: 'Role',
          principalId: instance.role.roleId,
          arn: instance.role.arn,
          accountId,
          userName: instance.role.name,
        }
      : {
          type: 'Role',
          principalId: `${accountId}:aws:ec2-instance`,
          arn: `arn:aws:iam::${accountId}:role/aws:ec2-instance`,
          accountId,
          userName: 'aws:ec2-instance',
        };
  return {
    type: 'AssumedRole',
    principalId:
      kind === 'profile'
        ? `${instance.role.roleId}:${instanceId}`
        : `${accountId}:aws:ec2-instance:${instanceId}`,
    arn: `arn:aws:sts::${accountId}:assumed-role/${kind === 'profile' ? instance.role.name : 'aws:ec2-instance'}/${instanceId}`,
    accountId,
    accessKeyId,
    sessionContext: {
      sessionIssuer: issuer,
      attributes: { creationDate: isoSeconds(issuedAt), mfaAuthenticated: 'false' },
      ec2RoleDelivery: instance.roleDelivery,
    },
  };
}

/** The `sts:AssumeRole` EC2 makes when it hands an instance fresh role credentials (about hourly). */
export function ec2DeliveryRecord(
  random: RandomSource,
  instance: InstancePlan,
  accessKeyId: string,
  time: number,
): CloudTrailRecord {
  const expiration = new Date(time + 6 * 3_600_000 + random.int(0, 600) * 1000);
  return {
    eventVersion: '1.08',
    userIdentity: { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' },
    eventTime: isoSeconds(time),
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRole',
    awsRegion: instance.region,
    sourceIPAddress: 'ec2.amazonaws.com',
    userAgent: 'ec2.amazonaws.com',
    requestParameters: { roleArn: instance.role.arn, roleSessionName: instance.instanceId },
    responseElements: {
      credentials: {
        accessKeyId,
        sessionToken: `IQoJb3JpZ2luX2VjE${random.chars(40)}==`,
        // EC2's deliveries print the expiration the human way, unlike other AssumeRole records.
        expiration: humanTime(expiration),
      },
      assumedRoleUser: {
        assumedRoleId: `${instance.role.roleId}:${instance.instanceId}`,
        arn: `arn:aws:sts::${instance.accountId}:assumed-role/${instance.role.name}/${instance.instanceId}`,
      },
    },
    requestID: random.uuid(),
    eventID: random.uuid(),
    readOnly: true,
    resources: [{ accountId: instance.accountId, type: 'AWS::IAM::Role', ARN: instance.role.arn }],
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: instance.accountId,
    sharedEventID: random.uuid(),
    eventCategory: 'Management',
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function humanTime(date: Date): string {
  const hours = date.getUTCHours();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}, ${date.getUTCFullYear()} ${hours % 12 || 12}:${pad(
    date.getUTCMinutes(),
  )}:${pad(date.getUTCSeconds())} ${hours < 12 ? 'AM' : 'PM'}`;
}

/** The APIs the scenario's principals call, with request shapes like CloudTrail's. */
export const Api = {
  describeInstances: (): ApiCall => ({
    eventSource: 'ec2.amazonaws.com',
    eventName: 'DescribeInstances',
    readOnly: true,
    category: 'Management',
    requestParameters: { instancesSet: {}, filterSet: {} },
  }),
  describeTags: (instanceId: string): ApiCall => ({
    eventSource: 'ec2.amazonaws.com',
    eventName: 'DescribeTags',
    readOnly: true,
    category: 'Management',
    requestParameters: {
      filterSet: { items: [{ name: 'resource-id', valueSet: { items: [{ value: instanceId }] } }] },
    },
  }),
  getParameter: (name: string): ApiCall => ({
    eventSource: 'ssm.amazonaws.com',
    eventName: 'GetParameter',
    readOnly: true,
    category: 'Management',
    requestParameters: { name, withDecryption: true },
  }),
  getSecretValue: (accountId: string, region: string, name: string): ApiCall => ({
    eventSource: 'secretsmanager.amazonaws.com',
    eventName: 'GetSecretValue',
    readOnly: true,
    category: 'Management',
    requestParameters: { secretId: `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}` },
  }),
  decrypt: (accountId: string, region: string, keyId: string): ApiCall => ({
    eventSource: 'kms.amazonaws.com',
    eventName: 'Decrypt',
    readOnly: true,
    category: 'Management',
    requestParameters: { encryptionAlgorithm: 'SYMMETRIC_DEFAULT' },
    resources: [{ accountId, type: 'AWS::KMS::Key', ARN: `arn:aws:kms:${region}:${accountId}:key/${keyId}` }],
  }),
  createLogStream: (group: string, stream: string): ApiCall => ({
    eventSource: 'logs.amazonaws.com',
    eventName: 'CreateLogStream',
    readOnly: false,
    category: 'Management',
    requestParameters: { logGroupName: group, logStreamName: stream },
    responseElements: null,
  }),
  getCallerIdentity: (): ApiCall => ({
    eventSource: 'sts.amazonaws.com',
    eventName: 'GetCallerIdentity',
    readOnly: true,
    category: 'Management',
    requestParameters: null,
  }),
  assumeRole: (roleArn: string, sessionName: string, accessKeyId: string, time: number): ApiCall => ({
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRole',
    readOnly: true,
    category: 'Management',
    requestParameters: { roleArn, roleSessionName: sessionName, durationSeconds: 3600 },
    responseElements: {
      credentials: {
        accessKeyId,
        sessionToken: 'IQoJb3JpZ2luX2VjE…',
        expiration: isoSeconds(time + 3_600_000),
      },
      assumedRoleUser: { assumedRoleId: `AROA…:${sessionName}`, arn: `${roleArn}/${sessionName}` },
    },
    resources: [{ ARN: roleArn, accountId: /::(\d{12}):/.exec(roleArn)?.[1] ?? '', type: 'AWS::IAM::Role' }],
  }),
  getAuthorizationToken: (): ApiCall => ({
    eventSource: 'ecr.amazonaws.com',
    eventName: 'GetAuthorizationToken',
    readOnly: true,
    category: 'Management',
    requestParameters: {},
  }),
  listBuckets: (region: string): ApiCall => ({
    eventSource: 's3.amazonaws.com',
    eventName: 'ListBuckets',
    readOnly: true,
    category: 'Management',
    requestParameters: { Host: `s3.${region}.amazonaws.com` },
    host: `s3.${region}.amazonaws.com`,
  }),
  object: (
    eventName: 'GetObject' | 'PutObject' | 'HeadObject',
    bucketOwner: string,
    bucket: string,
    key: string,
    region: string,
    bytes: number,
  ): ApiCall => ({
    eventSource: 's3.amazonaws.com',
    eventName,
    readOnly: eventName !== 'PutObject',
    category: 'Data',
    requestParameters: { bucketName: bucket, Host: `${bucket}.s3.${region}.amazonaws.com`, key },
    additionalEventData: {
      SignatureVersion: 'SigV4',
      CipherSuite: 'TLS_AES_128_GCM_SHA256',
      bytesTransferredIn: eventName === 'PutObject' ? bytes : 0,
      AuthenticationMethod: 'AuthHeader',
      'x-amz-id-2': 'EXAMPLEid2' + String(bytes),
      bytesTransferredOut: eventName === 'PutObject' ? 0 : bytes,
    },
    resources: [
      { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${bucket}/${key}` },
      { accountId: bucketOwner, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` },
    ],
    host: `${bucket}.s3.${region}.amazonaws.com`,
  }),
  updateInstanceInformation: (instanceId: string): ApiCall => ({
    eventSource: 'ssm.amazonaws.com',
    eventName: 'UpdateInstanceInformation',
    readOnly: false,
    category: 'Management',
    requestParameters: {
      instanceId,
      agentVersion: '3.3.987.0',
      agentStatus: 'Active',
      platformType: 'Linux',
    },
  }),
  consoleDescribe: (eventName: string, eventSource: string): ApiCall => ({
    eventSource,
    eventName,
    readOnly: true,
    category: 'Management',
    requestParameters: { maxResults: 50 },
  }),
} as const;

export const USER_AGENTS = {
  java: 'aws-sdk-java/2.25.11 Linux/5.10.213-201.855.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+8-LTS Java/17.0.10 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy',
  python:
    'Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.10.213-201.855.amzn2.x86_64 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69',
  node: 'aws-sdk-js/3.540.0 ua/2.0 os/linux#5.10.213-201.855.amzn2.x86_64 lang/js md/nodejs#20.12.0 api/s3#3.540.0',
  ssmAgent: 'aws-sdk-go/1.50.21 (go1.21.8; linux; amd64) amazon-ssm-agent/3.3.987.0',
  kubelet: 'aws-sdk-go-v2/1.26.0 os/linux lang/go#1.21.8 md/GOOS#linux md/GOARCH#amd64 api/ecr#1.27.0',
  awsCli:
    'aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0-1016-aws md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 md/prompt#off',
  console:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36',
  lambdaNode:
    'aws-sdk-js/3.540.0 ua/2.0 os/linux#5.10.213-225.838.amzn2.x86_64 lang/js md/nodejs#20.11.1 exec-env/AWS_Lambda_nodejs20.x',
  attackerGo: 'aws-sdk-go/1.44.298 (go1.20.6; linux; amd64)',
} as const;
