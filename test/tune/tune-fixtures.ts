import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FindingDetailSchema, type FindingDetail } from '../../lib/contracts/finding-event';

// One real-shaped finding (the shared fixture), cloned and varied for each test.
const BASE: FindingDetail = FindingDetailSchema.parse(
  (
    JSON.parse(
      readFileSync(join(__dirname, '../fixtures/events/credtrail-finding-affiliated-endpoint.json'), 'utf8'),
    ) as { detail: unknown }
  ).detail,
);

export const NOW = new Date('2026-11-28T00:00:00Z');
export const PROD = '111111111111';
export const STAGING = '222222222222';
export const NETWORK = '333333333333';
const HOUR = 3_600_000;

export interface FindingSpec {
  accountId?: string;
  roleName?: string;
  instanceId?: string;
  accessKeyId: string;
  sourceIp: string;
  vpcEndpointId?: string | null;
  vpcEndpointAccountId?: string | null;
  /** Endpoints of the instance's own VPC, as the finding's expected network lists them. */
  ownEndpoints?: string[];
  vpcId?: string | null;
  severity?: 'HIGH' | 'MEDIUM';
  /** Hours after 2026-11-20T00:00Z. */
  at: number;
  minutes?: number;
  userAgents?: string[];
}

export function finding(spec: FindingSpec): FindingDetail {
  const detail = structuredClone(BASE);
  const accountId = spec.accountId ?? PROD;
  const roleName = spec.roleName ?? 'eks-node';
  const first = Date.parse('2026-11-20T00:00:00Z') + spec.at * HOUR;
  const severity = spec.severity ?? 'MEDIUM';
  return {
    ...detail,
    findingId: createHash('sha256')
      .update(`${spec.accessKeyId}|${spec.sourceIp}|${spec.vpcEndpointId ?? '-'}|${accountId}`)
      .digest('hex')
      .slice(0, 32),
    severity,
    severityScore: severity === 'HIGH' ? 8 : 5,
    accountId,
    roleName,
    roleArn: `arn:aws:iam::${accountId}:role/${roleName}`,
    instanceId: spec.instanceId ?? 'i-0eks00000000000001',
    accessKeyId: spec.accessKeyId,
    sourceIp: spec.sourceIp,
    vpcEndpointId: spec.vpcEndpointId === undefined ? 'vpce-0sts' : spec.vpcEndpointId,
    vpcEndpointAccountId: spec.vpcEndpointAccountId === undefined ? accountId : spec.vpcEndpointAccountId,
    firstSeen: new Date(first).toISOString(),
    lastSeen: new Date(first + (spec.minutes ?? 1) * 60_000).toISOString(),
    userAgents: spec.userAgents ?? detail.userAgents,
    expected: {
      ...detail.expected,
      vpcId: spec.vpcId === undefined ? 'vpc-0eks' : spec.vpcId,
      vpcEndpointIds: spec.ownEndpoints ?? ['vpce-0sts', 'vpce-0s3'],
    },
  };
}

/**
 * EKS pods in 100.64.<third>.x proxying node credentials through the VPC's own endpoints: every hourly
 * key of each node used from the node's few pod addresses, for `hours` hours.
 */
export function podFindings(options: {
  accountId?: string;
  vpcId?: string;
  nodes?: number;
  hours?: number;
  third?: number;
  roleName?: string;
}): FindingDetail[] {
  const findings: FindingDetail[] = [];
  const nodes = options.nodes ?? 2;
  for (let node = 0; node < nodes; node++) {
    for (let hour = 0; hour < (options.hours ?? 24); hour++) {
      for (const pod of [11, 12, 13]) {
        findings.push(
          finding({
            accountId: options.accountId ?? PROD,
            ...(options.roleName === undefined ? {} : { roleName: options.roleName }),
            vpcId: options.vpcId ?? 'vpc-0eks',
            instanceId: `i-0eks0000000000000${node}`,
            accessKeyId: `ASIAPOD${options.accountId ?? PROD}N${node}H${hour}`,
            sourceIp: `100.64.${(options.third ?? 0) + node}.${pod}`,
            vpcEndpointId: hour % 2 === 0 ? 'vpce-0sts' : 'vpce-0s3',
            at: hour + pod / 60,
          }),
        );
      }
    }
  }
  return findings;
}
