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
import { planResponse, type PlanInput } from '../../lib/responder/response-planner';
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
    expect(plan.steps[0]?.calls).toEqual([
      {
        api: 'ec2:ModifyNetworkInterfaceAttribute',
        input: { NetworkInterfaceId: ENI_ID, Groups: ['sg-open'] },
      },
      {
        api: 'ec2:ModifyNetworkInterfaceAttribute',
        input: { NetworkInterfaceId: ENI_ID, Groups: ['sg-iso'] },
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

  it('keeps a later revoke already in place, ours or the console one', () => {
    for (const name of [REVOKE_POLICY_NAME, CONSOLE_REVOKE_POLICY_NAME]) {
      const observed = observedState();
      const later = serialisePolicy(revokeOldSessionsPolicy(new Date('2026-11-20T13:00:00Z')));
      observed.role?.inlinePolicies.push({ name, document: later });
      const plan = planResponse(input({ observed }));
      expect(plan.steps[0]?.status).toBe('skipped');
      expect(plan.steps[0]?.reason).toContain('2026-11-20T13:00:00.000Z');
    }
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
    ['service-linked path', { path: '/aws-service-role/ec2.amazonaws.com/' }, {}],
    ['service-linked name', {}, { roleName: 'AWSServiceRoleForECS' }],
    ['the responder member role', {}, { roleName: 'CredtrailMemberResponse' }],
    ['a responder pattern', {}, { roleName: 'credtrail-responder-fn' }],
    ['a protection tag', { tags: { 'credtrail:protected': 'yes' } }, {}],
  ])('refuses to touch a protected role: %s', (_name, role, incident) => {
    const observed = observedState();
    if (observed.role) Object.assign(observed.role, role);
    const plan = planResponse(input({ observed, incident: { ...incidentOf(outsideAwsEvent), ...incident } }));
    expect(plan.decision).toBe('alert-only');
    expect(plan.steps.every((step) => step.status === 'skipped' && step.calls.length === 0)).toBe(true);
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

  it('plans offline from the finding alone', () => {
    const plan = planResponse(input({ incident: incidentOf(credtrailEvent), observed: UNOBSERVED }));
    expect(summary(plan)).toEqual(['revoke-sessions:planned', 'pin-to-network:planned']);
    expect(plan.steps[0]?.priorState).toEqual(expect.objectContaining({ known: false }));
  });
});
