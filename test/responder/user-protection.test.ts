import {
  adminUser,
  configuredUserPattern,
  userProtectionTag,
  type UserProtectionRule,
  type UserProtectionSettings,
  type UserSubject,
} from '../../lib/responder/protection/user-protection';
import { userProtectionReason } from '../../lib/responder/resource-protection';

const settings: UserProtectionSettings = {
  namePatterns: ['svc-payments*'],
  tagMatches: [{ key: 'team', value: 'security' }],
};

const user = (name: string, path: string | null = '/', tags: Record<string, string> = {}): UserSubject => ({
  name,
  path,
  tags,
});

// Issue 17: one rule each, refused and allowed (house style: cdk-nag's rule tests).
const cases: ReadonlyArray<
  readonly [rule: string, check: UserProtectionRule, refused: UserSubject[], allowed: UserSubject[]]
> = [
  [
    'adminUser',
    adminUser,
    [
      user('BreakGlass'),
      user('break-glass-2'),
      user('emergency-access'),
      user('Administrator'),
      user('ops', '/admin/'),
      user('alice', '/Break-Glass/'),
    ],
    [user('backup-bot'), user('ci-deployer', '/ci/'), user('alice', null)],
  ],
  [
    'configuredUserPattern',
    configuredUserPattern,
    [user('svc-payments'), user('SVC-PAYMENTS-eu')],
    [user('svc-billing'), user('payments-svc')],
  ],
  [
    'userProtectionTag',
    userProtectionTag,
    [user('bot', '/', { 'credtrail:protected': '' }), user('bot', '/', { team: 'security' })],
    [user('bot', '/', { team: 'payments' }), user('bot', '/', { protected: 'true' })],
  ],
];

describe('user protection rules', () => {
  it.each(cases)('%s refuses what it protects and allows the rest', (_name, check, refused, allowed) => {
    for (const subject of refused)
      expect(check(subject, settings)).toMatch(new RegExp(`user ${subject.name} `));
    for (const subject of allowed) expect(check(subject, settings)).toBeNull();
  });

  it('userProtectionReason applies every rule and allows an ordinary user', () => {
    expect(userProtectionReason(user('backup-bot'), settings)).toBeNull();
    expect(userProtectionReason(user('break-glass'), settings)).toBe(
      'user break-glass is a break-glass user (pattern *break*glass*)',
    );
    // Tag and path come from IAM, so a name chosen to look harmless does not hide them.
    expect(userProtectionReason(user('backup-bot', '/', { 'credtrail:protected': 'yes' }), settings)).toBe(
      'user backup-bot is protected by tag credtrail:protected',
    );
  });
});
