import { announcedDetail, chainVersionOf } from '../../lib/contracts/chain-version';
import { FindingDetailSchema, type TaintSummary } from '../../lib/contracts/finding-event';
import { loadEvent } from '../fixtures/events/load-event';
import { chainTaint } from '../notifier/fixtures';

const finding = () => FindingDetailSchema.parse(loadEvent('credtrail-finding-unexpected-origin.json').detail);

describe('chain version and update marker (issue 17)', () => {
  it('names the chain by its size and content, whatever order the store returned it in', () => {
    const reversed: TaintSummary = { ...chainTaint, persistence: [...chainTaint.persistence].reverse() };
    expect(chainVersionOf(chainTaint)).toMatch(/^2-[0-9a-f]{12}$/);
    expect(chainVersionOf(reversed)).toBe(chainVersionOf(chainTaint));
  });

  it('changes with a new session or artefact, not with reads or call counts', () => {
    const moreReads: TaintSummary = { ...chainTaint, reads: [], derivedCallCount: 99 };
    const otherKey: TaintSummary = {
      ...chainTaint,
      persistence: chainTaint.persistence.map((a) => ({ ...a, id: 'AKIAPERSISTENT000002' })),
    };
    expect(chainVersionOf(moreReads)).toBe(chainVersionOf(chainTaint));
    expect(chainVersionOf(otherKey)).not.toBe(chainVersionOf(chainTaint));
  });

  it('marks an update chain-growth only when the chain grew and there is a chain to version', () => {
    const chained = { ...finding(), taint: chainTaint };
    expect(announcedDetail(chained, { chainGrew: true })).toMatchObject({
      change: 'chain-growth',
      chainVersion: chainVersionOf(chainTaint),
    });
    expect(announcedDetail(chained, { chainGrew: false }).change).toBe('counts');
    expect(announcedDetail(finding(), { chainGrew: true })).toMatchObject({ change: 'counts' });
    expect(announcedDetail(finding(), { chainGrew: true }).chainVersion).toBeUndefined();
  });

  it('puts no marker on a new finding, and replaces whatever marker a stored detail carried', () => {
    const stale = {
      ...finding(),
      taint: chainTaint,
      change: 'chain-growth' as const,
      chainVersion: '9-0000aaaa0000',
    };
    const announced = announcedDetail(stale, null);
    expect(announced.change).toBeUndefined();
    expect(announced.chainVersion).toBe(chainVersionOf(chainTaint));
    expect(FindingDetailSchema.parse(announced)).toEqual(announced);
  });
});
