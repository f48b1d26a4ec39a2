import { createHash } from 'node:crypto';
import type { FindingDetail } from '../contracts/finding-event';
import { ExceptionList, type CredentialException } from '../engine/credential-exception';
import { parseAddress, type ParsedAddress } from '../engine/ip-address';
import { statsOf, type FindingGroup, type GroupStats } from './finding-groups';
import { coveringCidr, exceptionSubjectOf, type OriginKind } from './finding-origin';
import type { TuneThresholds } from './tune-thresholds';

/** A finding left out of a group's evidence because it looks like a theft hiding in the group. */
export interface KeptOut {
  readonly findingId: string;
  readonly accessKeyId: string;
  readonly sourceIp: string | null;
  readonly reason: string;
}

export type GroupDecision =
  | {
      readonly status: 'proposed';
      readonly proposalId: string;
      readonly exception: CredentialException;
      /** The evidence in one sentence. */
      readonly evidence: string;
      /** The findings the exception would suppress (its evidence). */
      readonly covers: readonly string[];
      readonly keptOut: readonly KeptOut[];
    }
  | {
      /** Looked standing, but the narrowest exception would also cover a finding outside its evidence. */
      readonly status: 'withheld';
      readonly proposalId: string;
      readonly exception: CredentialException;
      readonly evidence: string;
      readonly reason: string;
      readonly keptOut: readonly KeptOut[];
    }
  | { readonly status: 'not-proposed'; readonly reason: string; readonly keptOut: readonly KeptOut[] };

export interface GroupVerdict {
  readonly group: FindingGroup;
  readonly stats: GroupStats;
  readonly decision: GroupDecision;
}

const KIND_TEXT: Record<OriginKind, string> = {
  'own-endpoint': "through endpoints of the instances' own VPC",
  'estate-endpoint': 'through an endpoint of another VPC or a trusted account',
  'foreign-endpoint': 'through an endpoint of an account outside the trusted set',
  'private-address': 'from a private address without a VPC endpoint',
  'public-address': 'from a public address',
};

/**
 * For each group, one decision: propose one exception scoped as narrowly as the evidence allows,
 * withhold it (it would hide something else), or not propose (it does not look like the estate).
 * `allFindings` is every finding read: no proposal may cover one outside its own evidence.
 */
export function proposeExceptions(
  groups: readonly FindingGroup[],
  allFindings: readonly FindingDetail[],
  thresholds: TuneThresholds,
  now: Date,
): GroupVerdict[] {
  return groups.map((group) => {
    const { benign, keptOut } = separateOutliers(group.findings);
    const stats = statsOf(benign.length > 0 ? benign : group.findings);
    const refusal = standingRefusal(group, stats, thresholds);
    if (refusal !== null) {
      return {
        group,
        stats: statsOf(group.findings),
        decision: { status: 'not-proposed', reason: refusal, keptOut },
      };
    }
    const exception = scopedException(group, stats, thresholds, now);
    const evidence = evidenceSentence(group, stats, exception);
    const proposalId = `p-${createHash('sha256').update(group.id).digest('hex').slice(0, 8)}`;
    const evidenceIds = new Set(benign.map((finding) => finding.findingId));
    const list = new ExceptionList([exception]);
    const covered = (finding: FindingDetail) =>
      list.match(exceptionSubjectOf(finding), now.getTime()) !== undefined;
    const missed = benign.filter((finding) => !covered(finding));
    const stray = allFindings.filter((finding) => !evidenceIds.has(finding.findingId) && covered(finding));
    if (missed.length > 0) {
      return {
        group,
        stats,
        decision: {
          status: 'withheld',
          proposalId,
          exception,
          evidence,
          reason: `the exception matching rules would not suppress ${missed.length} of its own findings: write one by hand`,
          keptOut,
        },
      };
    }
    if (stray.length > 0) {
      const named = stray
        .slice(0, 3)
        .map((finding) => `${finding.accessKeyId} from ${finding.sourceIp ?? finding.vpcEndpointId ?? '?'}`)
        .join(', ');
      return {
        group,
        stats,
        decision: {
          status: 'withheld',
          proposalId,
          exception,
          evidence,
          reason: `the narrowest exception would also hide ${stray.length} finding(s) outside its evidence (${named}); review them first`,
          keptOut,
        },
      };
    }
    return {
      group,
      stats,
      decision: { status: 'proposed', proposalId, exception, evidence, covers: [...evidenceIds], keptOut },
    };
  });
}

/**
 * A key whose every address in the group is used by no other key, in a group where other keys share
 * addresses, stands out: a pod address is reused by every hourly key of its node, a copied key
 * brought its own host. Such keys are kept out of the evidence and must stay detected.
 */
function separateOutliers(findings: readonly FindingDetail[]): {
  benign: FindingDetail[];
  keptOut: KeptOut[];
} {
  const keysByAddress = new Map<string, Set<string>>();
  for (const finding of findings) {
    const address = finding.sourceIp ?? finding.vpcEndpointId ?? '-';
    const keys = keysByAddress.get(address) ?? new Set<string>();
    keysByAddress.set(address, keys.add(finding.accessKeyId));
  }
  const shared = (address: string) => (keysByAddress.get(address)?.size ?? 0) > 1;
  if (![...keysByAddress.keys()].some(shared)) return { benign: [...findings], keptOut: [] };
  const addressesByKey = new Map<string, string[]>();
  for (const finding of findings) {
    const list = addressesByKey.get(finding.accessKeyId) ?? [];
    list.push(finding.sourceIp ?? finding.vpcEndpointId ?? '-');
    addressesByKey.set(finding.accessKeyId, list);
  }
  const loners = new Set(
    [...addressesByKey.entries()].filter(([, addresses]) => !addresses.some(shared)).map(([key]) => key),
  );
  return {
    benign: findings.filter((finding) => !loners.has(finding.accessKeyId)),
    keptOut: findings
      .filter((finding) => loners.has(finding.accessKeyId))
      .map((finding) => ({
        findingId: finding.findingId,
        accessKeyId: finding.accessKeyId,
        sourceIp: finding.sourceIp,
        reason: `key ${finding.accessKeyId} used only addresses no other key of the group used: it looks like a copied key, not the group's pattern`,
      })),
  };
}

function standingRefusal(group: FindingGroup, stats: GroupStats, thresholds: TuneThresholds): string | null {
  if (group.kind === 'foreign-endpoint') {
    return 'calls through an endpoint of an account outside the trusted set are never proposed';
  }
  if (stats.keys.size < thresholds.minKeys) {
    return stats.keys.size === 1
      ? 'one key only: a burst from one key is what a theft looks like'
      : `${stats.keys.size} keys, fewer than ${thresholds.minKeys}`;
  }
  if (stats.activeHours.size < thresholds.minActiveHours) {
    return `seen in ${stats.activeHours.size} hour(s), fewer than ${thresholds.minActiveHours}: a burst, not a standing pattern`;
  }
  if (group.kind !== 'own-endpoint' && stats.instances.size < thresholds.minInstancesElsewhere) {
    return `${stats.instances.size} instance(s) ${KIND_TEXT[group.kind]}, fewer than ${thresholds.minInstancesElsewhere}: one instance's keys used elsewhere for hours is also a persistent thief`;
  }
  return null;
}

function scopedException(
  group: FindingGroup,
  stats: GroupStats,
  thresholds: TuneThresholds,
  now: Date,
): CredentialException {
  const addresses = [...stats.addresses]
    .map((text) => parseAddress(text))
    .filter((address): address is ParsedAddress => address !== undefined);
  // Another VPC's or account's endpoint is named exactly; a private range behind it means little.
  const cidr =
    group.kind === 'estate-endpoint'
      ? undefined
      : coveringCidr(addresses, thresholds.privatePrefixFloor, group.kind === 'public-address');
  const [onlyEndpoint, ...otherEndpoints] = [...stats.endpoints];
  const expiresAt = new Date(now.getTime() + thresholds.expiresInDays * 24 * 3_600_000);
  return {
    ...(cidr === undefined ? {} : { cidr }),
    ...(onlyEndpoint !== undefined && otherEndpoints.length === 0 ? { vpcEndpointId: onlyEndpoint } : {}),
    accountId: group.accountId,
    roleName: group.roleName,
    ...(group.vpcId === null || group.kind === 'estate-endpoint' ? {} : { vpcId: group.vpcId }),
    reason: `credtrail tune ${now.toISOString().slice(0, 10)}: ${group.roleName} ${KIND_TEXT[group.kind]} (${stats.instances.size} instance(s), ${stats.keys.size} keys, ${day(stats.firstSeen)} to ${day(stats.lastSeen)})`,
    expiresAt: expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}

function evidenceSentence(group: FindingGroup, stats: GroupStats, exception: CredentialException): string {
  const where = [
    exception.cidr === undefined ? null : `${stats.addresses.size} address(es) in ${exception.cidr}`,
    stats.endpoints.size === 0 ? null : `through ${stats.endpoints.size} endpoint(s)`,
  ]
    .filter((part) => part !== null)
    .join(' ');
  return (
    `${stats.findings} findings of ${group.roleName} from ${stats.instances.size} instance(s) and ${stats.keys.size} keys ` +
    `over ${stats.days} day(s), first ${minute(stats.firstSeen)}, last ${minute(stats.lastSeen)}, ` +
    `in ${stats.activeHours.size} distinct hours, ${where || KIND_TEXT[group.kind]}.`
  );
}

const day = (time: number) => new Date(time).toISOString().slice(0, 10);
const minute = (time: number) => `${new Date(time).toISOString().slice(0, 16)}Z`;
