import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DetectorStore } from '../engine/detector-store';
import { MemoryStore } from './memory-store';
import { lockStateDirectory } from './state-directory-lock';

export class InvalidStateSpecError extends Error {
  constructor(spec: string) {
    super(`--state "${spec}": expected dynamodb:TABLE or local:DIRECTORY`);
    this.name = 'InvalidStateSpecError';
  }
}

export interface StateStoreOptions {
  /** Epoch milliseconds; TTLs are set from it. */
  readonly clock?: () => number;
  /** For `dynamodb:`; defaults to the SDK's own resolution (AWS_REGION, profile). */
  readonly region?: string;
  /** For `dynamodb:` in tests: a client to use instead of a new one. */
  readonly client?: DynamoDBClient;
}

export interface OpenedStateStore {
  readonly store: DetectorStore;
  /** Writes what the store held back and releases the client or the embedded server. */
  close(): Promise<void>;
  /** For the CLI's banner: where the state lives. */
  readonly describe: string;
}

/**
 * The store behind `credtrail detect --state …`: none (memory, forgotten at exit), `dynamodb:TABLE`
 * (the deployed stack's table, shared with its Lambda) or `local:DIR` (an embedded DynamoDB-compatible
 * store on disk, kept between runs). The last two run the Lambda's own DynamoDbStore.
 */
export async function openStateStore(
  spec: string | undefined,
  options: StateStoreOptions = {},
): Promise<OpenedStateStore> {
  const clock = options.clock ?? Date.now;
  if (spec === undefined || spec === '' || spec === 'memory') {
    return {
      store: new MemoryStore(),
      close: () => Promise.resolve(),
      describe: 'in memory (forgotten at exit)',
    };
  }
  const separator = spec.indexOf(':');
  const scheme = spec.slice(0, separator);
  const target = spec.slice(separator + 1);
  if (separator <= 0 || target === '') throw new InvalidStateSpecError(spec);

  // The DynamoDB client and store load only for the specs that use them (CLI start-up, issue 15).
  if (scheme === 'dynamodb') {
    const [{ DynamoDBClient }, { DynamoDbStore }] = await Promise.all([
      import('@aws-sdk/client-dynamodb'),
      import('./dynamodb-store'),
    ]);
    const owned = options.client === undefined;
    const client =
      options.client ?? new DynamoDBClient(options.region !== undefined ? { region: options.region } : {});
    const store = new DynamoDbStore({ client, tableName: target, clock });
    return {
      store,
      describe: `DynamoDB table ${target}`,
      close: async () => {
        await store.flush();
        if (owned) client.destroy();
      },
    };
  }
  if (scheme === 'local') {
    const [{ startLocalDynamoServer }, { DynamoDbStore }] = await Promise.all([
      import('./local-store'),
      import('./dynamodb-store'),
    ]);
    // One run at a time: dynalite's database cannot be shared, and a second run would fail mid-hunt.
    const unlock = await lockStateDirectory(target);
    let server;
    try {
      server = await startLocalDynamoServer(target);
    } catch (error) {
      await unlock();
      throw error;
    }
    const running = server;
    const store = new DynamoDbStore({ client: running.client, tableName: running.tableName, clock });
    return {
      store,
      describe: `local store in ${target}`,
      close: async () => {
        try {
          await store.flush();
        } finally {
          await running.stop();
          await unlock();
        }
      },
    };
  }
  throw new InvalidStateSpecError(spec);
}
