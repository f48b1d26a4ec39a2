import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { DetectorEnvironmentSchema } from './detector-environment';
import { createDetectorRuntime, defaultClients, type DetectorRuntime } from './detector-runtime';

export interface BatchInstruments {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/**
 * The detector Lambda's work: each SQS message on its own, in order (first origins depend on it), a
 * failing message reported back alone (partial batch response) so the others are not retried.
 */
export async function processDetectorBatch(
  event: SQSEvent,
  context: Context,
  runtime: DetectorRuntime,
  { logger, metrics }: BatchInstruments,
): Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS);
  const processRecord = async (record: SQSRecord): Promise<void> => {
    try {
      await runtime.service.processMessage(record.body);
    } catch (error) {
      logger.error('message failed, back to the queue', {
        messageId: record.messageId,
        error: error as Error,
      });
      throw error;
    }
  };
  try {
    return await processPartialResponse(event, processRecord, processor, {
      context,
      processInParallel: false,
      throwOnFullBatchFailure: false,
    });
  } finally {
    await runtime.service.sweep();
    await runtime.service.endBatch();
    const counts = runtime.service.takeCounts();
    metrics.addMetric('RecordsProcessed', MetricUnit.Count, counts.records);
    metrics.addMetric('CredentialEvents', MetricUnit.Count, counts.credentialUses + counts.deliveries);
    metrics.addMetric('FilesRead', MetricUnit.Count, counts.files - counts.skippedFiles);
    metrics.addMetric('FilesSkipped', MetricUnit.Count, counts.skippedFiles);
    metrics.addMetric('InvalidRecords', MetricUnit.Count, counts.invalidRecords);
    metrics.addMetric('Findings', MetricUnit.Count, counts.newFindings);
    metrics.addMetric('FindingUpdates', MetricUnit.Count, counts.updatedFindings);
    metrics.addMetric('DynamoDbRequests', MetricUnit.Count, runtime.dynamoRequests.total);
    // Partial-batch failures: Lambda's Errors metric never sees them (the invocation succeeds).
    metrics.addMetric('FailedMessages', MetricUnit.Count, processor.failureMessages.length);
    metrics.addMetric('SweptFindings', MetricUnit.Count, counts.sweptFindings);
    if (counts.unannouncedFindings !== undefined)
      metrics.addMetric('UnannouncedFindings', MetricUnit.Count, counts.unannouncedFindings);
    runtime.dynamoRequests.take();
  }
}

let runtime: DetectorRuntime | undefined;

/** Built on the first invocation, from a validated environment: a missing variable fails loudly. */
export function lambdaRuntime(logger: Logger): DetectorRuntime {
  runtime ??= createDetectorRuntime(DetectorEnvironmentSchema.parse(process.env), defaultClients(), {
    region: process.env['AWS_REGION'] ?? 'us-east-1',
    logger,
  });
  return runtime;
}
