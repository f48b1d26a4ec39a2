import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareEvents, type CredentialEvent } from '../../lib/engine/credential-event';
import { normalizeRecord } from '../../lib/engine/cloudtrail-record';
import { ExceptionList, parseExceptions } from '../../lib/engine/credential-exception';
import { Detector } from '../../lib/engine/detector';
import type { NetworkDirectory } from '../../lib/engine/detector-store';
import { NoInventory } from '../../lib/cli/detect-run';
import { InventoryDirectory } from '../../lib/inventory/inventory-directory';
import { MemoryStore } from '../../lib/state/memory-store';
import { generateOrganisationDay, type OrganisationDay } from '../../scripts/scenario/organisation-day';
import { writeScenario } from '../../scripts/scenario/write-scenario';

/**
 * The hunt hands the detector the window's events in batches of a thousand or more (detect-run.ts), the
 * Lambda in whatever an SQS batch holds: a verdict must not depend on where a batch ends. The same
 * events, in the same order, give the same findings one at a time, a file's worth at a time, and all
 * at once: with inventory, and without it (the learned network and the trail signals keep state of
 * their own between batches).
 */
describe('findings do not depend on batch boundaries', () => {
  let day: OrganisationDay;
  let events: CredentialEvent[];
  let dir: string;
  let inventory: InventoryDirectory;

  beforeAll(async () => {
    day = generateOrganisationDay({ seed: 7, hours: 4, accounts: 3, landingZone: false });
    dir = await mkdtemp(join(tmpdir(), 'credtrail-batching-'));
    await writeScenario(dir, day);
    inventory = await InventoryDirectory.load(join(dir, 'inventory'));
    events = [];
    for (const file of day.files()) {
      if (file.kind !== 'log') continue;
      for (const record of file.records) {
        const result = normalizeRecord(record);
        if (result.status === 'event') events.push(result.event);
      }
    }
    // The order the reorder window releases them in.
    events.sort(compareEvents);
  }, 60_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const networksOf = {
    'with inventory': () => inventory,
    'without inventory': () => new NoInventory(),
  } satisfies Record<string, () => NetworkDirectory>;

  it.each(Object.keys(networksOf) as (keyof typeof networksOf)[])(
    '%s',
    async (layout) => {
      // Arrange
      const findingsInBatchesOf = async (size: number) => {
        const networks = networksOf[layout]();
        const detector = new Detector({
          store: new MemoryStore(),
          networks,
          exceptions: new ExceptionList(parseExceptions(day.exceptions)),
          trustedAccounts: new Set(networks instanceof InventoryDirectory ? networks.ownerAccounts : []),
          trustRecipientAccounts: true,
          clock: () => day.end,
        });
        const findings = new Map<string, string>();
        for (let start = 0; start < events.length; start += size) {
          const result = await detector.process(events.slice(start, start + size));
          for (const { detail } of result.findings) {
            findings.set(
              detail.findingId,
              `${detail.type} ${detail.severity} ${detail.accessKeyId} ${detail.firstSeen}..${detail.lastSeen} ×${detail.eventCount}`,
            );
          }
        }
        return [...findings.values()].sort();
      };

      // Act
      const oneAtATime = await findingsInBatchesOf(1);
      const byFile = await findingsInBatchesOf(13);
      const allAtOnce = await findingsInBatchesOf(events.length);

      // Assess
      expect(oneAtATime.length).toBeGreaterThan(0);
      expect(byFile).toEqual(oneAtATime);
      expect(allAtOnce).toEqual(oneAtATime);
    },
    120_000,
  );
});
