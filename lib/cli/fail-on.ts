import type { FindingDetail, FindingType } from '../contracts/finding-event';

/**
 * When `credtrail detect` exits 1, so a pipeline can gate on it:
 *   - `theft` (the default): a finding that instance credentials were used away from their instance,
 *     whatever its severity. The IMDSv1 posture finding and a session merely named like an instance
 *     (LOW) are printed but do not fail the run on their own;
 *   - `high` | `medium` | `low`: any finding, of any type, at or above that severity (`low`: any finding);
 *   - `never`: report only, exit 0 unless the run itself failed.
 */
export const FAIL_ON_CHOICES = ['theft', 'high', 'medium', 'low', 'never'] as const;
export type FailOn = (typeof FAIL_ON_CHOICES)[number];

// Typed against the contract without loading it: the contract module builds zod schemas at load.
const THEFT_TYPES: ReadonlySet<string> = new Set<FindingType>([
  'InstanceCredentialExfiltration.UnexpectedOrigin',
]);

const SEVERITY_RANK: Record<FindingDetail['severity'], number> = { LOW: 1, MEDIUM: 2, HIGH: 3 };
const THRESHOLD_RANK = { high: 3, medium: 2, low: 1 } as const;

export function failsRun(finding: Pick<FindingDetail, 'type' | 'severity'>, failOn: FailOn): boolean {
  switch (failOn) {
    case 'never':
      return false;
    case 'theft':
      return THEFT_TYPES.has(finding.type);
    default:
      return SEVERITY_RANK[finding.severity] >= THRESHOLD_RANK[failOn];
  }
}
