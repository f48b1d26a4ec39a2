import {
  renderEvent,
  type Alert,
  type RenderContext,
  type RenderResult,
} from '../../lib/notifier/alert-renderer';
import { SNS_SUBJECT_LIMIT } from '../../lib/notifier/email-text';
import { loadEvent, responseConfig } from './fixtures';

const dryRun: RenderContext = { config: responseConfig(), severityThreshold: 7 };

function alertOf(result: RenderResult): Alert {
  if (result.kind !== 'alert') throw new Error(`expected an alert, got skip: ${result.reason}`);
  return result.alert;
}

function expectValidSubject(subject: string): void {
  expect(subject.length).toBeLessThanOrEqual(SNS_SUBJECT_LIMIT);
  expect(subject).toMatch(/^[\x20-\x7e]+$/);
}

describe('credtrail finding email', () => {
  const event = loadEvent('credtrail-finding-unexpected-origin.json');

  it('puts severity, role, instance and origin in a short ASCII subject', () => {
    // Act
    const alert = alertOf(renderEvent(event, dryRun));

    // Assess
    expect(alert.subject).toBe(
      '[credtrail] HIGH: WebAppRole keys from i-0a1b2c3d4e5f67890 used at 198.51.100.77',
    );
    expectValidSubject(alert.subject);
  });

  it('says what happened, the evidence and the expected network in plain words', () => {
    const { body } = alertOf(renderEvent(event, dryRun));

    expect(body).toContain('WHAT HAPPENED');
    expect(body).toContain('were used from 198.51.100.77, which is not part of that instance');
    expect(body).toMatch(/First seen:\s+2026-11-20 12:24:02 UTC/);
    expect(body).toMatch(/Last seen:\s+2026-11-20 12:26:02 UTC/);
    expect(body).toMatch(/Calls:\s+6 \(GetCallerIdentity, ListBuckets, ListRoles\)/);
    expect(body).toContain("Expected network (from EC2's description of the instance):");
    expect(body).toMatch(/NAT gateways:\s+203\.0\.113\.10/);
    expect(body).toContain('IMDSv1');
  });

  it('says that dry-run changes nothing and which actions would be planned', () => {
    const { body } = alertOf(renderEvent(event, dryRun));

    expect(body).toContain('Mode dry-run: credtrail changes nothing');
    expect(body).toContain('  - revoke-sessions:');
    expect(body).toContain('  - pin-to-network:');
    expect(body).toContain('up to about an hour');
  });

  it('says enforce is acting now, with the configured actions only', () => {
    const enforce: RenderContext = {
      config: responseConfig({ mode: 'enforce', actions: { HIGH: ['quarantine-instance'] } }),
      severityThreshold: 7,
    };

    const { body } = alertOf(renderEvent(event, enforce));

    expect(body).toContain('Mode enforce: the responder is carrying out these steps now');
    expect(body).toContain('  - quarantine-instance:');
    expect(body).not.toContain('  - revoke-sessions:');
  });

  it('says alert only below the responder threshold', () => {
    const medium = loadEvent('credtrail-finding-affiliated-endpoint.json');

    const { body, subject } = alertOf(renderEvent(medium, dryRun));

    expect(subject).toBe(
      '[credtrail] MEDIUM: WebAppRole keys from i-0a1b2c3d4e5f67890 used at vpce-0aa11bb22cc33dd44',
    );
    expect(body).toContain("Alert only. Severity 5 is below the responder's threshold (7)");
    expect(body).toContain(
      '10.20.0.15 via VPC endpoint vpce-0aa11bb22cc33dd44 owned by account 222222222222',
    );
  });

  it('names a protected role and tells the reader to act by hand', () => {
    const context: RenderContext = {
      config: responseConfig({ protected: { roleNamePatterns: ['WebApp*'] } }),
      severityThreshold: 7,
    };

    const { body } = alertOf(renderEvent(event, context));

    expect(body).toContain('Role WebAppRole is protected (pattern "WebApp*"): credtrail will not touch it.');
  });

  it('links the IAM role, the EC2 instance and CloudTrail filtered by the access key', () => {
    const { body } = alertOf(renderEvent(event, dryRun));

    expect(body).toContain('https://console.aws.amazon.com/iam/home#/roles/details/WebAppRole');
    expect(body).toContain(
      'https://us-east-1.console.aws.amazon.com/ec2/home?region=us-east-1#InstanceDetails:instanceId=i-0a1b2c3d4e5f67890',
    );
    expect(body).toContain(
      'https://us-east-1.console.aws.amazon.com/cloudtrail/home?region=us-east-1#/events?AccessKeyId=ASIAQWERTYUIOPASDFGH',
    );
  });

  it('keys the alert on the finding id, so later sightings of the finding do not re-alert', () => {
    const later = structuredClone(event);
    later.detail['eventCount'] = 40;
    later.detail['lastSeen'] = '2026-11-20T13:26:02Z';
    later['id'] = 'another-eventbridge-id';

    expect(alertOf(renderEvent(later, dryRun)).key).toBe(alertOf(renderEvent(event, dryRun)).key);
    expect(alertOf(renderEvent(event, dryRun)).key).toBe(
      'finding/credtrail.detector/0f4b6a1c2d3e4f5061728394a5b6c7d8',
    );
  });

  it('shortens a long role name, never the instance or origin, to stay within 100 ASCII characters', () => {
    const long = structuredClone(event);
    long.detail['roleName'] = `Ünïcode-${'VeryLongApplicationRoleName'.repeat(3)}`;
    long.detail['sourceIp'] = '2001:db8:85a3:1234:5678:8a2e:370:7334';

    const { subject } = alertOf(renderEvent(long, dryRun));

    expectValidSubject(subject);
    expect(subject).toContain('...');
    expect(subject).toContain('i-0a1b2c3d4e5f67890');
    expect(subject).toContain('2001:db8:85a3:1234:5678:8a2e:370:7334');
  });

  it('words an IMDSv1 delivery finding as exposure, with IMDSv2 as the next step', () => {
    const imds = structuredClone(event);
    imds.detail['type'] = 'InstanceCredentialExposure.IMDSv1';
    imds.detail['severity'] = 'LOW';
    imds.detail['severityScore'] = 2;

    const alert = alertOf(renderEvent(imds, dryRun));

    expect(alert.subject).toBe(
      '[credtrail] LOW: WebAppRole keys on i-0a1b2c3d4e5f67890 delivered via IMDSv1',
    );
    expect(alert.body).toContain('--http-tokens required');
  });
});

describe('GuardDuty finding email', () => {
  it.each([
    ['instance-credential-exfiltration-outside-aws.json', 'outside AWS', '198.51.100.77'],
    ['instance-credential-exfiltration-inside-aws.json', 'in AWS account', 'not affiliated'],
    [
      'instance-credential-exfiltration-inside-aws-affiliated.json',
      'in AWS account',
      '(affiliated with yours)',
    ],
  ])('renders %s', (file, where, origin) => {
    const alert = alertOf(renderEvent(loadEvent(file), dryRun));

    expectValidSubject(alert.subject);
    expect(alert.subject).toMatch(
      /^\[credtrail\/GuardDuty\] (HIGH|MEDIUM): WebAppRole keys from i-0a1b2c3d4e5f67890 used at \d/,
    );
    expect(alert.body).toContain(where);
    expect(alert.body).toContain(origin);
    expect(alert.body).toMatch(/Calls:\s+\d+ \(latest: ListBuckets on s3\.amazonaws\.com\)/);
    expect(alert.body).toContain('#/events?AccessKeyId=ASIAQWERTYUIOPASDFGH');
    expect(alert.body).toContain('guardduty/home?region=us-east-1#/findings?fId=');
  });

  it('keys on account and finding id: GuardDuty re-sends the same id with a higher count', () => {
    const first = loadEvent('instance-credential-exfiltration-outside-aws.json');
    const resent = structuredClone(first);
    (resent.detail['service'] as Record<string, unknown>)['count'] = 60;

    expect(alertOf(renderEvent(resent, dryRun)).key).toBe(alertOf(renderEvent(first, dryRun)).key);
  });

  it('marks sample findings and says the responder will not act', () => {
    const sample = loadEvent('instance-credential-exfiltration-outside-aws.json');
    const service = sample.detail['service'] as Record<string, unknown>;
    service['additionalInfo'] = { value: '{}', type: 'default', sample: true };

    const alert = alertOf(renderEvent(sample, dryRun));

    expect(alert.subject).toMatch(/^\[credtrail\/GuardDuty\] SAMPLE HIGH:/);
    expect(alert.body).toContain('the responder refuses to act on sample findings');
  });

  it('still renders a finding with most fields missing', () => {
    const sparse = {
      source: 'aws.guardduty',
      'detail-type': 'GuardDuty Finding',
      detail: { id: 'abc', type: 'X' },
    };

    const alert = alertOf(renderEvent(sparse, dryRun));

    expectValidSubject(alert.subject);
    expect(alert.body).toContain('unknown');
  });
});

describe('responder result email', () => {
  it('renders a dry-run plan with every step, its calls and its notes', () => {
    const alert = alertOf(renderEvent(loadEvent('responder-plan-dry-run.json'), dryRun));

    expect(alert.subject).toBe(
      '[credtrail] HIGH DRY-RUN plan: WebAppRole on i-0a1b2c3d4e5f67890: revoke-sessions',
    );
    expect(alert.body).toContain('changed NOTHING');
    expect(alert.body).toContain('1. revoke-sessions [planned]');
    expect(alert.body).toContain('iam:PutRolePolicy');
    expect(alert.body).toContain('note: The workload on i-0a1b2c3d4e5f67890 fails');
    expect(alert.key).toBe('plan/inc-3f2a9c1b7d6e5f4a3b2c/respond/dry-run');
  });

  it('renders a failed step as its own email that says where it stopped', () => {
    const alert = alertOf(renderEvent(loadEvent('responder-step-failed.json'), dryRun));

    expectValidSubject(alert.subject);
    expect(alert.subject).toContain('ACTION FAILED: revoke-sessions');
    expect(alert.body).toContain('stopped after 0 of 1 calls');
    expect(alert.body).toContain('AccessDenied');
  });

  it('does not email applied steps: the plan email covered them', () => {
    const applied = loadEvent('responder-step-failed.json');
    applied.detail['status'] = 'applied';

    expect(renderEvent(applied, dryRun)).toEqual({
      kind: 'skip',
      reason: expect.stringContaining('applied') as string,
    });
  });
});

describe('events the notifier cannot read', () => {
  it('forwards a malformed credtrail finding raw rather than dropping it', () => {
    const broken = loadEvent('credtrail-finding-unexpected-origin.json');
    delete broken.detail['roleArn'];

    const alert = alertOf(renderEvent(broken, dryRun));

    expect(alert.subject).toBe('[credtrail] Unreadable event from credtrail.detector: check by hand');
    expect(alert.body).toContain('roleArn');
    expect(alert.key).toBe('unreadable/7f1c2a9e-5b8d-4e0f-9a61-3c2b1d0e4f55');
  });

  it('forwards an unknown responder detail-type raw', () => {
    const odd = {
      id: 'x1',
      source: 'credtrail.responder',
      'detail-type': 'Response Something New',
      detail: {},
    };

    expect(alertOf(renderEvent(odd, dryRun)).subject).toContain('Unreadable event from credtrail.responder');
  });

  it('handles a value that is not an event at all', () => {
    const alert = alertOf(renderEvent('nonsense', dryRun));

    expectValidSubject(alert.subject);
    expect(alert.key).toMatch(/^unreadable\/[0-9a-f]{32}$/);
  });
});
