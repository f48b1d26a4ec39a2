import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExceptionList } from '../../lib/engine/credential-exception';
import { Detector } from '../../lib/engine/detector';
import type { DetectorStore, NetworkDirectory, NetworkLookup } from '../../lib/engine/detector-store';
import { DynamoDbStore } from '../../lib/state/dynamodb-store';
import { MemoryStore } from '../../lib/state/memory-store';
import { InvalidStateSpecError, openStateStore } from '../../lib/state/state-spec';
import { StateDirectoryBusyError, StateDirectoryError } from '../../lib/state/state-directory-lock';
import { ensureTable, stateTableDefinition } from '../../lib/state/state-table';
import { toEvents, useRecord } from '../fixtures/detector/cloudtrail-records';
import { startLocalDynamo } from '../support/dynalite';

const clock = () => Date.parse('2024-08-02T09:00:00Z');
const noNetworks: NetworkDirectory = { lookup: () => Promise.resolve(new Map<string, NetworkLookup>()) };

function run(store: DetectorStore, sourceIp: string, eventId: string) {
  const detector = new Detector({
    store,
    networks: noNetworks,
    exceptions: new ExceptionList([]),
    trustedAccounts: new Set(),
    clock,
  });
  return detector.process(
    toEvents([useRecord({ eventId, accessKeyId: 'ASIALAPTOP', instanceId: 'i-0laptop', sourceIp })]),
  );
}

describe('openStateStore', () => {
  it('keeps state in memory when no spec is given', async () => {
    // Act
    const opened = await openStateStore(undefined);

    // Assess
    expect(opened.store).toBeInstanceOf(MemoryStore);
    await opened.close();
  });

  it('keeps state between runs in a local directory', async () => {
    // Prepare
    const directory = await mkdtemp(join(tmpdir(), 'credtrail-state-'));
    try {
      const first = await openStateStore(`local:${directory}`, { clock });
      await run(first.store, '203.0.113.10', 'e-1').finally(() => first.close());

      // Act: a second run, a new process in real life, sees the first origin of the first run
      const second = await openStateStore(`local:${directory}`, { clock });
      const result = await run(second.store, '198.51.100.7', 'e-2').finally(() => second.close());

      // Assess
      expect(second.describe).toBe(`local store in ${directory}`);
      expect(result.findings[0]?.detail.expected.firstOrigin).toBe('203.0.113.10');
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('refuses a second run on a busy local directory with a clear error, and frees it on close', async () => {
    // Prepare
    const directory = await mkdtemp(join(tmpdir(), 'credtrail-state-'));
    try {
      const first = await openStateStore(`local:${directory}`, { clock });

      // Act
      const second = openStateStore(`local:${directory}`, { clock });

      // Assess
      await expect(second).rejects.toThrow(StateDirectoryBusyError);
      await expect(second).rejects.toThrow(`in use by another credtrail run (pid ${process.pid})`);
      await first.close();
      const third = await openStateStore(`local:${directory}`, { clock });
      await third.close();
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('treats a fresh empty lock as a run starting up, and takes over an old one', async () => {
    // Prepare: a lock file created by a run that has not written its pid yet.
    const directory = await mkdtemp(join(tmpdir(), 'credtrail-state-'));
    try {
      await writeFile(join(directory, 'credtrail.lock'), '');

      // Act
      const starting = openStateStore(`local:${directory}`, { clock });
      await expect(starting).rejects.toThrow(StateDirectoryBusyError);
      const anHourAgo = new Date(Date.now() - 3600_000);
      await utimes(join(directory, 'credtrail.lock'), anHourAgo, anHourAgo);
      const later = await openStateStore(`local:${directory}`, { clock });

      // Assess
      await later.close();
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('says a directory under /proc is unusable instead of hanging', async () => {
    await expect(openStateStore('local:/proc/credtrail-x', { clock })).rejects.toThrow(StateDirectoryError);
  });

  it('counts a second hunt over the same records not at all in a local directory', async () => {
    // Prepare
    const directory = await mkdtemp(join(tmpdir(), 'credtrail-state-'));
    try {
      const first = await openStateStore(`local:${directory}`, { clock });
      await run(first.store, '203.0.113.10', 'e-1').finally(() => first.close());
      const again = await openStateStore(`local:${directory}`, { clock });
      const before = await run(again.store, '198.51.100.7', 'e-2').finally(() => again.close());

      // Act: the same records, a new process
      const rerun = await openStateStore(`local:${directory}`, { clock });
      const after = await run(rerun.store, '198.51.100.7', 'e-2').finally(() => rerun.close());

      // Assess
      expect(before.findings[0]?.detail.eventCount).toBe(1);
      expect(after.findings[0]?.detail.eventCount).toBe(1);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('uses a named DynamoDB table', async () => {
    // Prepare
    const dynamo = await startLocalDynamo();
    await ensureTable(dynamo.client, stateTableDefinition('shared'));

    // Act
    const opened = await openStateStore('dynamodb:shared', { clock, client: dynamo.client });
    await opened.close();
    await dynamo.stop();

    // Assess
    expect(opened.store).toBeInstanceOf(DynamoDbStore);
    expect(opened.describe).toBe('DynamoDB table shared');
  });

  it.each(['redis:x', 'local:', 'dynamodb'])('rejects "%s"', async (spec) => {
    // Act / Assess
    await expect(openStateStore(spec)).rejects.toThrow(InvalidStateSpecError);
  });
});
