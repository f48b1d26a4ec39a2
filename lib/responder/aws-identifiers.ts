/**
 * Formats of the identifiers a finding names. An attacker controls every field of a finding, and these
 * values end up in API calls and in protection checks, so each is checked against the format AWS gives
 * it before anything is read or changed. Sources: IAM API reference (CreateRole: RoleName, Path), IAM
 * User Guide "IAM identifiers" (ARNs), EC2 resource ids (8 or 17 hex digits), AWS General Reference
 * (partitions and region names).
 */
export const ACCOUNT_ID = /^\d{12}$/;
export const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
/** `/` or `/segment/…/`, printable ASCII, at most 512 characters. */
export const ROLE_PATH = /^\/(?:[\x21-\x7E]*\/)?$/;
/** IAM user names (IAM API reference, CreateUser: UserName). */
export const USER_NAME = /^[\w+=,.@-]{1,64}$/;
/** Long-term keys only: a created access key is an IAM user's `AKIA…` key. */
export const LONG_TERM_ACCESS_KEY_ID = /^AKIA[A-Z0-9]{16}$/;
export const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
/** Temporary (`ASIA`) and long-term (`AKIA`) key ids: 20 upper-case letters and digits. */
export const ACCESS_KEY_ID = /^(?:ASIA|AKIA)[A-Z0-9]{16}$/;
export const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
export const PARTITIONS = [
  'aws',
  'aws-cn',
  'aws-us-gov',
  'aws-iso',
  'aws-iso-b',
  'aws-iso-e',
  'aws-iso-f',
  'aws-eusc',
] as const;
export type Partition = (typeof PARTITIONS)[number];

// Region prefixes of the partitions other than `aws`, longest first so `us-isob-` wins over `us-iso-`.
const REGION_PARTITIONS: ReadonlyArray<readonly [string, Partition]> = [
  ['us-isob-', 'aws-iso-b'],
  ['us-isof-', 'aws-iso-f'],
  ['eu-isoe-', 'aws-iso-e'],
  ['us-iso-', 'aws-iso'],
  ['us-gov-', 'aws-us-gov'],
  ['eusc-', 'aws-eusc'],
  ['cn-', 'aws-cn'],
];

export function isPartition(value: string): value is Partition {
  return (PARTITIONS as readonly string[]).includes(value);
}

/** The partition a well-formed region belongs to. */
export function partitionOfRegion(region: string): Partition {
  return REGION_PARTITIONS.find(([prefix]) => region.startsWith(prefix))?.[1] ?? 'aws';
}

export interface RoleArnParts {
  partition: Partition;
  accountId: string;
  path: string;
  name: string;
}

const MAX_PATH_LENGTH = 512;

/** `arn:PARTITION:iam::ACCOUNT:role/PATH/NAME` split and checked, or null when it is not one. */
export function parseRoleArn(arn: string): RoleArnParts | null {
  const match = /^arn:([a-z-]+):iam::(\d{12}):role(\/.*)$/.exec(arn);
  if (match === null) return null;
  const [, partition = '', accountId = '', pathAndName = ''] = match;
  const slash = pathAndName.lastIndexOf('/');
  const path = pathAndName.slice(0, slash + 1);
  const name = pathAndName.slice(slash + 1);
  if (!isPartition(partition) || !ROLE_NAME.test(name)) return null;
  if (!ROLE_PATH.test(path) || path.length > MAX_PATH_LENGTH) return null;
  return { partition, accountId, path, name };
}

/** What a finding says about where to act, before anything is read. */
export interface FindingIdentifiers {
  accountId: string;
  region: string;
  partition: string;
  roleName: string;
  roleArn: string | null;
  instanceId: string;
  accessKeyId: string;
}

/** Every reason the identifiers cannot be acted on; empty when they are well-formed and agree. */
export function identifierProblems(ids: FindingIdentifiers): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, what: string, value: string) => {
    if (!ok) problems.push(`${what} ${JSON.stringify(value.slice(0, 80))} is not well-formed`);
  };
  check(ACCOUNT_ID.test(ids.accountId), 'account id', ids.accountId);
  check(REGION.test(ids.region), 'region', ids.region);
  check(isPartition(ids.partition), 'partition', ids.partition);
  check(ROLE_NAME.test(ids.roleName), 'role name', ids.roleName);
  check(INSTANCE_ID.test(ids.instanceId), 'instance id', ids.instanceId);
  check(ACCESS_KEY_ID.test(ids.accessKeyId), 'access key id', ids.accessKeyId);
  if (REGION.test(ids.region) && isPartition(ids.partition)) {
    const expected = partitionOfRegion(ids.region);
    if (expected !== ids.partition)
      problems.push(`region ${ids.region} is in partition ${expected}, not ${ids.partition}`);
  }
  if (ids.roleArn !== null) {
    const arn = parseRoleArn(ids.roleArn);
    if (arn === null) check(false, 'role ARN', ids.roleArn);
    else {
      if (arn.accountId !== ids.accountId)
        problems.push(`role ARN is in account ${arn.accountId}, the finding names ${ids.accountId}`);
      if (arn.name !== ids.roleName)
        problems.push(`role ARN names role ${arn.name}, the finding names ${ids.roleName}`);
      if (arn.partition !== ids.partition)
        problems.push(`role ARN is in partition ${arn.partition}, the finding names ${ids.partition}`);
    }
  }
  return problems;
}

/**
 * Issue 17: why a role the thief assumed cannot be acted on, or null. Its ARN must be a role ARN of the
 * incident's partition, in the account the chain says the credentials belong to.
 */
export function chainRoleProblem(roleArn: string, accountId: string, partition: string): string | null {
  const arn = parseRoleArn(roleArn);
  if (arn === null) return `role ARN ${JSON.stringify(roleArn.slice(0, 120))} is not well-formed`;
  if (arn.partition !== partition)
    return `role ${arn.name} is in partition ${arn.partition}, not ${partition}`;
  if (arn.accountId !== accountId || !ACCOUNT_ID.test(accountId))
    return `role ARN is in account ${arn.accountId}, the chain names ${JSON.stringify(accountId.slice(0, 20))}`;
  return null;
}

/** Issue 17: why a created access key cannot be deactivated, or null. */
export function chainKeyProblem(accessKeyId: string, userName: string, accountId: string): string | null {
  if (!LONG_TERM_ACCESS_KEY_ID.test(accessKeyId))
    return `access key id ${JSON.stringify(accessKeyId.slice(0, 40))} is not a long-term key id`;
  if (!USER_NAME.test(userName))
    return `user name ${JSON.stringify(userName.slice(0, 80))} is not well-formed`;
  if (!ACCOUNT_ID.test(accountId))
    return `account id ${JSON.stringify(accountId.slice(0, 20))} is not well-formed`;
  return null;
}
