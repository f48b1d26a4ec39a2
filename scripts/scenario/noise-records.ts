import {
  Api,
  USER_AGENTS,
  apiCallRecord,
  isoSeconds,
  type ApiCall,
  type CloudTrailRecord,
} from './cloudtrail-records';
import type { OrgAccount } from './organisation-estate';
import type { RandomSource } from './random-source';

/**
 * Everything in a trail that is not instance credentials: CI users, people in the console, Lambda and
 * ECS task roles, service-linked roles and AWS services. The detector must pass over all of it cheaply
 * and never mistake it for an instance session.
 */
export function noiseRecords(
  random: RandomSource,
  account: OrgAccount,
  region: string,
  slotStart: number,
  slotLength: number,
  count: number,
): CloudTrailRecord[] {
  const records: CloudTrailRecord[] = [];
  for (let i = 0; i < count; i++) {
    const time = slotStart + random.int(0, slotLength - 1000);
    const kind = random.weighted<string>([
      [30, 'lambda'],
      [20, 'ecs-task'],
      [15, 'ci-user'],
      [10, 'console'],
      [15, 'service-linked'],
      [10, 'aws-service'],
    ]);
    records.push(noiseRecord(random, kind, account, region, time));
  }
  return records;
}

const FUNCTIONS = ['orders-handler', 'thumbnailer', 'invoice-mailer', 'audit-forwarder'];
const PEOPLE = ['alice@example.com', 'bob@example.com', 'chen@example.com'];

function noiseRecord(
  random: RandomSource,
  kind: string,
  account: OrgAccount,
  region: string,
  time: number,
): CloudTrailRecord {
  const { accountId } = account;
  const common = { time, region, recipientAccountId: accountId };
  const roleSession = (
    roleName: string,
    roleId: string,
    sessionName: string,
    extra: Record<string, unknown> = {},
  ) => ({
    type: 'AssumedRole',
    principalId: `${roleId}:${sessionName}`,
    arn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`,
    accountId,
    accessKeyId: random.iamId('ASIA'),
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: roleId,
        arn: `arn:aws:iam::${accountId}:role/${roleName}`,
        accountId,
        userName: roleName,
      },
      attributes: { creationDate: isoSeconds(time - random.int(60, 3000) * 1000), mfaAuthenticated: 'false' },
    },
    ...extra,
  });
  const apis: readonly ApiCall[] = [
    Api.getParameter('/shared/feature-flags'),
    Api.decrypt(accountId, region, 'mrk-9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b'),
    Api.getSecretValue(accountId, region, 'shared/smtp-credentials-QwErTy'),
    Api.getCallerIdentity(),
  ];

  switch (kind) {
    case 'lambda': {
      const fn = random.pick(FUNCTIONS);
      return apiCallRecord(random, random.pick(apis), {
        ...common,
        userIdentity: roleSession(`${fn}-role-${account.name}`, stableRoleId(accountId, fn), fn),
        sourceIp: `${random.pick(['3.231', '34.201', '52.55'])}.${random.int(0, 255)}.${random.int(1, 254)}`,
        userAgent: USER_AGENTS.lambdaNode,
      });
    }
    case 'ecs-task':
      return apiCallRecord(
        random,
        random.pick([
          ...apis,
          Api.object(
            'GetObject',
            accountId,
            `${account.name}-reports-${region}`,
            `daily/${random.hex(8)}.parquet`,
            region,
            random.int(1000, 900_000),
          ),
        ]),
        {
          ...common,
          userIdentity: roleSession(
            `reporting-task-role-${account.name}`,
            stableRoleId(accountId, 'ecs'),
            random.hex(32),
          ),
          sourceIp: `${random.pick(['44.208', '54.160'])}.${random.int(0, 255)}.${random.int(1, 254)}`,
          userAgent: USER_AGENTS.python,
        },
      );
    case 'ci-user':
      return apiCallRecord(
        random,
        random.pick([
          Api.consoleDescribe('DescribeStacks', 'cloudformation.amazonaws.com'),
          Api.listBuckets(region),
          Api.getCallerIdentity(),
        ]),
        {
          ...common,
          userIdentity: {
            type: 'IAMUser',
            principalId: stableRoleId(accountId, 'ci').replace('AROA', 'AIDA'),
            arn: `arn:aws:iam::${accountId}:user/ci-deploy`,
            accountId,
            accessKeyId: `AKIA${stableRoleId(accountId, 'ci-key').slice(4)}`,
            userName: 'ci-deploy',
          },
          sourceIp: `20.${random.int(33, 59)}.${random.int(0, 255)}.${random.int(1, 254)}`,
          userAgent: USER_AGENTS.awsCli,
        },
      );
    case 'console': {
      const person = random.pick(PEOPLE);
      return {
        ...apiCallRecord(
          random,
          random.pick([
            Api.describeInstances(),
            Api.consoleDescribe('LookupEvents', 'cloudtrail.amazonaws.com'),
            Api.consoleDescribe('ListRoles', 'iam.amazonaws.com'),
          ]),
          {
            ...common,
            userIdentity: roleSession(
              'AWSReservedSSO_AdministratorAccess_4c1d2b3a5e6f7a8b',
              stableRoleId(accountId, 'sso'),
              person,
            ),
            sourceIp: `62.210.16.${random.int(2, 60)}`,
            userAgent: USER_AGENTS.console,
          },
        ),
        sessionCredentialFromConsole: 'true',
      };
    }
    case 'service-linked':
      return apiCallRecord(random, Api.describeInstances(), {
        ...common,
        userIdentity: {
          ...roleSession('AWSServiceRoleForConfig', stableRoleId(accountId, 'config'), 'AWSConfig-Describe'),
          invokedBy: 'config.amazonaws.com',
        },
        sourceIp: 'config.amazonaws.com',
        userAgent: 'config.amazonaws.com',
      });
    default: {
      // Lambda assuming a function's role: an AWSService AssumeRole that is not an EC2 delivery.
      const fn = random.pick(FUNCTIONS);
      const roleArn = `arn:aws:iam::${accountId}:role/${fn}-role-${account.name}`;
      return apiCallRecord(
        random,
        {
          ...Api.assumeRole(roleArn, fn, random.iamId('ASIA'), time),
          requestParameters: { roleArn, roleSessionName: fn },
        },
        {
          ...common,
          userIdentity: { type: 'AWSService', invokedBy: 'lambda.amazonaws.com' },
          sourceIp: 'lambda.amazonaws.com',
          userAgent: 'lambda.amazonaws.com',
        },
      );
    }
  }
}

function stableRoleId(accountId: string, name: string): string {
  let hash = 7;
  for (const char of accountId + name) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let id = 'AROA';
  for (let i = 0; i < 17; i++) {
    hash = (Math.imul(hash, 1103515245) + 12345) >>> 0;
    id += alphabet[hash % 32];
  }
  return id;
}
