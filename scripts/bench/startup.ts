/**
 * Start-up figures for `npm run bench`: the CLI as a user starts it and each Lambda bundle's cold
 * `require`, every one paired with `node -e 0` in the same round (the machine is shared and noisy).
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { esbuildOptions } from '../../lib/infra/lambda-bundling';
import { LAMBDA_ENV, median, pairedWall, summary, type Summary } from './timing';

export interface StartupResult {
  nodeMs: number;
  helpMs: number;
  investigateHelpMs: number;
  detectMs: number;
  /** Each command's wall time ÷ `node -e 0`'s in the same round. */
  helpRatio: Summary;
  investigateHelpRatio: Summary;
  detectRatio: Summary;
}

/** The CLI as `npm run build` makes it, started as a user starts it, against `node -e 0`. */
export function cliStartup(root: string, outDir: string, rounds: number): StartupResult {
  const dist = join(outDir, 'dist');
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', dist],
    { cwd: root, stdio: 'inherit' },
  );
  const cli = join(dist, 'bin/credtrail.js');
  const logDir = join(root, 'sample-data/cloudtrail/AWSLogs/111111111111/CloudTrail/eu-west-1/2025/03/14');
  const file = join(logDir, readdirSync(logDir).sort()[0] as string);
  const env = { ...process.env, NODE_PATH: join(root, 'node_modules') };
  const runs = pairedWall(
    {
      node: ['-e', '0'],
      help: [cli, '--help'],
      investigateHelp: [cli, 'investigate', '--help'],
      detect: [cli, 'detect', '--no-progress', file],
    },
    rounds,
    env,
  );
  const node = runs['node'] ?? [];
  const ratio = (name: string) => summary((runs[name] ?? []).map((t, i) => t / (node[i] ?? NaN)));
  const ms = (name: string) => Math.round(median(runs[name] ?? []));
  return {
    nodeMs: ms('node'),
    helpMs: ms('help'),
    investigateHelpMs: ms('investigateHelp'),
    detectMs: ms('detect'),
    helpRatio: ratio('help'),
    investigateHelpRatio: ratio('investigateHelp'),
    detectRatio: ratio('detect'),
  };
}

export interface BundleResult {
  name: string;
  kib: number;
  /** Process wall time with the `require` minus `node -e 0`'s, round by round. */
  coldInitMs: Summary;
  /**
   * The `require` alone, timed inside the process: CPU time (user + system) and wall time. CPU time is
   * what the bundle costs; on a shared machine the wall time also counts waiting for a core.
   */
  requireCpuMs: Summary;
  requireWallMs: Summary;
}

export interface LambdaStartup {
  bundles: BundleResult[];
  /**
   * The EC2 client, left to the runtime's SDK and loaded on first use: its `require` (from this
   * project's node_modules, CommonJS like the runtime's copy), paid by the first network lookup or
   * response of a container rather than by every cold start.
   */
  ec2ClientFirstUse: { requireCpuMs: Summary; requireWallMs: Summary };
}

/**
 * Each handler bundled exactly as the construct bundles it. Cold init: the `require` of the bundle,
 * paired with `node -e 0` round by round, and timed inside the process.
 */
export async function lambdaStartup(root: string, outDir: string, rounds: number): Promise<LambdaStartup> {
  const names = ['detector-handler', 'responder-handler', 'notifier-handler'];
  const files = new Map<string, string>();
  for (const name of names) {
    const outfile = join(outDir, `${name}.js`);
    await build(esbuildOptions(join(root, 'handlers', `${name}.ts`), outfile));
    files.set(name, outfile);
  }
  const env = { ...process.env, ...LAMBDA_ENV };
  const commands: Record<string, string[]> = { node: ['-e', '0'] };
  for (const [name, file] of files) commands[name] = ['-e', `require(${JSON.stringify(file)})`];
  const runs = pairedWall(commands, rounds, env);

  const timed = timedRequires(
    {
      ...Object.fromEntries(
        names.map((name) => [name, { specifier: files.get(name) as string, cwd: outDir }]),
      ),
      ec2: { specifier: '@aws-sdk/client-ec2', cwd: root },
    },
    rounds,
    env,
  );
  const timing = (name: string) => timed[name] as RequireTiming;

  return {
    bundles: names.map((name) => {
      const file = files.get(name) as string;
      return {
        name,
        kib: Math.round(statSync(file).size / 1024),
        coldInitMs: summary((runs[name] ?? []).map((t, i) => t - (runs['node']?.[i] ?? NaN))),
        ...timing(name),
      };
    }),
    ec2ClientFirstUse: timing('ec2'),
  };
}

interface RequireTiming {
  requireCpuMs: Summary;
  requireWallMs: Summary;
}

/**
 * Each `require` timed inside its own process, round by round with every target in turn (as
 * `pairedWall` does): a burst of load on the shared machine then falls on all targets alike, not on
 * whichever one's rounds it happens to meet.
 */
function timedRequires(
  targets: Record<string, { specifier: string; cwd: string }>,
  rounds: number,
  env: NodeJS.ProcessEnv,
): Record<string, RequireTiming> {
  const cpu: Record<string, number[]> = {};
  const wall: Record<string, number[]> = {};
  for (let round = 0; round < rounds; round++) {
    for (const [name, { specifier, cwd }] of Object.entries(targets)) {
      const output = execFileSync(process.execPath, ['-e', timedRequireScript(specifier)], {
        cwd,
        env,
        encoding: 'utf8',
      });
      const timing = JSON.parse(output) as { cpuMs: number; wallMs: number };
      (cpu[name] ??= []).push(timing.cpuMs);
      (wall[name] ??= []).push(timing.wallMs);
    }
  }
  return Object.fromEntries(
    Object.keys(targets).map((name) => [
      name,
      { requireCpuMs: summary(cpu[name] ?? []), requireWallMs: summary(wall[name] ?? []) },
    ]),
  );
}

function timedRequireScript(specifier: string): string {
  return [
    'const wall = process.hrtime.bigint(), cpu = process.cpuUsage();',
    `require(${JSON.stringify(specifier)});`,
    'const used = process.cpuUsage(cpu);',
    'process.stdout.write(JSON.stringify({ cpuMs: (used.user + used.system) / 1000,',
    '  wallMs: Number(process.hrtime.bigint() - wall) / 1e6 }));',
  ].join('\n');
}
