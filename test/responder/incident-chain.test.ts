import { FindingDetailSchema, type FindingDetail } from '../../lib/contracts/finding-event';
import { incidentChainOf, MAX_CHAIN_ROLES } from '../../lib/responder/incident-chain';
import findingEvent from '../fixtures/events/credtrail-finding-unexpected-origin.json';

const OTHER = '222222222222';

function finding(
  sessions: Array<Partial<NonNullable<FindingDetail['taint']>['derivedSessions'][number]>>,
  persistence: Array<Partial<NonNullable<FindingDetail['taint']>['persistence'][number]>> = [],
): FindingDetail {
  const detail = FindingDetailSchema.parse(findingEvent.detail);
  return {
    ...detail,
    taint: {
      derivedSessions: sessions.map((session, index) => ({
        accessKeyId: `ASIAHOP${String(index).padStart(13, '0')}`,
        parentAccessKeyId: detail.accessKeyId,
        via: 'AssumeRole',
        roleArn: `arn:aws:iam::${detail.accountId}:role/admin`,
        sessionName: 'thief',
        accountId: detail.accountId,
        region: 'us-east-1',
        mintedAt: '2026-11-26T10:01:00.000Z',
        expiresAt: '2026-11-26T11:01:00.000Z',
        ...session,
      })),
      derivedCallCount: 3,
      persistence: persistence.map((artefact) => ({
        kind: 'access-key',
        id: 'AKIAPERSISTENT000001',
        context: 'user bot',
        owner: 'bot',
        eventName: 'CreateAccessKey',
        eventTime: '2026-11-26T10:06:00.000Z',
        accountId: detail.accountId,
        region: 'eu-west-1',
        accessKeyId: 'ASIAHOP0000000000000',
        ...artefact,
      })),
      reads: [],
      truncated: false,
    },
  };
}

const trusted = { partition: 'aws', ownAccountOnly: false };
const own = { partition: 'aws', ownAccountOnly: true };

describe('incidentChainOf: the chain a response may act on, from fields an attacker may have written', () => {
  it('takes each role once (names regardless of case), with all its sessions, and each created key', () => {
    const detail = finding(
      [
        {},
        {
          roleArn: `arn:aws:iam::${OTHER}:role/deploy`,
          accountId: OTHER,
          expiresAt: '2026-11-26T11:05:00.000Z',
        },
        {
          roleArn: `arn:aws:iam::${FindingDetailSchema.parse(findingEvent.detail).accountId}:role/ADMIN`,
          mintedAt: '2026-11-26T10:30:00.000Z',
          expiresAt: '2026-11-26T11:30:00.000Z',
        },
      ],
      [{}, { id: 'AKIAPERSISTENT000002', accountId: OTHER }],
    );
    const chain = incidentChainOf(detail, trusted);
    expect(
      chain?.roles.map((role) => [
        role.roleName,
        role.accountId,
        role.accessKeyIds.length,
        role.lastIssuedAt,
        role.expiresAt,
      ]),
    ).toEqual([
      ['admin', detail.accountId, 2, '2026-11-26T10:30:00.000Z', '2026-11-26T11:30:00.000Z'],
      ['deploy', OTHER, 1, '2026-11-26T10:01:00.000Z', '2026-11-26T11:05:00.000Z'],
    ]);
    expect(chain?.accessKeys).toEqual([
      { accessKeyId: 'AKIAPERSISTENT000001', userName: 'bot', accountId: detail.accountId },
      { accessKeyId: 'AKIAPERSISTENT000002', userName: 'bot', accountId: OTHER },
    ]);
    expect(chain?.manual).toEqual([]);
  });

  it("keeps to the finding's own account when the publisher may only speak for itself, listing the rest", () => {
    const detail = finding(
      [{}, { roleArn: `arn:aws:iam::${OTHER}:role/deploy`, accountId: OTHER }],
      [{ accountId: OTHER }],
    );
    const chain = incidentChainOf(detail, own);
    expect(chain?.roles.map((role) => role.accountId)).toEqual([detail.accountId]);
    expect(chain?.accessKeys).toEqual([]);
    expect(chain?.manual.map((item) => [item.kind, item.accountId])).toEqual([
      ['role-session', OTHER],
      ['access-key', OTHER],
    ]);
    expect(chain?.manual[0]?.context).toMatch(/not acted on: account 222222222222 is not the finding's/);
  });

  it.each([
    [
      'a role ARN of another partition',
      { roleArn: 'arn:aws-cn:iam::111111111111:role/admin', accountId: '111111111111' },
      /partition aws-cn/,
    ],
    [
      'a role ARN whose account is not the session’s',
      { roleArn: `arn:aws:iam::${OTHER}:role/admin` },
      /role ARN is in account 222222222222/,
    ],
    [
      'a role name IAM would refuse',
      { roleArn: 'arn:aws:iam::111111111111:role/admin;rm -rf' },
      /not well-formed/,
    ],
    ['not a role at all', { roleArn: 'arn:aws:iam::111111111111:user/admin' }, /not well-formed/],
  ])('refuses %s: listed with the reason, never acted on', (_what, session, reason) => {
    const detail = finding([{ accountId: '111111111111', ...session }]);
    const chain = incidentChainOf({ ...detail, accountId: '111111111111' }, trusted);
    expect(chain?.roles).toEqual([]);
    expect(chain?.manual).toHaveLength(1);
    expect(chain?.manual[0]?.context).toMatch(reason);
  });

  it.each([
    ['a temporary key id', { id: 'ASIAPERSISTENT000001' }, /not a long-term key id/],
    ['a user name IAM would refuse', { owner: 'bot/../admin' }, /user name .* is not well-formed/],
    ['no known owner', { owner: null }, /user it belongs to is not known/],
  ])('does not deactivate a created key with %s', (_what, artefact, reason) => {
    const chain = incidentChainOf(finding([], [artefact]), trusted);
    expect(chain?.accessKeys).toEqual([]);
    expect(chain?.manual[0]?.context).toMatch(reason);
  });

  it('lists sessions no role policy revokes and persistence credtrail does not touch', () => {
    const chain = incidentChainOf(
      finding(
        [{ via: 'GetSessionToken', roleArn: null, sessionName: null }],
        [
          { kind: 'key-pair', id: 'thief-key', context: 'imported' },
          { kind: 'login-profile', id: 'bot', context: null },
        ],
      ),
      trusted,
    );
    expect(chain?.manual.map((item) => [item.kind, item.id])).toEqual([
      ['user-session', 'ASIAHOP0000000000000'],
      ['key-pair', 'thief-key'],
      ['login-profile', 'bot'],
    ]);
    expect(chain?.manual[0]?.context).toMatch(/no role policy revokes it/);
  });

  it(`acts on at most ${MAX_CHAIN_ROLES} roles: a forged finding cannot revoke an estate`, () => {
    const sessions = Array.from({ length: MAX_CHAIN_ROLES + 5 }, (_, index) => ({
      roleArn: `arn:aws:iam::${FindingDetailSchema.parse(findingEvent.detail).accountId}:role/r${index}`,
    }));
    const chain = incidentChainOf(finding(sessions), trusted);
    expect(chain?.roles).toHaveLength(MAX_CHAIN_ROLES);
    expect(chain?.manual).toHaveLength(5);
  });

  it('is absent for a finding without a chain', () => {
    expect(incidentChainOf(FindingDetailSchema.parse(findingEvent.detail), trusted)).toBeUndefined();
  });
});
