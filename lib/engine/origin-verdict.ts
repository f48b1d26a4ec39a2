import type { CredentialUse } from './credential-event';
import type { CredentialException, ExceptionList } from './credential-exception';
import type { NetworkMatcher } from './instance-network';
import { isPublicAddress, parseAddress } from './ip-address';
import { describeOrigin, originKey, type Origin } from './origin';

export type Severity = 'HIGH' | 'MEDIUM' | 'LOW';

/** What the expected origin was judged against: EC2's view of the instance, or the session's first call. */
export type ExpectationSource = 'inventory' | 'first-seen';

export type OriginVerdict =
  | { readonly outcome: 'expected'; readonly basis: ExpectationSource }
  | { readonly outcome: 'suppressed'; readonly exception: CredentialException }
  | {
      readonly outcome: 'suspicious';
      readonly severity: Severity;
      readonly reason: string;
      readonly basis: ExpectationSource | 'endpoint-owner';
    }
  /** No network is known and the session has no first origin of this kind yet: this one may become it. */
  | { readonly outcome: 'needs-baseline' };

export interface VerdictInput {
  readonly use: CredentialUse;
  readonly origin: Origin;
  /** The instance's network, when inventory or EC2 told us. */
  readonly network?: NetworkMatcher;
  /** The session's first origin of the same kind (address or endpoint), for the first-seen method. */
  readonly baseline?: Origin;
  readonly trustedAccounts: ReadonlySet<string>;
  readonly exceptions: ExceptionList;
  readonly now: number;
}

/**
 * Judges one origin of one session, in the order the design fixes: exceptions, then the instance's
 * known network, then the session's first-seen origin. Pure: everything it needs is passed in.
 */
export function judgeOrigin(input: VerdictInput): OriginVerdict {
  const { use, origin, network, trustedAccounts } = input;
  const endpointAccount = origin.kind === 'endpoint' ? origin.vpcEndpointAccountId : undefined;
  const endpointTrusted =
    origin.kind === 'endpoint' &&
    (network?.ownsEndpoint(origin.vpcEndpointId) === true ||
      (endpointAccount !== undefined && trustedAccounts.has(endpointAccount)));

  const exception = input.exceptions.match(
    {
      sourceIp: origin.sourceIp,
      ...(origin.kind === 'endpoint' ? { vpcEndpointId: origin.vpcEndpointId } : {}),
      ...(endpointAccount !== undefined ? { vpcEndpointAccountId: endpointAccount } : {}),
      endpointTrusted,
      accountId: use.accountId,
      roleName: use.roleName,
      instanceId: use.instanceId,
      ...(network?.network.subnetId !== undefined ? { subnetId: network.network.subnetId } : {}),
      ...(network?.network.vpcId !== undefined ? { vpcId: network.network.vpcId } : {}),
      endpointInInstanceVpc:
        origin.kind === 'endpoint' && network?.ownsEndpoint(origin.vpcEndpointId) === true,
    },
    input.now,
  );
  if (exception !== undefined) return { outcome: 'suppressed', exception };

  const who = `Credentials of ${use.instanceId} (role ${use.roleName})`;
  if (origin.kind === 'endpoint') {
    if (network?.ownsEndpoint(origin.vpcEndpointId)) {
      if (network.ownsPrivateAddress(origin.sourceIp)) return { outcome: 'expected', basis: 'inventory' };
      return suspicious(
        'MEDIUM',
        `${who} were used from ${origin.sourceIp}, another host in the instance's own VPC (through its endpoint ${origin.vpcEndpointId}).`,
        'inventory',
      );
    }
    const foreign = judgeEndpointOwner(origin, use, trustedAccounts, who);
    if (foreign !== undefined) return foreign;
    if (network !== undefined) {
      return suspicious(
        endpointAccount === undefined ? 'HIGH' : 'MEDIUM',
        endpointAccount === undefined
          ? `${who} were used through VPC endpoint ${origin.vpcEndpointId}, which is not in the instance's VPC and whose owner is unknown.`
          : `${who} were used through VPC endpoint ${origin.vpcEndpointId} of another VPC in the instance's own account.`,
        'inventory',
      );
    }
    return judgeAgainstBaseline(input, who);
  }

  if (network !== undefined) {
    if (network.ownsAddress(origin.sourceIp)) return { outcome: 'expected', basis: 'inventory' };
    return isPublic(origin.sourceIp)
      ? suspicious(
          'HIGH',
          `${who} were used from ${origin.sourceIp}, a public address that is neither the instance's nor a NAT gateway of its VPC.`,
          'inventory',
        )
      : suspicious(
          'MEDIUM',
          `${who} were used from private address ${origin.sourceIp}, which is not the instance's, without a VPC endpoint of its VPC.`,
          'inventory',
        );
  }
  return judgeAgainstBaseline(input, who);
}

/** An endpoint's owner alone can condemn a call: private addresses behind it overlap across accounts. */
function judgeEndpointOwner(
  origin: Extract<Origin, { kind: 'endpoint' }>,
  use: CredentialUse,
  trustedAccounts: ReadonlySet<string>,
  who: string,
): OriginVerdict | undefined {
  const owner = origin.vpcEndpointAccountId;
  if (owner === undefined || owner === use.accountId) return undefined;
  if (!trustedAccounts.has(owner)) {
    return suspicious(
      'HIGH',
      `${who} were used through VPC endpoint ${origin.vpcEndpointId} owned by ${owner}, an account outside the trusted set.`,
      'endpoint-owner',
    );
  }
  return suspicious(
    'MEDIUM',
    `${who} were used through VPC endpoint ${origin.vpcEndpointId} of affiliated account ${owner}, not the instance's account ${use.accountId}.`,
    'endpoint-owner',
  );
}

function judgeAgainstBaseline(input: VerdictInput, who: string): OriginVerdict {
  const { origin, baseline } = input;
  if (baseline === undefined) return { outcome: 'needs-baseline' };
  if (originKey(baseline) === originKey(origin)) return { outcome: 'expected', basis: 'first-seen' };
  // Endpoints reaching here belong to the instance's own account (or name no owner). The same private
  // address through another of them is the same host using its VPC's S3 gateway after its STS endpoint.
  if (origin.kind === 'endpoint' && baseline.kind === 'endpoint' && baseline.sourceIp === origin.sourceIp) {
    return { outcome: 'expected', basis: 'first-seen' };
  }
  const severity: Severity = origin.kind === 'address' && isPublic(origin.sourceIp) ? 'HIGH' : 'MEDIUM';
  return suspicious(
    severity,
    `${who} were used from ${describeOrigin(origin)}, but this key was first used from ${describeOrigin(baseline)}.`,
    'first-seen',
  );
}

function suspicious(
  severity: Severity,
  reason: string,
  basis: ExpectationSource | 'endpoint-owner',
): OriginVerdict {
  return { outcome: 'suspicious', severity, reason, basis };
}

function isPublic(ip: string): boolean {
  const parsed = parseAddress(ip);
  return parsed !== undefined && isPublicAddress(parsed);
}
