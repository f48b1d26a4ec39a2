import {
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  ListAccessKeysCommand,
  ListRolePoliciesCommand,
  ListUserTagsCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
  UpdateAccessKeyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { announcedDetail } from '../../lib/contracts/chain-version';
import { FINDING_UPDATE_DETAIL_TYPE, FindingDetailSchema } from '../../lib/contracts/finding-event';
import { normaliseEvent } from '../../lib/responder/incident-normaliser';
import type { Incident } from '../../lib/responder/incident-schema';
import { iamMock, primeAccount, stsMock } from './aws-mocks';
import { ACCOUNT, config, credtrailEvent, NOW } from './responder-fixtures';

/**
 * Issue 17's enforcement world: the incident's account and OTHER, as IAM keeps them (inline policies
 * per account and role, the created key's status) behind mocked clients, and the chained finding.
 */
export const OTHER = '222222222222';
export const ADMIN_ROLE = `arn:aws:iam::${ACCOUNT}:role/admin-role`;
export const DEPLOY_ROLE = `arn:aws:iam::${OTHER}:role/deploy-role`;
export const CREATED_KEY = 'AKIAPERSISTENT000001';
export const USER = 'backup-bot';

/** The fixture finding, with a chain of two AssumeRole hops (own account, then OTHER) and a created key. */
export function chainedEvent() {
  const event = structuredClone(credtrailEvent);
  const session = { sessionName: 'thief', region: 'us-east-1', via: 'AssumeRole' };
  event.detail['taint'] = {
    derivedSessions: [
      {
        ...session,
        accessKeyId: 'ASIAHOPONEADMIN00001',
        parentAccessKeyId: String(event.detail['accessKeyId']),
        roleArn: ADMIN_ROLE,
        accountId: ACCOUNT,
        mintedAt: '2026-11-20T12:25:00.000Z',
        expiresAt: '2026-11-20T13:25:00.000Z',
      },
      {
        ...session,
        accessKeyId: 'ASIAHOPTWODEPLOY0002',
        parentAccessKeyId: 'ASIAHOPONEADMIN00001',
        roleArn: DEPLOY_ROLE,
        accountId: OTHER,
        region: 'eu-west-1',
        mintedAt: '2026-11-20T12:28:00.000Z',
        expiresAt: '2026-11-20T13:28:00.000Z',
      },
    ],
    derivedCallCount: 9,
    persistence: [
      {
        kind: 'access-key',
        id: CREATED_KEY,
        context: `user ${USER}`,
        owner: USER,
        eventName: 'CreateAccessKey',
        eventTime: '2026-11-20T12:29:00.000Z',
        accountId: OTHER,
        region: 'eu-west-1',
        accessKeyId: 'ASIAHOPTWODEPLOY0002',
      },
    ],
    reads: [],
    truncated: false,
  };
  return event;
}

export const OPS_ROLE = `arn:aws:iam::${ACCOUNT}:role/ops-role`;

/**
 * The detector's update after the chain grew: the same finding, the thief's session of `roleArn`
 * (ops-role unless told) added, stamped by the detector's own code (change, chain version).
 */
export function grownEvent(roleArn = OPS_ROLE, accessKeyId = 'ASIAHOPTHREEOPS00003') {
  const event = chainedEvent();
  const detail = FindingDetailSchema.parse(event.detail);
  const [first] = detail.taint?.derivedSessions ?? [];
  if (detail.taint === undefined || first === undefined) throw new Error('the fixture lost its chain');
  detail.taint.derivedSessions.push({
    ...first,
    accessKeyId,
    roleArn,
    accountId: roleArn.split(':')[4] ?? '',
    mintedAt: '2026-11-20T12:35:00.000Z',
    expiresAt: '2026-11-20T13:35:00.000Z',
  });
  return {
    ...event,
    'detail-type': FINDING_UPDATE_DETAIL_TYPE,
    detail: announcedDetail(detail, { chainGrew: true }) as unknown as Record<string, unknown>,
  };
}

export function incidentOf(event: unknown, trusted: readonly string[] = [ACCOUNT]): Incident {
  const normalised = normaliseEvent(event, { trustedPublisherAccounts: trusted });
  if (!normalised.ok) throw new Error(normalised.reason);
  return normalised.incident;
}

export function incident(): Incident {
  const normalised = normaliseEvent(chainedEvent(), { trustedPublisherAccounts: [ACCOUNT] });
  if (!normalised.ok) throw new Error(normalised.reason);
  return normalised.incident;
}

/** Member accounts as IAM keeps them: inline policies per account and role, the created key's status. */
export const policies = new Map<string, string>();
/** The created key's status in OTHER, as IAM keeps it. */
export const member: { keyStatus: 'Active' | 'Inactive' } = { keyStatus: 'Active' };
/** Every IAM write, with the account whose credentials sent it. */
export const writes: string[] = [];

/** The account a mocked IAM client acts in: the member role credentials STS handed out for it. */
export async function accountOf(client: IAMClient): Promise<string> {
  const credentials = await client.config.credentials();
  return credentials.accessKeyId === `ASIAMEMBER${OTHER}` ? OTHER : ACCOUNT;
}

export function role(name: string, accountId: string) {
  return {
    Role: {
      RoleName: name,
      RoleId: 'AROAEXAMPLE',
      Arn: `arn:aws:iam::${accountId}:role/${name}`,
      Path: '/',
      CreateDate: NOW,
    },
  };
}

export function primeChain(): void {
  primeAccount();
  policies.clear();
  writes.length = 0;
  member.keyStatus = 'Active';
  stsMock.on(AssumeRoleCommand).callsFake((input: { RoleArn?: string }) => ({
    Credentials: {
      AccessKeyId: `ASIAMEMBER${input.RoleArn?.split(':')[4] ?? ''}`,
      SecretAccessKey: 'secret',
      SessionToken: 'token',
      Expiration: NOW,
    },
  }));
  iamMock
    .on(GetRoleCommand, { RoleName: 'admin-role' })
    .resolves(role('admin-role', ACCOUNT))
    .on(GetRoleCommand, { RoleName: 'deploy-role' })
    .resolves(role('deploy-role', OTHER));
  const at = async (client: IAMClient, roleName = '') => `${await accountOf(client)}/${roleName}`;
  iamMock
    .on(PutRolePolicyCommand)
    .callsFake(
      async (
        input: { RoleName?: string; PolicyName?: string; PolicyDocument?: string },
        getClient: () => IAMClient,
      ) => {
        const where = await at(getClient(), input.RoleName);
        policies.set(`${where}/${input.PolicyName ?? ''}`, input.PolicyDocument ?? '');
        writes.push(`PutRolePolicy ${where}`);
        return {};
      },
    );
  iamMock
    .on(DeleteRolePolicyCommand)
    .callsFake(async (input: { RoleName?: string; PolicyName?: string }, getClient: () => IAMClient) => {
      const where = await at(getClient(), input.RoleName);
      policies.delete(`${where}/${input.PolicyName ?? ''}`);
      writes.push(`DeleteRolePolicy ${where}`);
      return {};
    });
  iamMock
    .on(ListRolePoliciesCommand)
    .callsFake(async (input: { RoleName?: string }, getClient: () => IAMClient) => {
      const prefix = `${await at(getClient(), input.RoleName)}/`;
      return {
        PolicyNames: [...policies.keys()]
          .filter((key) => key.startsWith(prefix))
          .map((key) => key.slice(prefix.length)),
        IsTruncated: false,
      };
    });
  iamMock
    .on(GetRolePolicyCommand)
    .callsFake(async (input: { RoleName?: string; PolicyName?: string }, getClient: () => IAMClient) => {
      const document = policies.get(`${await at(getClient(), input.RoleName)}/${input.PolicyName ?? ''}`);
      if (document === undefined)
        throw new NoSuchEntityException({ message: 'no such policy', $metadata: {} });
      return { PolicyDocument: encodeURIComponent(document) };
    });
  // The created key's user, in OTHER only: its path and tags decide protection (issue 17).
  iamMock
    .on(GetUserCommand, { UserName: USER })
    .callsFake(async (_input: unknown, getClient: () => IAMClient) => {
      if ((await accountOf(getClient())) !== OTHER)
        throw new NoSuchEntityException({ message: 'no such user', $metadata: {} });
      return {
        User: {
          UserName: USER,
          UserId: 'AIDAEXAMPLEUSER00001',
          Arn: `arn:aws:iam::${OTHER}:user/${USER}`,
          Path: '/',
          CreateDate: NOW,
        },
      };
    });
  iamMock.on(ListUserTagsCommand, { UserName: USER }).resolves({ Tags: [], IsTruncated: false });
  iamMock
    .on(ListAccessKeysCommand, { UserName: USER })
    .callsFake(async (_input: unknown, getClient: () => IAMClient) => {
      if ((await accountOf(getClient())) !== OTHER)
        throw new NoSuchEntityException({ message: 'no such user', $metadata: {} });
      return {
        AccessKeyMetadata: [{ UserName: USER, AccessKeyId: CREATED_KEY, Status: member.keyStatus }],
        IsTruncated: false,
      };
    });
  iamMock
    .on(UpdateAccessKeyCommand)
    .callsFake(
      async (input: { Status?: 'Active' | 'Inactive'; AccessKeyId?: string }, getClient: () => IAMClient) => {
        writes.push(
          `UpdateAccessKey ${await accountOf(getClient())}/${input.AccessKeyId ?? ''} ${input.Status ?? ''}`,
        );
        member.keyStatus = input.Status ?? member.keyStatus;
        return {};
      },
    );
}

export const memberRole = (accountId: string) => `arn:aws:iam::${accountId}:role/CredtrailMemberResponse`;
export const settings = () =>
  config({ mode: 'enforce', actions: { HIGH: ['revoke-sessions'] }, trustedPublisherAccounts: [ACCOUNT] });

/** Like a fresh container: same accounts (policies, key status, write log), mocks re-armed without faults. */
export function primeChainKeepingState(): void {
  const kept = { policies: new Map(policies), writes: [...writes], keyStatus: member.keyStatus };
  primeChain();
  for (const [key, value] of kept.policies) policies.set(key, value);
  writes.push(...kept.writes);
  member.keyStatus = kept.keyStatus;
}
