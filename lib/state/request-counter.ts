import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * Counts the HTTP requests a DynamoDB client really sends, per operation. It sits in the `deserialize`
 * step, below the SDK's retry middleware, so each retried attempt counts: that is what AWS bills.
 * Used by the benchmark and by the Lambda's metrics.
 */
export class RequestCounter {
  private readonly counts = new Map<string, number>();

  attach(client: Pick<DynamoDBClient, 'middlewareStack'>): this {
    client.middlewareStack.add(
      (next, context) => (args) => {
        const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
        this.counts.set(operation, (this.counts.get(operation) ?? 0) + 1);
        return next(args);
      },
      { step: 'deserialize', name: 'credtrailRequestCounter', override: true },
    );
    return this;
  }

  get total(): number {
    let total = 0;
    for (const count of this.counts.values()) total += count;
    return total;
  }

  byOperation(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Returns the counts so far and starts again from zero (the Lambda reports per invocation). */
  take(): Record<string, number> {
    const counts = this.byOperation();
    this.counts.clear();
    return counts;
  }
}
