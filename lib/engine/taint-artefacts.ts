import type { Artefact } from '../contracts/finding-event';
import { isObject, text, type SignedCall } from './taint-call';

type Kind = Artefact['kind'];

/** What one rule found in one call, before it is stamped with the call's time, account and key. */
interface Found {
  readonly kind: Kind;
  readonly id: string;
  readonly context?: string | null;
  readonly owner?: string | null;
}

type Rule = (
  request: Readonly<Record<string, unknown>>,
  response: Readonly<Record<string, unknown>>,
) => Found[];

/** Reads that matter: what the thief took out. Counted by name, not listed per call. */
export const READ_KINDS: ReadonlySet<Kind> = new Set(['secret-read', 'parameter-read', 'object-read']);

/**
 * One rule per API, keyed `source|eventName`. Each reads the fields CloudTrail records for that API
 * (request parameters as sent, response elements as returned) and names the thing with the identifier
 * a person needs to find and remove it. Unknown shapes yield nothing, never a guess.
 */
const RULES: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  [
    'iam|CreateAccessKey',
    (req, res) => {
      const key = isObject(res['accessKey']) ? res['accessKey'] : {};
      const id = text(key['accessKeyId']);
      const user = text(key['userName']) ?? text(req['userName']);
      return id === null
        ? []
        : [{ kind: 'access-key', id, context: user === null ? null : `user ${user}`, owner: user }];
    },
  ],
  ['iam|CreateLoginProfile', (req) => named('login-profile', req['userName'], 'console password for user')],
  [
    'iam|UpdateLoginProfile',
    (req) => named('login-profile', req['userName'], 'console password reset for user'),
  ],
  ['iam|CreateUser', (req, res) => named('user', req['userName'], arnOf(res['user']))],
  ['iam|CreateRole', (req, res) => named('role', req['roleName'], arnOf(res['role']))],
  ['iam|CreatePolicy', (req, res) => named('policy', arnOf(res['policy']) ?? req['policyName'], null)],
  ['iam|CreatePolicyVersion', (req) => named('policy', req['policyArn'], 'new default version')],
  ['iam|AttachUserPolicy', (req) => attachment(req, 'userName', 'user', 'policyArn')],
  ['iam|AttachRolePolicy', (req) => attachment(req, 'roleName', 'role', 'policyArn')],
  ['iam|AttachGroupPolicy', (req) => attachment(req, 'groupName', 'group', 'policyArn')],
  ['iam|PutUserPolicy', (req) => attachment(req, 'userName', 'user', 'policyName')],
  ['iam|PutRolePolicy', (req) => attachment(req, 'roleName', 'role', 'policyName')],
  ['iam|PutGroupPolicy', (req) => attachment(req, 'groupName', 'group', 'policyName')],
  ['iam|UpdateAssumeRolePolicy', (req) => named('trust-policy', req['roleName'], 'trust policy replaced')],
  [
    'iam|AddUserToGroup',
    (req) => named('group-membership', req['userName'], `group ${text(req['groupName']) ?? '?'}`),
  ],
  ['ec2|CreateKeyPair', (req, res) => named('key-pair', req['keyName'], text(res['keyPairId']))],
  [
    'ec2|ImportKeyPair',
    (req, res) => named('key-pair', req['keyName'], `imported ${text(res['keyPairId']) ?? ''}`.trim()),
  ],
  [
    'ec2|RunInstances',
    (req, res) => {
      const keyName = text(req['keyName']);
      return items(res['instancesSet']).flatMap((instance) => {
        const id = text(instance['instanceId']);
        if (id === null) return [];
        const image = text(instance['imageId']);
        const context = [image, keyName === null ? null : `key ${keyName}`].filter((x) => x !== null);
        return [{ kind: 'instance' as const, id, context: context.join(', ') || null }];
      });
    },
  ],
  ['ec2|AuthorizeSecurityGroupIngress', (req) => ingress(req)],
  [
    'lambda|CreateFunction20150331',
    (req, res) => named('function', res['functionArn'] ?? req['functionName'], null),
  ],
  ['lambda|CreateFunction', (req, res) => named('function', res['functionArn'] ?? req['functionName'], null)],
  ['s3|PutBucketPolicy', (req) => named('bucket-policy', req['bucketName'], null)],
  ['s3|PutBucketAcl', (req) => named('bucket-acl', req['bucketName'], null)],
  ['ec2|ModifySnapshotAttribute', (req) => snapshotShare(req)],
  [
    'rds|ModifyDBSnapshotAttribute',
    (req) => {
      const added = Array.isArray(req['valuesToAdd'])
        ? req['valuesToAdd'].filter((v) => typeof v === 'string')
        : [];
      if (text(req['attributeName']) !== 'restore' || added.length === 0) return [];
      return named('snapshot-share', req['dBSnapshotIdentifier'], `shared with ${added.join(', ')}`);
    },
  ],
  ['secretsmanager|GetSecretValue', (req) => named('secret-read', req['secretId'], null)],
  ['ssm|GetParameter', (req) => named('parameter-read', req['name'], null)],
  [
    'ssm|GetParameters',
    (req) =>
      (Array.isArray(req['names']) ? req['names'] : []).flatMap((name) =>
        named('parameter-read', name, null),
      ),
  ],
  ['ssm|GetParametersByPath', (req) => named('parameter-read', req['path'], 'by path')],
  [
    's3|GetObject',
    (req) => {
      const bucket = text(req['bucketName']);
      const key = text(req['key']);
      return bucket === null || key === null ? [] : [{ kind: 'object-read', id: `${bucket}/${key}` }];
    },
  ],
]);

/** The event names some rule reads: a cheap filter before a record is looked at closely. */
export const ARTEFACT_EVENT_NAMES: ReadonlySet<string> = new Set(
  [...RULES.keys()].map((key) => key.slice(key.indexOf('|') + 1)),
);

/** The event names whose rules name only reads (nothing left behind). */
export const READ_EVENT_NAMES: ReadonlySet<string> = new Set([
  'GetSecretValue',
  'GetParameter',
  'GetParameters',
  'GetParametersByPath',
  'GetObject',
]);

/** What a successful call of a tainted key left behind or took out; nothing for a failed call. */
export function artefactsOf(call: SignedCall): Artefact[] {
  if (call.errorCode !== null || !ARTEFACT_EVENT_NAMES.has(call.eventName)) return [];
  const service = call.eventSource.replace(/\.amazonaws\.com$/, '');
  const rule = RULES.get(`${service}|${call.eventName}`);
  if (rule === undefined) return [];
  const eventTime = new Date(call.eventTime).toISOString();
  return rule(call.requestParameters, call.responseElements).map((found) => ({
    kind: found.kind,
    id: found.id.slice(0, 512),
    context: found.context?.slice(0, 256) ?? null,
    ...(found.owner != null ? { owner: found.owner } : {}),
    eventName: call.eventName,
    eventTime,
    accountId: call.accountId,
    region: call.region,
    accessKeyId: call.accessKeyId,
  }));
}

function named(kind: Kind, id: unknown, context: string | null): Found[] {
  const name = text(id);
  return name === null || name === '' ? [] : [{ kind, id: name, context }];
}

function arnOf(value: unknown): string | null {
  return isObject(value) ? text(value['arn']) : null;
}

function attachment(
  req: Readonly<Record<string, unknown>>,
  nameField: string,
  what: string,
  policyField: string,
): Found[] {
  const name = text(req[nameField]);
  const policy = text(req[policyField]);
  if (name === null || policy === null) return [];
  return [{ kind: 'policy-attachment', id: `${what}/${name}`, context: policy }];
}

/** CloudTrail's EC2 lists: `{ "items": [ … ] }`. */
function items(value: unknown): Record<string, unknown>[] {
  if (!isObject(value) || !Array.isArray(value['items'])) return [];
  return value['items'].filter(isObject);
}

function ingress(req: Readonly<Record<string, unknown>>): Found[] {
  const groupId = text(req['groupId']) ?? text(req['groupName']);
  if (groupId === null) return [];
  const rules = items(req['ipPermissions']).map((permission) => {
    const raw = permission['ipProtocol'];
    const protocol = text(raw) ?? (typeof raw === 'number' ? String(raw) : '?');
    const from = permission['fromPort'];
    const to = permission['toPort'];
    const ports = protocol === '-1' ? 'all' : from === to ? String(from) : `${String(from)}-${String(to)}`;
    const sources = [
      ...items(permission['ipRanges']).map((range) => text(range['cidrIp'])),
      ...items(permission['ipv6Ranges']).map((range) => text(range['cidrIpv6'])),
      ...items(permission['groups']).map((group) => text(group['groupId'])),
    ].filter((source): source is string => source !== null);
    return `${protocol === '-1' ? 'all traffic' : `${protocol}/${ports}`} from ${sources.join(', ') || '?'}`;
  });
  // The older flat form: cidrIp, ipProtocol, fromPort, toPort at the top level.
  const flat = text(req['cidrIp']);
  if (flat !== null) rules.push(`${text(req['ipProtocol']) ?? '?'}/${String(req['fromPort'])} from ${flat}`);
  return [{ kind: 'security-group-ingress', id: groupId, context: rules.join('; ') || null }];
}

function snapshotShare(req: Readonly<Record<string, unknown>>): Found[] {
  const snapshotId = text(req['snapshotId']);
  const permission = req['createVolumePermission'];
  if (snapshotId === null || !isObject(permission)) return [];
  const added = items(permission['add'])
    .map((entry) => text(entry['userId']) ?? (text(entry['group']) === 'all' ? 'everyone (public)' : null))
    .filter((who): who is string => who !== null);
  return added.length === 0
    ? []
    : [{ kind: 'snapshot-share', id: snapshotId, context: `shared with ${added.join(', ')}` }];
}
