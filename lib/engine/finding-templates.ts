import {
  FindingType,
  NO_EXPECTED_NETWORK,
  SEVERITY_SCORE,
  type ExpectedNetwork,
  type FindingDetail,
} from '../contracts/finding-event';
import type { CredentialUse } from './credential-event';
import type { SessionState } from './detector-store';
import type { FindingTemplate } from './finding-aggregate';
import { findingIdOf } from './finding-aggregate';
import type { AccountNetworkMatcher, NetworkMatcher } from './instance-network';
import { learnedExpectation, type InstanceHistory } from './learned-network';
import { describeOrigin, pairKeyOf, type Origin } from './origin';
import type { OriginVerdict, Severity } from './origin-verdict';

/** What the detector knows of an instance's network, cached per instance. */
export interface NetworkEntry {
  readonly fetchedAt: number;
  readonly validUntil: number;
  readonly matcher?: NetworkMatcher;
  /** Without the instance's network: its account's known networks (an instance launched after the inventory). */
  readonly accountMatcher?: AccountNetworkMatcher;
  /** Why no network is known, when a lookup failed. */
  readonly note?: string;
}

export interface SuspiciousPair {
  readonly use: CredentialUse;
  readonly origin: Origin;
  readonly verdict: Extract<OriginVerdict, { outcome: 'suspicious' }>;
  readonly network: Partial<NetworkEntry>;
  readonly session: SessionState;
  /** Whether EC2 is known to have delivered the key (lib/engine/instance-proof.ts). */
  readonly proven: boolean;
  /** The session's first origin of the call's kind, if one was claimed. */
  readonly baseline: Origin | undefined;
  /** The instance's learned history, when the learned network decided. */
  readonly learnedHistory: InstanceHistory | undefined;
}

/**
 * The finding a suspicious (key, origin) pair feeds. Only keys EC2 delivered are instance credentials;
 * a session merely named `i-…` gets its own, lower finding (its own findingId space) that the
 * responder never acts on.
 */
export function suspiciousFinding(pair: SuspiciousPair): FindingTemplate {
  const { use, origin, verdict, network, session, proven } = pair;
  const pairKey = pairKeyOf(use.accessKeyId, use.sourceIp, use.vpcEndpointId);
  const findingId = findingIdOf(proven ? pairKey : `named-like-instance|${pairKey}`);
  const expected = {
    ...expectedNetwork(verdict.basis, network, pair.baseline),
    ...(pair.learnedHistory !== undefined ? learnedExpectation(pair.learnedHistory) : {}),
  };
  const keyIssuedAt = session.issuedAt === undefined ? null : new Date(session.issuedAt).toISOString();
  const region = session.region ?? network.matcher?.network.region;
  const severity: Severity = proven ? verdict.severity : 'LOW';
  const reason = proven
    ? verdict.reason
    : `Role session ${use.instanceId} of ${use.roleName} is merely named like an instance: no ec2RoleDelivery and no EC2 delivery of key ${use.accessKeyId} was seen, so anyone allowed to assume the role may have chosen the name. ${verdict.reason}`;
  const build = (first: CredentialUse): FindingDetail => ({
    schemaVersion: 1,
    findingId,
    type: proven ? FindingType.UnexpectedOrigin : FindingType.SessionNamedLikeInstance,
    severity,
    severityScore: SEVERITY_SCORE[severity],
    title: proven
      ? `Instance credentials of ${first.instanceId} used from ${describeOrigin(origin)}`
      : `Role session named like instance ${first.instanceId} used from ${describeOrigin(origin)}`,
    accountId: first.accountId,
    region: region ?? first.region,
    instanceId: first.instanceId,
    roleArn: first.roleArn,
    roleName: first.roleName,
    accessKeyId: first.accessKeyId,
    sourceIp: origin.sourceIp,
    vpcEndpointId: origin.kind === 'endpoint' ? origin.vpcEndpointId : null,
    vpcEndpointAccountId: origin.kind === 'endpoint' ? (origin.vpcEndpointAccountId ?? null) : null,
    firstSeen: new Date(first.eventTime).toISOString(),
    lastSeen: new Date(first.eventTime).toISOString(),
    eventCount: 0,
    eventNames: [],
    userAgents: [],
    imdsVersion: first.roleDelivery ?? null,
    keyIssuedAt,
    expected,
    reason,
  });
  return { findingId, build };
}

/** An instance handing out role credentials through IMDSv1: the LOW posture finding. */
export function imdsv1Finding(
  findingId: string,
  regionOf: (first: CredentialUse) => string,
): FindingTemplate {
  return {
    findingId,
    build: (first) => ({
      schemaVersion: 1,
      findingId,
      type: FindingType.Imdsv1Delivery,
      severity: 'LOW' satisfies Severity,
      severityScore: SEVERITY_SCORE.LOW,
      title: `${first.instanceId} hands out role credentials through IMDSv1`,
      accountId: first.accountId,
      region: regionOf(first),
      instanceId: first.instanceId,
      roleArn: first.roleArn,
      roleName: first.roleName,
      accessKeyId: first.accessKeyId,
      sourceIp: null,
      vpcEndpointId: null,
      vpcEndpointAccountId: null,
      firstSeen: new Date(first.eventTime).toISOString(),
      lastSeen: new Date(first.eventTime).toISOString(),
      eventCount: 0,
      eventNames: [],
      userAgents: [],
      imdsVersion: '1.0',
      keyIssuedAt: null,
      expected: { ...NO_EXPECTED_NETWORK, source: 'none' },
      reason: `Instance ${first.instanceId} (role ${first.roleName}) got its credentials through IMDSv1, which an SSRF bug can reach; require IMDSv2 (HttpTokens=required).`,
    }),
  };
}

function expectedNetwork(
  basis: 'inventory' | 'first-seen' | 'endpoint-owner' | 'learned',
  entry: Pick<NetworkEntry, 'matcher' | 'note'>,
  baseline: Origin | undefined,
): ExpectedNetwork {
  const network = entry.matcher?.network;
  const note =
    entry.note === undefined
      ? null
      : `The instance's network could not be read (${entry.note}); judged by other means.`;
  if (network === undefined) {
    return {
      ...NO_EXPECTED_NETWORK,
      source: basis,
      firstOrigin: baseline === undefined ? null : describeOrigin(baseline),
      note,
    };
  }
  return {
    source: basis,
    vpcId: network.vpcId ?? null,
    subnetId: network.subnetId ?? null,
    privateIps: [...network.privateIps],
    publicIps: [...network.publicIps],
    ipv6Addresses: [...network.ipv6Addresses],
    natGatewayIps: [...network.natGatewayIps],
    vpcEndpointIds: [...network.vpcEndpointIds],
    firstOrigin: baseline === undefined ? null : describeOrigin(baseline),
    note,
    route: entry.matcher?.describeEgress() ?? null,
  };
}
