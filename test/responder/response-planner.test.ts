import { PIN_POLICY_NAME } from '../../policies/pin-to-network-policy';
import { serialisePolicy } from '../../policies/policy-document';
import {
  CONSOLE_REVOKE_POLICY_NAME,
  REVOKE_POLICY_NAME,
  revokeOldSessionsPolicy,
} from '../../policies/revoke-old-sessions-policy';
import { normaliseEvent } from '../../lib/responder/incident-normaliser';
import type { Incident } from '../../lib/responder/incident-schema';
import { UNOBSERVED } from '../../lib/responder/observed-state';
import type { ObservedState } from '../../lib/responder/observed-state';
import { planResponse, reasonsNotToRead, type PlanInput } from '../../lib/responder/response-planner';
import {
  config,
  credtrailEvent,
  ENI_ID,
  insideAwsAffiliatedEvent,
  insideAwsEvent,
  NAT_IP,
  NOW,
  observedState,
  outsideAwsEvent,
  PROFILE_ARN,
  VPC_ID,
  WEB_SG,
} from './responder-fixtures';

function incidentOf(event: unknown): Incident {
  const result = normaliseEvent(structuredClone(event), { trustedPublisherAccounts: [] });
  if (!result.ok) throw new Error(result.reason);
  return result.incident;
}

function input(overrides: Partial<PlanInput> = {}): PlanInput {
  return {
    incident: incidentOf(outsideAwsEvent),
    config: config(),
    observed: observedState(),
    now: NOW,
    responderRoleNames: ['CredtrailMemberResponse'],
    ...overrides,
  };
}

const summary = (plan: ReturnType<typeof planResponse>) =>
  plan.steps.map((step) => `${step.action}:${step.status}`);

describe('planResponse', () => {
  it('plans revoke and pin for the OutsideAWS finding, in dry-run by default', () => {
    const plan = planResponse(input());
    expect(plan.mode).toBe('dry-run');
    expect(plan.decision).toBe('respond');
    expect(summary(plan)).toEqual(['revoke-sessions:planned', 'pin-to-network:planned']);
    expect(plan.steps[0]?.calls).toEqual([
      {
        api: 'iam:PutRolePolicy',
        input: {
          RoleName: 'WebAppRole',
          PolicyName: REVOKE_POLICY_NAME,
          PolicyDocument: serialisePolicy(revokeOldSessionsPolicy(NOW)),
        },
      },
    ]);
    expect(plan.steps[0]?.priorState).toEqual({
      kind: 'role-policy',
      roleName: 'WebAppRole',
      policyName: REVOKE_POLICY_NAME,
      previousDocument: null,
      known: true,
    });
    const pin = plan.steps[1]?.calls[0];
    expect(pin?.api === 'iam:PutRolePolicy' && JSON.parse(pin.input.PolicyDocument)).toEqual(
      expect.objectContaining({
        Statement: [
          expect.objectContaining({
            Condition: expect.objectContaining({
              StringNotEqualsIfExists: { 'aws:SourceVpc': [VPC_ID] },
              NotIpAddressIfExists: { 'aws:SourceIp': [`${NAT_IP}/32`] },
            }),
          }),
        ],
      }),
    );
  });

  it('plans the same for the InsideAWS finding and only a pin for the affiliated (MEDIUM) one', () => {
    expect(summary(planResponse(input({ incident: incidentOf(insideAwsEvent) })))).toEqual([
      'revoke-sessions:planned',
      'pin-to-network:planned',
    ]);
    expect(summary(planResponse(input({ incident: incidentOf(insideAwsAffiliatedEvent) })))).toEqual([
      'pin-to-network:planned',
    ]);
  });

  it('plans a credtrail finding, quarantine included when configured', () => {
    const plan = planResponse(
      input({
        incident: incidentOf(credtrailEvent),
        config: config({ actions: { HIGH: ['quarantine-instance', 'revoke-sessions', 'pin-to-network'] } }),
      }),
    );
    expect(summary(plan)).toEqual([
      'revoke-sessions:planned',
      'pin-to-network:planned',
      'quarantine-instance:planned',
    ]);
    expect(plan.steps[2]?.calls.map((call) => call.api)).toEqual([
      'ec2:CreateSecurityGroup',
      'ec2:RevokeSecurityGroupEgress',
      'ec2:CreateSecurityGroup',
      'ec2:AuthorizeSecurityGroupIngress',
      'ec2:AuthorizeSecurityGroupEgress',
      'ec2:ModifyNetworkInterfaceAttribute',
      'ec2:ModifyNetworkInterfaceAttribute',
      'ec2:ModifyInstanceAttribute',
      'ec2:CreateTags',
    ]);
    expect(plan.steps[2]?.priorState).toEqual({
      kind: 'instance',
      instanceId: 'i-0a1b2c3d4e5f67890',
      interfaces: [{ networkInterfaceId: ENI_ID, groupIds: [WEB_SG] }],
      terminationProtection: false,
      profileAssociation: expect.objectContaining({ associationId: 'iip-assoc-0123456789abcdef0' }),
    });
  });

  it('quarantine reuses existing groups, snapshots and removes the profile when asked', () => {
    const observed = observedState();
    observed.isolationGroups[VPC_ID] = {
      isolation: { groupId: 'sg-iso', ruleCount: 0 },
      transition: { groupId: 'sg-open', ruleCount: 3 },
    };
    const plan = planResponse(
      input({
        observed,
        config: config({
          actions: { HIGH: ['quarantine-instance'] },
          quarantine: { snapshotVolumes: true, removeInstanceProfile: true },
        }),
      }),
    );
    const failClosed = { isolation: ['sg-iso'], recorded: [WEB_SG] };
    expect(plan.steps[0]?.calls).toEqual([
      {
        api: 'ec2:ModifyNetworkInterfaceAttribute',
        input: { NetworkInterfaceId: ENI_ID, Groups: ['sg-open'] },
        failClosed,
      },
      {
        api: 'ec2:ModifyNetworkInterfaceAttribute',
        input: { NetworkInterfaceId: ENI_ID, Groups: ['sg-iso'] },
        failClosed,
      },
      {
        api: 'ec2:ModifyInstanceAttribute',
        input: { InstanceId: 'i-0a1b2c3d4e5f67890', DisableApiTermination: { Value: true } },
      },
      expect.objectContaining({ api: 'ec2:CreateTags' }),
      expect.objectContaining({
        api: 'ec2:CreateSnapshot',
        input: expect.objectContaining({ VolumeId: 'vol-0123456789abcdef0' }),
      }),
      { api: 'ec2:DisassociateIamInstanceProfile', input: { AssociationId: 'iip-assoc-0123456789abcdef0' } },
    ]);
  });

  it('keeps a real revoke already in place after the key was last seen, ours or the console one', () => {
    for (const name of [REVOKE_POLICY_NAME, CONSOLE_REVOKE_POLICY_NAME]) {
      const observed = observedState();
      // The GuardDuty finding last saw the key at 12:29:33; the response plans at 12:40.
      const after = serialisePolicy(revokeOldSessionsPolicy(new Date('2026-11-20T12:35:00Z')));
      observed.role?.inlinePolicies.push({ name, document: after });
      const plan = planResponse(input({ observed }));
      expect(plan.steps[0]?.status).toBe('skipped');
      expect(plan.steps[0]?.reason).toContain('2026-11-20T12:35:00.000Z');
    }
  });

  it.each([
    ['a cut-off in 2099', { Action: '*', cutoff: '2099-01-01T00:00:00Z', extra: {} }],
    ['another action', { Action: 'sts:GetCallerIdentity', cutoff: '2026-11-20T12:35:00Z', extra: {} }],
    [
      'an extra condition',
      {
        Action: '*',
        cutoff: '2026-11-20T12:35:00Z',
        extra: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
      },
    ],
  ])('a planted decoy does not stop revocation: %s', (_name, decoy) => {
    const observed = observedState();
    const document = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Deny',
          Action: decoy.Action,
          Resource: '*',
          Condition: { DateLessThan: { 'aws:TokenIssueTime': decoy.cutoff }, ...decoy.extra },
        },
      ],
    });
    observed.role?.inlinePolicies.push({ name: REVOKE_POLICY_NAME, document });
    const plan = planResponse(input({ observed }));
    expect(plan.steps[0]?.status).toBe('planned');
    expect(plan.steps[0]?.calls[0]?.input).toEqual(
      expect.objectContaining({ PolicyDocument: serialisePolicy(revokeOldSessionsPolicy(NOW)) }),
    );
    expect(plan.steps[0]?.priorState).toEqual(expect.objectContaining({ previousDocument: document }));
  });

  it('replaces an earlier revoke with the later time and records the old one', () => {
    const observed = observedState();
    const earlier = serialisePolicy(revokeOldSessionsPolicy(new Date('2026-11-19T00:00:00Z')));
    observed.role?.inlinePolicies.push({ name: REVOKE_POLICY_NAME, document: earlier });
    const plan = planResponse(input({ observed }));
    expect(plan.steps[0]?.status).toBe('planned');
    expect(plan.steps[0]?.priorState).toEqual(expect.objectContaining({ previousDocument: earlier }));
  });

  it('is idempotent: a pin already in place is skipped', () => {
    const first = planResponse(input());
    const pinCall = first.steps[1]?.calls[0];
    const observed = observedState();
    if (pinCall?.api === 'iam:PutRolePolicy')
      observed.role?.inlinePolicies.push({ name: PIN_POLICY_NAME, document: pinCall.input.PolicyDocument });
    const second = planResponse(input({ observed }));
    expect(second.steps[1]?.status).toBe('skipped');
  });

  it('fails clearly, without truncating, when the inline policy quota would be exceeded', () => {
    const observed = observedState();
    observed.role?.inlinePolicies.push({
      name: 'Big',
      document: JSON.stringify({ blob: 'x'.repeat(10_100) }),
    });
    const plan = planResponse(input({ observed }));
    expect(summary(plan)).toEqual(['revoke-sessions:failed', 'pin-to-network:skipped']);
    expect(plan.steps[0]?.reason).toMatch(/over IAM's limit of 10240/);
    expect(plan.steps[1]?.reason).toMatch(/not attempted/);
  });

  it.each([
    ['service-linked path', { path: '/aws-service-role/ec2.amazonaws.com/' }],
    ['service-linked name', { name: 'AWSServiceRoleForECS' }],
    ['the responder member role', { name: 'CredtrailMemberResponse' }],
    ['a responder pattern', { name: 'credtrail-responder-fn' }],
    ['a landing-zone role', { name: 'OrganizationAccountAccessRole' }],
    [
      'an Identity Center role',
      { name: 'AWSReservedSSO_Admin_0123', path: '/aws-reserved/sso.amazonaws.com/' },
    ],
    ['a protection tag', { tags: { 'credtrail:protected': 'yes' } }],
  ])('refuses to touch a protected role: %s', (_name, role) => {
    const observed = observedState();
    if (observed.role) Object.assign(observed.role, role);
    const plan = planResponse(input({ observed }));
    expect(plan.decision).toBe('alert-only');
    expect(plan.steps.every((step) => step.status === 'skipped' && step.calls.length === 0)).toBe(true);
  });

  it("decides protection on GetRole's name and path, not the finding's spelling", () => {
    // The finding says `webapprole`; IAM (names are case-insensitive) answers with the real role,
    // which sits under /admin/ and matches the protected pattern BreakGlass*.
    const observed = observedState();
    if (observed.role) Object.assign(observed.role, { name: 'BreakGlassAdmin', path: '/admin/' });
    const incident = { ...incidentOf(outsideAwsEvent), roleName: 'webapprole' };
    const plan = planResponse(
      input({ observed, incident, config: config({ protected: { roleNamePatterns: ['BreakGlass*'] } }) }),
    );
    expect(summary(plan)).toEqual(['revoke-sessions:skipped', 'pin-to-network:skipped']);
    expect(plan.steps[0]?.reason).toMatch(/BreakGlassAdmin is protected by pattern BreakGlass\*/);
  });

  it("writes to the role by GetRole's name", () => {
    const observed = observedState();
    const plan = planResponse(
      input({ observed, incident: { ...incidentOf(outsideAwsEvent), roleName: 'webapprole' } }),
    );
    expect(plan.steps.map((step) => step.calls[0]?.input)).toEqual([
      expect.objectContaining({ RoleName: 'WebAppRole' }),
      expect.objectContaining({ RoleName: 'WebAppRole' }),
    ]);
  });

  it('moves each interface transition → isolation back to back, never all through the open group first', () => {
    const observed = observedState();
    observed.instance?.interfaces.push({
      networkInterfaceId: 'eni-0second0000000000',
      vpcId: VPC_ID,
      groupIds: ['sg-db'],
    });
    observed.isolationGroups[VPC_ID] = {
      isolation: { groupId: 'sg-iso', ruleCount: 0 },
      transition: { groupId: 'sg-open', ruleCount: 3 },
    };
    const plan = planResponse(
      input({ observed, config: config({ actions: { HIGH: ['quarantine-instance'] } }) }),
    );
    const moves = (plan.steps[0]?.calls ?? []).flatMap((call) =>
      call.api === 'ec2:ModifyNetworkInterfaceAttribute'
        ? [`${call.input.NetworkInterfaceId}→${call.input.Groups.join(',')}`]
        : [],
    );
    expect(moves).toEqual([
      `${ENI_ID}→sg-open`,
      `${ENI_ID}→sg-iso`,
      'eni-0second0000000000→sg-open',
      'eni-0second0000000000→sg-iso',
    ]);
  });

  it('refuses to quarantine a protected instance', () => {
    const plan = planResponse(
      input({
        config: config({
          actions: { HIGH: ['quarantine-instance'] },
          protected: { instancePatterns: ['web-*'] },
        }),
      }),
    );
    expect(summary(plan)).toEqual(['quarantine-instance:skipped']);
  });

  it('only alerts on sample findings and IMDSv1 exposures', () => {
    const sample = { ...incidentOf(outsideAwsEvent), sample: true };
    const exposure = { ...incidentOf(credtrailEvent), findingType: 'InstanceCredentialExposure.IMDSv1' };
    expect(planResponse(input({ incident: sample })).steps).toEqual([]);
    expect(planResponse(input({ incident: exposure })).decision).toBe('alert-only');
  });

  it('does not pin when the attacker is inside the role network', () => {
    const incident = incidentOf(outsideAwsEvent);
    incident.origin.ip = NAT_IP;
    const plan = planResponse(input({ incident }));
    expect(plan.steps[1]?.status).toBe('skipped');
    expect(plan.steps[1]?.reason).toMatch(/cannot stop it/);
  });

  it('refuses a session merely named like an instance before reading anything', () => {
    const named = { ...incidentOf(credtrailEvent), findingType: 'SuspiciousSession.NamedLikeInstance' };
    expect(reasonsNotToRead(named, config())).toEqual([
      expect.stringMatching(/^refused: .*SuspiciousSession.NamedLikeInstance/),
    ]);
    const plan = planResponse(input({ incident: named }));
    expect(plan.decision).toBe('alert-only');
    expect(plan.steps).toEqual([]);
    expect(reasonsNotToRead(incidentOf(credtrailEvent), config())).toEqual([]);
    expect(reasonsNotToRead(incidentOf(outsideAwsEvent), config())).toEqual([]);
  });

  it.each([
    [
      "the instance's profile holds another role",
      (observed: ObservedState) => {
        observed.instanceProfile = {
          profileArn: PROFILE_ARN,
          roleArns: ['arn:aws:iam::123456789012:role/BatchRole'],
        };
      },
      /profile .* holds arn:aws:iam::123456789012:role\/BatchRole, not arn:aws:iam::123456789012:role\/WebAppRole/,
    ],
    [
      'the instance has no profile',
      (observed: ObservedState) => {
        if (observed.instance) observed.instance.profileAssociation = null;
        observed.instanceProfile = null;
      },
      /carries no instance profile/,
    ],
    [
      'the instance does not exist',
      (observed: ObservedState) => {
        observed.instance = null;
      },
      /does not exist in account 123456789012 us-east-1/,
    ],
  ])('refuses when nothing proves these are the instance credentials: %s', (_name, change, reason) => {
    const observed = observedState();
    change(observed);
    const plan = planResponse(
      input({
        observed,
        config: config({ actions: { HIGH: ['revoke-sessions', 'pin-to-network', 'quarantine-instance'] } }),
      }),
    );
    expect(plan.decision).toBe('alert-only');
    expect(plan.steps).toEqual([]);
    expect(plan.reasons).toEqual([expect.stringMatching(reason)]);
  });

  it("refuses a credtrail finding whose role ARN is not IAM's role of that name", () => {
    const incident = {
      ...incidentOf(credtrailEvent),
      roleArn: 'arn:aws:iam::123456789012:role/admin/WebAppRole',
    };
    const plan = planResponse(input({ incident }));
    expect(plan.steps).toEqual([]);
    expect(plan.reasons.join()).toMatch(
      /IAM's role of that name is arn:aws:iam::123456789012:role\/WebAppRole/,
    );
  });

  it('plans offline from the finding alone', () => {
    const plan = planResponse(input({ incident: incidentOf(credtrailEvent), observed: UNOBSERVED }));
    expect(summary(plan)).toEqual(['revoke-sessions:planned', 'pin-to-network:planned']);
    expect(plan.steps[0]?.priorState).toEqual(expect.objectContaining({ known: false }));
  });
});
