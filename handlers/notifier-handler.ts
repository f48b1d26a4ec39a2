import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { createNotifierHandler } from '../lib/notifier/notifier-app';

// Wiring only: environment, clients and logger are built once per cold start; the work is in lib/notifier.
const logger = new Logger({ serviceName: 'credtrail-notifier' });

export const handler = middy(
  createNotifierHandler(process.env, { dynamo: new DynamoDBClient({}), sns: new SNSClient({}), logger }),
).use(injectLambdaContext(logger));
