import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { ensureTable, stateTableDefinition } from './state-table';

// dynalite ships no types; this is the part of its API we use.
interface DynaliteServer {
  listen(port: number, host: string, callback: (error?: Error) => void): void;
  close(callback: (error?: Error) => void): void;
  address(): AddressInfo | string | null;
}
type CreateDynalite = (options: {
  path?: string;
  createTableMs: number;
  deleteTableMs: number;
  updateTableMs: number;
}) => DynaliteServer;

export const LOCAL_STATE_TABLE = 'credtrail-state';

export interface LocalDynamoServer {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  stop(): Promise<void>;
}

/**
 * An embedded DynamoDB-compatible server (dynalite, LevelDB files under `directory`, else memory) on a free
 * loopback port, with the state table created on first use. The CLI's `--state local:DIR` runs the very
 * store code the Lambda runs against it, so state kept on a laptop behaves like state in AWS.
 */
export async function startLocalDynamoServer(directory?: string): Promise<LocalDynamoServer> {
  // Not recursive: Node's recursive mkdir never returns under /proc. The CLI creates it (and locks it).
  if (directory !== undefined) await mkdir(directory).catch(ignoreExisting);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dynalite = require('dynalite') as CreateDynalite;
  // Without a directory dynalite keeps everything in memory (the benchmark's choice).
  const server = dynalite({
    ...(directory !== undefined ? { path: directory } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) =>
    server.listen(0, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
  );
  const { port } = server.address() as AddressInfo;
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'local',
    // dynalite checks that requests are signed, not by whom.
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const stop = async () => {
    client.destroy();
    await new Promise<void>((resolve, reject) =>
      server.close((error) => (error ? reject(error) : resolve())),
    );
  };
  try {
    await ensureTable(client, stateTableDefinition(LOCAL_STATE_TABLE));
  } catch (error) {
    await stop();
    throw error;
  }
  return { client, tableName: LOCAL_STATE_TABLE, stop };
}

function ignoreExisting(error: NodeJS.ErrnoException): void {
  if (error.code !== 'EEXIST') throw error;
}
