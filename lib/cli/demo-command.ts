import type { Command } from 'commander';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalPipelineReport } from '../demo/local-pipeline';
import { processIo, type CliIo } from './detect-command';
import { formatSummary } from './finding-text';

// The account the demo pretends the central stack runs in; the detector publishes from it.
const DEMO_CENTRAL_ACCOUNT = '555555555555';
// The real-time path is played over the sample's first 40 minutes: one planted theft happens in them.
const DEMO_REALTIME_MINUTES = 40;

export function registerDemoCommand(program: Command, io: CliIo = processIo): void {
  program
    .command('demo')
    .description('Run the whole pipeline on bundled sample data and print what on-call would receive')
    .option(
      '--sample-dir <dir>',
      'cloudtrail/, inventory/, exceptions.json and guardduty/ events',
      'sample-data',
    )
    .action(async (flags: { sampleDir: string }) => {
      try {
        // The whole pipeline (responder, AWS SDK types, zod) loads only when the demo runs.
        const [{ runLocalPipeline }, { DEFAULT_RESPONDER_SEVERITY_THRESHOLD }, { ResponseConfigSchema }] =
          await Promise.all([
            import('../demo/local-pipeline'),
            import('../infra/event-patterns'),
            import('../responder/response-config-schema'),
          ]);
        const guardDutyDir = join(flags.sampleDir, 'guardduty');
        const guardDutyEvents = (await readdir(guardDutyDir).catch(() => []))
          .filter((name) => name.endsWith('.json'))
          .map((name) => join(guardDutyDir, name));
        const report = await runLocalPipeline({
          sampleDir: flags.sampleDir,
          guardDutyEvents,
          config: ResponseConfigSchema.parse({ trustedPublisherAccounts: [DEMO_CENTRAL_ACCOUNT] }),
          severityThreshold: DEFAULT_RESPONDER_SEVERITY_THRESHOLD,
          centralAccountId: DEMO_CENTRAL_ACCOUNT,
          now: () => new Date(),
          realtimeMinutes: DEMO_REALTIME_MINUTES,
        });
        io.stdout.write(formatDemo(report, flags.sampleDir, guardDutyEvents.length));
        io.setExitCode(0);
      } catch (error) {
        io.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
        io.setExitCode(2);
      }
    });
}

export function formatDemo(report: LocalPipelineReport, sampleDir: string, guardDutyEvents: number): string {
  const routed = (target: string) =>
    report.busEvents.filter((event) => event.targets.includes(target as never)).length;
  const rule = '='.repeat(78);
  const lines = [
    `credtrail demo: the whole pipeline on ${sampleDir}/, in one process, in dry-run. Nothing is sent or changed.`,
    '',
    ...formatRealtime(report),
    `1. Detector over the CloudTrail files (the Lambda's engine):`,
    ...formatSummary(report.detection)
      .split('\n')
      .map((line) => `   ${line}`),
    `   plus ${guardDutyEvents} GuardDuty finding event(s) put on the default bus and forwarded by the stack's rule.`,
    `2. The stack's EventBridge rules routed ${report.busEvents.length} events on the credtrail bus: ` +
      `${routed('notifier')} to the notifier, ${routed('responder')} to the responder.`,
    `3. Responder (dry-run): ${report.plans.length} plan(s) recorded and announced` +
      (report.refused.length > 0
        ? `, ${report.refused.length} event(s) refused: ${report.refused.join('; ')}`
        : '') +
      '.',
    `4. What on-call receives: ${report.emails.length} email(s), one per finding and one per response plan.`,
    '',
  ];
  report.emails.forEach((email, index) => {
    lines.push(
      rule,
      `Email ${index + 1} of ${report.emails.length}`,
      `Subject: ${email.subject}`,
      rule,
      email.body,
      '',
    );
  });
  return `${lines.join('\n')}\n`;
}

/**
 * Step 0: what the real-time path found before the log files came, and what the files then added (a
 * call both paths brought counts once).
 */
function formatRealtime(report: LocalPipelineReport): string[] {
  const realtime = report.realtime;
  if (realtime === undefined) return [];
  const clock = (iso: string) => iso.slice(11, 19);
  const minutes = Math.round((Date.parse(realtime.until) - Date.parse(realtime.from)) / 60_000);
  const lines = [
    `0. Real-time path over the sample's first ${minutes} minutes (${clock(realtime.from)}–${clock(realtime.until)} UTC): the member`,
    `   rules forwarded ${realtime.forwarded} calls made with instance credentials as EventBridge events, one queue`,
    `   message each, judged by another detector container over the same state.`,
    `   ${realtime.arrivals.length} finding(s) arrived before any log file was read:`,
  ];
  for (const arrival of realtime.arrivals) {
    const final = report.detection.findings.find((f) => f.findingId === arrival.detail.findingId);
    const live = arrival.detail.eventCount;
    const total = final?.eventCount ?? live;
    const added =
      total === live
        ? 'the log files brought them again and added none'
        : `the log files added ${total - live} it had not forwarded`;
    lines.push(
      `   ${arrival.detail.severity.padEnd(6)} ${arrival.detail.title}`,
      `          from ${arrival.source}, as its call (${clock(arrival.callTime)}) arrived` +
        (arrival.fileDelivered === null ? '' : `; its log file came at ${clock(arrival.fileDelivered)}`),
      `          ${live} call(s) counted then; ${added}: ${total} in all, each call once`,
    );
  }
  return lines;
}
