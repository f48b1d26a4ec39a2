import fc from 'fast-check';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CorruptLogFileError, readLogFile } from '../../lib/cloudtrail/log-file';
import { runDetection } from '../../lib/cli/detect-run';
import { normalizeRecord } from '../../lib/engine/cloudtrail-record';
import { useRecord } from '../support/cloudtrail-records';
import { huntOptions } from '../support/hunt-options';

// Property-based checks that no input, however broken, takes the process down or loses good records.
const RUNS = { numRuns: 300 };

/** A real-shaped record with one field removed or replaced by a value of any type. */
const mutatedRecord = fc
  .tuple(
    fc.constantFrom(
      'eventID',
      'eventTime',
      'eventName',
      'eventSource',
      'awsRegion',
      'sourceIPAddress',
      'eventVersion',
      'userAgent',
      'vpcEndpointId',
      'userIdentity',
      'userIdentity.type',
      'userIdentity.principalId',
      'userIdentity.accessKeyId',
      'userIdentity.accountId',
      'userIdentity.sessionContext',
      'userIdentity.sessionContext.sessionIssuer',
      'userIdentity.sessionContext.ec2RoleDelivery',
    ),
    fc.option(fc.oneof(fc.jsonValue(), fc.string({ maxLength: 20_000 }), fc.ipV6(), fc.ipV4Extended())),
  )
  .map(([path, value]) => {
    const record = useRecord();
    const keys = path.split('.');
    let target = record;
    for (const key of keys.slice(0, -1)) {
      const next = target[key];
      if (typeof next !== 'object' || next === null) return record;
      target = next as Record<string, unknown>;
    }
    const last = keys[keys.length - 1] ?? path;
    if (value === null) delete target[last];
    else target[last] = value;
    return record;
  });

describe('normalizeRecord under arbitrary input', () => {
  it('never throws on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(['event', 'unrelated', 'service-call', 'invalid']).toContain(normalizeRecord(value).status);
      }),
      RUNS,
    );
  });

  it('never throws on a real record with any field missing or of the wrong type, and only emits well-formed events', () => {
    fc.assert(
      fc.property(mutatedRecord, (record) => {
        const result = normalizeRecord(record);
        const event = result.status === 'event' && result.event.kind === 'use' ? result.event : undefined;
        const reason = result.status === 'invalid' ? result.reason : '';

        expect(typeof (event?.accessKeyId ?? '')).toBe('string');
        expect(Number.isFinite(event?.eventTime ?? 0)).toBe(true);
        expect(event?.userAgent?.length ?? 0).toBeLessThanOrEqual(201);
        expect(reason.length).toBeLessThan(400);
      }),
      RUNS,
    );
  });

  it('accepts any IPv6 or IPv4 source address, and unknown eventVersions', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV6(), fc.ipV4()), fc.string(), (ip, version) => {
        const record = useRecord({ sourceIp: ip });
        record['eventVersion'] = version;
        expect(normalizeRecord(record).status).toBe('event');
      }),
      RUNS,
    );
  });
});

describe('readLogFile under arbitrary bytes', () => {
  it('either returns records or raises CorruptLogFileError naming the file', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2_000 }), async (bytes) => {
        const outcome = await readLogFile('fuzz.json.gz', bytes).then(
          (records) => (Array.isArray(records) ? 'records' : 'not a list'),
          (error: unknown) =>
            error instanceof CorruptLogFileError && error.message.startsWith('fuzz.json.gz: ')
              ? 'reported'
              : String(error),
        );

        expect(['records', 'reported']).toContain(outcome);
      }),
      RUNS,
    );
  });

  it('reports a gzip cut at any point as corrupt', async () => {
    const whole = gzipSync(JSON.stringify({ Records: [useRecord(), useRecord()] }));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: whole.length - 1 }), async (cut) => {
        await expect(readLogFile('cut.json.gz', whole.subarray(0, cut))).rejects.toThrow(CorruptLogFileError);
      }),
      { numRuns: 100 },
    );
  });
});

describe('a batch with bad files and bad records', () => {
  it('processes every good record and reports every bad file by name', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.constant('good' as const),
            fc.constant('corrupt' as const),
            fc.constant('mixed' as const),
          ),
          {
            minLength: 1,
            maxLength: 6,
          },
        ),
        async (kinds) => {
          const dir = mkdtempSync(join(tmpdir(), 'credtrail-fuzz-'));
          try {
            mkdirSync(join(dir, 'logs'));
            let goodUses = 0;
            const corrupt: string[] = [];
            kinds.forEach((kind, index) => {
              const name = join(dir, 'logs', `file-${index}.json.gz`);
              if (kind === 'corrupt') {
                writeFileSync(name, gzipSync('{"Records": [').subarray(0, 15));
                corrupt.push(name);
                return;
              }
              const records: unknown[] = [useRecord({ eventId: `good-${index}` })];
              goodUses++;
              if (kind === 'mixed')
                records.push(42, { userIdentity: { type: 'AssumedRole', principalId: 'AROA:i-1' } });
              writeFileSync(name, gzipSync(JSON.stringify({ Records: records })));
            });

            const report = await runDetection(
              huntOptions({ paths: [dir], clock: () => Date.parse('2026-11-26T12:00:00Z') }),
            );

            expect(report.stats.credentialUses).toBe(goodUses);
            expect(report.skippedFiles.map((s) => s.name).sort()).toEqual(corrupt.sort());
            expect(report.invalidRecords).toHaveLength(kinds.filter((k) => k === 'mixed').length);
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
