import { S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDetection, type DetectionReport } from '../cli/detect-run';
import { FINDING_DETAIL_TYPE, FINDING_SOURCE, type FindingDetail } from '../contracts/finding-event';
import type {
  ResponseFailedDetail,
  ResponsePlanDetail,
  ResponseStepResultDetail,
} from '../contracts/response-event';
import { RESPONSE_SOURCE, ResponseDetailType } from '../contracts/response-event';
import { ExceptionList, parseExceptions } from '../engine/credential-exception';
import { matchesEventPattern } from '../infra/event-pattern-matcher';
import { GUARDDUTY_EXFILTRATION_PATTERN, credtrailBusRoutes, type BusTarget } from '../infra/event-patterns';
import type { AlertLedger } from '../notifier/alert-ledger-gateway';
import { notify } from '../notifier/notify';
import { InventoryDirectory } from '../inventory/inventory-directory';
import { FileAuditStore } from '../responder/file-audit-store';
import { normaliseEvent } from '../responder/incident-normaliser';
import { MemoryRateLimiter } from '../responder/rate-limiter';
import type { ResponseConfig } from '../responder/response-config-schema';
import { respondToIncident, type ResponderDependencies } from '../responder/responder-service';
import { MemoryStore } from '../state/memory-store';
import { playRealtimePath, type RealtimeReport } from './realtime-feed';

export interface LocalPipelineOptions {
  /** A folder laid out like sample-data/: cloudtrail/, inventory/, exceptions.json. */
  readonly sampleDir: string;
  /** GuardDuty finding events (as EventBridge delivers them) put on the default bus. */
  readonly guardDutyEvents: readonly string[];
  readonly config: ResponseConfig;
  readonly severityThreshold: number;
  /** The account the stack runs in: the detector publishes from it. */
  readonly centralAccountId: string;
  readonly now: () => Date;
  /**
   * Play the real-time path over the sample's first minutes before the files (realtime-feed.ts), so
   * that its findings arrive first and the files are seen to add none of its calls twice.
   */
  readonly realtimeMinutes?: number;
}

export interface Email {
  readonly subject: string;
  readonly body: string;
}

export interface PipelineEvent {
  readonly source: string;
  readonly detailType: string;
  /** The targets of the rules that matched it. */
  readonly targets: readonly BusTarget[];
}

export interface LocalPipelineReport {
  /** What the real-time path found before the files arrived (when it was played). */
  readonly realtime?: RealtimeReport;
  readonly detection: DetectionReport;
  readonly busEvents: readonly PipelineEvent[];
  readonly emails: readonly Email[];
  readonly plans: readonly ResponsePlanDetail[];
  /** Events the responder refused, with its reason. */
  readonly refused: readonly string[];
}

interface BusEvent {
  readonly version: '0';
  readonly id: string;
  readonly source: string;
  readonly 'detail-type': string;
  readonly account: string;
  readonly region: string;
  readonly time: string;
  readonly resources: readonly string[];
  readonly detail: unknown;
}

/**
 * The whole pipeline in one process, with the deployed parts wherever they can run locally: the
 * detector over the CloudTrail files, the stack's own rules routing each event, the notifier rendering
 * the emails on-call would get, and the responder planning in dry-run without touching AWS.
 */
export async function runLocalPipeline(options: LocalPipelineOptions): Promise<LocalPipelineReport> {
  const inventory = await InventoryDirectory.load(join(options.sampleDir, 'inventory'));
  const exceptions = parseExceptions(
    JSON.parse(await readFile(join(options.sampleDir, 'exceptions.json'), 'utf8')) as unknown,
    'exceptions.json',
  );
  // One store for both paths, as the Lambda's two queues share one table.
  const store = new MemoryStore();
  const clock = () => options.now().getTime();
  const s3 = () => new S3Client({});
  const realtime =
    options.realtimeMinutes === undefined
      ? undefined
      : await playRealtimePath({
          cloudtrailDir: join(options.sampleDir, 'cloudtrail'),
          minutes: options.realtimeMinutes,
          store,
          networks: inventory,
          exceptions: new ExceptionList(exceptions),
          trustedAccounts: inventory.ownerAccounts,
          clock,
          s3,
        });
  const detection = await runDetection({
    paths: [join(options.sampleDir, 'cloudtrail')],
    store,
    networks: inventory,
    exceptions: new ExceptionList(exceptions),
    trustedAccounts: inventory.ownerAccounts,
    trustRecipientAccounts: true,
    reorderWindowMs: 3_600_000,
    clock,
    s3,
  });

  const auditDir = await mkdtemp(join(tmpdir(), 'credtrail-demo-'));
  const queue: BusEvent[] = detection.findings.map((finding) =>
    findingEvent(finding, options.centralAccountId),
  );
  for (const path of options.guardDutyEvents) {
    const event = JSON.parse(await readFile(path, 'utf8')) as BusEvent;
    // The default bus's forwarding rule decides whether GuardDuty's event reaches the credtrail bus.
    if (matchesEventPattern(GUARDDUTY_EXFILTRATION_PATTERN, event)) queue.push(event);
  }

  const emails: Email[] = [];
  const plans: ResponsePlanDetail[] = [];
  const refused: string[] = [];
  const busEvents: PipelineEvent[] = [];
  const notifierDeps = {
    ledger: new MemoryAlertLedger(),
    publisher: {
      publish: (message: Email) => {
        emails.push(message);
        return Promise.resolve(undefined);
      },
    },
    context: { config: options.config, severityThreshold: options.severityThreshold },
    now: options.now,
  };
  const responderDeps: ResponderDependencies = {
    config: options.config,
    responderRoleNames: [],
    audit: new FileAuditStore(auditDir),
    rateLimiter: new MemoryRateLimiter(),
    publisher: {
      publishPlan: (detail: ResponsePlanDetail) => {
        plans.push(detail);
        queue.push(responseEvent(ResponseDetailType.Plan, detail, options.centralAccountId, options.now()));
        return Promise.resolve();
      },
      publishStepResult: (detail: ResponseStepResultDetail) => {
        queue.push(
          responseEvent(ResponseDetailType.StepResult, detail, options.centralAccountId, options.now()),
        );
        return Promise.resolve();
      },
      publishFailure: (detail: ResponseFailedDetail) => {
        queue.push(responseEvent(ResponseDetailType.Failed, detail, options.centralAccountId, options.now()));
        return Promise.resolve();
      },
    },
    gatewaysFor: () => Promise.reject(new Error('the local demo never calls AWS')),
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    now: options.now,
  };

  try {
    const routes = credtrailBusRoutes(options.severityThreshold);
    for (let event = queue.shift(); event !== undefined; event = queue.shift()) {
      const targets = routes
        .filter((route) => matchesEventPattern(route.pattern, event))
        .map((route) => route.target);
      busEvents.push({ source: event.source, detailType: event['detail-type'], targets });
      if (targets.includes('notifier')) await notify(event, notifierDeps);
      if (targets.includes('responder')) {
        const normalised = normaliseEvent(event, {
          trustedPublisherAccounts: options.config.trustedPublisherAccounts,
        });
        if (!normalised.ok) refused.push(normalised.reason);
        else await respondToIncident(normalised.incident, responderDeps, { mode: 'dry-run', offline: true });
      }
    }
  } finally {
    await rm(auditDir, { recursive: true, force: true });
  }
  return { ...(realtime === undefined ? {} : { realtime }), detection, busEvents, emails, plans, refused };
}

function findingEvent(finding: FindingDetail, account: string): BusEvent {
  return {
    version: '0',
    id: randomUUID(),
    source: FINDING_SOURCE,
    'detail-type': FINDING_DETAIL_TYPE,
    account,
    region: finding.region,
    time: finding.lastSeen,
    resources: [],
    detail: finding,
  };
}

function responseEvent(detailType: string, detail: unknown, account: string, now: Date): BusEvent {
  return {
    version: '0',
    id: randomUUID(),
    source: RESPONSE_SOURCE,
    'detail-type': detailType,
    account,
    region: 'local',
    time: now.toISOString(),
    resources: [],
    detail,
  };
}

/** The notifier's ledger, in memory: one email per finding, as in the account. */
class MemoryAlertLedger implements AlertLedger {
  private readonly sent = new Set<string>();

  claim(key: string): Promise<boolean> {
    if (this.sent.has(key)) return Promise.resolve(false);
    this.sent.add(key);
    return Promise.resolve(true);
  }

  markSent(): Promise<void> {
    return Promise.resolve();
  }

  release(key: string): Promise<void> {
    this.sent.delete(key);
    return Promise.resolve();
  }

  private readonly chains = new Map<string, Set<string>>();

  chainSeen(findingId: string): Promise<ReadonlySet<string>> {
    return Promise.resolve(this.chains.get(findingId) ?? new Set());
  }

  recordChainSeen(findingId: string, ids: readonly string[]): Promise<void> {
    this.chains.set(findingId, new Set([...(this.chains.get(findingId) ?? []), ...ids]));
    return Promise.resolve();
  }
}
