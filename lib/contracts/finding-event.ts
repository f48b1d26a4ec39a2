import * as z from 'zod';
import { lazySchema } from './lazy-schema';

/**
 * The finding contract (../shared/design.md): what the detector puts on the bus as `detail`, what
 * `credtrail detect --output jsonl` prints one per line, and what the responder and notifier read.
 */
export const FINDING_SOURCE = 'credtrail.detector';
export const FINDING_DETAIL_TYPE = 'Instance Credential Exfiltration';
/**
 * A known finding that grew (its event count jumped, new APIs): same detail, another detail-type, so
 * the alert rule (which matches FINDING_DETAIL_TYPE) does not page anyone twice for one incident.
 */
export const FINDING_UPDATE_DETAIL_TYPE = 'Instance Credential Exfiltration Update';

/**
 * Why an update was sent (issue 17), in the update's `detail.change`: `chain-growth` (the stolen key's
 * chain gained a derived session or a persistent artefact: routed to the notifier and the responder)
 * or `counts` (only counts, times or event names moved: kept for the SIEM log, routed nowhere, so a
 * busy thief does not flood the mailbox).
 */
export const FindingChange = { ChainGrowth: 'chain-growth', Counts: 'counts' } as const;
export type FindingChange = (typeof FindingChange)[keyof typeof FindingChange];

export const FindingType = {
  /** Instance credentials used from an origin that is not the instance's. */
  UnexpectedOrigin: 'InstanceCredentialExfiltration.UnexpectedOrigin',
  /** Credentials delivered through IMDSv1, the SSRF-friendly path that makes the theft easy. */
  Imdsv1Delivery: 'InstanceCredentialExposure.IMDSv1',
  /**
   * A role session merely *named* like an instance (`i-…`) with no proof that EC2 delivered its key
   * (no `ec2RoleDelivery`, no delivery seen in the trail), used from an unexpected origin. Anyone who
   * may assume the role can choose that name, so this is someone's choice, not instance credentials:
   * a lower finding that is emailed and never reaches the responder.
   */
  SessionNamedLikeInstance: 'SuspiciousSession.NamedLikeInstance',
  /**
   * Trail-side signals (issue 13), each from the trail alone and each only emailed: the responder's
   * plans (pin to the instance's network, quarantine the instance) assume a live instance whose network
   * explains the theft, which these do not give (a stopped instance, an operator's own address, a user
   * agent an attacker chooses). Instance credentials used with a desktop OS's user agent while the
   * instance's own calls name another platform.
   */
  WorkstationUserAgent: 'InstanceCredentialExfiltration.WorkstationUserAgent',
  /** Used from the address that, minutes before, sent the instance commands or SSH keys. */
  OperatorAddress: 'InstanceCredentialExfiltration.OperatorAddress',
  /** Used after the trail shows the instance stopped or terminated (and not started again). */
  UsedAfterInstanceStopped: 'InstanceCredentialExfiltration.UsedAfterInstanceStopped',
} as const;
/** The finding types the responder may act on; anything else is only emailed. */
export const RESPONDABLE_FINDING_TYPES: readonly FindingType[] = [FindingType.UnexpectedOrigin];
export type FindingType = (typeof FindingType)[keyof typeof FindingType];

// GuardDuty's bands: High 7.0–8.9, Medium 4.0–6.9, Low 1.0–3.9. Numbers let a rule match "at or above".
export const SEVERITY_SCORE = { HIGH: 8, MEDIUM: 5, LOW: 2 } as const;

const IsoTime = lazySchema(() => z.iso.datetime({ offset: true }));

export const ExpectedNetworkSchema = lazySchema(() =>
  z.object({
    /**
     * `inventory`: EC2's description of the instance; `first-seen`: the key's first origin;
     * `endpoint-owner`: the VPC endpoint's owner alone decided; `learned`: what the instance's earlier
     * keys showed in the trail (no inventory); `none`: nothing was known.
     */
    source: z.enum(['inventory', 'first-seen', 'endpoint-owner', 'learned', 'none']),
    vpcId: z.string().nullable(),
    subnetId: z.string().nullable(),
    privateIps: z.array(z.string()),
    publicIps: z.array(z.string()),
    ipv6Addresses: z.array(z.string()),
    natGatewayIps: z.array(z.string()),
    vpcEndpointIds: z.array(z.string()),
    /** The key's first origin, when the first-seen method decided. */
    firstOrigin: z.string().nullable(),
    /** Why the network is not known, e.g. an enrichment that failed. */
    note: z.string().nullable(),
    /**
     * The instance's egress as routed ("default route of subnet-… (rtb-…) to tgw-…: egress via tgw-… to
     * NAT gateway nat-… in vpc-… of account …"). Optional: findings from before routes were read lack it.
     */
    route: z.string().nullable().optional(),
  }),
);
export type ExpectedNetwork = z.infer<typeof ExpectedNetworkSchema>;

/** Nothing known of the instance's network: the base every finding's `expected` is built on. */
export const NO_EXPECTED_NETWORK: ExpectedNetwork = {
  source: 'none',
  vpcId: null,
  subnetId: null,
  privateIps: [],
  publicIps: [],
  ipv6Addresses: [],
  natGatewayIps: [],
  vpcEndpointIds: [],
  firstOrigin: null,
  note: null,
};

/** A session or credential minted with a stolen (or already derived) key: stolen too (issue 17). */
export const DerivedSessionSchema = lazySchema(() =>
  z.object({
    accessKeyId: z.string(),
    /** The key that minted it: the finding's key, or another derived one. */
    parentAccessKeyId: z.string(),
    via: z.enum(['AssumeRole', 'GetSessionToken', 'GetFederationToken']),
    /** The role assumed (AssumeRole), else null. */
    roleArn: z.string().nullable(),
    /** Role session or federated user name, as requested. */
    sessionName: z.string().nullable(),
    /** The account the credentials belong to (the role's account for AssumeRole). */
    accountId: z.string(),
    /** Where the minting call was made. */
    region: z.string(),
    mintedAt: IsoTime,
    expiresAt: IsoTime,
  }),
);
export type DerivedSession = z.infer<typeof DerivedSessionSchema>;

/** Something a tainted key left behind or took out, with the identifiers a person acts on. */
export const ArtefactSchema = lazySchema(() =>
  z.object({
    kind: z.enum([
      'access-key',
      'login-profile',
      'user',
      'role',
      'policy',
      'policy-attachment',
      'trust-policy',
      'group-membership',
      'key-pair',
      'instance',
      'function',
      'security-group-ingress',
      'bucket-policy',
      'bucket-acl',
      'snapshot-share',
      'secret-read',
      'parameter-read',
      'object-read',
    ]),
    /** The identifier: an access key id, user name, instance id, secret id, `bucket/key`… */
    id: z.string(),
    /** What else identifies it (the user owning a key, the CIDR opened, the account shared with). */
    context: z.string().nullable(),
    /** The IAM user a created access key or login profile belongs to: what deactivation needs. */
    owner: z.string().nullable().optional(),
    eventName: z.string(),
    eventTime: IsoTime,
    accountId: z.string(),
    region: z.string(),
    /** The tainted key that made the call. */
    accessKeyId: z.string(),
  }),
);
export type Artefact = z.infer<typeof ArtefactSchema>;

/** What the stolen key did beyond its own calls: the chain it minted, what it left and took. */
export const TaintSummarySchema = lazySchema(() =>
  z.object({
    derivedSessions: z.array(DerivedSessionSchema),
    /** Calls signed with derived keys (the finding's own key is counted in `eventCount`). */
    derivedCallCount: z.number().int().nonnegative(),
    /** Things left behind, first seen first; capped, `truncated` says so. */
    persistence: z.array(ArtefactSchema),
    /** Reads that matter, by name, with how often each was read. */
    reads: z.array(ArtefactSchema.extend({ count: z.number().int().positive() })),
    truncated: z.boolean(),
  }),
);
export type TaintSummary = z.infer<typeof TaintSummarySchema>;

export const FindingDetailSchema = lazySchema(() =>
  z.object({
    schemaVersion: z.literal(1),
    findingId: z.string().regex(/^[0-9a-f]{32}$/),
    type: z.enum([
      FindingType.UnexpectedOrigin,
      FindingType.Imdsv1Delivery,
      FindingType.SessionNamedLikeInstance,
      FindingType.WorkstationUserAgent,
      FindingType.OperatorAddress,
      FindingType.UsedAfterInstanceStopped,
    ]),
    severity: z.enum(['HIGH', 'MEDIUM', 'LOW']),
    severityScore: z.number(),
    title: z.string(),
    accountId: z.string(),
    region: z.string(),
    instanceId: z.string(),
    roleArn: z.string(),
    roleName: z.string(),
    accessKeyId: z.string(),
    sourceIp: z.string().nullable(),
    vpcEndpointId: z.string().nullable(),
    vpcEndpointAccountId: z.string().nullable(),
    firstSeen: IsoTime,
    lastSeen: IsoTime,
    eventCount: z.number().int().nonnegative(),
    eventNames: z.array(z.string()),
    userAgents: z.array(z.string()),
    /** "1.0" (IMDSv1) or "2.0" (IMDSv2), from `sessionContext.ec2RoleDelivery`. */
    imdsVersion: z.string().nullable(),
    /** When EC2 delivered the key, if the delivery was seen. */
    keyIssuedAt: IsoTime.nullable(),
    expected: ExpectedNetworkSchema,
    reason: z.string(),
    /** Optional (issue 17): present once the key minted credentials, or left or took something. */
    taint: TaintSummarySchema.optional(),
    /**
     * Issue 17, with `taint`: `<n>-<digest>`, n the derived sessions plus persistent artefacts, digest
     * over their identifiers (lib/contracts/chain-version.ts). Grows with the chain and names its content,
     * so two chains of equal size seen by two containers are two versions. What the notifier's ledger
     * and the responder's idempotency key are made of: one email and one plan per version.
     */
    chainVersion: z
      .string()
      .regex(/^\d{1,6}-[0-9a-f]{12}$/)
      .optional(),
    /** Update events only (FINDING_UPDATE_DETAIL_TYPE): why this update was sent. */
    change: z.enum([FindingChange.ChainGrowth, FindingChange.Counts]).optional(),
  }),
);
export type FindingDetail = z.infer<typeof FindingDetailSchema>;
