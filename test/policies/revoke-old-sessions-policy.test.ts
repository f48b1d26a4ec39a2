import { countPolicyCharacters, serialisePolicy } from '../../policies/policy-document';
import { revokeCutoffOf, revokeOldSessionsPolicy } from '../../policies/revoke-old-sessions-policy';
import { decide } from './policy-simulation';

const CUTOFF = new Date('2026-11-20T12:40:00.000Z');

describe('revokeOldSessionsPolicy', () => {
  it('denies a session whose token was issued before the response', async () => {
    // Prepare
    const policy = revokeOldSessionsPolicy(CUTOFF);
    // Act
    const decision = await decide(policy, { 'aws:TokenIssueTime': '2026-11-20T11:58:00Z' });
    // Assess
    expect(decision).toBe('ExplicitlyDenied');
  });

  it('allows a session whose token was issued after the response', async () => {
    const policy = revokeOldSessionsPolicy(CUTOFF);
    const decision = await decide(policy, { 'aws:TokenIssueTime': '2026-11-20T12:41:00Z' });
    expect(decision).toBe('Allowed');
  });

  it('reads back its own cut-off and the console policy one', () => {
    const ours = serialisePolicy(revokeOldSessionsPolicy(CUTOFF));
    const consoleDocument = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Deny',
          Action: ['*'],
          Resource: ['*'],
          Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-11-20T13:00:00Z' } },
        },
      ],
    });
    expect(revokeCutoffOf(ours)?.toISOString()).toBe(CUTOFF.toISOString());
    expect(revokeCutoffOf(consoleDocument)?.toISOString()).toBe('2026-11-20T13:00:00.000Z');
    expect(revokeCutoffOf('not json')).toBeNull();
  });

  it('is small next to the inline policy quota', () => {
    expect(countPolicyCharacters(serialisePolicy(revokeOldSessionsPolicy(CUTOFF)))).toBeLessThan(300);
  });
});
