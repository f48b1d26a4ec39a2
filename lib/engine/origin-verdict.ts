import type { CredentialUse } from './credential-event';
import type { CredentialException, ExceptionList } from './credential-exception';
import type { AccountNetworkMatcher, EndpointPath, NetworkMatcher } from './instance-network';
import { isPublicAddress, parseAddress } from './ip-address';
import type { LearnedNetworkView } from './learned-network';
import { describeOrigin, originKey, type Origin } from './origin';

export type Severity = 'HIGH' | 'MEDIUM' | 'LOW';

/**
 * What the expected origin was judged against: EC2's view of the instance, the session's first call, or
 * the network the instance's earlier keys showed in the trail (learned-network.ts).
 */
export type ExpectationSource = 'inventory' | 'first-seen' | 'learned';

export type OriginVerdict =
  /** `via`: which part of the network vouched ("egress via tgw-… to NAT gateway nat-… in … of account …"). */
  | { readonly outcome: 'expected'; readonly basis: ExpectationSource; readonly via?: string }
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
  /** Without the instance's network: what the inventory knows of its account in its region. */
  readonly accountNetwork?: AccountNetworkMatcher;
  /** The session's first origin of the same kind (address or endpoint), for the first-seen method. */
  readonly baseline?: Origin;
  /** Without inventory, for a key with proof of EC2 delivery: what its instance's earlier keys showed. */
  readonly learned?: LearnedNetworkView;
  readonly trustedAccounts: ReadonlySet<string>;
  readonly exceptions: ExceptionList;
  readonly now: number;
}

/**
 * Judges one origin of one session, in the order the design fixes: exceptions, then the instance's
 * known network, then the session's first-seen origin. Pure: everything it needs is passed in.
 */
export function judgeOrigin(input: VerdictInput): OriginVerdict {
  const { use, origin, network, accountNetwork, trustedAccounts } = input;
  const endpointAccount = origin.kind === 'endpoint' ? origin.vpcEndpointAccountId : undefined;
  const known: EndpointPath | undefined =
    origin.kind !== 'endpoint'
      ? undefined
      : network !== undefined
        ? network.endpointPath(origin.vpcEndpointId)
        : accountNetwork?.endpointPath(origin.vpcEndpointId);
  const learnedEndpoint =
    origin.kind !== 'endpoint' || network !== undefined || known !== undefined
      ? undefined
      : input.learned?.endpointPath(origin.vpcEndpointId);
  const endpoint = known ?? learnedEndpoint;
  const endpointTrusted =
    origin.kind === 'endpoint' &&
    (endpoint !== undefined || (endpointAccount !== undefined && trustedAccounts.has(endpointAccount)));

  const exception = input.exceptions.match(
    {
      sourceIp: origin.sourceIp,
      ...(origin.kind === 'endpoint' ? { vpcEndpointId: origin.vpcEndpointId } : {}),
      ...(endpointAccount !== undefined ? { vpcEndpointAccountId: endpointAccount } : {}),
      ...(endpoint?.vpcId !== undefined ? { vpcEndpointVpcId: endpoint.vpcId } : {}),
      endpointOwn: endpoint !== undefined,
      endpointTrusted,
      accountId: use.accountId,
      roleName: use.roleName,
      instanceId: use.instanceId,
      ...(network?.network.subnetId !== undefined ? { subnetId: network.network.subnetId } : {}),
      ...(network?.network.vpcId !== undefined ? { vpcId: network.network.vpcId } : {}),
      ...(learnedEndpoint !== undefined ? { endpointOfInstanceVpc: true } : {}),
    },
    input.now,
  );
  if (exception !== undefined) return { outcome: 'suppressed', exception };

  const who = `Credentials of ${use.instanceId} (role ${use.roleName})`;
  if (origin.kind === 'endpoint') {
    if (network !== undefined && endpoint !== undefined) {
      if (network.ownsPrivateAddress(origin.sourceIp))
        return { outcome: 'expected', basis: 'inventory', via: endpoint.description };
      const where =
        endpoint.vpcId === undefined || endpoint.vpcId === network.network.vpcId
          ? `another host in the instance's own VPC (through its endpoint ${origin.vpcEndpointId})`
          : `another host on the instance's network (through ${endpoint.description})`;
      return suspicious('MEDIUM', `${who} were used from ${origin.sourceIp}, ${where}.`, 'inventory');
    }
    // An endpoint the account's known networks hold (its own VPCs, or central ones on its Transit
    // Gateway): the owner says nothing against it; the key's first origin decides.
    if (network === undefined && endpoint !== undefined) return judgeAgainstBaseline(input, who);
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
    const via = network.vouchingPath(origin.sourceIp);
    if (via !== undefined) return { outcome: 'expected', basis: 'inventory', via };
    return isPublic(origin.sourceIp)
      ? suspicious(
          'HIGH',
          `${who} were used from ${origin.sourceIp}, a public address that is neither the instance's nor its egress (expected ${network.describeEgress()}).`,
          'inventory',
        )
      : suspicious(
          'MEDIUM',
          `${who} were used from private address ${origin.sourceIp}, which is not the instance's, without a VPC endpoint it reaches.`,
          'inventory',
        );
  }
  if (accountNetwork !== undefined) {
    const { accountId, region, publicSubnets } = accountNetwork.network;
    const via = accountNetwork.vouchingPath(origin.sourceIp);
    if (via !== undefined) {
      return {
        outcome: 'expected',
        basis: 'inventory',
        via: `${via}, a known network of account ${accountId} in ${region}`,
      };
    }
    // A public IPv4 address none of the account's networks sends from is blamed whoever used the key
    // first: a thief first must not become the baseline. A new instance in a public subnet may have a
    // fresh address of its own, hence MEDIUM there. IPv6 addresses are per instance: first-seen decides.
    if (isPublic(origin.sourceIp) && !origin.sourceIp.includes(':')) {
      return suspicious(
        publicSubnets ? 'MEDIUM' : 'HIGH',
        `${who}, an instance the inventory does not know, were used from ${origin.sourceIp}, a public address that none of account ${accountId}'s known networks in ${region} sends from (${accountNetwork.size} known egress addresses${publicSubnets ? '; some subnets route to an internet gateway, so it may be a new public address of the instance' : ''}).`,
        'inventory',
      );
    }
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
  const learned = input.learned?.judge(origin, kindOf(origin), {
    accessKeyId: input.use.accessKeyId,
    at: input.use.eventTime,
    hasBaseline: baseline !== undefined,
  });
  if (learned?.outcome === 'vouched') return { outcome: 'expected', basis: 'learned', via: learned.via };
  if (learned?.outcome === 'objection') {
    return suspicious(
      learned.severity,
      `${who} were used from ${describeOrigin(origin)}, but ${learned.reason}`,
      'learned',
    );
  }
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

/** The kind of first origin an origin competes for: IPv4 address, IPv6 address, or VPC endpoint. */
export function kindOf(origin: Origin): 'address' | 'ipv6' | 'endpoint' {
  if (origin.kind === 'endpoint') return 'endpoint';
  return origin.sourceIp.includes(':') ? 'ipv6' : 'address';
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
