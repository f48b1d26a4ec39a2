/**
 * Billed DynamoDB work, not requests: read and write capacity units as on-demand pricing counts them.
 * The meter asks every call for `ReturnConsumedCapacity: TOTAL` and adds up what comes back (dynalite
 * applies DynamoDB's rounding: writes per 1 KB of the larger of the old and new item, reads per 4 KB,
 * eventually consistent reads at half). Where no figure comes back it applies the same rules itself:
 *   - Scan and Query: the sum of the returned items' sizes, rounded up to 4 KB once per page, halved when
 *     eventually consistent, at least one unit's worth per page;
 *   - a write refused by its condition: billed by DynamoDB all the same; counted as 1 WCU (a lower bound:
 *     the item's size is not known from the error);
 *   - a Query or Scan page that returns nothing: dynalite reports 0, DynamoDB bills the minimum (0.5 RCU
 *     eventually consistent, 1 strongly), so the meter counts at least that per page.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

// dynalite's own implementation of DynamoDB's item-size rule (attribute names plus values).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynaliteDb = require('dynalite/db') as { itemSize: (item: Record<string, unknown>) => number };
const itemSize = (item: Record<string, unknown>): number => dynaliteDb.itemSize(item);

const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

export interface Capacity {
  readUnits: number;
  writeUnits: number;
}

interface ConsumedCapacity {
  CapacityUnits?: number;
}

export class CapacityMeter {
  private readUnits = 0;
  private writeUnits = 0;

  attach(client: Pick<DynamoDBClient, 'middlewareStack'>): this {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const operation = (context.commandName ?? '').replace(/Command$/, '');
        const input = args.input as Record<string, unknown>;
        if (READS.has(operation) || WRITES.has(operation)) input['ReturnConsumedCapacity'] = 'TOTAL';
        try {
          const result = await next(args);
          this.record(operation, input, result.output as unknown as Record<string, unknown>);
          return result;
        } catch (error) {
          if (
            WRITES.has(operation) &&
            (error as { name?: string }).name === 'ConditionalCheckFailedException'
          )
            this.writeUnits += 1;
          throw error;
        }
      },
      // Outermost: sees the final input (after the document client marshalled it) and the final output.
      { step: 'initialize', name: 'credtrailCapacityMeter', override: true },
    );
    return this;
  }

  /** Units so far, and start again from zero. */
  take(): Capacity {
    const taken = { readUnits: this.readUnits, writeUnits: this.writeUnits };
    this.readUnits = 0;
    this.writeUnits = 0;
    return taken;
  }

  private record(operation: string, input: Record<string, unknown>, output: Record<string, unknown>): void {
    const consumed = output['ConsumedCapacity'] as ConsumedCapacity | ConsumedCapacity[] | undefined;
    let units = 0;
    if (consumed !== undefined) {
      for (const entry of Array.isArray(consumed) ? consumed : [consumed]) units += entry.CapacityUnits ?? 0;
      if (operation === 'Scan' || operation === 'Query')
        units = Math.max(units, input['ConsistentRead'] === true ? 1 : 0.5);
    } else if (operation === 'Scan' || operation === 'Query') {
      const items = (output['Items'] as Record<string, unknown>[] | undefined) ?? [];
      const bytes = items.reduce((sum, item) => sum + sizeOf(item), 0);
      const consistent = input['ConsistentRead'] === true;
      units = Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);
    }
    if (READS.has(operation)) this.readUnits += units;
    else this.writeUnits += units;
  }
}

const TYPE_KEYS = new Set(['S', 'N', 'B', 'SS', 'NS', 'BS', 'M', 'L', 'NULL', 'BOOL']);

/** An item's size by DynamoDB's rule, whether it comes typed (low-level client) or plain (document client). */
function sizeOf(item: Record<string, unknown>): number {
  const first = Object.values(item)[0];
  const typed =
    typeof first === 'object' &&
    first !== null &&
    Object.keys(first).length === 1 &&
    TYPE_KEYS.has(Object.keys(first)[0] as string);
  if (typed) return itemSize(item);
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name) + valueSize(value);
  return size;
}

// Strings by their UTF-8 length, numbers about one byte per two digits plus one, booleans and null one
// byte, lists and maps three bytes plus their elements (and a map's names).
function valueSize(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number' || typeof value === 'bigint')
    return Math.ceil(String(value).replace(/[-.]/g, '').length / 2) + 1;
  if (typeof value === 'boolean' || value === null || value === undefined) return 1;
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) return [...(value as Set<unknown>)].reduce<number>((s, v) => s + valueSize(v), 0);
  if (Array.isArray(value)) return 3 + value.reduce<number>((s, v) => s + valueSize(v) + 1, 0);
  if (typeof value === 'object')
    return (
      3 +
      Object.entries(value as Record<string, unknown>).reduce(
        (s, [k, v]) => s + Buffer.byteLength(k) + valueSize(v) + 1,
        0,
      )
    );
  return 0;
}
