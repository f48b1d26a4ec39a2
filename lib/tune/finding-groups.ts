import { createHash } from 'node:crypto';
import { FindingType, type FindingDetail } from '../contracts/finding-event';
import { originOf, type OriginKind } from './finding-origin';

export const HOUR_MS = 3_600_000;

/** Findings that share account, role, the instance's VPC and an origin network. */
export interface FindingGroup {
  /** Stable for the same account, role, VPC and network: `g-` and 8 hex digits. */
  readonly id: string;
  readonly accountId: string;
  readonly roleName: string;
  /** The instance's VPC, as the findings' expected network names it; null when unknown. */
  readonly vpcId: string | null;
  readonly kind: OriginKind;
  readonly network: string;
  readonly findings: readonly FindingDetail[];
}

export interface GroupingResult {
  readonly groups: FindingGroup[];
  /** Findings without an origin to tune (IMDSv1 exposure): reported, never grouped. */
  readonly ungrouped: FindingDetail[];
}

/** Groups the findings with an origin; the order is stable (most findings first, then id). */
export function groupFindings(findings: readonly FindingDetail[]): GroupingResult {
  const groups = new Map<string, { key: Omit<FindingGroup, 'findings' | 'id'>; findings: FindingDetail[] }>();
  const ungrouped: FindingDetail[] = [];
  for (const finding of findings) {
    const origin = finding.type === FindingType.Imdsv1Delivery ? undefined : originOf(finding);
    if (origin === undefined) {
      ungrouped.push(finding);
      continue;
    }
    const key = {
      accountId: finding.accountId,
      roleName: finding.roleName,
      vpcId: finding.expected.vpcId,
      kind: origin.kind,
      network: origin.network,
    };
    const text = JSON.stringify(key);
    const group = groups.get(text) ?? { key, findings: [] };
    group.findings.push(finding);
    groups.set(text, group);
  }
  const result = [...groups.entries()].map(([text, { key, findings: members }]) => ({
    id: `g-${createHash('sha256').update(text).digest('hex').slice(0, 8)}`,
    ...key,
    findings: members.sort(
      (a, b) => a.firstSeen.localeCompare(b.firstSeen) || a.findingId.localeCompare(b.findingId),
    ),
  }));
  result.sort((a, b) => b.findings.length - a.findings.length || a.id.localeCompare(b.id));
  return { groups: result, ungrouped };
}

export interface GroupStats {
  readonly findings: number;
  readonly events: number;
  readonly keys: ReadonlySet<string>;
  readonly instances: ReadonlySet<string>;
  readonly addresses: ReadonlySet<string>;
  readonly endpoints: ReadonlySet<string>;
  readonly firstSeen: number;
  readonly lastSeen: number;
  /** UTC clock hours (epoch hour numbers) in which a finding of the group was first or last seen. */
  readonly activeHours: ReadonlySet<number>;
  /** Distinct UTC days touched between first and last seen. */
  readonly days: number;
}

export function statsOf(findings: readonly FindingDetail[]): GroupStats {
  const keys = new Set<string>();
  const instances = new Set<string>();
  const addresses = new Set<string>();
  const endpoints = new Set<string>();
  const activeHours = new Set<number>();
  let firstSeen = Infinity;
  let lastSeen = -Infinity;
  let events = 0;
  for (const finding of findings) {
    keys.add(finding.accessKeyId);
    instances.add(finding.instanceId);
    if (finding.sourceIp !== null) addresses.add(finding.sourceIp);
    if (finding.vpcEndpointId !== null) endpoints.add(finding.vpcEndpointId);
    const first = Date.parse(finding.firstSeen);
    const last = Date.parse(finding.lastSeen);
    activeHours.add(Math.floor(first / HOUR_MS)).add(Math.floor(last / HOUR_MS));
    firstSeen = Math.min(firstSeen, first);
    lastSeen = Math.max(lastSeen, last);
    events += finding.eventCount;
  }
  const day = 24 * HOUR_MS;
  const days = findings.length === 0 ? 0 : Math.floor(lastSeen / day) - Math.floor(firstSeen / day) + 1;
  return {
    findings: findings.length,
    events,
    keys,
    instances,
    addresses,
    endpoints,
    firstSeen,
    lastSeen,
    activeHours,
    days,
  };
}
