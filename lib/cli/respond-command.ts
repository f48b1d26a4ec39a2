import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { FINDING_DETAIL_TYPE, FINDING_SOURCE } from '../contracts/finding-event';
import type { AuditStore } from '../responder/audit-store';
import type { AccountGateways } from '../responder/call-executor';
import { DynamoAuditStore } from '../responder/dynamo-audit-store';
import { Ec2Gateway } from '../responder/ec2-gateway';
import { FileAuditStore } from '../responder/file-audit-store';
import { IamGateway } from '../responder/iam-gateway';
import { normaliseEvent } from '../responder/incident-normaliser';
import { MemoryRateLimiter } from '../responder/rate-limiter';
import {
  parseResponseConfig,
  ResponseConfigSchema,
  type ResponseConfig,
} from '../responder/response-config-schema';
import { describeCall, type PlanStep, type ResponsePlan } from '../responder/response-plan';
import {
  respondToIncident,
  undoIncident,
  type ResponderDependencies,
  type ResponseOutcome,
  type StepOutcome,
} from '../responder/responder-service';
import { memberRoleArn } from '../aws/member-role';
import { StsGateway } from '../responder/sts-gateway';

export const RespondExitCode = { Ok: 0, NotDone: 1, Error: 2 } as const;
export const DEFAULT_AUDIT_DIR = '.credtrail-state/audit';

/** Where the commands write; the process by default, strings in tests. */
export interface RespondIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  setExitCode(code: number): void;
}

const processIo: RespondIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

interface CommonFlags {
  auditDir: string;
  auditTable?: string;
  memberRole?: string;
  json: boolean;
}

interface RespondFlags extends CommonFlags {
  enforce: boolean;
  config?: string;
  offline: boolean;
}

interface UndoFlags extends CommonFlags {
  dryRun: boolean;
}

export function registerRespondCommands(program: Command, io: RespondIo = processIo): void {
  const respond = program
    .command('respond')
    .description('Plan the response to a finding (GuardDuty or credtrail) and, with --enforce, carry it out')
    .argument(
      '<finding>',
      'an EventBridge event (GuardDuty or credtrail) or one credtrail finding detail, as JSON',
    )
    .option('--enforce', 'apply the plan (default: print it only)', false)
    .option(
      '--config <file>',
      'responder configuration JSON (mode, actions, protected, rateLimit, quarantine, pin)',
    )
    .option('--offline', 'plan from the finding alone, reading nothing from AWS (cannot be enforced)', false);
  withAuditOptions(respond).action(async (findingPath: string, flags: RespondFlags) => {
    await guarded(io, async () => {
      const config =
        flags.config === undefined
          ? ResponseConfigSchema.parse({})
          : parseResponseConfig(await readFile(flags.config, 'utf8'));
      const event = asEvent(JSON.parse(await readFile(findingPath, 'utf8')) as unknown);
      const normalised = normaliseEvent(event, {
        trustedPublisherAccounts: config.trustedPublisherAccounts,
      });
      if (!normalised.ok) {
        io.stderr.write(`refused: ${normalised.reason}\n`);
        io.setExitCode(RespondExitCode.NotDone);
        return;
      }
      const deps = cliDependencies(config, flags);
      const outcome = await respondToIncident(normalised.incident, deps, {
        mode: flags.enforce ? 'enforce' : 'dry-run',
        offline: flags.offline,
      });
      io.stdout.write(flags.json ? `${JSON.stringify(outcome, null, 2)}\n` : renderOutcome(outcome));
      const failed = outcome.status === 'failed' || outcome.steps.some((step) => step.status === 'failed');
      io.setExitCode(failed ? RespondExitCode.NotDone : RespondExitCode.Ok);
    });
  });

  const undo = program
    .command('undo')
    .description('Restore what an enforced response replaced, from its audit record')
    .argument('<incidentId>', 'the incident id printed by respond (inc-…)')
    .option('--dry-run', 'print the restoring calls without making them', false);
  withAuditOptions(undo).action(async (incidentId: string, flags: UndoFlags) => {
    await guarded(io, async () => {
      const deps = cliDependencies(ResponseConfigSchema.parse({}), flags);
      const outcome = await undoIncident(incidentId, deps, { dryRun: flags.dryRun });
      if (flags.json) io.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
      else {
        io.stdout.write(`undo ${incidentId}: ${flags.dryRun ? 'planned' : outcome.status}\n`);
        for (const step of flags.dryRun ? outcome.plannedSteps : outcome.steps)
          io.stdout.write(renderStep(step));
      }
      io.setExitCode(outcome.status === 'undo-failed' ? RespondExitCode.NotDone : RespondExitCode.Ok);
    });
  });
}

/** Where the audit trail lives and whose credentials act: the same for respond and undo. */
function withAuditOptions(command: Command): Command {
  return command
    .option('--audit-dir <dir>', 'where plans and step outcomes are recorded', DEFAULT_AUDIT_DIR)
    .option('--audit-table <name>', 'use this DynamoDB audit table instead of --audit-dir')
    .option(
      '--member-role <name>',
      "assume this role in the incident's account (default: current credentials)",
    )
    .option('--json', 'print the outcome as JSON', false);
}

async function guarded(io: RespondIo, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    io.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    io.setExitCode(RespondExitCode.Error);
  }
}

/** `credtrail detect --output jsonl` prints bare details: wrap one as the detector would publish it. */
function asEvent(raw: unknown): unknown {
  if (typeof raw === 'object' && raw !== null && 'findingId' in raw && !('detail' in raw)) {
    const detail = raw as { accountId?: unknown; region?: unknown };
    return {
      source: FINDING_SOURCE,
      'detail-type': FINDING_DETAIL_TYPE,
      account: detail.accountId,
      region: detail.region,
      detail: raw,
    };
  }
  return raw;
}

function cliDependencies(config: ResponseConfig, flags: CommonFlags): ResponderDependencies {
  const audit: AuditStore =
    flags.auditTable === undefined
      ? new FileAuditStore(flags.auditDir)
      : new DynamoAuditStore(new DynamoDBClient({}), flags.auditTable);
  return {
    config,
    responderRoleNames: flags.memberRole === undefined ? [] : [flags.memberRole],
    audit,
    // A person runs each response by hand: the hourly limit guards the unattended Lambda.
    rateLimiter: new MemoryRateLimiter(),
    // Offline the outcome is printed, not published.
    publisher: { publishPlan: () => Promise.resolve(), publishStepResult: () => Promise.resolve() },
    gatewaysFor: async (accountId, region, partition, sessionName): Promise<AccountGateways> => {
      const credentials =
        flags.memberRole === undefined
          ? undefined
          : await new StsGateway(new STSClient({ region })).assumeMemberRole(
              memberRoleArn(partition, accountId, flags.memberRole),
              sessionName,
            );
      return {
        iam: new IamGateway(new IAMClient({ region, credentials })),
        ec2: new Ec2Gateway(new EC2Client({ region, credentials })),
      };
    },
    log: new Logger({ serviceName: 'credtrail-cli', logLevel: 'WARN' }),
    now: () => new Date(),
  };
}

export function renderOutcome(outcome: ResponseOutcome): string {
  const plan: ResponsePlan | null = outcome.plan;
  if (plan === null) return `incident ${outcome.incidentId}: ${outcome.status}\n`;
  const { incident } = plan;
  const lines = [
    `incident ${outcome.incidentId} (${incident.findingSource} ${incident.findingId})`,
    `  ${incident.severity} ${incident.findingType}`,
    `  role ${incident.roleName}, instance ${incident.instanceId}, key ${incident.accessKeyId}, account ${incident.accountId} ${incident.region}`,
    `  attacker ${incident.origin.ip ?? '-'}${incident.origin.accountId ? ` (account ${incident.origin.accountId})` : ''}${incident.origin.vpcEndpointId ? ` via ${incident.origin.vpcEndpointId}` : ''}`,
    `mode ${plan.mode}, decision ${plan.decision}, status ${outcome.status}`,
    ...plan.reasons.map((reason) => `  reason: ${reason}`),
  ];
  const steps: Array<PlanStep | StepOutcome> = outcome.steps.length > 0 ? outcome.steps : plan.steps;
  return `${lines.join('\n')}\n${steps.map(renderStep).join('')}`;
}

function renderStep(step: PlanStep | StepOutcome): string {
  const where = step.accountId === undefined ? '' : ` (in account ${step.accountId})`;
  const lines = [`[${step.index}] ${step.action}${where}: ${step.status} — ${step.reason}`];
  if ('error' in step && step.error !== null) lines.push(`    error: ${step.error}`);
  for (const call of step.calls) lines.push(`    ${describeCall(call)}`);
  if (step.priorState.kind !== 'none') lines.push(`    replaces: ${JSON.stringify(step.priorState)}`);
  for (const note of step.notes) lines.push(`    note: ${note}`);
  return `${lines.join('\n')}\n`;
}
