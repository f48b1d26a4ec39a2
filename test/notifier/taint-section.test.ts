import { renderEvent, type RenderContext } from '../../lib/notifier/alert-renderer';
import { whatTheKeyDid } from '../../lib/notifier/taint-section';
import type { TaintSummary } from '../../lib/contracts/finding-event';
import { chainTaint, loadEvent, responseConfig } from './fixtures';

const context: RenderContext = { config: responseConfig(), severityThreshold: 7 };

const taint = chainTaint;

function body(event: Record<string, unknown>): string {
  const result = renderEvent(event, context);
  if (result.kind !== 'alert') throw new Error(result.reason);
  return result.alert.body;
}

describe('"What the key did" in the finding email', () => {
  it('names the derived session, what was left behind and what was read', () => {
    const event = loadEvent('credtrail-finding-unexpected-origin.json');
    event.detail['taint'] = taint;
    const text = body(event);
    expect(text).toContain('WHAT THE KEY DID');
    expect(text).toContain('ASIAHOPONEADMIN00001: AssumeRole arn:aws:iam::111111111111:role/admin-role');
    expect(text).toContain(
      'access-key AKIAPERSISTENT000001 (user backup-bot), account 222222222222 eu-west-1',
    );
    expect(text).toContain('secret-read prod/stripe-key x2');
    expect(text).toContain('credtrail investigate');
  });

  it('is absent when the finding carries no chain', () => {
    expect(body(loadEvent('credtrail-finding-unexpected-origin.json'))).not.toContain('WHAT THE KEY DID');
  });

  it('shows a few of each and says when there is more', () => {
    const many = {
      ...taint,
      persistence: Array.from({ length: 12 }, (_, index) => ({
        ...(taint.persistence[0] as TaintSummary['persistence'][number]),
        id: `AKIA${String(index).padStart(16, '0')}`,
      })),
    };
    const lines = whatTheKeyDid(many);
    expect(lines.filter((line) => line.includes('access-key AKIA'))).toHaveLength(8);
    expect(lines.at(-1)).toMatch(/^More than shown here/);
  });
});
