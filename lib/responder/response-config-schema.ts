import * as z from 'zod';
import { ResponseActionSchema, ResponseModeSchema } from '../contracts/response-event';

const TagMatchSchema = z.object({
  key: z.string().min(1),
  /** Omitted: any value of the key protects. */
  value: z.string().optional(),
});
export type TagMatch = z.infer<typeof TagMatchSchema>;

/**
 * The responder configuration: one JSON document (env `RESPONSE_CONFIG` in Lambda, `--config` in the
 * CLI). Every field has a safe default, so `{}` is a valid configuration that only plans.
 */
export const ResponseConfigSchema = z.object({
  mode: ResponseModeSchema.default('dry-run'),
  actions: z
    .object({
      HIGH: z.array(ResponseActionSchema).default(['revoke-sessions', 'pin-to-network']),
      MEDIUM: z.array(ResponseActionSchema).default(['pin-to-network']),
      LOW: z.array(ResponseActionSchema).default([]),
    })
    .prefault({}),
  protected: z
    .object({
      /** Glob patterns (`*` only) on role names. */
      roleNamePatterns: z.array(z.string()).default([]),
      roleTags: z.array(TagMatchSchema).default([{ key: 'credtrail:protected' }]),
      /** Glob patterns on instance ids and on the instance's Name tag. */
      instancePatterns: z.array(z.string()).default([]),
      instanceTags: z.array(TagMatchSchema).default([{ key: 'credtrail:protected' }]),
    })
    .prefault({}),
  /** The responder's own roles (glob); always protected, as are service-linked roles. */
  responderRolePatterns: z.array(z.string()).default(['credtrail-*', 'Credtrail*']),
  rateLimit: z.object({ maxIncidentsPerHour: z.number().int().nonnegative().default(5) }).prefault({}),
  quarantine: z
    .object({
      isolationGroupName: z.string().min(1).default('credtrail-isolation'),
      /**
       * Pass every interface through an all-open group first so tracked connections become untracked
       * and are dropped by the no-rules group (EC2 UG, "Security group connection tracking";
       * AWSSupport-ContainEC2Instance does the same).
       */
      untrackConnections: z.boolean().default(true),
      transitionGroupName: z.string().min(1).default('credtrail-isolation-transition'),
      snapshotVolumes: z.boolean().default(false),
      removeInstanceProfile: z.boolean().default(false),
    })
    .prefault({}),
  pin: z
    .object({
      /** Egress CIDRs the role's instances also use (a proxy, a corporate range). */
      extraEgressCidrs: z.array(z.string()).default([]),
      extraVpcIds: z.array(z.string()).default([]),
    })
    .prefault({}),
  /** Accounts that may publish findings about other accounts (detector account, GuardDuty administrator). */
  trustedPublisherAccounts: z.array(z.string().regex(/^\d{12}$/)).default([]),
});
export type ResponseConfig = z.infer<typeof ResponseConfigSchema>;

export class ResponseConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResponseConfigError';
  }
}

export function parseResponseConfig(json: string): ResponseConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new ResponseConfigError(`response configuration is not JSON: ${String(error)}`);
  }
  const parsed = ResponseConfigSchema.safeParse(raw);
  if (!parsed.success)
    throw new ResponseConfigError(`invalid response configuration: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
