import * as z from 'zod';
import {
  cidrContains,
  isPublicAddress,
  parseAddress,
  parseCidr,
  type ParsedAddress,
  type ParsedCidr,
} from './ip-address';

export const EXCEPTION_MATCHERS = [
  'cidr',
  'vpcEndpointId',
  'vpcId',
  'accountId',
  'roleName',
  'instanceId',
  'subnetId',
] as const;

/**
 * A known, accepted reason for instance credentials to be used elsewhere (EKS pods using their node's
 * role, an extra egress path). At least one matcher; several in one entry must all hold, so each entry
 * reads as one sentence: "calls of <role> in <account> from <cidr> through <vpc> are fine because
 * <reason>, until <expiresAt>". A private CIDR vouches only for calls through VPC endpoints of the
 * instance's own VPC (or one it reaches over its Transit Gateway), or of the `vpcId` or `accountId`
 * named with it: the same private range is reused in other VPCs and accounts.
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
  const named = EXCEPTION_MATCHERS.filter((key) => typeof record[key] === 'string').map(
    (key) => `${key} ${String(record[key])}`,
  );
  return named.length === 0 ? 'no matcher' : named.join(', ');
}

/**
 * Where an entry written for the old rules vouches for less now: a private CIDR alone used to cover
 * calls through any trusted account's endpoint, and now covers only the instance's own VPC's. Returned
 * to the CLI (printed on stderr) and logged by the Lambda, so nobody is surprised by a new alert.
 */
export function exceptionWarnings(entries: readonly CredentialException[], origin = 'exceptions'): string[] {
  const warnings: string[] = [];
  entries.forEach((entry, index) => {
    const cidr = entry.cidr === undefined ? undefined : parseCidr(entry.cidr);
    if (cidr === undefined || isPublicAddress(cidr[0])) return;
    if (entry.vpcId !== undefined || entry.accountId !== undefined || entry.vpcEndpointId !== undefined)
      return;
    warnings.push(
      `${origin}: entry ${index} (${describeEntry(entry)}): the private range ${entry.cidr} now vouches only for calls through VPC endpoints of the instance's own VPC (or one on its Transit Gateway); add vpcId or accountId to cover another VPC's endpoints${entry.roleName === undefined ? ', and roleName to cover only the role that needs it' : ''}`,
    );
  });
  return warnings;
}

/** What an exception is compared with: one call's origin and whose credentials made it. */
export interface ExceptionSubject {
  readonly sourceIp?: string;
  /** Present when the call came through a VPC endpoint. */
  readonly vpcEndpointId?: string;
  readonly vpcEndpointAccountId?: string;
  /** The endpoint's VPC, when the instance's (or its account's) network knows the endpoint. */
  readonly vpcEndpointVpcId?: string;
  /**
   * The endpoint is one of the instance's own: in its VPC, or in a trusted VPC on its Transit Gateway
   * (for an instance the inventory does not know, one of its account's known endpoints).
   */
  readonly endpointOwn?: boolean;
  /** Whether the endpoint (if any) belongs to a trusted account: a public CIDR means nothing otherwise. */
  readonly endpointTrusted: boolean;
  readonly accountId: string;
  readonly roleName: string;
  readonly instanceId: string;
  readonly subnetId?: string;
  /** The instance's VPC, when its network is known. */
  readonly vpcId?: string;
  /**
   * Without inventory the trail names no VPC: the endpoint is one the instance's own keys used from its own
   * private addresses (learned-network.ts), so it is in the instance's VPC, whichever that is.
   */
  readonly endpointOfInstanceVpc?: boolean;
}

/** The VPC of an endpoint by id: an inventory's map offline, EC2 through the read role live. */
export interface EndpointVpcs {
  get(endpointId: string): string | undefined;
}

export class ExceptionList {
  private readonly compiled;
  /** Some entry ties a range to a VPC: only then is an endpoint's VPC worth looking up live. */
  readonly namesVpc: boolean;

  /**
   * `endpointVpcs`: the VPC of every endpoint an inventory holds, so that a private CIDR tied to a
   * `vpcId` can vouch for that VPC's endpoints even when the instance's own network does not reach them.
   */
  constructor(
    readonly entries: readonly CredentialException[],
    private readonly endpointVpcs: EndpointVpcs = new Map<string, string>(),
  ) {
    this.namesVpc = entries.some((entry) => entry.vpcId !== undefined);
    this.compiled = entries.map((entry) => ({
      entry,
      cidr: entry.cidr === undefined ? undefined : parseCidr(entry.cidr),
      expiresAt: entry.expiresAt === undefined ? Infinity : Date.parse(entry.expiresAt),
    }));
  }

  /** The first live exception that covers the subject, if any: every matcher of an entry must hold. */
  match(subject: ExceptionSubject, now: number): CredentialException | undefined {
    const address = subject.sourceIp === undefined ? undefined : parseAddress(subject.sourceIp);
    if (subject.vpcEndpointVpcId === undefined && subject.vpcEndpointId !== undefined) {
      const vpcId = this.endpointVpcs.get(subject.vpcEndpointId);
      if (vpcId !== undefined) subject = { ...subject, vpcEndpointVpcId: vpcId };
    }
    for (const { entry, cidr, expiresAt } of this.compiled) {
      if (expiresAt <= now) continue;
      if (cidr !== undefined && !cidrHolds(entry, cidr, address, subject)) continue;
      if (entry.vpcEndpointId !== undefined && entry.vpcEndpointId !== subject.vpcEndpointId) continue;
      if (entry.accountId !== undefined && entry.accountId !== subject.accountId) continue;
      if (entry.roleName !== undefined && entry.roleName !== subject.roleName) continue;
      if (entry.instanceId !== undefined && entry.instanceId !== subject.instanceId) continue;
      if (entry.subnetId !== undefined && entry.subnetId !== subject.subnetId) continue;
      if (
        entry.vpcId !== undefined &&
        entry.vpcId !== subject.vpcId &&
        entry.vpcId !== subject.vpcEndpointVpcId &&
        subject.endpointOfInstanceVpc !== true
      )
        continue;
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

/**
 * Private ranges overlap between VPCs and accounts: an attacker's own VPC can reuse our 10.0.0.0/16. A
 * private CIDR therefore holds only for calls through an endpoint of the instance's own VPC, or of the
 * VPC or account named with it; a public CIDR for calls from that address (not through an endpoint of
 * an account we do not trust).
 */
function cidrHolds(
  entry: CredentialException,
  cidr: ParsedCidr,
  address: ParsedAddress | undefined,
  subject: ExceptionSubject,
): boolean {
  if (address === undefined || !cidrContains(cidr, address)) return false;
  if (isPublicAddress(cidr[0])) return subject.vpcEndpointId === undefined || subject.endpointTrusted;
  if (subject.vpcEndpointId === undefined) return false;
  if (subject.endpointOwn === true) return true;
  if (entry.vpcId !== undefined && subject.vpcEndpointVpcId === entry.vpcId) return true;
  return entry.accountId !== undefined && subject.vpcEndpointAccountId === entry.accountId;
}
