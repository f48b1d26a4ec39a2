import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A hand-made incident, record by record in CloudTrail's shapes: an instance key stolen, used from
 * the thief's host to assume a more powerful role (account A, us-east-1), that session used from
 * another address to assume a role in account B from eu-west-1, and with that second session: an
 * access key for an IAM user, an imported SSH key pair, SSH opened to the world, an instance launched,
 * two secrets and a parameter read. The instance itself also assumes a role, legitimately, from its own
 * address. Every identifier below is what `investigate` and the response plan must name.
 */
export const TRAIL = {
  accountA: '111111111111',
  accountB: '222222222222',
  instanceId: 'i-0a1b2c3d4e5f60718',
  instanceRole: 'web-app-role',
  stolenKey: 'ASIASTOLENINSTANCE01',
  instanceAddress: '54.210.1.10',
  thiefAddress: '203.0.113.66',
  secondThiefAddress: '198.51.100.7',
  hop1Key: 'ASIAHOPONEADMIN00001',
  hop1Role: 'arn:aws:iam::111111111111:role/admin-role',
  hop2Key: 'ASIAHOPTWODEPLOY0002',
  hop2Role: 'arn:aws:iam::222222222222:role/deploy-role',
  legitKey: 'ASIALEGITWORKLOAD001',
  legitRole: 'arn:aws:iam::111111111111:role/reports-reader',
  createdAccessKey: 'AKIAPERSISTENT000001',
  backdoorUser: 'backup-bot',
  keyPairName: 'thief-key',
  keyPairId: 'key-0f1e2d3c4b5a69788',
  securityGroupId: 'sg-0abc1234def567890',
  launchedInstance: 'i-0badc0ffee1234567',
  secrets: ['prod/db-password', 'prod/stripe-key'],
  parameter: '/prod/api/token',
} as const;

let sequence = 0;

interface CallOptions {
  readonly eventName: string;
  readonly eventSource: string;
  readonly time: string;
  readonly region: string;
  readonly account: string;
  readonly key: string;
  readonly sourceIp: string;
  readonly identity: Record<string, unknown>;
  readonly requestParameters?: unknown;
  readonly responseElements?: unknown;
  readonly errorCode?: string;
}

function call(options: CallOptions): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    userIdentity: { ...options.identity, accessKeyId: options.key },
    eventTime: options.time,
    eventSource: options.eventSource,
    eventName: options.eventName,
    awsRegion: options.region,
    sourceIPAddress: options.sourceIp,
    userAgent: 'aws-cli/2.15.0 Python/3.11.6 Linux/6.1',
    ...(options.errorCode !== undefined ? { errorCode: options.errorCode, errorMessage: 'denied' } : {}),
    requestParameters: options.requestParameters ?? null,
    responseElements: options.responseElements ?? null,
    requestID: `req-${sequence}`,
    eventID: `trail-${++sequence}`,
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: options.account,
    eventCategory: 'Management',
  };
}

/** `userIdentity` of a role session, as CloudTrail writes it (without the key, added per call). */
export function roleSession(
  roleArn: string,
  sessionName: string,
  ec2RoleDelivery?: string,
): Record<string, unknown> {
  const [, partition = 'aws', , , account = '', resource = ''] = roleArn.split(':');
  const roleName = resource.replace(/^role\//, '');
  return {
    type: 'AssumedRole',
    principalId: `AROA${roleName
      .toUpperCase()
      .replace(/[^A-Z]/g, '')
      .slice(0, 12)}:${sessionName}`,
    arn: `arn:${partition}:sts::${account}:assumed-role/${roleName}/${sessionName}`,
    accountId: account,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROAEXAMPLE',
        arn: roleArn,
        accountId: account,
        userName: roleName,
      },
      attributes: { creationDate: '2026-11-26T09:00:00Z', mfaAuthenticated: 'false' },
      ...(ec2RoleDelivery !== undefined ? { ec2RoleDelivery } : {}),
    },
  };
}

const instanceIdentity = () =>
  roleSession(`arn:aws:iam::${TRAIL.accountA}:role/${TRAIL.instanceRole}`, TRAIL.instanceId, '2.0');

/** An `sts:AssumeRole` record: who asked, for which role, and the credentials STS handed back. */
export function assumeRole(options: {
  time: string;
  region: string;
  account: string;
  key: string;
  sourceIp: string;
  identity: Record<string, unknown>;
  roleArn: string;
  sessionName: string;
  newKey: string;
  lifetimeMinutes?: number;
}): Record<string, unknown> {
  const expiration = new Date(Date.parse(options.time) + (options.lifetimeMinutes ?? 60) * 60_000);
  return call({
    ...options,
    eventName: 'AssumeRole',
    eventSource: 'sts.amazonaws.com',
    requestParameters: {
      roleArn: options.roleArn,
      roleSessionName: options.sessionName,
      durationSeconds: 3600,
    },
    responseElements: {
      credentials: {
        accessKeyId: options.newKey,
        sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLETOKEN',
        // CloudTrail's own format for STS expirations: no zone, UTC.
        expiration: expiration.toLocaleString('en-US', {
          timeZone: 'UTC',
          month: 'short',
          day: 'numeric',
          year: 'numeric',
          hour: 'numeric',
          minute: '2-digit',
          second: '2-digit',
        }),
      },
      assumedRoleUser: {
        assumedRoleId: `AROAEXAMPLE:${options.sessionName}`,
        arn: `arn:aws:sts::${options.roleArn.split(':')[4] ?? ''}:assumed-role/${options.roleArn.split('/').pop() ?? ''}/${options.sessionName}`,
      },
    },
  });
}

function ec2Delivery(time: string): Record<string, unknown> {
  return {
    eventVersion: '1.08',
    userIdentity: { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' },
    eventTime: time,
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRole',
    awsRegion: 'us-east-1',
    sourceIPAddress: 'ec2.amazonaws.com',
    userAgent: 'ec2.amazonaws.com',
    requestParameters: {
      roleArn: `arn:aws:iam::${TRAIL.accountA}:role/${TRAIL.instanceRole}`,
      roleSessionName: TRAIL.instanceId,
    },
    responseElements: {
      credentials: { accessKeyId: TRAIL.stolenKey, expiration: 'Nov 26, 2026, 3:00:00 PM' },
    },
    eventID: `trail-${++sequence}`,
    eventType: 'AwsApiCall',
    recipientAccountId: TRAIL.accountA,
  };
}

/** The incident's log files, by CloudTrail-like name. */
export function taintTrail(): Record<string, { Records: Record<string, unknown>[] }> {
  const stolen = { account: TRAIL.accountA, key: TRAIL.stolenKey, identity: instanceIdentity() };
  const hop1Identity = roleSession(TRAIL.hop1Role, 'thief-admin');
  const hop2Identity = roleSession(TRAIL.hop2Role, 'thief-deploy');
  const onHop2 = (
    time: string,
    eventName: string,
    eventSource: string,
    request: unknown,
    response?: unknown,
  ) =>
    call({
      time,
      eventName,
      eventSource,
      region: 'eu-west-1',
      account: TRAIL.accountB,
      key: TRAIL.hop2Key,
      sourceIp: TRAIL.secondThiefAddress,
      identity: hop2Identity,
      requestParameters: request,
      responseElements: response,
    });
  const accountAEast = [
    ec2Delivery('2026-11-26T09:00:00Z'),
    // The workload, from its own address: first, so it is the key's first origin.
    call({
      ...stolen,
      time: '2026-11-26T09:05:00Z',
      region: 'us-east-1',
      sourceIp: TRAIL.instanceAddress,
      eventName: 'ListBuckets',
      eventSource: 's3.amazonaws.com',
    }),
    assumeRole({
      ...stolen,
      time: '2026-11-26T09:06:00Z',
      region: 'us-east-1',
      sourceIp: TRAIL.instanceAddress,
      roleArn: TRAIL.legitRole,
      sessionName: 'nightly-report',
      newKey: TRAIL.legitKey,
    }),
    call({
      account: TRAIL.accountA,
      key: TRAIL.legitKey,
      identity: roleSession(TRAIL.legitRole, 'nightly-report'),
      time: '2026-11-26T09:07:00Z',
      region: 'us-east-1',
      sourceIp: TRAIL.instanceAddress,
      eventName: 'GetSecretValue',
      eventSource: 'secretsmanager.amazonaws.com',
      requestParameters: { secretId: 'reports/readonly' },
    }),
    // The thief.
    call({
      ...stolen,
      time: '2026-11-26T10:00:00Z',
      region: 'us-east-1',
      sourceIp: TRAIL.thiefAddress,
      eventName: 'GetCallerIdentity',
      eventSource: 'sts.amazonaws.com',
    }),
    assumeRole({
      ...stolen,
      time: '2026-11-26T10:01:00Z',
      region: 'us-east-1',
      sourceIp: TRAIL.thiefAddress,
      roleArn: TRAIL.hop1Role,
      sessionName: 'thief-admin',
      newKey: TRAIL.hop1Key,
    }),
    // Someone else entirely.
    call({
      account: TRAIL.accountA,
      key: 'AKIAUNRELATEDUSER001',
      identity: {
        type: 'IAMUser',
        principalId: 'AIDAEXAMPLE',
        arn: `arn:aws:iam::${TRAIL.accountA}:user/alice`,
        accountId: TRAIL.accountA,
        userName: 'alice',
      },
      time: '2026-11-26T10:02:00Z',
      region: 'us-east-1',
      sourceIp: '192.0.2.10',
      eventName: 'CreateAccessKey',
      eventSource: 'iam.amazonaws.com',
      requestParameters: { userName: 'alice' },
      responseElements: {
        accessKey: {
          userName: 'alice',
          accessKeyId: 'AKIAALICESNEWKEY0001',
          status: 'Active',
          createDate: 'Nov 26, 2026, 10:02:00 AM',
        },
      },
    }),
  ];
  const accountAWest = [
    // The first derived session, from another address, assumes a role in account B.
    {
      ...assumeRole({
        account: TRAIL.accountA,
        key: TRAIL.hop1Key,
        identity: hop1Identity,
        time: '2026-11-26T10:05:00Z',
        region: 'eu-west-1',
        sourceIp: TRAIL.secondThiefAddress,
        roleArn: TRAIL.hop2Role,
        sessionName: 'thief-deploy',
        newKey: TRAIL.hop2Key,
      }),
      sharedEventID: 'shared-hop2-assume-role',
    },
  ];
  const hop2 = accountAWest[0] as Record<string, unknown>;
  const accountBWest = [
    // The same AssumeRole as recorded in the role's account: CloudTrail writes a cross-account call to
    // both accounts, with its own eventID each and one sharedEventID.
    {
      ...hop2,
      eventID: `trail-${++sequence}`,
      sharedEventID: 'shared-hop2-assume-role',
      recipientAccountId: TRAIL.accountB,
      userIdentity: {
        type: 'AWSAccount',
        principalId: 'AROAADMINROLE:thief-admin',
        accountId: TRAIL.accountA,
        accessKeyId: TRAIL.hop1Key,
      },
    },
    onHop2(
      '2026-11-26T10:06:00Z',
      'CreateAccessKey',
      'iam.amazonaws.com',
      { userName: TRAIL.backdoorUser },
      {
        accessKey: {
          userName: TRAIL.backdoorUser,
          accessKeyId: TRAIL.createdAccessKey,
          status: 'Active',
          createDate: 'Nov 26, 2026, 10:06:00 AM',
        },
      },
    ),
    onHop2(
      '2026-11-26T10:07:00Z',
      'ImportKeyPair',
      'ec2.amazonaws.com',
      { keyName: TRAIL.keyPairName, publicKeyMaterial: '<sensitiveDataRemoved>' },
      {
        requestId: 'req-kp',
        keyName: TRAIL.keyPairName,
        keyFingerprint: 'ab:cd',
        keyPairId: TRAIL.keyPairId,
      },
    ),
    onHop2(
      '2026-11-26T10:08:00Z',
      'AuthorizeSecurityGroupIngress',
      'ec2.amazonaws.com',
      {
        groupId: TRAIL.securityGroupId,
        ipPermissions: {
          items: [
            {
              ipProtocol: 'tcp',
              fromPort: 22,
              toPort: 22,
              groups: {},
              ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] },
              ipv6Ranges: {},
              prefixListIds: {},
            },
          ],
        },
      },
      { requestId: 'req-sg', _return: true },
    ),
    onHop2(
      '2026-11-26T10:09:00Z',
      'RunInstances',
      'ec2.amazonaws.com',
      {
        instancesSet: {
          items: [{ imageId: 'ami-0123456789abcdef0', minCount: 1, maxCount: 1, keyName: TRAIL.keyPairName }],
        },
        instanceType: 't3.large',
        keyName: TRAIL.keyPairName,
      },
      {
        reservationId: 'r-0123456789abcdef0',
        ownerId: TRAIL.accountB,
        instancesSet: {
          items: [
            {
              instanceId: TRAIL.launchedInstance,
              imageId: 'ami-0123456789abcdef0',
              keyName: TRAIL.keyPairName,
              instanceState: { code: 0, name: 'pending' },
            },
          ],
        },
      },
    ),
    onHop2('2026-11-26T10:10:00Z', 'GetSecretValue', 'secretsmanager.amazonaws.com', {
      secretId: TRAIL.secrets[0],
    }),
    onHop2('2026-11-26T10:10:30Z', 'GetSecretValue', 'secretsmanager.amazonaws.com', {
      secretId: TRAIL.secrets[1],
    }),
    onHop2('2026-11-26T10:10:40Z', 'GetSecretValue', 'secretsmanager.amazonaws.com', {
      secretId: TRAIL.secrets[1],
    }),
    onHop2('2026-11-26T10:11:00Z', 'GetParameter', 'ssm.amazonaws.com', {
      name: TRAIL.parameter,
      withDecryption: true,
    }),
    // Refused: leaves nothing behind.
    {
      ...onHop2('2026-11-26T10:12:00Z', 'CreateUser', 'iam.amazonaws.com', { userName: 'never-created' }),
      errorCode: 'AccessDenied',
    },
  ];
  return {
    // Account B's file is named (delivered) before account A's eu-west-1 file: order must not matter.
    [`${TRAIL.accountB}_CloudTrail_eu-west-1_20261126T1010Z_b1.json`]: { Records: accountBWest },
    [`${TRAIL.accountA}_CloudTrail_us-east-1_20261126T1005Z_a1.json`]: { Records: accountAEast },
    [`${TRAIL.accountA}_CloudTrail_eu-west-1_20261126T1015Z_a2.json`]: { Records: accountAWest },
  };
}

/** Writes the trail to a fresh temporary folder and returns its path. */
export function writeTaintTrail(): string {
  const directory = mkdtempSync(join(tmpdir(), 'credtrail-taint-'));
  for (const [name, body] of Object.entries(taintTrail()))
    writeFileSync(join(directory, name), JSON.stringify(body));
  return directory;
}

export function allTrailRecords(): Record<string, unknown>[] {
  return Object.values(taintTrail()).flatMap((file) => file.Records);
}
