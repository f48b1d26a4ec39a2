/**
 * Lenient checks of the few fields we read, by hand rather than with zod: this runs once per
 * instance-credential record, the hot path of every hunt (a zod parse copied every record and was a
 * tenth of the engine's time in the profile). Real records (and AWS's own documentation examples)
 * carry odd identifiers, unknown regions and extra fields, so we accept any string where AWS might
 * surprise us and only insist on what the detection needs.
 */
type Expect = 'string' | 'non-empty' | 'optional' | 'object' | 'optional-object';
type Rule = readonly [path: readonly string[], expect: Expect];
const rules = (entries: Record<string, Expect>): readonly Rule[] =>
  Object.entries(entries).map(([path, expect]) => [path.split('.'), expect] as const);

export const USE_RULES = rules({
  eventID: 'non-empty',
  eventTime: 'non-empty',
  eventName: 'string',
  eventSource: 'string',
  awsRegion: 'string',
  sourceIPAddress: 'string',
  userAgent: 'optional',
  recipientAccountId: 'optional',
  vpcEndpointId: 'optional',
  vpcEndpointAccountId: 'optional',
  'userIdentity.principalId': 'string',
  'userIdentity.arn': 'optional',
  'userIdentity.accountId': 'string',
  'userIdentity.accessKeyId': 'non-empty',
  'userIdentity.invokedBy': 'optional',
  'userIdentity.sessionContext': 'optional-object',
  'userIdentity.sessionContext.ec2RoleDelivery': 'optional',
  'userIdentity.sessionContext.attributes': 'optional-object',
  'userIdentity.sessionContext.attributes.creationDate': 'optional',
  'userIdentity.sessionContext.sessionIssuer': 'optional-object',
  'userIdentity.sessionContext.sessionIssuer.arn': 'optional',
  'userIdentity.sessionContext.sessionIssuer.userName': 'optional',
  'userIdentity.sessionContext.sessionIssuer.accountId': 'optional',
});

export const DELIVERY_RULES = rules({
  eventID: 'non-empty',
  eventTime: 'non-empty',
  awsRegion: 'string',
  recipientAccountId: 'optional',
  requestParameters: 'object',
  'requestParameters.roleSessionName': 'string',
  'requestParameters.roleArn': 'string',
  responseElements: 'object',
  'responseElements.credentials': 'object',
  'responseElements.credentials.accessKeyId': 'non-empty',
});

/** Up to three problems ("path: what is wrong"), or undefined when the record has what we read. */
export function problemsOf(record: Record<string, unknown>, checks: readonly Rule[]): string | undefined {
  let problems: string[] | undefined;
  for (const [path, expect] of checks) {
    const value = valueAt(record, path);
    const problem = problemWith(value, expect);
    if (problem === undefined) continue;
    (problems ??= []).push(`${path.join('.')}: ${problem}`);
    if (problems.length === 3) break;
  }
  return problems?.join('; ');
}

function valueAt(record: Record<string, unknown>, path: readonly string[]): unknown {
  let value: unknown = record;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function problemWith(value: unknown, expect: Expect): string | undefined {
  if (value === undefined)
    return expect === 'optional' || expect === 'optional-object' ? undefined : 'required';
  if (expect === 'object' || expect === 'optional-object')
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? undefined
      : `expected an object, got ${kindOf(value)}`;
  if (typeof value !== 'string') return `expected a string, got ${kindOf(value)}`;
  if (expect === 'non-empty' && value.length === 0) return 'must not be empty';
  return undefined;
}

function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

/**
 * USE_RULES written out: true exactly when `problemsOf(record, USE_RULES)` finds nothing, at a fraction
 * of the cost (no paths walked, nothing allocated). The rules stay the spec and name what is wrong.
 */
export function hasUseShape(record: Record<string, unknown>): boolean {
  const identity = record['userIdentity'] as Record<string, unknown>;
  const context = identity['sessionContext'];
  if (!isOptionalObject(context)) return false;
  const issuer = (context as Record<string, unknown> | undefined)?.['sessionIssuer'];
  if (!isOptionalObject(issuer)) return false;
  const ctx = context as Record<string, unknown> | undefined;
  const iss = issuer as Record<string, unknown> | undefined;
  const attributes = ctx?.['attributes'];
  if (!isOptionalObject(attributes)) return false;
  return (
    isNonEmpty(record['eventID']) &&
    isNonEmpty(record['eventTime']) &&
    typeof record['eventName'] === 'string' &&
    typeof record['eventSource'] === 'string' &&
    typeof record['awsRegion'] === 'string' &&
    typeof record['sourceIPAddress'] === 'string' &&
    isOptionalString(record['userAgent']) &&
    isOptionalString(record['recipientAccountId']) &&
    isOptionalString(record['vpcEndpointId']) &&
    isOptionalString(record['vpcEndpointAccountId']) &&
    typeof identity['principalId'] === 'string' &&
    isOptionalString(identity['arn']) &&
    typeof identity['accountId'] === 'string' &&
    isNonEmpty(identity['accessKeyId']) &&
    isOptionalString(identity['invokedBy']) &&
    isOptionalString(ctx?.['ec2RoleDelivery']) &&
    isOptionalString((attributes as Record<string, unknown> | undefined)?.['creationDate']) &&
    isOptionalString(iss?.['arn']) &&
    isOptionalString(iss?.['userName']) &&
    isOptionalString(iss?.['accountId'])
  );
}

const isNonEmpty = (value: unknown): boolean => typeof value === 'string' && value.length > 0;
const isOptionalString = (value: unknown): boolean => value === undefined || typeof value === 'string';
const isOptionalObject = (value: unknown): boolean =>
  value === undefined || (typeof value === 'object' && value !== null && !Array.isArray(value));

// The shapes `problemsOf` vouched for: only what the normalisers read.
export interface CheckedUse {
  eventID: string;
  eventTime: string;
  eventName: string;
  eventSource: string;
  awsRegion: string;
  sourceIPAddress: string;
  userAgent?: string;
  recipientAccountId?: string;
  vpcEndpointId?: string;
  vpcEndpointAccountId?: string;
  userIdentity: {
    principalId: string;
    arn?: string;
    accountId: string;
    accessKeyId: string;
    invokedBy?: string;
    sessionContext?: {
      ec2RoleDelivery?: string;
      attributes?: { creationDate?: string };
      sessionIssuer?: { arn?: string; userName?: string; accountId?: string };
    };
  };
}

export interface CheckedDelivery {
  eventID: string;
  eventTime: string;
  awsRegion: string;
  recipientAccountId?: string;
  requestParameters: { roleSessionName: string; roleArn: string };
  responseElements: { credentials: { accessKeyId: string } };
}
