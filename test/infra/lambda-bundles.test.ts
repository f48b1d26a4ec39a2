import { App, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CredtrailFunction } from '../../lib/infra/credtrail-function';
import { esbuildOptions } from '../../lib/infra/lambda-bundling';
import { NotifierEnvironmentSchema } from '../../lib/notifier/notifier-environment';
import { LAMBDA_ENV } from '../../scripts/bench/timing';

const ROOT = join(__dirname, '../..');
const HANDLERS = ['detector-handler', 'responder-handler', 'notifier-handler'];
const MiB = 1024 * 1024;
// Shapes of S3 operations credtrail never calls, and where the web-identity credential source starts.
const UNUSED_S3_SHAPE = 'AnalyticsConfiguration';
const WEB_IDENTITY = 'AWS_WEB_IDENTITY_TOKEN_FILE';

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

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
    '%s leaves the EC2 client and the unused credential sources to the runtime, loading none at cold start',
    (name) => {
      const outfile = bundles.get(name) as string;
      const text = readFileSync(outfile, 'utf8');
      expect(text).toContain('require("@aws-sdk/client-ec2")');
      expect(text).toContain('require("@aws-sdk/credential-provider-web-identity")');
      expect(text).not.toContain('import("@aws-sdk');
      expect(text).not.toContain(WEB_IDENTITY);
      // Loaded from a folder with no node_modules: requiring any of them at load would throw.
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

  it('leaves out the S3 shapes the detector never uses, which esbuild keeps without the schema plugin', async () => {
    const entry = join(ROOT, 'handlers/detector-handler.ts');
    const plain = join(dir, 'detector-without-plugin.js');
    await build({ ...esbuildOptions(entry, plain), plugins: [] });

    expect(readFileSync(plain, 'utf8')).toContain(UNUSED_S3_SHAPE);
    expect(readFileSync(bundles.get('detector-handler') as string, 'utf8')).not.toContain(UNUSED_S3_SHAPE);
    // GetObject, which it calls, is still described.
    expect(readFileSync(bundles.get('detector-handler') as string, 'utf8')).toContain('"GetObjectRequest"');
  }, 60_000);

  it('leaves the plan and incident schemas out of the notifier, which prints calls but never parses a plan', () => {
    // Fields only the plan schemas (response-plan.ts) and the incident schema (incident-schema.ts) name.
    for (const field of ['failClosed', 'networkHint']) {
      expect(readFileSync(bundles.get('responder-handler') as string, 'utf8')).toContain(field);
      expect(readFileSync(bundles.get('notifier-handler') as string, 'utf8')).not.toContain(field);
    }
  });

  it('is the very bundle the construct deploys, one per function', () => {
    const app = new App({ outdir: join(dir, 'cdk.out') });
    const stack = new Stack(app, 'Bundle');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const environment = {
      ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:111111111111:t',
      ALERT_LEDGER_TABLE_NAME: 't',
      RESPONSE_CONFIG: '{}',
      RESPONDER_SEVERITY_THRESHOLD: '7',
    };
    // Two handlers in one synth: CDK caches bundles within a synth, which must not mix them up.
    const deployedAs = new Map<string, lambda.Function>();
    for (const name of ['notifier-handler', 'responder-handler']) {
      const fn = new CredtrailFunction<typeof NotifierEnvironmentSchema>(stack, name, {
        entry: `handlers/${name}.ts`,
        description: 'bundle test',
        role,
        environmentSchema: NotifierEnvironmentSchema,
        environment,
        timeout: Duration.seconds(30),
        memorySize: 256,
      });
      deployedAs.set(name, fn.function);
    }
    const assembly = app.synth();
    const template = assembly.getStackByName('Bundle').template as {
      Resources: Record<string, { Properties: { Code?: { S3Key?: string } } }>;
    };

    for (const [name, fn] of deployedAs) {
      const logicalId = stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction);
      const key = template.Resources[logicalId]?.Properties.Code?.S3Key as string;
      const deployed = join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`);
      expect(readdirSync(deployed).sort()).toEqual(['index.js', 'index.js.map']);
      expect(sha256(join(deployed, 'index.js'))).toBe(sha256(bundles.get(name) as string));
    }
  }, 120_000);
});
