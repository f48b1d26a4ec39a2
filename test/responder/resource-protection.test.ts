import { configuredRolePattern } from '../../lib/responder/protection/configured-role-pattern';
import { credtrailOwnRole } from '../../lib/responder/protection/credtrail-own-role';
import {
  configuredInstancePattern,
  instanceProtectionTag,
} from '../../lib/responder/protection/instance-protection';
import { landingZoneRole } from '../../lib/responder/protection/landing-zone-role';
import { roleProtectionTag } from '../../lib/responder/protection/role-protection-tag';
import type {
  RoleProtectionRule,
  RoleProtectionSettings,
  RoleSubject,
} from '../../lib/responder/protection/role-subject';
import { serviceLinkedRole } from '../../lib/responder/protection/service-linked-role';
import { roleProtectionReason } from '../../lib/responder/resource-protection';

const settings: RoleProtectionSettings = {
  namePatterns: ['BreakGlass*', 'platform/*'],
  tagMatches: [{ key: 'team', value: 'security' }],
  responderRolePatterns: ['acme-detector'],
  responderRoleNames: ['credtrail-member-response'],
};

const role = (name: string, path = '/', tags: Record<string, string> = {}): RoleSubject => ({
  name,
  path,
  tags,
});

// One rule per file, each refused and allowed (house style: cdk-nag's rule tests).
const cases: ReadonlyArray<
  readonly [rule: string, check: RoleProtectionRule, refused: RoleSubject[], allowed: RoleSubject[]]
> = [
  [
    'serviceLinkedRole',
    serviceLinkedRole,
    [role('AWSServiceRoleForECS', '/aws-service-role/ecs.amazonaws.com/'), role('awsservicerolefortrail')],
    [role('WebAppRole'), role('ServiceRoleForWeb')],
  ],
  [
    'credtrailOwnRole',
    credtrailOwnRole,
    [
      role('credtrail-member-response'),
      role('CREDTRAIL-MEMBER-RESPONSE'),
      role('credtrail-detector'),
      role('CredtrailCentral-ResponderRole', '/ops/'),
      role('acme-detector'),
    ],
    [role('WebAppRole'), role('my-credtrail-copy')],
  ],
  [
    'landingZoneRole',
    landingZoneRole,
    [
      role('OrganizationAccountAccessRole'),
      role('AWSControlTowerExecution'),
      role('cdk-hnb659fds-cfn-exec-role-123456789012-us-east-1'),
      role('AWSReservedSSO_AdministratorAccess_0123456789abcdef', '/aws-reserved/sso.amazonaws.com/'),
      role('AnyName', '/aws-reserved/sso.amazonaws.com/eu-west-1/'),
      role('stacksets-exec-0123456789abcdef'),
    ],
    [role('WebAppRole'), role('OrganizationAccountAccessRoleX'), role('mycdk-role')],
  ],
  [
    'configuredRolePattern',
    configuredRolePattern,
    [
      role('BreakGlassAdmin'),
      role('BreakGlassAdmin', '/admin/'),
      role('breakglassops'),
      role('Deployer', '/platform/'),
    ],
    [role('WebAppRole'), role('AdminBreakGlass'), role('Deployer', '/apps/')],
  ],
  [
    'roleProtectionTag',
    roleProtectionTag,
    [role('WebAppRole', '/', { 'credtrail:protected': '' }), role('WebAppRole', '/', { team: 'security' })],
    [role('WebAppRole', '/', { team: 'web' }), role('WebAppRole', '/', { 'credtrail:protected-not': 'x' })],
  ],
];

describe.each(cases)('role protection rule %s', (_name, rule, refused, allowed) => {
  it.each(refused.map((subject) => [`${subject.path ?? ''}${subject.name}`, subject] as const))(
    'refuses %s',
    (_label, subject) => {
      expect(rule(subject, settings)).toEqual(expect.stringContaining(subject.name));
    },
  );
  it.each(allowed.map((subject) => [`${subject.path ?? ''}${subject.name}`, subject] as const))(
    'allows %s',
    (_label, subject) => {
      expect(rule(subject, settings)).toBeNull();
    },
  );
});

describe('roleProtectionReason', () => {
  it('applies every rule and allows an ordinary workload role', () => {
    expect(roleProtectionReason(role('BreakGlassAdmin', '/admin/'), settings)).toMatch(/BreakGlass\*/);
    expect(roleProtectionReason(role('OrganizationAccountAccessRole'), settings)).toMatch(/landing-zone/);
    expect(roleProtectionReason(role('WebAppRole'), settings)).toBeNull();
  });

  it('keeps credtrail and landing-zone roles protected even with an empty configuration', () => {
    const empty: RoleProtectionSettings = {
      namePatterns: [],
      tagMatches: [],
      responderRolePatterns: [],
      responderRoleNames: [],
    };
    expect(roleProtectionReason(role('credtrail-responder'), empty)).not.toBeNull();
    expect(roleProtectionReason(role('AWSControlTowerExecution'), empty)).not.toBeNull();
    expect(
      roleProtectionReason(role('WebAppRole', '/', { 'credtrail:protected': 'yes' }), empty),
    ).not.toBeNull();
  });
});

describe('instance protection rules', () => {
  const instanceSettings = {
    patterns: ['web-prod-*', 'i-0aaaaaaaaaaaaaaa1'],
    tagMatches: [{ key: 'tier', value: 'db' }],
  };
  it('configuredInstancePattern refuses by id or Name tag and allows others', () => {
    expect(
      configuredInstancePattern({ instanceId: 'i-0aaaaaaaaaaaaaaa1', tags: {} }, instanceSettings),
    ).not.toBeNull();
    expect(
      configuredInstancePattern(
        { instanceId: 'i-0bbbbbbbbbbbbbbb2', tags: { Name: 'web-prod-3' } },
        instanceSettings,
      ),
    ).not.toBeNull();
    expect(
      configuredInstancePattern(
        { instanceId: 'i-0bbbbbbbbbbbbbbb2', tags: { Name: 'web-dev-3' } },
        instanceSettings,
      ),
    ).toBeNull();
  });
  it('instanceProtectionTag refuses credtrail:protected and configured tags, allows others', () => {
    const id = 'i-0bbbbbbbbbbbbbbb2';
    expect(
      instanceProtectionTag({ instanceId: id, tags: { 'credtrail:protected': '' } }, instanceSettings),
    ).not.toBeNull();
    expect(instanceProtectionTag({ instanceId: id, tags: { tier: 'db' } }, instanceSettings)).not.toBeNull();
    expect(instanceProtectionTag({ instanceId: id, tags: { tier: 'web' } }, instanceSettings)).toBeNull();
  });
});
