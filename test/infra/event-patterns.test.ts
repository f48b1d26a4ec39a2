import { FINDING_UPDATE_DETAIL_TYPE } from '../../lib/contracts/finding-event';
import {
  CREDTRAIL_CHAIN_GROWTH_PATTERN,
  CREDTRAIL_FINDING_PATTERN,
  GUARDDUTY_EXFILTRATION_PATTERN,
  GUARDDUTY_FINDING_PATTERN,
  RESPONDER_FAILURE_PATTERN,
  RESPONDER_RESULT_PATTERN,
  credtrailBusRoutes,
  credtrailChainGrowthAtOrAbove,
  credtrailFindingsAtOrAbove,
  guardDutyFindingsAtOrAbove,
  type EventPattern,
} from '../../lib/infra/event-patterns';
import { matchesEventPattern } from '../../lib/infra/event-pattern-matcher';
import { loadEvent } from '../fixtures/events/load-event';

const outside = loadEvent('instance-credential-exfiltration-outside-aws.json');
const inside = loadEvent('instance-credential-exfiltration-inside-aws.json');
const insideAffiliated = loadEvent('instance-credential-exfiltration-inside-aws-affiliated.json');
const unrelated = loadEvent('guardduty-unrelated-recon-finding.json');
const credtrailHigh = loadEvent('credtrail-finding-unexpected-origin.json');
const credtrailMedium = loadEvent('credtrail-finding-affiliated-endpoint.json');
const plan = loadEvent('responder-plan-dry-run.json');
const failedStep = loadEvent('responder-step-failed.json');

/** The detector's update of a finding (issue 17): the same detail, another detail-type and a marker. */
function updateOf(finding: typeof credtrailHigh, change: 'chain-growth' | 'counts') {
  const update = structuredClone(finding);
  update['detail-type'] = FINDING_UPDATE_DETAIL_TYPE;
  update.detail['change'] = change;
  update.detail['chainVersion'] = '3-0123456789ab';
  return update;
}
const chainGrewHigh = updateOf(credtrailHigh, 'chain-growth');
const chainGrewMedium = updateOf(credtrailMedium, 'chain-growth');
const countsHigh = updateOf(credtrailHigh, 'counts');

const all = {
  outside,
  inside,
  insideAffiliated,
  unrelated,
  credtrailHigh,
  credtrailMedium,
  plan,
  failedStep,
  chainGrewHigh,
  chainGrewMedium,
  countsHigh,
};
type Name = keyof typeof all;

function matching(pattern: EventPattern): Name[] {
  return (Object.keys(all) as Name[]).filter((name) => matchesEventPattern(pattern, all[name]));
}

describe('the patterns credtrail deploys, against real-shaped events', () => {
  it('forwards both GuardDuty exfiltration types from the default bus, and nothing else', () => {
    expect(matching(GUARDDUTY_EXFILTRATION_PATTERN)).toEqual(['outside', 'inside', 'insideAffiliated']);
  });

  it('would never fire on the old exact type name: the reason for prefix matching', () => {
    const exactOldName = {
      ...GUARDDUTY_EXFILTRATION_PATTERN,
      detail: { type: ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration'] },
    };

    expect(matching(exactOldName)).toEqual([]);
  });

  it('sends every finding, whatever its severity, to the notifier', () => {
    expect(matching(CREDTRAIL_FINDING_PATTERN)).toEqual(['credtrailHigh', 'credtrailMedium']);
    expect(matching(GUARDDUTY_FINDING_PATTERN)).toEqual(['outside', 'inside', 'insideAffiliated']);
  });

  it('sends every responder result, and only those, to the notifier', () => {
    expect(matching(RESPONDER_RESULT_PATTERN)).toEqual(['plan', 'failedStep']);
  });

  it('sends findings at or above the threshold to the responder, by number', () => {
    expect(matching(credtrailFindingsAtOrAbove(7))).toEqual(['credtrailHigh']);
    expect(matching(guardDutyFindingsAtOrAbove(7))).toEqual(['outside', 'inside']);
    expect(matching(credtrailFindingsAtOrAbove(5))).toEqual(['credtrailHigh', 'credtrailMedium']);
    expect(matching(guardDutyFindingsAtOrAbove(5))).toEqual(['outside', 'inside', 'insideAffiliated']);
    expect(matching(credtrailFindingsAtOrAbove(8.5))).toEqual([]);
  });

  it('sends chain-growth updates to the notifier, whatever their severity, and count updates nowhere', () => {
    expect(matching(CREDTRAIL_CHAIN_GROWTH_PATTERN)).toEqual(['chainGrewHigh', 'chainGrewMedium']);
    const routed = credtrailBusRoutes(7).filter(
      (route) => route.target !== 'none' && matchesEventPattern(route.pattern, countsHigh),
    );
    expect(routed).toEqual([]);
  });

  it('sends chain-growth updates to the responder under the same threshold and types as new findings', () => {
    expect(matching(credtrailChainGrowthAtOrAbove(7))).toEqual(['chainGrewHigh']);
    expect(matching(credtrailChainGrowthAtOrAbove(5))).toEqual(['chainGrewHigh', 'chainGrewMedium']);
    const namedLikeInstance = structuredClone(chainGrewHigh);
    namedLikeInstance.detail['type'] = 'SuspiciousSession.NamedLikeInstance';
    expect(matchesEventPattern(credtrailChainGrowthAtOrAbove(1), namedLikeInstance)).toBe(false);
    expect(matchesEventPattern(CREDTRAIL_CHAIN_GROWTH_PATTERN, namedLikeInstance)).toBe(true);
  });

  it('routes no growth update without a chain version: nothing to key one email or plan on', () => {
    const unversioned = structuredClone(chainGrewHigh);
    delete unversioned.detail['chainVersion'];
    expect(matchesEventPattern(CREDTRAIL_CHAIN_GROWTH_PATTERN, unversioned)).toBe(false);
    expect(matchesEventPattern(credtrailChainGrowthAtOrAbove(1), unversioned)).toBe(false);
  });

  it('keeps new findings and updates apart: the new-finding rules never match an update', () => {
    expect(matchesEventPattern(CREDTRAIL_FINDING_PATTERN, chainGrewHigh)).toBe(false);
    expect(matchesEventPattern(credtrailFindingsAtOrAbove(1), chainGrewHigh)).toBe(false);
    expect(matchesEventPattern(CREDTRAIL_CHAIN_GROWTH_PATTERN, credtrailHigh)).toBe(false);
  });

  it('sends only respondable finding types to the responder: a session merely named i-… is only emailed', () => {
    const namedLikeInstance = structuredClone(credtrailHigh);
    namedLikeInstance.detail['type'] = 'SuspiciousSession.NamedLikeInstance';
    const imdsv1 = structuredClone(credtrailHigh);
    imdsv1.detail['type'] = 'InstanceCredentialExposure.IMDSv1';

    expect(matchesEventPattern(credtrailFindingsAtOrAbove(1), credtrailHigh)).toBe(true);
    expect(matchesEventPattern(credtrailFindingsAtOrAbove(1), namedLikeInstance)).toBe(false);
    expect(matchesEventPattern(credtrailFindingsAtOrAbove(1), imdsv1)).toBe(false);
    expect(matchesEventPattern(CREDTRAIL_FINDING_PATTERN, namedLikeInstance)).toBe(true);
  });

  it('does not send an unrelated GuardDuty finding to the responder even at high severity', () => {
    const loud = structuredClone(unrelated);
    loud.detail['severity'] = 8.9;

    expect(matchesEventPattern(guardDutyFindingsAtOrAbove(1), loud)).toBe(false);
  });

  it('counts failed responder steps only', () => {
    const applied = structuredClone(failedStep);
    applied.detail['status'] = 'applied';

    expect(matching(RESPONDER_FAILURE_PATTERN)).toEqual(['failedStep']);
    expect(matchesEventPattern(RESPONDER_FAILURE_PATTERN, applied)).toBe(false);
  });
});
