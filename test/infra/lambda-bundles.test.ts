import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { esbuildOptions } from '../../lib/infra/lambda-bundling';
import { LAMBDA_ENV } from '../../scripts/bench/timing';

const ROOT = join(__dirname, '../..');
const HANDLERS = ['detector-handler', 'responder-handler', 'notifier-handler'];
const MiB = 1024 * 1024;

describe('Lambda bundles (built with the construct’s own options)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'credtrail-bundles-'));
  const bundles = new Map<string, string>();

  beforeAll(async () => {
    for (const name of HANDLERS) {
      const outfile = join(dir, `${name}.js`);
      await build(esbuildOptions(join(ROOT, 'handlers', `${name}.ts`), outfile));
      bundles.set(name, outfile);
    }
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(HANDLERS)('%s is under 1 MiB', (name) => {
    const size = statSync(bundles.get(name) as string).size;
    expect(size).toBeGreaterThan(10 * 1024);
    expect(size).toBeLessThan(MiB);
  });

  it.each(['detector-handler', 'responder-handler'])(
    '%s leaves the EC2 client to the runtime and does not load it at cold start',
    (name) => {
      const outfile = bundles.get(name) as string;
      expect(readFileSync(outfile, 'utf8')).toContain('require("@aws-sdk/client-ec2")');
      // Loaded from a folder with no node_modules: requiring the EC2 client at load would throw.
      const loaded = execFileSync(
        process.execPath,
        [
          '-e',
          `require(${JSON.stringify(outfile)}); process.stdout.write(typeof require(${JSON.stringify(outfile)}).handler)`,
        ],
        {
          cwd: dir,
          env: { ...process.env, ...LAMBDA_ENV },
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      expect(loaded).toBe('function');
    },
  );
});
