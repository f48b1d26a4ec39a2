import * as z from 'zod';
import { lazySchema } from '../contracts/lazy-schema';
import type { UserSubject } from './protection/user-protection';

// Never parsed, only inferred from (z.infer): lazySchema keeps them from being built at every cold start.
/**
 * What the responder read (read-only calls) before planning. `null` parts were not read, which only
 * the CLI's `--offline` planning allows.
 */
export const ObservedRoleSchema = lazySchema(() =>
  z.object({
    name: z.string(),
    arn: z.string(),
    path: z.string(),
    tags: z.record(z.string(), z.string()),
    inlinePolicies: z.array(z.object({ name: z.string(), document: z.string() })),
  }),
);
export type ObservedRole = z.infer<typeof ObservedRoleSchema>;

export const ObservedInstanceSchema = lazySchema(() =>
  z.object({
    instanceId: z.string(),
    state: z.string(),
    tags: z.record(z.string(), z.string()),
    interfaces: z.array(
      z.object({ networkInterfaceId: z.string(), vpcId: z.string(), groupIds: z.array(z.string()) }),
    ),
    volumeIds: z.array(z.string()),
    profileAssociation: z.object({ associationId: z.string(), profileArn: z.string() }).nullable(),
    /** null: not read (the member role may not call DescribeInstanceAttribute). */
    terminationProtection: z.boolean().nullable(),
  }),
);
export type ObservedInstance = z.infer<typeof ObservedInstanceSchema>;

export const ObservedGroupSchema = lazySchema(() =>
  z.object({
    groupId: z.string(),
    ruleCount: z.number().int().nonnegative(),
  }),
);

/** The instance's profile as IAM describes it: the proof that the finding's role is the instance's. */
export const ObservedInstanceProfileSchema = lazySchema(() =>
  z.object({
    profileArn: z.string(),
    roleArns: z.array(z.string()),
  }),
);
export type ObservedInstanceProfile = z.infer<typeof ObservedInstanceProfileSchema>;

export const ObservedStateSchema = lazySchema(() =>
  z.object({
    role: ObservedRoleSchema.nullable(),
    instance: ObservedInstanceSchema.nullable(),
    /** null when the instance has no profile or was not read. */
    instanceProfile: ObservedInstanceProfileSchema.nullable(),
    /** The network of every instance running with the role's profile in the region. */
    roleNetwork: z.object({ vpcIds: z.array(z.string()), egressIps: z.array(z.string()) }).nullable(),
    /** Per VPC: the isolation and transition groups if they already exist. */
    isolationGroups: z.record(
      z.string(),
      z.object({ isolation: ObservedGroupSchema.nullable(), transition: ObservedGroupSchema.nullable() }),
    ),
  }),
);
export type ObservedState = z.infer<typeof ObservedStateSchema>;

export const UNOBSERVED: ObservedState = {
  role: null,
  instance: null,
  instanceProfile: null,
  roleNetwork: null,
  isolationGroups: {},
};

/** Issue 17: what was read, in its own account, about one role the thief assumed or one created key. */
export type ObservedChainRole =
  { state: 'found'; role: ObservedRole } | { state: 'missing' } | { state: 'unreadable'; reason: string };
export type ObservedChainKey =
  | { state: 'found'; status: 'Active' | 'Inactive'; user: UserSubject }
  | { state: 'missing' }
  | { state: 'unreadable'; reason: string };

/** Roles by chainRoleKey, keys by access key id. Absent altogether when nothing was read (offline). */
export interface ObservedChain {
  roles: ReadonlyMap<string, ObservedChainRole>;
  accessKeys: ReadonlyMap<string, ObservedChainKey>;
}

/** IAM role names are unique regardless of case within an account. */
export function chainRoleKey(accountId: string, roleName: string): string {
  return `${accountId}/${roleName.toLowerCase()}`;
}
