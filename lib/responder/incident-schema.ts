import * as z from 'zod';

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
  /** GuardDuty `CreateSampleFindings` output: parsed, reported, never acted on. */
  sample: z.boolean(),
});
export type Incident = z.infer<typeof IncidentSchema>;
