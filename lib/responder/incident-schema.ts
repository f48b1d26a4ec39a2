import * as z from 'zod';

/**
 * Issue 17: the part of a finding's chain a response acts on or lists for a person, built from the
 * finding's `taint` by incident-chain.ts. Every role and key here passed the identifier checks.
 */
export const IncidentChainSchema = z.object({
  /** Roles the thief assumed with the stolen key (or a key derived from it), one entry per role. */
  roles: z.array(
    z.object({
      roleArn: z.string(),
      roleName: z.string(),
      accountId: z.string().regex(/^\d{12}$/),
      /** The thief's session keys of this role. */
      accessKeyIds: z.array(z.string()),
      /** When the last of those sessions was issued: a revocation cut off at or after it denies them all. */
      lastIssuedAt: z.string(),
      /** When the last of those sessions expires. */
      expiresAt: z.string(),
    }),
  ),
  /** Long-term access keys the thief created: deactivated, never deleted. */
  accessKeys: z.array(
    z.object({
      accessKeyId: z.string(),
      userName: z.string(),
      accountId: z.string().regex(/^\d{12}$/),
    }),
  ),
  /** Everything else, for a person: persistence credtrail does not touch, and entries it refused. */
  manual: z.array(
    z.object({
      kind: z.string(),
      id: z.string(),
      context: z.string().nullable(),
      accountId: z.string(),
      region: z.string(),
    }),
  ),
});
export type IncidentChain = z.infer<typeof IncidentChainSchema>;

/** One incident, whatever reported it: the responder's only input to planning. */
export const IncidentSchema = z.object({
  incidentId: z.string(),
  findingSource: z.enum(['guardduty', 'credtrail']),
  findingId: z.string(),
  findingType: z.string(),
  severity: z.enum(['HIGH', 'MEDIUM', 'LOW']),
  severityScore: z.number(),
  accountId: z.string().regex(/^\d{12}$/),
  region: z.string().min(1),
  partition: z.string().min(1),
  roleName: z.string().min(1),
  /** Known when the finding carries it (credtrail); GuardDuty gives the name only. */
  roleArn: z.string().nullable(),
  instanceId: z.string().regex(/^i-[0-9a-f]+$/),
  accessKeyId: z.string().min(1),
  origin: z.object({
    ip: z.string().nullable(),
    accountId: z.string().nullable(),
    affiliated: z.boolean().nullable(),
    vpcEndpointId: z.string().nullable(),
  }),
  /** What the finding says about the instance's network; planning prefers what EC2 says now. */
  networkHint: z.object({
    vpcIds: z.array(z.string()),
    egressIps: z.array(z.string()),
  }),
  firstSeen: z.string().nullable(),
  lastSeen: z.string().nullable(),
  /** Issue 17: what the stolen key minted and left behind (credtrail findings with `taint` only). */
  chain: IncidentChainSchema.optional(),
  /**
   * Issue 17: set when this incident is a chain-growth update of a credtrail finding: its own incident
   * (one per chain version, so one plan and one undo each), planned for the chain only.
   */
  chainUpdate: z
    .object({
      version: z.string(),
      /** The incident of the finding's first announcement, whose response covered the instance. */
      findingIncidentId: z.string(),
    })
    .optional(),
  /** GuardDuty `CreateSampleFindings` output: parsed, reported, never acted on. */
  sample: z.boolean(),
});
export type Incident = z.infer<typeof IncidentSchema>;
