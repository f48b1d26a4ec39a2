import { z } from 'zod';

/**
 * What the responder read (read-only calls) before planning. `null` parts were not read, which only
 * the CLI's `--offline` planning allows.
 */
export const ObservedRoleSchema = z.object({
  name: z.string(),
  arn: z.string(),
  path: z.string(),
  tags: z.record(z.string(), z.string()),
  inlinePolicies: z.array(z.object({ name: z.string(), document: z.string() })),
});
export type ObservedRole = z.infer<typeof ObservedRoleSchema>;

export const ObservedInstanceSchema = z.object({
  instanceId: z.string(),
  state: z.string(),
  tags: z.record(z.string(), z.string()),
  interfaces: z.array(
    z.object({ networkInterfaceId: z.string(), vpcId: z.string(), groupIds: z.array(z.string()) }),
  ),
  volumeIds: z.array(z.string()),
  profileAssociation: z.object({ associationId: z.string(), profileArn: z.string() }).nullable(),
  terminationProtection: z.boolean(),
});
export type ObservedInstance = z.infer<typeof ObservedInstanceSchema>;

export const ObservedGroupSchema = z.object({
  groupId: z.string(),
  ruleCount: z.number().int().nonnegative(),
});

export const ObservedStateSchema = z.object({
  role: ObservedRoleSchema.nullable(),
  instance: ObservedInstanceSchema.nullable(),
  /** The network of every instance running with the role's profile in the region. */
  roleNetwork: z.object({ vpcIds: z.array(z.string()), egressIps: z.array(z.string()) }).nullable(),
  /** Per VPC: the isolation and transition groups if they already exist. */
  isolationGroups: z.record(
    z.string(),
    z.object({ isolation: ObservedGroupSchema.nullable(), transition: ObservedGroupSchema.nullable() }),
  ),
});
export type ObservedState = z.infer<typeof ObservedStateSchema>;

/** Issue 17: what was read about the chain's roles (by ARN) and created keys (by id); absent offline. */
export interface ObservedChain {
  readonly roles: ReadonlyMap<string, ObservedRole | null>;
  readonly accessKeys: ReadonlyMap<string, 'Active' | 'Inactive' | null>;
}

export const UNOBSERVED: ObservedState = {
  role: null,
  instance: null,
  roleNetwork: null,
  isolationGroups: {},
};
