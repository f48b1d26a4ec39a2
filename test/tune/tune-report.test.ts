import { FindingType } from '../../lib/contracts/finding-event';
import { ResponseConfigSchema } from '../../lib/responder/response-config-schema';
import type { ResponsePlan } from '../../lib/responder/response-plan';
import { escapeHtml, renderTuneHtml } from '../../lib/tune/tune-html';
import { buildTuneReport, type TuneInput } from '../../lib/tune/tune-report';
import { printable, renderTuneText } from '../../lib/tune/tune-text';
import { DEFAULT_THRESHOLDS } from '../../lib/tune/tune-thresholds';
import { finding, NOW, podFindings } from './tune-fixtures';

const theft = finding({
  roleName: 'web',
  instanceId: 'i-0ab00000000000001',
  accessKeyId: 'ASIASTOLEN0000000001',
  sourceIp: '185.220.101.47',
  vpcEndpointId: null,
  vpcEndpointAccountId: null,
  severity: 'HIGH',
  at: 4,
});

function input(overrides: Partial<TuneInput> = {}): TuneInput {
  return {
    findings: [...podFindings({ hours: 6 }), theft],
    recordedPlans: [],
    config: ResponseConfigSchema.parse({}),
    thresholds: DEFAULT_THRESHOLDS,
    severityThreshold: 7,
    now: NOW,
    ...overrides,
  };
}

describe('go-live report', () => {
  it('per role: what the proposals remove, what enforce would have done, which roles are ready', () => {
    // Act
    const report = buildTuneReport(input());

    // Assess
    const roles = Object.fromEntries(report.goLive.roles.map((role) => [role.roleName, role]));
    const [proposal] = report.verdicts.filter((verdict) => verdict.decision.status === 'proposed');
    const proposalId = proposal?.decision.status === 'proposed' ? proposal.decision.proposalId : '';
    expect(roles['eks-node']).toMatchObject({
      removedBy: { [proposalId]: 36 },
      remaining: [],
      readyToEnforce: true,
    });
    expect(roles['web']).toMatchObject({
      remaining: [theft],
      readyToEnforce: false,
      wouldHave: { incidents: 1, 'revoke-sessions': 1, 'pin-to-network': 1, 'quarantine-instance': 0 },
    });
    expect(report.goLive.suggestedRoleRules).toEqual([{ pattern: 'eks-node', mode: 'enforce' }]);
    expect(report.goLive.plans).toEqual({ recorded: 0, plannedOffline: 1 });
  });

  it('uses recorded plans over planning again, and counts quarantined instances', () => {
    // Prepare: the responder recorded a plan that quarantined the instance.
    const planned = buildTuneReport(
      input({ config: ResponseConfigSchema.parse({ actions: { HIGH: ['revoke-sessions'] } }) }),
    );
    const offline = planned.goLive.roles.find((role) => role.roleName === 'web');
    expect(offline?.wouldHave['revoke-sessions']).toBe(1);
    const recorded: ResponsePlan = {
      incident: {
        incidentId: 'inc-00000000000000000001',
        findingSource: 'credtrail',
        findingId: theft.findingId,
        findingType: FindingType.UnexpectedOrigin,
        severity: 'HIGH',
        severityScore: 8,
        accountId: theft.accountId,
        region: theft.region,
        partition: 'aws',
        roleName: 'web',
        roleArn: theft.roleArn,
        instanceId: 'i-0abc',
        accessKeyId: theft.accessKeyId,
        origin: { ip: theft.sourceIp, accountId: null, affiliated: null, vpcEndpointId: null },
        networkHint: { vpcIds: [], egressIps: [] },
        firstSeen: theft.firstSeen,
        lastSeen: theft.lastSeen,
        sample: false,
      },
      mode: 'dry-run',
      decision: 'respond',
      reasons: [],
      plannedAt: NOW.toISOString(),
      steps: [
        {
          index: 0,
          action: 'quarantine-instance',
          status: 'planned',
          reason: 'isolate',
          calls: [{ api: 'ec2:CreateTags', input: { Resources: ['i-0abc'], Tags: [] } }],
          priorState: { kind: 'none' },
          notes: [],
        },
      ],
    };

    // Act
    const report = buildTuneReport(input({ recordedPlans: [recorded] }));

    // Assess
    const web = report.goLive.roles.find((role) => role.roleName === 'web');
    expect(web?.wouldHave).toEqual({
      incidents: 1,
      'revoke-sessions': 0,
      'pin-to-network': 0,
      'quarantine-instance': 1,
      undecided: 0,
    });
    expect(report.goLive.plans).toEqual({ recorded: 1, plannedOffline: 0 });
  });

  it('a role with only findings below the responder threshold is ready: enforce would have changed nothing', () => {
    // Act
    const report = buildTuneReport(input({ findings: [theft], severityThreshold: 9 }));

    // Assess
    expect(report.goLive.roles[0]).toMatchObject({ readyToEnforce: true, wouldHave: { incidents: 0 } });
  });
});

describe('reports for people', () => {
  const hostile = '<script>alert(1)</script>"\'&';
  const malicious = finding({
    roleName: `web${hostile}`,
    instanceId: `i-0${hostile}`,
    accessKeyId: 'ASIAHOSTILE',
    sourceIp: '185.220.101.48',
    vpcEndpointId: null,
    vpcEndpointAccountId: null,
    severity: 'HIGH',
    at: 2,
    userAgents: [`curl/8 ${hostile}<img src=x onerror=alert(2)>`],
  });

  it('the HTML report is one file with no script, no external asset, and every finding string escaped', () => {
    // Act
    const html = renderTuneHtml(
      buildTuneReport(input({ findings: [...podFindings({ hours: 6 }), malicious] })),
    );

    // Assess
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
    expect(html).toContain(escapeHtml(`web${hostile}`));
    expect(html).toContain(escapeHtml(`curl/8 ${hostile}<img src=x onerror=alert(2)>`));
    expect(html).toContain('Content-Security-Policy" content="default-src \'none\'');
    expect(html).toMatch(/<svg [^>]*role="img">/);
  });

  it('the terminal report carries no control character from a finding', () => {
    // Prepare
    const escape = finding({
      ...{ accessKeyId: 'ASIAESC', sourceIp: '185.220.101.49', at: 1 },
      roleName: 'web\u001b[2J\u0007',
    });

    // Act
    const text = renderTuneText(buildTuneReport(input({ findings: [escape] })));

    // Assess
    expect(text.includes('\u001b') || text.includes('\u0007')).toBe(false);
    expect(text).toContain('web?[2J?');
    expect(printable('a\nb\u009bc')).toBe('a?b?c');
  });

  it('the terminal report names the proposal, its evidence and the roles ready to enforce', () => {
    // Act
    const text = renderTuneText(buildTuneReport(input()));

    // Assess
    expect(text).toMatch(
      /Proposed exceptions \(1\)\n {2}p-[0-9a-f]{8} {2}eks-node in 111111111111 own-endpoint/,
    );
    expect(text).toContain(
      'exception: cidr 100.64.0.0/23, vpcId vpc-0eks, accountId 111111111111, roleName eks-node',
    );
    expect(text).toContain('one key only: a burst from one key is what a theft looks like');
    expect(text).toContain('[{"pattern":"eks-node","mode":"enforce"}]');
  });
});
