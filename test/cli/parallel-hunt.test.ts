import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { MIN_FILES_FOR_WORKERS, workerCount } from '../../lib/cloudtrail/parse-pool';
import type { LogFileRef } from '../../lib/cloudtrail/log-sources';
import { runDetection, type DetectionReport } from '../../lib/cli/detect-run';
import { ExceptionList, parseExceptions } from '../../lib/engine/credential-exception';
import { InventoryDirectory } from '../../lib/inventory/inventory-directory';
import { generateOrganisationDay, type OrganisationDay } from '../../scripts/scenario/organisation-day';
import { writeScenario } from '../../scripts/scenario/write-scenario';
import { useRecord } from '../support/cloudtrail-records';
import { huntOptions } from '../support/hunt-options';

/**
 * A large hunt reads and parses its files on worker threads (lib/cloudtrail/parse-pool.ts) while the
 * main thread judges. The user must get the same report either way: the same findings with the same
 * counts, the same skipped files and invalid records, the same totals.
 */
describe('a hunt read by parse workers', () => {
  let day: OrganisationDay;
  let dir: string;
  let inventory: InventoryDirectory;

  beforeAll(async () => {
    day = generateOrganisationDay({ seed: 11, hours: 4, accounts: 3, landingZone: false });
    dir = await mkdtemp(join(tmpdir(), 'credtrail-workers-'));
    await writeScenario(dir, day);
    inventory = await InventoryDirectory.load(join(dir, 'inventory'));
    // A file that is not gzip, one cut short, and one with an instance-credential record missing its key.
    const trail = join(dir, 'cloudtrail');
    await writeFile(join(trail, '111111111111_CloudTrail_eu-west-1_20250314T0100Z_bad.json.gz'), 'not gzip');
    const whole = gzipSync(JSON.stringify({ Records: [useRecord(), useRecord()] }));
    await writeFile(join(trail, 'cut_20250314T0105Z.json.gz'), whole.subarray(0, whole.length - 9));
    const keyless = useRecord();
    (keyless['userIdentity'] as Record<string, unknown>)['accessKeyId'] = '';
    await writeFile(
      join(trail, 'keyless_20250314T0110Z.json'),
      JSON.stringify({ Records: [useRecord(), keyless] }),
    );
  }, 60_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const hunt = (workers: number, withInventory: boolean): Promise<DetectionReport> =>
    runDetection(
      huntOptions({
        paths: [join(dir, 'cloudtrail')],
        ...(withInventory ? { networks: inventory, trustedAccounts: new Set(inventory.ownerAccounts) } : {}),
        exceptions: new ExceptionList(parseExceptions(day.exceptions)),
        clock: () => day.end,
        workers,
      }),
    );

  it.each([
    ['with inventory', true],
    ['without inventory', false],
  ])(
    'gives the report the main thread alone gives, %s',
    async (_, withInventory) => {
      // Act
      const alone = await hunt(0, withInventory);
      const inWorkers = await hunt(2, withInventory);

      // Assess
      expect(alone.files).toBeGreaterThan(MIN_FILES_FOR_WORKERS);
      expect(alone.findings.length).toBeGreaterThan(0);
      expect(alone.skippedFiles).toHaveLength(2);
      expect(alone.invalidRecords).toEqual([
        expect.objectContaining({ count: 1, firstReason: expect.stringContaining('accessKeyId') }),
      ]);
      expect(inWorkers).toEqual(alone);
    },
    60_000,
  );

  it('uses workers for a large local hunt only: not for a few files, not when S3 is read', () => {
    // Arrange
    const local = (n: number): LogFileRef[] =>
      Array.from({ length: n }, (_, i) => ({
        name: `f${i}.json`,
        path: `f${i}.json`,
        open: () => Promise.reject(new Error('unread')),
      }));
    const s3: LogFileRef = { name: 's3://bucket/f.json', open: () => Promise.reject(new Error('unread')) };

    // Act and assess
    expect(workerCount(local(MIN_FILES_FOR_WORKERS))).toBeGreaterThan(0);
    expect(workerCount(local(MIN_FILES_FOR_WORKERS - 1))).toBe(0);
    expect(workerCount([...local(MIN_FILES_FOR_WORKERS), s3])).toBe(0);
    expect(workerCount([...local(MIN_FILES_FOR_WORKERS), s3], 2)).toBe(0);
    expect(workerCount(local(3), 2)).toBe(2);
  });
});
