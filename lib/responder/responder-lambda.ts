import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import type { STSClient } from '@aws-sdk/client-sts';
import type { Context } from 'aws-lambda';
import type { ResponseMode } from '../contracts/response-event';
import { DynamoAuditStore } from './dynamo-audit-store';
import { EventBusGateway } from './event-bus-gateway';
import { IamGateway } from './iam-gateway';
import { normaliseEvent } from './incident-normaliser';
import { DynamoRateLimiter } from './rate-limiter';
import type { ResponseConfig } from './response-config-schema';
import type { ResponderEnvironment } from './responder-environment';
import { respondToIncident, type ResponderDependencies, type ResponseOutcome } from './responder-service';
import { memberRoleArn } from '../aws/member-role';
import { StsGateway } from './sts-gateway';
import { looksLikeUndoRequest, processUndoRequest, type UndoResponse } from './undo-request';

export interface ResponderClients {
  sts: STSClient;
  eventBridge: EventBridgeClient;
  dynamo: DynamoDBClient;
}

/** Production wiring from the validated environment; every client is injected. */
export function createResponderDependencies(
  env: ResponderEnvironment,
  config: ResponseConfig,
  clients: ResponderClients,
  log: Logger,
  now: () => Date = () => new Date(),
): ResponderDependencies {
  const sts = new StsGateway(clients.sts);
  return {
    config,
    responderRoleNames: [env.MEMBER_RESPONSE_ROLE_NAME],
    audit: new DynamoAuditStore(clients.dynamo, env.AUDIT_TABLE_NAME),
    rateLimiter: new DynamoRateLimiter(clients.dynamo, env.AUDIT_TABLE_NAME),
    publisher: new EventBusGateway(clients.eventBridge, env.EVENT_BUS_NAME),
    gatewaysFor: async (accountId, region, partition, sessionName) => {
      const credentials = await sts.assumeMemberRole(
        memberRoleArn(partition, accountId, env.MEMBER_RESPONSE_ROLE_NAME),
        sessionName,
      );
      // The EC2 client loads at the first response, not at cold start: it is the runtime's own SDK
      // (left out of the bundle, lib/infra/lambda-bundling.ts) and the largest client by far.
      const [{ EC2Client }, { Ec2Gateway }] = await Promise.all([
        import('@aws-sdk/client-ec2'),
        import('./ec2-gateway'),
      ]);
      return {
        iam: new IamGateway(new IAMClient({ region, credentials })),
        ec2: new Ec2Gateway(new EC2Client({ region, credentials })),
      };
    },
    log,
    now,
  };
}

export interface ResponderResult {
  status: ResponseOutcome['status'] | 'refused';
  incidentId: string | null;
  reason: string | null;
}

/** The work of one invocation: validate, normalise, respond. Exported apart from the middleware. */
export async function processResponderEvent(
  event: unknown,
  deps: ResponderDependencies,
): Promise<ResponderResult> {
  const normalised = normaliseEvent(event, {
    trustedPublisherAccounts: deps.config.trustedPublisherAccounts,
  });
  if (!normalised.ok) {
    // Never acted on; logged so a forged or malformed finding leaves a trace.
    deps.log.warn('event refused', { reason: normalised.reason });
    return { status: 'refused', incidentId: null, reason: normalised.reason };
  }
  const outcome = await respondToIncident(normalised.incident, deps);
  return {
    status: outcome.status,
    incidentId: outcome.incidentId,
    reason: outcome.plan?.reasons.join('; ') ?? null,
  };
}

export interface IdempotentResponderOptions {
  deps: ResponderDependencies;
  idempotencyTableName: string;
  dynamo: DynamoDBClient;
}

/** GuardDuty re-sends one finding id every 6 h by default: keep idempotency records longer than that. */
export const IDEMPOTENCY_EXPIRY_SECONDS = 7 * 24 * 3600;

/** What the idempotency key is computed from: the mode travels with the event. */
interface KeyedEvent {
  mode: ResponseMode;
  event: unknown;
}

/**
 * The Lambda function body, idempotent on the finding and the mode: EventBridge delivers at least once,
 * and the key (mode + source + detail-type + GuardDuty `id` or credtrail `findingId` + chain version) makes re-deliveries and
 * GuardDuty's periodic re-sends return the first result, while a dry-run answer is never replayed after
 * the mode is switched to enforce. Only settled results are returned, so only they are cached: a
 * failed attempt throws (Powertools keeps no record of it) and Lambda retries it, then sends it to the
 * on-failure destination. (middy, ESM-only, is applied in the handler file.)
 */
export function makeIdempotentResponder(options: IdempotentResponderOptions) {
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: options.idempotencyTableName,
    awsSdkV3Client: options.dynamo,
  });
  const config = new IdempotencyConfig({
    // Issue 17: a chain-growth update is keyed by its chain version (and apart from the first
    // announcement by its detail-type): a redelivered version returns the first result, a new one is
    // planned. GuardDuty events carry neither version nor a changing detail-type.
    eventKeyJmesPath:
      '[mode, event.source, event."detail-type", event.detail.id || event.detail.findingId, event.detail.chainVersion]',
    expiresAfterSeconds: IDEMPOTENCY_EXPIRY_SECONDS,
  });
  const respond = makeIdempotent(
    async (keyed: KeyedEvent, _context: Context): Promise<ResponderResult> =>
      processResponderEvent(keyed.event, options.deps),
    { persistenceStore, config },
  );
  // An operator's undo (direct invocation) is not a finding: it has its own checks and is idempotent
  // by the incident's status.
  return async (event: unknown, context: Context): Promise<ResponderResult | UndoResponse> =>
    looksLikeUndoRequest(event)
      ? processUndoRequest(event, options.deps)
      : respond({ mode: options.deps.config.mode, event }, context);
}
