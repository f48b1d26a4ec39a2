/**
 * How every credtrail Lambda is bundled: one description, read by the house construct
 * (credtrail-function.ts, through `nodejsBundling`) and by the bundle-size test and the bench (through
 * `esbuildOptions`), so what is measured is what is deployed.
 *
 * Why these choices (figures in README "Speed and cost"):
 *   - `mainFields: module, main`: esbuild reads the packages' ES modules and drops what is not used.
 *     zod (imported as `* as z`) shrinks from 445 KiB to under 100 KiB, the AWS clients lose their
 *     unused commands.
 *   - `@aws-sdk/client-ec2` is not bundled: its ES build still holds every EC2 shape in one module
 *     with side effects (540 KiB after tree-shaking), which alone would put the detector and the
 *     responder over 1 MiB. The nodejs22.x runtime ships the AWS SDK v3, and the code loads the EC2
 *     client on first use (detector: a network lookup the cache cannot answer; responder: the first
 *     response), so it costs nothing at cold start. The trade: EC2 runs the runtime's SDK version, not
 *     the one the tests ran; the calls used (Describe*, security groups, tags, instance attributes) are
 *     long stable. Every other client stays bundled: loading the runtime's SDK from disk measured slower
 *     at init than the tree-shaken bundle (detector 389-539 ms of CPU against 230-319 ms, same rounds).
 *   - No client is deferred inside the bundle (`await import()` of STS, EventBridge, CloudWatch Logs
 *     until first use): esbuild must then keep each deferred module whole, with every command and
 *     shape (a test bundle of five clients grew from 498 to 642 KiB and its `require` from about 145
 *     to 175 ms), and V8 compiles the bundle whatever runs later. Where the detector's init goes, by its
 *     metafile and a CPU profile of the `require`: about half is V8 compiling the 793 KiB (the SDK's
 *     core with the S3 and DynamoDB clients it needs on every message), the rest running module tops:
 *     zod building the schemas (about 80 ms: the finding contract and the state items about 30 each,
 *     the queue message and the environment about 10 each), the SDK's schemas and classes.
 */
import type { BuildOptions } from 'esbuild';
import { sdkSchemaLiteralKeys } from './sdk-schema-keys';

export const LAMBDA_BUNDLE = {
  format: 'cjs',
  target: 'node22',
  minify: true,
  mainFields: ['module', 'main'],
  external: [
    '@aws-sdk/client-ec2',
    // The credential sources a Lambda never reaches (see the header): the runtime's SDK if ever needed.
    '@aws-sdk/credential-provider-ini',
    '@aws-sdk/credential-provider-process',
    '@aws-sdk/credential-provider-sso',
    '@aws-sdk/credential-provider-web-identity',
  ],
} as const;

/** The same choices as esbuild options, for building a handler outside CDK (tests, bench). */
export function esbuildOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: LAMBDA_BUNDLE.format,
    target: LAMBDA_BUNDLE.target,
    minify: LAMBDA_BUNDLE.minify,
    mainFields: [...LAMBDA_BUNDLE.mainFields],
    external: [...LAMBDA_BUNDLE.external],
    // `import()` of a module left out becomes `require`: Node's ESM resolution ignores NODE_PATH, which
    // is how Lambda finds its runtime's SDK (/var/runtime/node_modules).
    supported: { 'dynamic-import': false },
    plugins: [sdkSchemaLiteralKeys],
    logLevel: 'error',
  };
}
