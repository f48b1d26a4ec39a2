import { build, type Metafile } from 'esbuild';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');

/**
 * What a command's registration loads when `credtrail` starts, before any command runs: the modules
 * reachable from it through static imports only (a dynamic `import()` runs when its command does).
 * Start-up time itself is measured by `npm run bench` against `node -e 0`; this pins down what made it
 * slow before (zod and the AWS clients loaded by every command).
 */
async function loadedAtStartup(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    write: false,
    metafile: true,
    logLevel: 'silent',
    outdir: join(ROOT, 'cdk.out', 'unused'),
  });
  const inputs: Metafile['inputs'] = result.metafile.inputs;
  const reached = new Set<string>([entry]);
  const queue = [entry];
  for (let path = queue.pop(); path !== undefined; path = queue.pop()) {
    for (const edge of inputs[path]?.imports ?? []) {
      if (edge.kind === 'dynamic-import' || edge.external === true || reached.has(edge.path)) continue;
      reached.add(edge.path);
      queue.push(edge.path);
    }
  }
  return [...reached];
}

const COMMANDS = [
  'lib/cli/detect-command.ts',
  'lib/cli/investigate-command.ts',
  'lib/cli/respond-command.ts',
  'lib/cli/demo-command.ts',
  'lib/cli/tune-command.ts',
];

const heavyIn = (modules: readonly string[]) =>
  modules.filter(
    (path) =>
      path.includes('node_modules/@aws-sdk/') ||
      path.includes('node_modules/zod/') ||
      path.startsWith('lib/engine/detector') ||
      path.startsWith('lib/investigate/') ||
      path.startsWith('lib/responder/'),
  );

describe('credtrail start-up', () => {
  it.each(COMMANDS)(
    '%s loads no AWS SDK client, no zod and no engine',
    async (entry) => {
      const modules = await loadedAtStartup(entry);
      expect(modules).toContain(entry);
      expect(heavyIn(modules)).toEqual([]);
    },
    60_000,
  );

  it('would see them if a command imported them statically (the work it defers does)', async () => {
    const modules = await loadedAtStartup('lib/cli/investigate-run.ts');
    expect(heavyIn(modules)).toEqual(
      expect.arrayContaining([
        'lib/investigate/incident-trace.ts',
        expect.stringContaining('node_modules/zod/'),
      ]),
    );
  }, 60_000);
});
