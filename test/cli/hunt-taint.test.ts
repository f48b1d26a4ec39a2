import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerDetectCommand } from '../../lib/cli/detect-command';
import { runDetection } from '../../lib/cli/detect-run';
import { traceIncidents } from '../../lib/investigate/incident-trace';
import { mintingCallOf, type SignedCall } from '../../lib/engine/taint-call';
import { FindingDetailSchema, type FindingDetail } from '../../lib/contracts/finding-event';
import { rootOf } from '../../lib/engine/taint-chain';
import { TRAIL, writeTaintTrail } from '../support/taint-trail';
import { runCli } from '../support/cli-run';
import { huntOptions } from '../support/hunt-options';

const run = (args: string[]) => runCli(args, registerDetectCommand);
const noS3 = () => {
  throw new Error('no S3 here');
};

async function hunt(dir: string, workers: number): Promise<FindingDetail[]> {
  const { stdout } = await run([
    'detect',
    dir,
    '--output',
    'jsonl',
    '--no-progress',
    '--workers',
    String(workers),
  ]);
  return stdout
    .trim()
    .split('\n')
    .map((line) => FindingDetailSchema.parse(JSON.parse(line)));
}

// The hunt hands the taint trace the minting calls it read, so the trace reads the logs once more, not
// twice; and that read parses only files that mention a key of the chain.
describe('the hunt follows a stolen key through the minting calls it read', () => {
  let dir: string;
  beforeAll(() => {
    dir = writeTaintTrail();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the same taint on parse workers as on the main thread (the minting calls cross threads)', async () => {
    const onMain = await hunt(dir, 0);
    const onWorkers = await hunt(dir, 2);

    expect(onMain[0]?.taint?.derivedSessions.length).toBeGreaterThan(0);
    expect(onWorkers).toEqual(onMain);
  });

  it('traces the same chain from handed-over minting calls as from its own first pass', async () => {
    const [finding] = await hunt(dir, 0);
    const roots = [rootOf(finding as FindingDetail)];
    // The records as written (the trail's builder numbers its eventIDs afresh on every call).
    const written = readdirSync(dir).flatMap(
      (name) => (JSON.parse(readFileSync(join(dir, name), 'utf8')) as { Records: unknown[] }).Records,
    );
    const minting = written.map(mintingCallOf).filter((call): call is SignedCall => call !== undefined);

    const handed = await traceIncidents(roots, [dir], noS3, minting);
    const ownPass = await traceIncidents(roots, [dir], noS3);

    expect(minting.length).toBeGreaterThan(0);
    expect(handed.keys.map((key) => key.accessKeyId)).toContain(TRAIL.hop2Key);
    expect(handed).toEqual(ownPass);
  });

  it('past its cap of minting calls, the hunt keeps none and the trace finds them itself: same taint', async () => {
    const detectWith = (maxMintingCalls?: number) =>
      runDetection(
        huntOptions({
          paths: [dir],
          clock: () => Date.parse('2026-11-27T00:00:00Z'),
          workers: 0,
          ...(maxMintingCalls === undefined ? {} : { maxMintingCalls }),
        }),
      );

    const capped = await detectWith(0);
    const usual = await detectWith();

    expect(capped.findings[0]?.taint?.derivedSessions.length).toBeGreaterThan(0);
    expect(capped.findings).toEqual(usual.findings);
  });

  it('still reports a file of the chain it could not parse, and skips unreadable files that cannot hold it', async () => {
    const [finding] = await hunt(dir, 0);
    const broken = join(dir, 'broken-with-key.json');
    writeFileSync(broken, `{"Records": [{"userIdentity": {"accessKeyId": "${TRAIL.stolenKey}"`);
    const unrelated = join(dir, 'broken-elsewhere.json');
    writeFileSync(unrelated, '{"Records": [{"eventID": ');
    try {
      const trace = await traceIncidents([rootOf(finding as FindingDetail)], [dir], noS3, []);

      expect(trace.files).toBe(5);
      expect(trace.skippedFiles.map((file) => file.name)).toEqual([broken]);
      // A key that is not letters and digits may be written escaped: then every file is parsed.
      const odd = await traceIncidents(
        [{ ...rootOf(finding as FindingDetail), accessKeyId: 'ASIA/ODD' }],
        [dir],
        noS3,
        [],
      );
      expect(odd.skippedFiles.map((file) => file.name).sort()).toEqual([unrelated, broken].sort());
    } finally {
      rmSync(broken);
      rmSync(unrelated);
    }
  });
});
