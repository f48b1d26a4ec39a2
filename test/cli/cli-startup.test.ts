import { build, type Metafile } from 'esbuild';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');

/**
 * What `credtrail` loads before any command runs: the modules reachable from bin/credtrail.ts through
 * static imports only (a dynamic `import()` runs when its command does). Start-up time itself is
 * measured by `npm run bench`, against `node -e 0`; this pins down what made it slow before.
 */
async function loadedAtStartup(): Promise<string[]> {
  const result = await build({
    entryPoints: [join(ROOT, 'bin/credtrail.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    write: false,
    metafile: true,
    logLevel: 'silent',
    outdir: join(ROOT, 'cdk.out', 'unused'),
  });
  const inputs: Metafile['inputs'] = result.metafile.inputs;
  const reached = new Set<string>(['bin/credtrail.ts']);
  const queue = ['bin/credtrail.ts'];
  for (let path = queue.pop(); path !== undefined; path = queue.pop()) {
    for (const edge of inputs[path]?.imports ?? []) {
      if (edge.kind === 'dynamic-import' || edge.external === true || reached.has(edge.path)) continue;
      reached.add(edge.path);
      queue.push(edge.path);
    }
  }
  return [...reached];
}

describe('credtrail start-up', () => {
  let modules: string[];
  beforeAll(async () => {
    modules = await loadedAtStartup();
  }, 60_000);

  it('loads commander and the command definitions', () => {
    expect(modules).toContain('lib/cli/detect-command.ts');
    expect(modules).toContain('lib/cli/investigate-command.ts');
    expect(modules.some((path) => path.includes('node_modules/commander/'))).toBe(true);
  });

  it('loads no AWS SDK client, no zod and no engine before a command needs them', () => {
    const heavy = modules.filter(
      (path) =>
        path.includes('node_modules/@aws-sdk/') ||
        path.includes('node_modules/zod/') ||
        path.startsWith('lib/engine/detector') ||
        path.startsWith('lib/investigate/') ||
        path.startsWith('lib/responder/'),
    );
    expect(heavy).toEqual([]);
  });
});
