import { FindingDetailSchema, type FindingDetail } from '../../lib/contracts/finding-event';
import { incidentChainOf } from '../../lib/responder/incident-chain';
import findingEvent from '../fixtures/events/credtrail-finding-unexpected-origin.json';

function finding(): FindingDetail {
  const detail = FindingDetailSchema.parse(findingEvent.detail);
  const session = {
    parentAccessKeyId: detail.accessKeyId,
    sessionName: 'thief',
    region: 'us-east-1',
    mintedAt: '2026-11-26T10:01:00.000Z',
    expiresAt: '2026-11-26T11:01:00.000Z',
  };
  const created = {
    context: null,
    eventName: 'CreateAccessKey',
    eventTime: '2026-11-26T10:06:00.000Z',
    region: 'eu-west-1',
    accessKeyId: 'ASIAHOP',
  };
  return {
    ...detail,
    taint: {
      derivedSessions: [
        {
          ...session,
          accessKeyId: 'ASIAOWN',
          via: 'AssumeRole',
          roleArn: `arn:aws:iam::${detail.accountId}:role/admin`,
          accountId: detail.accountId,
        },
        {
          ...session,
          accessKeyId: 'ASIAOTHER',
          via: 'AssumeRole',
          roleArn: 'arn:aws:iam::222222222222:role/deploy',
          accountId: '222222222222',
        },
        {
          ...session,
          accessKeyId: 'ASIAUSER',
          via: 'GetSessionToken',
          roleArn: null,
          accountId: detail.accountId,
        },
      ],
      derivedCallCount: 3,
      persistence: [
        { ...created, kind: 'access-key', id: 'AKIAOWN', owner: 'bot', accountId: detail.accountId },
        { ...created, kind: 'access-key', id: 'AKIAOTHER', owner: 'bot', accountId: '222222222222' },
        // No owner recorded: nothing to call UpdateAccessKey with.
        { ...created, kind: 'access-key', id: 'AKIANOOWNER', accountId: detail.accountId },
        { ...created, kind: 'key-pair', id: 'thief-key', accountId: '222222222222' },
      ],
      reads: [],
      truncated: false,
    },
  };
}

describe('incidentChainOf', () => {
  it('takes every role and created key when the publisher speaks for the estate', () => {
    const chain = incidentChainOf(finding(), false);
    expect(chain?.roles.map((role) => role.roleArn)).toEqual([
      `arn:aws:iam::${finding().accountId}:role/admin`,
      'arn:aws:iam::222222222222:role/deploy',
    ]);
    expect(chain?.accessKeys.map((key) => key.accessKeyId)).toEqual(['AKIAOWN', 'AKIAOTHER']);
    // Key pairs and sessions no role policy can revoke are for a person.
    expect(chain?.manual.map((item) => [item.kind, item.id])).toEqual([
      ['user-session', 'ASIAUSER'],
      ['key-pair', 'thief-key'],
    ]);
  });

  it("keeps to the finding's own account when the publisher may speak only for itself", () => {
    const chain = incidentChainOf(finding(), true);
    expect(chain?.roles.map((role) => role.accountId)).toEqual([finding().accountId]);
    expect(chain?.accessKeys.map((key) => key.accessKeyId)).toEqual(['AKIAOWN']);
  });

  it('is absent for a finding without a chain', () => {
    expect(incidentChainOf(FindingDetailSchema.parse(findingEvent.detail), false)).toBeUndefined();
  });
});
