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
    const later = new Date('2026-11-20T14:00:00Z');
    expect(revokeCutoffOf(ours, later)?.toISOString()).toBe(CUTOFF.toISOString());
    expect(revokeCutoffOf(consoleDocument, later)?.toISOString()).toBe('2026-11-20T13:00:00.000Z');
    expect(revokeCutoffOf('not json', later)).toBeNull();
  });

  const real = {
    Effect: 'Deny',
    Action: '*',
    Resource: '*',
    Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-11-20T12:00:00Z' } },
  };
  const documentWith = (statement: object) =>
    JSON.stringify({ Version: '2012-10-17', Statement: [statement] });

  it.each([
    ['another action', { ...real, Action: 's3:GetObject' }],
    ['a list of actions', { ...real, Action: ['*', 'iam:*'] }],
    ['one resource', { ...real, Resource: 'arn:aws:s3:::bucket/*' }],
    ['NotAction', { Effect: 'Deny', NotAction: 'sts:*', Resource: '*', Condition: real.Condition }],
    ['an Allow', { ...real, Effect: 'Allow' }],
    [
      'a cut-off in 2099',
      { ...real, Condition: { DateLessThan: { 'aws:TokenIssueTime': '2099-01-01T00:00:00Z' } } },
    ],
    [
      'an extra condition key',
      {
        ...real,
        Condition: {
          DateLessThan: { 'aws:TokenIssueTime': '2026-11-20T12:00:00Z' },
          StringEquals: { 'aws:SourceIp': '192.0.2.1' },
        },
      },
    ],
    [
      'a second key under DateLessThan',
      {
        ...real,
        Condition: {
          DateLessThan: {
            'aws:TokenIssueTime': '2026-11-20T12:00:00Z',
            'aws:CurrentTime': '2000-01-01T00:00:00Z',
          },
        },
      },
    ],
    [
      'two cut-offs',
      {
        ...real,
        Condition: {
          DateLessThan: { 'aws:TokenIssueTime': ['2026-11-20T12:00:00Z', '2099-01-01T00:00:00Z'] },
        },
      },
    ],
    ['no condition', { Effect: 'Deny', Action: '*', Resource: '*' }],
  ])('does not count a decoy as a revocation: %s', (_name, statement) => {
    expect(revokeCutoffOf(documentWith(statement), CUTOFF)).toBeNull();
  });

  it('counts the real shape, with a cut-off not later than now', () => {
    expect(revokeCutoffOf(documentWith(real), CUTOFF)?.toISOString()).toBe('2026-11-20T12:00:00.000Z');
    expect(revokeCutoffOf(documentWith(real), new Date('2026-11-20T11:00:00Z'))).toBeNull();
  });

  it('is small next to the inline policy quota', () => {
    expect(countPolicyCharacters(serialisePolicy(revokeOldSessionsPolicy(CUTOFF)))).toBeLessThan(300);
  });
});
