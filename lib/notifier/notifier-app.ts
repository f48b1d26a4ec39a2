import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { Logger } from '@aws-lambda-powertools/logger';
import { parseResponseConfig } from '../responder/response-config-schema';
import { AlertLedgerGateway } from './alert-ledger-gateway';
import { NotifierEnvironmentSchema } from './notifier-environment';
import { notify, type NotifyOutcome } from './notify';
import { SnsGateway } from './sns-gateway';

export type NotifierLogger = Pick<Logger, 'info'>;

export interface NotifierClients {
  readonly dynamo: DynamoDBClient;
  readonly sns: SNSClient;
  readonly logger: NotifierLogger;
}

/**
 * Validates the environment (a bad deploy fails at cold start, loudly) and returns the function the
 * handler wraps. Clients come in from the handler, so tests pass mocked ones.
 */
export function createNotifierHandler(
  env: NodeJS.ProcessEnv,
  clients: NotifierClients,
): (event: unknown) => Promise<NotifyOutcome> {
  const environment = NotifierEnvironmentSchema.parse(env);
  const deps = {
    ledger: new AlertLedgerGateway(clients.dynamo, environment.ALERT_LEDGER_TABLE_NAME),
    publisher: new SnsGateway(clients.sns, environment.ALERT_TOPIC_ARN),
    context: {
      config: parseResponseConfig(environment.RESPONSE_CONFIG),
      severityThreshold: environment.RESPONDER_SEVERITY_THRESHOLD,
    },
    now: () => new Date(),
  };
  return async (event) => {
    const outcome = await notify(event, deps);
    clients.logger.info('notification', { outcome });
    return outcome;
  };
}
