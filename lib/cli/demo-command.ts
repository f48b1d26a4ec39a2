import type { Command } from 'commander';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalPipelineReport } from '../demo/local-pipeline';
import { processIo, type CliIo } from './detect-command';
import { formatSummary } from './finding-text';

// The account the demo pretends the central stack runs in; the detector publishes from it.
const DEMO_CENTRAL_ACCOUNT = '555555555555';

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
