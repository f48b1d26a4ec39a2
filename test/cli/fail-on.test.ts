import { FindingType, type FindingDetail } from '../../lib/contracts/finding-event';
import { failsRun } from '../../lib/cli/fail-on';

type Judged = Pick<FindingDetail, 'type' | 'severity'>;
const theftHigh: Judged = { type: FindingType.UnexpectedOrigin, severity: 'HIGH' };
const theftMedium: Judged = { type: FindingType.UnexpectedOrigin, severity: 'MEDIUM' };
const imdsv1: Judged = { type: FindingType.Imdsv1Delivery, severity: 'LOW' };
const namedLikeInstance: Judged = { type: FindingType.SessionNamedLikeInstance, severity: 'LOW' };

describe('--fail-on', () => {
  it('by default fails on theft of any severity, not on posture or a session merely named like an instance', () => {
    expect(failsRun(theftHigh, 'theft')).toBe(true);
    expect(failsRun(theftMedium, 'theft')).toBe(true);
    expect(failsRun(imdsv1, 'theft')).toBe(false);
    expect(failsRun(namedLikeInstance, 'theft')).toBe(false);
  });

  it('with a severity fails on any finding at or above it', () => {
    expect(failsRun(theftHigh, 'high')).toBe(true);
    expect(failsRun(theftMedium, 'high')).toBe(false);
    expect(failsRun(theftMedium, 'medium')).toBe(true);
    expect(failsRun(imdsv1, 'medium')).toBe(false);
    expect(failsRun(imdsv1, 'low')).toBe(true);
    expect(failsRun(namedLikeInstance, 'low')).toBe(true);
  });

  it('never fails with never', () => {
    expect([theftHigh, theftMedium, imdsv1, namedLikeInstance].some((f) => failsRun(f, 'never'))).toBe(false);
  });
});
