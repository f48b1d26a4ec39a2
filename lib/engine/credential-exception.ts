import { z } from 'zod';
import { cidrContains, parseAddress, parseCidr } from './ip-address';

/** Every field that narrows what an exception covers; several in one entry must all hold. */
export const EXCEPTION_MATCHERS = [
  'cidr',
  'vpcEndpointId',
  'accountId',
  'roleName',
  'instanceId',
  'subnetId',
  'vpcId',
] as const;
export type ExceptionMatcher = (typeof EXCEPTION_MATCHERS)[number];

/**
 * A known, accepted reason for instance credentials to be used elsewhere (EKS nodes proxying the
 * metadata service, an extra egress path). At least one matcher; several are ANDed, so an entry reads
 * as one sentence: "calls from <all matchers> are fine because <reason>, until <expiresAt>".
 * (Provisional here: issue 12 owns the final matching rules.)
 */
export const CredentialExceptionSchema = z
  .object({
    cidr: z
      .string()
      .refine((text) => parseCidr(text) !== undefined, { message: 'is not a CIDR such as 10.0.0.0/16' })
      .optional(),
    vpcEndpointId: z
      .string()
      .regex(/^vpce-[0-9a-z]+$/, 'is not a VPC endpoint id (vpce-…)')
      .optional(),
    accountId: z
      .string()
      .regex(/^\d{12}$/, 'is not a 12-digit account id')
      .optional(),
    roleName: z.string().min(1).optional(),
    instanceId: z
      .string()
      .regex(/^i-[0-9a-zA-Z]+$/, 'is not an instance id (i-…)')
      .optional(),
    subnetId: z
      .string()
      .regex(/^subnet-[0-9a-z]+$/, 'is not a subnet id (subnet-…)')
      .optional(),
    vpcId: z
      .string()
      .regex(/^vpc-[0-9a-z]+$/, 'is not a VPC id (vpc-…)')
      .optional(),
    reason: z.string().trim().min(1, 'every exception needs a reason'),
    expiresAt: z.iso.datetime({ offset: true, message: 'is not an ISO-8601 time' }).optional(),
  })
  .strict()
  .refine((entry) => EXCEPTION_MATCHERS.some((matcher) => entry[matcher] !== undefined), {
    message: `needs at least one of ${EXCEPTION_MATCHERS.join(', ')}`,
  });
export type CredentialException = z.infer<typeof CredentialExceptionSchema>;

export class InvalidExceptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidExceptionError';
  }
}

/** Validates a list of exceptions; the error names the entry (index and matcher) and what is wrong. */
export function parseExceptions(input: unknown, origin = 'exceptions'): CredentialException[] {
  if (!Array.isArray(input)) throw new InvalidExceptionError(`${origin}: expected a JSON list of exceptions`);
  return input.map((entry: unknown, index) => {
    const parsed = CredentialExceptionSchema.safeParse(entry);
    if (parsed.success) return parsed.data;
    const problems = parsed.error.issues
      .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')} ${issue.message}` : issue.message))
      .join('; ');
    throw new InvalidExceptionError(`${origin}: entry ${index} (${describeEntry(entry)}): ${problems}`);
  });
}

function describeEntry(entry: unknown): string {
  if (typeof entry !== 'object' || entry === null) return JSON.stringify(entry);
  const record = entry as Record<string, unknown>;
  for (const key of EXCEPTION_MATCHERS) {
    if (typeof record[key] === 'string') return `${key} ${record[key]}`;
  }
  return 'no matcher';
}

/** What an exception is compared with: one call's origin and whose credentials made it. */
export interface ExceptionSubject {
  readonly sourceIp?: string;
  /** Present when the call came through a VPC endpoint. */
  readonly vpcEndpointId?: string;
  readonly vpcEndpointAccountId?: string;
  /** Whether the endpoint (if any) belongs to a trusted account: private CIDRs mean nothing otherwise. */
  readonly endpointTrusted: boolean;
  readonly accountId: string;
  readonly roleName: string;
  readonly instanceId: string;
  readonly subnetId?: string;
  /** The instance's VPC, when its network is known. */
  readonly vpcId?: string;
  /** Whether the call came through an endpoint of the instance's own VPC. */
  readonly endpointInInstanceVpc?: boolean;
}

export class ExceptionList {
  private readonly compiled;

  constructor(readonly entries: readonly CredentialException[]) {
    this.compiled = entries.map((entry) => ({
      entry,
      cidr: entry.cidr === undefined ? undefined : parseCidr(entry.cidr),
      expiresAt: entry.expiresAt === undefined ? Infinity : Date.parse(entry.expiresAt),
    }));
  }

  /** The first live exception that covers the subject, if any: every matcher of the entry must hold. */
  match(subject: ExceptionSubject, now: number): CredentialException | undefined {
    const address = subject.sourceIp === undefined ? undefined : parseAddress(subject.sourceIp);
    for (const { entry, cidr, expiresAt } of this.compiled) {
      if (expiresAt <= now) continue;
      if (cidr !== undefined) {
        // Private ranges overlap between accounts: an attacker's own VPC can reuse our 10.0.0.0/8. A
        // CIDR only vouches for calls through an endpoint we trust, or from a public address; tied to
        // a VPC, only through an endpoint of the instance's own VPC.
        if (address === undefined || !cidrContains(cidr, address)) continue;
        if (subject.vpcEndpointId !== undefined && !subject.endpointTrusted) continue;
        if (
          entry.vpcId !== undefined &&
          subject.vpcEndpointId !== undefined &&
          subject.endpointInInstanceVpc !== true
        )
          continue;
      }
      if (entry.vpcEndpointId !== undefined && entry.vpcEndpointId !== subject.vpcEndpointId) continue;
      if (entry.accountId !== undefined && entry.accountId !== subject.accountId) continue;
      if (entry.roleName !== undefined && entry.roleName !== subject.roleName) continue;
      if (entry.instanceId !== undefined && entry.instanceId !== subject.instanceId) continue;
      if (entry.subnetId !== undefined && entry.subnetId !== subject.subnetId) continue;
      if (entry.vpcId !== undefined && entry.vpcId !== subject.vpcId) continue;
      return entry;
    }
    return undefined;
  }

  /** The earliest time at which any exception stops applying; cached verdicts must not outlive it. */
  nextExpiry(now: number): number {
    let next = Infinity;
    for (const { expiresAt } of this.compiled) if (expiresAt > now && expiresAt < next) next = expiresAt;
    return next;
  }
}
