import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context, SQSEvent } from 'aws-lambda';
import { lambdaRuntime, processDetectorBatch } from '../lib/detector/detector-batch';
import { logger, metrics } from '../lib/detector/observability';

export const handler = middy((event: SQSEvent, context: Context) =>
  processDetectorBatch(event, context, lambdaRuntime(logger), { logger, metrics }),
)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
