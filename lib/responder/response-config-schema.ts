import * as z from 'zod';
import {
  ConfiguredActionSchema,
  ResponseModeSchema,
  type ConfiguredAction,
  type ResponseMode,
} from '../contracts/response-event';
import { globMatches } from './protection/glob';

const TagMatchSchema = z.object({
  key: z.string().min(1),
  /** Omitted: any value of the key protects. */
  value: z.string().optional(),
});
export type TagMatch = z.infer<typeof TagMatchSchema>;

/**
 * Per-role settings, so `enforce` can be switched on role by role once tuning shows a role is quiet:
 * `{ "pattern": "prod-web-*", "mode": "enforce" }`. The first rule whose pattern (`*` only) matches the
 * role name wins; what it leaves out (the mode, a severity's actions) comes from the top level.
 */
export const RoleRuleSchema = z
  .object({
    pattern: z.string().min(1),
    mode: ResponseModeSchema.optional(),
    actions: z
      .object({
        HIGH: z.array(ConfiguredActionSchema).optional(),
        MEDIUM: z.array(ConfiguredActionSchema).optional(),
        LOW: z.array(ConfiguredActionSchema).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((rule) => rule.mode !== undefined || rule.actions !== undefined, {
    message: 'a role rule needs a mode or actions',
  });
export type RoleRule = z.infer<typeof RoleRuleSchema>;

/**
 * The responder configuration: one JSON document (env `RESPONSE_CONFIG` in Lambda, `--config` in the
 * CLI). Every field has a safe default, so `{}` is a valid configuration that only plans.
 */
export const ResponseConfigSchema = z.object({
  mode: ResponseModeSchema.default('dry-run'),
  actions: z
    .object({
      HIGH: z.array(ConfiguredActionSchema).default(['revoke-sessions', 'pin-to-network']),
      MEDIUM: z.array(ConfiguredActionSchema).default(['pin-to-network']),
      LOW: z.array(ConfiguredActionSchema).default([]),
    })
    .prefault({}),
  /** Role rules, first match wins (see RoleRuleSchema). */
  roles: z.array(RoleRuleSchema).default([]),
  protected: z
    .object({
      /** Glob patterns (`*` only) on role names. */
      roleNamePatterns: z.array(z.string()).default([]),
      roleTags: z.array(TagMatchSchema).default([{ key: 'credtrail:protected' }]),
      /** Glob patterns on instance ids and on the instance's Name tag. */
      instancePatterns: z.array(z.string()).default([]),
      instanceTags: z.array(TagMatchSchema).default([{ key: 'credtrail:protected' }]),
      /**
       * Issue 17: glob patterns on IAM user names whose keys are never deactivated (break-glass and
       * admin users are protected anyway: protection/user-protection.ts).
       */
      userNamePatterns: z.array(z.string()).default([]),
      userTags: z.array(TagMatchSchema).default([{ key: 'credtrail:protected' }]),
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

export type Severity = 'HIGH' | 'MEDIUM' | 'LOW';

export interface RoleSettings {
  readonly mode: ResponseMode;
  readonly actions: Readonly<Record<Severity, readonly ConfiguredAction[]>>;
  /** The pattern of the role rule that decided, or null for the top-level settings. */
  readonly rule: string | null;
}

/** The mode and actions that apply to one role: its first matching rule over the top level. */
export function settingsForRole(config: ResponseConfig, roleName: string): RoleSettings {
  const rule = config.roles.find((candidate) => globMatches(candidate.pattern, roleName));
  if (rule === undefined) return { mode: config.mode, actions: config.actions, rule: null };
  return {
    mode: rule.mode ?? config.mode,
    actions: {
      HIGH: rule.actions?.HIGH ?? config.actions.HIGH,
      MEDIUM: rule.actions?.MEDIUM ?? config.actions.MEDIUM,
      LOW: rule.actions?.LOW ?? config.actions.LOW,
    },
    rule: rule.pattern,
  };
}
