import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** One AWS call, as the fault switch sees it. */
export interface Call {
  readonly service: 'S3' | 'DynamoDB' | 'EventBridge' | 'Logs' | 'STS' | 'EC2';
  readonly command: string;
  /** S3 key; DynamoDB partition key (of the first item for batch calls). */
  readonly target?: string;
  /** DynamoDB UpdateExpression. */
  readonly expression?: string;
  /** BatchWriteItem: what it writes. */
  readonly writes?: 'put' | 'delete';
  readonly table?: string;
}

/** A call site of the detector, one row of the fault table. */
export interface Site {
  readonly name: string;
  matches(call: Call): boolean;
  /**
   * A persistent fault here fails the message (back to the queue, then the DLQ). The others are
   * absorbed: a degraded finding (enrichment), a repeated announcement (bookkeeping), a later sweep.
   */
  readonly failsMessage: boolean;
  /** The fault makes the bus carry a finding twice (the case downstream dedupe exists for). */
  readonly duplicates?: boolean;
  /** A metric a persistent fault here must raise (its alarm), beside FailedMessages. */
  readonly alarm?: string;
  /** EventBridge only: throw, or answer 200 with every entry refused. */
  readonly failure?: 'throw' | 'failed-entries';
}

/** The one fault armed at a time: its first matching call fails (once) or every one until healed. */
class FaultSwitch {
  site: Site | undefined;
  private persistent = false;
  /** Calls the fault failed: a case whose fault never fired proves nothing. */
  fired = 0;

  arm(site: Site, persistent: boolean): void {
    this.site = site;
    this.persistent = persistent;
    this.fired = 0;
  }

  heal(): void {
    this.site = undefined;
  }

  shouldFail(call: Call): boolean {
    if (this.site === undefined || !this.site.matches(call)) return false;
    if (!this.persistent && this.fired > 0) return false;
    this.fired++;
    return true;
  }
}

export const faults = new FaultSwitch();

// The document client hands the base client marshalled values ({ S: "…" }), or plain ones depending on
// where in the middleware stack one looks.
function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const marshalled = value as { S?: unknown } | undefined;
  return typeof marshalled?.S === 'string' ? marshalled.S : undefined;
}

interface DynamoInput {
  TableName?: string;
  Key?: Record<string, unknown>;
  Item?: Record<string, unknown>;
  UpdateExpression?: string;
  ExpressionAttributeValues?: Record<string, unknown>;
  RequestItems?: Record<
    string,
    | { DeleteRequest?: { Key?: Record<string, unknown> }; PutRequest?: { Item?: Record<string, unknown> } }[]
    | { Keys?: Record<string, unknown>[] }
  >;
}

function describeDynamoCall(command: string, input: DynamoInput): Call {
  const [table, requests] = Object.entries(input.RequestItems ?? {})[0] ?? [];
  if (Array.isArray(requests)) {
    const first = requests[0];
    return {
      service: 'DynamoDB',
      command,
      table,
      writes: first?.DeleteRequest !== undefined ? 'delete' : 'put',
      target: text((first?.DeleteRequest?.Key ?? first?.PutRequest?.Item)?.['pk']),
    };
  }
  if (requests !== undefined) {
    return { service: 'DynamoDB', command, table, target: text(requests.Keys?.[0]?.['pk']) };
  }
  const values = input.ExpressionAttributeValues ?? {};
  return {
    service: 'DynamoDB',
    command,
    ...(input.TableName !== undefined ? { table: input.TableName } : {}),
    target: text((input.Key ?? input.Item)?.['pk']) ?? text(values[':outbox']),
    ...(input.UpdateExpression !== undefined ? { expression: input.UpdateExpression } : {}),
  };
}

/**
 * Fails DynamoDB calls the armed fault matches, as ProvisionedThroughputExceeded, before the SDK's
 * retries (the client has maxAttempts 1: what the SDK would retry is not what this suite tests).
 */
export function injectDynamoFaults(client: DynamoDBClient): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = (context.commandName ?? '').replace(/Command$/, '');
      if (faults.shouldFail(describeDynamoCall(command, args.input as DynamoInput))) {
        throw Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
          name: 'ProvisionedThroughputExceededException',
          $metadata: {},
        });
      }
      return next(args);
    },
    { step: 'build', name: 'faultInjection' },
  );
}
