import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { STSClient } from '@aws-sdk/client-sts';
import middy from '@middy/core';
import { logger } from '../lib/responder/observability';
import { parseResponseConfig } from '../lib/responder/response-config-schema';
import { ResponderEnvironmentSchema } from '../lib/responder/responder-environment';
import { createResponderDependencies, makeIdempotentResponder } from '../lib/responder/responder-lambda';

// Wiring only: environment, clients and dependencies are built once per cold start; the work is in lib/responder.
const env = ResponderEnvironmentSchema.parse(process.env);
const dynamo = new DynamoDBClient({});
const deps = createResponderDependencies(
  env,
  parseResponseConfig(env.RESPONSE_CONFIG),
  { sts: new STSClient({}), eventBridge: new EventBridgeClient({}), dynamo },
  logger,
);

export const handler = middy(
  makeIdempotentResponder({ deps, idempotencyTableName: env.IDEMPOTENCY_TABLE_NAME, dynamo }),
).use(injectLambdaContext(logger));
