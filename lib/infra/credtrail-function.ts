import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { AssetHashType, DockerImage, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type * as z from 'zod';
import { acknowledge } from './nag-gate';

/** A Lambda environment typed by the zod schema its handler validates: every key set, every value text. */
export type LambdaEnvironment<S extends z.ZodObject> = { [K in keyof z.input<S>]: string };

/**
 * `bundle`: esbuild bundles the handler (what `cdk synth` and deploy use; esbuild is a local dependency,
 * so no Docker). `placeholder`: a one-line inline handler, for infrastructure tests that assert on the
 * template and must not spend seconds bundling every function on every test.
 */
export type LambdaCode = 'bundle' | 'placeholder';

export class MissingHandlerError extends Error {
  constructor(entry: string) {
    super(
      `Lambda handler ${entry} does not exist: create it, or synth with -c credtrail:lambdaCode=placeholder`,
    );
    this.name = 'MissingHandlerError';
  }
}

export interface CredtrailFunctionProps<S extends z.ZodObject> {
  /** Handler file, relative to the project root (where package-lock.json is); exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly role: iam.IRole;
  /** Only here to type `environment`: a key the handler requires and the stack forgets fails to compile. */
  readonly environmentSchema: S;
  readonly environment: LambdaEnvironment<S>;
  readonly timeout: Duration;
  readonly memorySize: number;
  /**
   * Asynchronous invocations (EventBridge rules) that still fail after Lambda's retries go here, with
   * the event and the error. Leave it out for functions only invoked synchronously (SQS polling).
   */
  readonly onFailureQueue?: sqs.IQueue;
  readonly code?: LambdaCode;
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The house Lambda: Node.js 22 on ARM64, JSON logs into an explicit log group with retention (not the
 * deprecated `logRetention` prop, which needs a custom resource), source maps on, the AWS SDK bundled
 * (all but the EC2 client and the credential sources a Lambda never uses, see lambda-bundling.ts) so
 * the code runs against the versions it was tested with, async failures to a queue.
 */
export class CredtrailFunction<S extends z.ZodObject> extends Construct {
  static readonly RUNTIME = lambda.Runtime.NODEJS_22_X;
  readonly function: lambda.Function;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: CredtrailFunctionProps<S>) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Granted explicitly because the role is ours (no AWSLambdaBasicExecutionRole managed policy).
    this.logGroup.grantWrite(props.role);

    const common: lambda.FunctionOptions = {
      description: props.description,
      role: props.role,
      architecture: lambda.Architecture.ARM_64,
      timeout: props.timeout,
      memorySize: props.memorySize,
      environment: { ...(props.environment as Record<string, string>), NODE_OPTIONS: '--enable-source-maps' },
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      ...(props.onFailureQueue === undefined
        ? {}
        : {
            onFailure: new destinations.SqsDestination(props.onFailureQueue),
            retryAttempts: 2,
            maxEventAge: Duration.hours(6),
          }),
    };

    const projectRoot = join(__dirname, '..', '..');
    const entry = isAbsolute(props.entry) ? props.entry : join(projectRoot, props.entry);
    if ((props.code ?? 'bundle') === 'bundle') {
      if (!existsSync(entry)) throw new MissingHandlerError(props.entry);
      this.function = new lambda.Function(this, 'Function', {
        ...common,
        runtime: CredtrailFunction.RUNTIME,
        handler: 'index.handler',
        code: bundledCode(projectRoot, entry),
      });
    } else {
      this.function = new lambda.Function(this, 'Function', {
        ...common,
        runtime: CredtrailFunction.RUNTIME,
        handler: 'index.handler',
        code: lambda.Code.fromInline(
          `exports.handler = async () => { throw new Error('placeholder for ${props.entry}'); };`,
        ),
      });
    }

    const runtimeReason =
      'nodejs22.x is the runtime credtrail is built and tested for (design brief); the house construct ' +
      'moves every function at once when the project moves.';
    acknowledge(this.function, 'AwsSolutions-L1', runtimeReason);
    acknowledge(this.function, 'Serverless-LambdaLatestVersion', runtimeReason);
    acknowledge(
      this.function,
      'Serverless-LambdaTracing',
      'credtrail instruments with Powertools logs and metrics (JSON, correlated by event id), not X-Ray; ' +
        'active tracing would add a Resource::* xray grant to every role for no reader.',
    );
    if (props.onFailureQueue !== undefined) {
      acknowledge(
        this.function,
        'Serverless-LambdaDLQ',
        'Failed asynchronous invocations go to an on-failure destination (SQS), which records the error ' +
          'with the event; a DeadLetterConfig to the same queue would deliver every failure twice.',
      );
    }
  }
}

/**
 * The handler bundled by scripts/bundle-lambda.ts with lambda-bundling.ts's options, the ones the
 * bundle-size test and the bench measure. Not NodejsFunction: it runs esbuild's command line, which
 * takes no plugins (lambda-bundling.ts needs one). Local, since esbuild is a dependency (no Docker); the
 * asset is hashed on the bundle, as NodejsFunction does.
 */
function bundledCode(projectRoot: string, entry: string): lambda.Code {
  return lambda.Code.fromAsset(projectRoot, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Required by the type, never pulled: local bundling either succeeds or throws.
      image: DockerImage.fromRegistry('dummy'),
      // CDK caches bundles within a synth by these props, not by `local` (a function): without the
      // entry here every function would be deployed with the first one's bundle.
      command: ['scripts/bundle-lambda.ts', relative(projectRoot, entry)],
      local: {
        tryBundle(outputDir: string): boolean {
          execFileSync(
            process.execPath,
            [
              '--import',
              'tsx',
              join(projectRoot, 'scripts/bundle-lambda.ts'),
              entry,
              join(outputDir, 'index.js'),
            ],
            { cwd: projectRoot, stdio: 'inherit' },
          );
          return true;
        },
      },
    },
  });
}
