import * as z from 'zod';
import { ConfiguredActionSchema, ResponseModeSchema } from '../contracts/response-event';
import { DEFAULT_RESPONDER_SEVERITY_THRESHOLD } from './event-patterns';
import { RoleRuleSchema } from '../responder/response-config-schema';

/**
 * The deploy-time settings, read from CDK context (cdk.json or `-c key=value`). Every key carries the
 * `credtrail:` prefix so a typo is caught (unknown `credtrail:*` keys are errors) and nothing collides
 * with CDK's own flags. `-c` delivers strings, so lists also accept "a,b" and objects accept JSON text.
 * Zod only: no aws-cdk-lib here, so the rules are unit-tested without building a stack.
 */
export class CredtrailConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredtrailConfigError';
  }
}

export const CONTEXT_PREFIX = 'credtrail:';

// cdk.json may hold an account id as a JSON number; ids with leading zeros must be quoted there.
const AccountIdSchema = z.preprocess(
  (v) => (typeof v === 'number' ? String(v) : v),
  z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id (quoted in cdk.json)'),
);
// IAM role names: 1–64 of [\w+=,.@-] (IAM API reference, CreateRole).
const RoleNameSchema = z
  .string()
  .regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM role name (1-64 of letters, digits, +=,.@_-)');

function list(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function number(value: unknown): unknown {
  return typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
}

function json(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value; // left as a string, zod then reports "expected object" against the setting's name
  }
}

function optionalText(value: unknown): unknown {
  return value === '' ? undefined : value;
}

/** Settings shared by the central and member stacks: the role names that tie the accounts together. */
const RoleNamesShape = {
  detectorRoleName: RoleNameSchema.default('credtrail-detector'),
  responderRoleName: RoleNameSchema.default('credtrail-responder'),
  memberReadRoleName: RoleNameSchema.default('credtrail-member-read'),
  memberResponseRoleName: RoleNameSchema.default('credtrail-member-response'),
  /** The member role the real-time rule uses to put instance-credential calls on the central bus. */
  memberForwarderRoleName: RoleNameSchema.default('credtrail-member-forwarder'),
  /** Glob patterns (`*`) on role names the responder never touches; the member role denies them too. */
  protectedRoles: z
    .preprocess(
      list,
      z.array(z.string().regex(/^[\w+=,.@*-]{1,64}$/, 'must be role names, * allowed as a wildcard')),
    )
    .default([]),
};

export const CentralConfigSchema = z.object({
  ...RoleNamesShape,
  alertEmails: z.preprocess(list, z.array(z.email()).min(1, 'needs at least one address')),
  mode: ResponseModeSchema.default('dry-run'),
  /** Omitted severities keep the responder's defaults (lib/responder/response-config-schema.ts). */
  actionsBySeverity: z
    .preprocess(
      json,
      z
        .object({
          HIGH: z.array(ConfiguredActionSchema).optional(),
          MEDIUM: z.array(ConfiguredActionSchema).optional(),
          LOW: z.array(ConfiguredActionSchema).optional(),
        })
        .strict(),
    )
    .optional(),
  /**
   * Per-role response rules, first match wins, e.g. `[{"pattern":"prod-web-*","mode":"enforce"}]`:
   * how `credtrail tune`'s go-live report switches enforce on role by role.
   */
  responseRoles: z.preprocess(json, z.array(RoleRuleSchema)).optional(),
  /** Glob patterns (`*`) on instance ids or Name tags the responder never touches. */
  protectedInstances: z.preprocess(list, z.array(z.string().min(1))).default([]),
  /** Accounts whose VPC endpoints are affiliated (MEDIUM) rather than foreign (HIGH), for the detector. */
  trustedAccounts: z.preprocess(list, z.array(AccountIdSchema)).default([]),
  /**
   * Accounts allowed to publish findings about other accounts (e.g. the GuardDuty administrator). The
   * central account itself is always added: the detector runs there.
   */
  trustedPublisherAccounts: z.preprocess(list, z.array(AccountIdSchema)).default([]),
  cloudTrailBucketName: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name'),
  /** The trail's S3 key prefix, without the AWSLogs/ part CloudTrail appends. */
  cloudTrailPrefix: z.preprocess(
    optionalText,
    z
      .string()
      .regex(/^[^*]*[^/*]$/, 'no wildcards, no trailing slash')
      .optional(),
  ),
  /** The trail's SNS notification topic; without it the stack wires an S3 event notification instead. */
  cloudTrailTopicArn: z.preprocess(
    optionalText,
    z
      .string()
      .regex(/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w-]+$/, 'must be an SNS topic ARN')
      .optional(),
  ),
  /** The KMS key the trail encrypts its files with (SSE-KMS), if any: the detector needs kms:Decrypt. */
  cloudTrailKmsKeyArn: z.preprocess(
    optionalText,
    z
      .string()
      .regex(/^arn:aws[\w-]*:kms:[\w-]+:\d{12}:key\/[\w-]+$/, 'must be a KMS key ARN')
      .optional(),
  ),
  /** The responder's rate limit; omitted keeps the responder's default. */
  maxIncidentsPerHour: z.preprocess(number, z.number().int().min(0).max(1000)).optional(),
  responderSeverityThreshold: z
    .preprocess(number, z.number().min(1).max(10))
    .default(DEFAULT_RESPONDER_SEVERITY_THRESHOLD),
  /**
   * The AWS Organization whose member accounts may forward instance-credential calls to the bus in
   * real time (through their forwarder role only). Without it only this account's own forwarder can.
   */
  organizationId: z.preprocess(
    optionalText,
    z
      .string()
      .regex(/^o-[a-z0-9]{10,32}$/, 'must be an AWS Organizations id (o-…)')
      .optional(),
  ),
});
export type CentralConfig = z.infer<typeof CentralConfigSchema>;

export const MemberConfigSchema = z.object({
  ...RoleNamesShape,
  centralAccountId: AccountIdSchema,
  /**
   * The central stack's region. With it the app also synthesizes the per-region real-time forwarder
   * stack (deploy it in every enabled region, us-east-1 included: IAM and global STS calls land there).
   */
  centralRegion: z.preprocess(
    optionalText,
    z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1')
      .optional(),
  ),
});
export type MemberConfig = z.infer<typeof MemberConfigSchema>;

const KNOWN_KEYS = new Set([
  ...Object.keys(CentralConfigSchema.shape),
  ...Object.keys(MemberConfigSchema.shape),
  'lambdaCode', // app-level: "bundle" (default) or "placeholder" (no esbuild), read by credtrail-app.ts
]);

/**
 * Reads one schema's settings from context. `context` is every context value (app.node.getAllContext()).
 * Errors name each bad setting by its context key, with what is wrong, all at once.
 */
export function readConfig<T extends z.ZodObject>(schema: T, context: Record<string, unknown>): z.infer<T> {
  const unknown = Object.keys(context).filter(
    (key) => key.startsWith(CONTEXT_PREFIX) && !KNOWN_KEYS.has(key.slice(CONTEXT_PREFIX.length)),
  );
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = context[CONTEXT_PREFIX + key];
    if (value !== undefined) raw[key] = value;
  }
  const parsed = schema.safeParse(raw);
  const problems = unknown.map(
    (key) => `  ${key}: unknown setting (known: ${[...KNOWN_KEYS].sort().join(', ')})`,
  );
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path;
      const [head, ...rest] = path;
      const setting = `${CONTEXT_PREFIX}${String(head ?? '')}${rest.map((p) => `[${String(p)}]`).join('')}`;
      const message = path.length === 1 && raw[String(head)] === undefined ? 'is required' : issue.message;
      problems.push(`  ${setting}: ${message}`);
    }
  }
  if (problems.length > 0 || !parsed.success) {
    throw new CredtrailConfigError(
      `Invalid credtrail settings (cdk.json "context" or -c key=value):\n${problems.join('\n')}`,
    );
  }
  return parsed.data;
}
