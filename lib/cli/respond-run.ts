// The work behind `credtrail respond` and `undo`, loaded only when one of them runs (./respond-command.ts):
// `credtrail --help` and `detect` do not pay for the responder, its AWS clients and zod schemas.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { STSClient } from '@aws-sdk/client-sts';
import { Logger } from '@aws-lambda-powertools/logger';
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
import { describeCall } from '../responder/call-description';
import type { PlanStep, ResponsePlan } from '../responder/response-plan';
import {
  respondToIncident,
  type ResponderDependencies,
  type ResponseOutcome,
  type StepOutcome,
} from '../responder/responder-service';
import { undoIncident } from '../responder/undo-service';
import {
  describeError,
  ResponseFailedError,
  RetryableResponseError,
  type ResponseStage,
} from '../responder/response-errors';
import { memberRoleArn } from '../aws/member-role';
import { StsGateway } from '../responder/sts-gateway';
import { undoThroughLambda } from './undo-via-lambda';
import {
  RespondExitCode,
  type CommonFlags,
  type RespondFlags,
  type RespondIo,
  type UndoFlags,
} from './respond-command';

/** `credtrail respond`: plan the response to one finding and, with --enforce, carry it out. */
export async function respond(findingPath: string, flags: RespondFlags, io: RespondIo): Promise<void> {
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
  let outcome: ResponseOutcome;
  try {
    outcome = await respondToIncident(normalised.incident, deps, {
      mode: flags.enforce ? 'enforce' : 'dry-run',
      offline: flags.offline,
    });
  } catch (error) {
    if (error instanceof RetryableResponseError) {
      io.stderr.write(`${retryAdvice(error)}\n`);
      io.setExitCode(RespondExitCode.Error);
      return;
    }
    if (!(error instanceof ResponseFailedError)) throw error;
    const failed = error.outcome as ResponseOutcome;
    io.stdout.write(flags.json ? `${JSON.stringify(failed, null, 2)}\n` : renderOutcome(failed));
    io.stderr.write(`response failed: ${error.reason}\n`);
    io.setExitCode(RespondExitCode.NotDone);
    return;
  }
  io.stdout.write(flags.json ? `${JSON.stringify(outcome, null, 2)}\n` : renderOutcome(outcome));
  io.setExitCode(RespondExitCode.Ok);
}

/** `credtrail undo`: restore what an enforced response replaced, here or through the responder Lambda. */
export async function undo(incidentId: string, flags: UndoFlags, io: RespondIo): Promise<void> {
  const outcome =
    flags.lambda === undefined
      ? await undoIncident(incidentId, cliDependencies(ResponseConfigSchema.parse({}), flags), {
          dryRun: flags.dryRun,
        })
      : await undoThroughLambda(new LambdaClient({}), flags.lambda, {
          action: 'undo',
          incidentId,
          dryRun: flags.dryRun,
        });
  if (outcome.status === 'refused') {
    io.stderr.write(`refused: ${outcome.reason ?? 'no reason given'}\n`);
    io.setExitCode(RespondExitCode.NotDone);
    return;
  }
  if (flags.json) io.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
  else {
    io.stdout.write(`undo ${incidentId}: ${flags.dryRun ? 'planned' : outcome.status}\n`);
    for (const step of flags.dryRun ? outcome.plannedSteps : outcome.steps) io.stdout.write(renderStep(step));
  }
  io.setExitCode(outcome.status === 'undo-failed' ? RespondExitCode.NotDone : RespondExitCode.Ok);
}

const READING_STAGES: ReadonlySet<ResponseStage> = new Set([
  'assuming the member role',
  'reading the current state',
]);

/** One line: what could not be done, that nothing blocks a later attempt, and what to do instead. */
function retryAdvice(error: RetryableResponseError): string {
  const cause = describeError(error.cause);
  if (READING_STAGES.has(error.stage))
    return (
      `error: AWS could not be read (${error.stage}: ${cause}); nothing was recorded that blocks a later ` +
      'attempt. Run again once credentials work, or with --offline to plan from the finding alone.'
    );
  return `error: the response stopped while ${error.stage} (${cause}); run the same command again to resume it.`;
}

/** Where the audit trail lives and whose credentials act: the same for respond and undo. */
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
    publisher: {
      publishPlan: () => Promise.resolve(),
      publishStepResult: () => Promise.resolve(),
      publishFailure: () => Promise.resolve(),
    },
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
    // The command says what happened itself (outcome, one-line errors); JSON logs would only repeat it.
    log: new Logger({ serviceName: 'credtrail-cli', logLevel: 'SILENT' }),
    now: () => new Date(),
    // A person runs the command again: nothing becomes final by count alone.
    maxAttempts: Number.POSITIVE_INFINITY,
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
