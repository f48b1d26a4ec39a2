import * as z from 'zod';
import { FindingDetailSchema } from '../contracts/finding-event';
import { lazySchema } from '../contracts/lazy-schema';
import type { InstanceNetwork } from '../engine/instance-network';

/** The shapes of the state table's items (see state-table.ts for their keys), checked on every read. */
export const OriginSchema = z.union([
  z.object({ kind: z.literal('address'), sourceIp: z.string() }),
  z.object({
    kind: z.literal('endpoint'),
    sourceIp: z.string(),
    vpcEndpointId: z.string(),
    vpcEndpointAccountId: z.string().optional(),
  }),
]);

export const DeliveryItemSchema = z.object({
  instanceId: z.string(),
  roleArn: z.string(),
  accountId: z.string(),
  region: z.string().optional(),
  issuedAt: z.number().optional(),
});

export const BaselinesItemSchema = z.object({
  instanceId: z.string(),
  roleArn: z.string(),
  accountId: z.string(),
  address: OriginSchema.optional(),
  ipv6: OriginSchema.optional(),
  endpoint: OriginSchema.optional(),
});

export const FindingItemSchema = lazySchema(() =>
  z.object({
    detail: FindingDetailSchema,
    version: z.number().int().positive(),
    /** Source ids (files, and fingerprints of the events counted) already merged into the count. */
    sources: z.array(z.string()),
    announced: z.boolean(),
    createdAt: z.number(),
  }),
);
export type FindingItem = z.infer<typeof FindingItemSchema>;

const InstanceNetworkSchema = z.object({
  instanceId: z.string(),
  accountId: z.string().optional(),
  region: z.string().optional(),
  vpcId: z.string().optional(),
  subnetId: z.string().optional(),
  privateIps: z.array(z.string()),
  publicIps: z.array(z.string()),
  ipv6Addresses: z.array(z.string()),
  prefixes: z.array(z.string()),
  natGatewayIps: z.array(z.string()),
  vpcEndpointIds: z.array(z.string()),
  source: z.enum(['inventory', 'ec2']),
  // The network as routed (absent in items cached before routes were read).
  route: z.string().optional(),
  egress: z.array(z.object({ description: z.string(), addresses: z.array(z.string()) })).optional(),
  endpoints: z
    .array(
      z.object({
        vpcEndpointId: z.string(),
        vpcId: z.string().optional(),
        ownerId: z.string().optional(),
        description: z.string(),
      }),
    )
    .optional(),
});

export const NetworkItemSchema = z.union([
  z.object({ status: z.literal('found'), network: InstanceNetworkSchema }),
  z.object({ status: z.literal('unknown'), instanceId: z.string() }),
]);

/** What EC2 said about an instance, as cached in the state table. */
export type CachedNetwork =
  | { readonly status: 'found'; readonly network: InstanceNetwork }
  | { readonly status: 'unknown'; readonly instanceId: string };

/** The network cache the EC2 directory keeps in the state table (one item per instance). */
export interface NetworkCache {
  getNetworks(instanceIds: readonly string[]): Promise<Map<string, CachedNetwork>>;
  putNetworks(entries: readonly CachedNetwork[]): Promise<void>;
}

export class StateItemError extends Error {
  constructor(key: string, detail: string) {
    super(`state item ${key} is malformed: ${detail}`);
    this.name = 'StateItemError';
  }
}

export class UnprocessedItemsError extends Error {
  constructor(operation: string, remaining: number) {
    super(`${operation}: ${remaining} items still unprocessed after retries (throttled?)`);
    this.name = 'UnprocessedItemsError';
  }
}

export class FindingContentionError extends Error {
  constructor(findingId: string) {
    super(`finding ${findingId}: too many concurrent writers, gave up merging`);
    this.name = 'FindingContentionError';
  }
}

export function parseItem<T>(schema: z.ZodType<T>, item: unknown, key: string): T {
  const parsed = schema.safeParse(item);
  if (!parsed.success) throw new StateItemError(key, parsed.error.issues[0]?.message ?? 'invalid');
  return parsed.data;
}

export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
