import { join } from 'node:path';
import { Command } from 'commander';
import expected from '../../sample-data/expected-findings.json';
import { registerDemoCommand } from '../../lib/cli/demo-command';
import type { CliIo } from '../../lib/cli/detect-command';
import { runLocalPipeline } from '../../lib/demo/local-pipeline';
import { DEFAULT_RESPONDER_SEVERITY_THRESHOLD } from '../../lib/infra/event-patterns';
import { ResponseConfigSchema } from '../../lib/responder/response-config-schema';

const SAMPLE = join(__dirname, '../../sample-data');
const GUARDDUTY = join(SAMPLE, 'guardduty/instance-credential-exfiltration-outside-aws.json');
const CENTRAL = '555555555555';

function pipeline(guardDutyEvents: string[] = [GUARDDUTY], realtimeMinutes?: number) {
  return runLocalPipeline({
    sampleDir: SAMPLE,
    guardDutyEvents,
    config: ResponseConfigSchema.parse({ trustedPublisherAccounts: [CENTRAL] }),
    severityThreshold: DEFAULT_RESPONDER_SEVERITY_THRESHOLD,
    centralAccountId: CENTRAL,
    now: () => new Date('2025-03-14T12:00:00Z'),
    ...(realtimeMinutes === undefined ? {} : { realtimeMinutes }),
  });
}

describe('the local pipeline on the bundled sample', () => {
  it('emails every finding once, plans a dry-run response to each finding at or above the threshold', async () => {
    const report = await pipeline();

    const findings = report.detection.findings;
    const highEnough = findings.filter((f) => f.severityScore >= DEFAULT_RESPONDER_SEVERITY_THRESHOLD);
    expect(findings).toHaveLength(expected.thefts.length + expected.imdsv1Instances.length);
    // One email per finding (detector and GuardDuty) and one per response plan.
    expect(report.plans).toHaveLength(highEnough.length + 1);
    expect(report.emails).toHaveLength(findings.length + 1 + report.plans.length);
    expect(report.plans.every((plan) => plan.mode === 'dry-run')).toBe(true);
    expect(report.refused).toEqual([]);
    for (const finding of findings) {
      expect(report.emails.some((email) => email.body.includes(finding.findingId))).toBe(true);
    }
    for (const email of report.emails) expect(email.subject.length).toBeLessThanOrEqual(100);
  });

  it('routes GuardDuty through the forwarding rule to both the notifier and the responder', async () => {
    const report = await pipeline();

    const guardDuty = report.busEvents.filter((event) => event.source === 'aws.guardduty');
    expect(guardDuty).toEqual([
      { source: 'aws.guardduty', detailType: 'GuardDuty Finding', targets: ['notifier', 'responder'] },
    ]);
    expect(report.emails.some((email) => email.subject.includes('GuardDuty'))).toBe(true);
  });

  it('sends a LOW finding to the notifier only', async () => {
    const report = await pipeline([]);

    const low = report.busEvents.filter(
      (event, index) => report.detection.findings[index]?.severity === 'LOW',
    );
    expect(low.length).toBeGreaterThan(0);
    expect(low.every((event) => event.targets.join() === 'notifier')).toBe(true);
  });

  it('shows a theft arriving by the real-time path first, the files adding none of its calls twice', async () => {
    const filesOnly = await pipeline([]);
    const withRealtime = await pipeline([], 40);

    const theft = expected.thefts.find((t) => t.label === 'outside-aws');
    const arrivals = withRealtime.realtime?.arrivals ?? [];
    expect(arrivals.map((a) => [a.detail.instanceId, a.detail.sourceIp])).toEqual([
      [theft?.instanceId, theft?.sourceIp],
    ]);
    expect(arrivals[0]?.source).toMatch(/^eventbridge:[0-9a-f-]{36}$/);
    expect(Date.parse(arrivals[0]?.callTime ?? '')).toBeLessThan(
      Date.parse(arrivals[0]?.fileDelivered ?? ''),
    );
    // Every finding, the real-time one included, at the count the files alone give: nothing twice.
    const counts = (findings: { findingId: string; eventCount: number }[]) =>
      findings.map((f) => `${f.findingId} ${f.eventCount}`).sort();
    expect(counts(withRealtime.detection.findings)).toEqual(counts(filesOnly.detection.findings));
    const final = withRealtime.detection.findings.find((f) => f.findingId === arrivals[0]?.detail.findingId);
    expect(final?.eventCount).toBe(theft?.eventCount);
    expect(withRealtime.emails).toHaveLength(filesOnly.emails.length);
  });

  it('is the command behind npm run demo, and reads well', async () => {
    let stdout = '';
    let exitCode: number | undefined;
    const io: CliIo = {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: () => true },
      setExitCode: (code) => (exitCode = code),
    };
    const program = new Command('credtrail').exitOverride();
    registerDemoCommand(program, io);

    await program.parseAsync(['node', 'credtrail', 'demo', '--sample-dir', SAMPLE]);

    expect(exitCode).toBe(0);
    expect(stdout).toMatch(
      /^credtrail demo: the whole pipeline on .*sample-data\/, in one process, in dry-run/,
    );
    expect(stdout).toMatch(/Email 1 of \d+\nSubject: \[credtrail\] HIGH/);
    expect(stdout).toContain('WHAT CREDTRAIL DOES');
    expect(stdout).toMatch(/0\. Real-time path over the sample's first 40 minutes/);
    expect(stdout).toMatch(/HIGH {3}Instance credentials of .*\n {10}from eventbridge:/);
    expect(stdout).toContain('added none: 4 in all, each call once');
  });
});
