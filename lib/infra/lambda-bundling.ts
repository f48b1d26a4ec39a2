/**
 * How every credtrail Lambda is bundled: one description, `esbuildOptions`, used by the house construct
 * (credtrail-function.ts, through scripts/bundle-lambda.ts), the bundle-size test and the bench, so
 * what is measured is what is deployed (test/infra/lambda-bundles.test.ts compares the bytes).
 *
 * Why these choices (figures in README "Speed and cost"):
 *   - `mainFields: module, main`: esbuild reads the packages' ES modules and drops what is not used.
 *     zod (imported as `* as z`) shrinks from 445 KiB to under 100 KiB, the AWS clients lose their
 *     unused commands.
 *   - The SDK's schema modules get their trait keys written as literals (sdk-schema-keys.ts): without
 *     that esbuild keeps every shape of a service; the detector carried all 481 S3 shapes (67 KiB).
 *   - `@aws-sdk/client-ec2` is not bundled: its ES build still holds every EC2 shape in one module
 *     with side effects (540 KiB after tree-shaking), which alone would put the detector and the
 *     responder over 1 MiB. The nodejs22.x runtime ships the AWS SDK v3, and the code loads the EC2
 *     client on first use (detector: a network lookup the cache cannot answer; responder: the first
 *     response), so it costs nothing at cold start. The trade: EC2 runs the runtime's SDK version, not
 *     the one the tests ran; the calls used (Describe*, security groups, tags, instance attributes) are
 *     long stable. Every other client stays bundled: loading the runtime's SDK from disk measured slower
 *     at init than the tree-shaken bundle (detector 389-539 ms of CPU against 230-319 ms, same rounds).
 *   - The credential sources a Lambda never reaches are not bundled either: in Lambda the default chain
 *     stops at the environment (the execution role's keys), and only the chain's later links (shared
 *     ini/SSO/login files, `credential_process`, web identity) load these packages, through `import()`.
 *     They held 89-100 KiB per bundle (with the SSO, OIDC, sign-in and a second STS client) that V8
 *     compiled at every cold start. If a link were ever reached it would load the runtime's copy: a
 *     version skew only on a path Lambda does not take, and the same trade as EC2.
 *   - `import()` of what is left out is written as `require`: Node's ESM resolution ignores NODE_PATH,
 *     which is how Lambda finds its runtime's SDK (/var/runtime/node_modules).
 *   - No client is deferred inside the bundle (`await import()` of STS, EventBridge, CloudWatch Logs
 *     until first use): esbuild must then keep each deferred module whole, with every command and
 *     shape (a test bundle of five clients grew from 498 to 642 KiB and its `require` from about 145
 *     to 175 ms), and V8 compiles the bundle whatever runs later.
 *
 * Where the detector's cold `require` goes (metafile, CPU profile, per-module CPU marks in an unminified
 * build): about half is V8 compiling the bundle (the SDK's core, S3 and DynamoDB, needed by every
 * message), the rest running module tops: Node's own modules the SDK and Powertools load (http, tls,
 * crypto, streams), zod building schemas, the SDK's clients. Schemas every invocation needs (the
 * environment, the state items read on every batch, the responder's configuration and incident) are
 * built at load; the others on first use (lazySchema): the finding contract and the finding and taint
 * items (a batch with a finding), each queue-message format (the formats a message tries), and in the
 * responder and notifier the plan, audit-record, undo, response-event and GuardDuty schemas
 * (test/infra/cold-start-schemas.test.ts: none of these is built at load).
 * What the changes of issue 15 saved, paired round by round against the previous bundles: see README.
 */
import type { BuildOptions } from 'esbuild';
import { sdkSchemaLiteralKeys } from './sdk-schema-keys';

/** The options every Lambda is built with; `outfile` is the bundle (CommonJS, run by nodejs22.x). */
export function esbuildOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    minify: true,
    mainFields: ['module', 'main'],
    external: [
      '@aws-sdk/client-ec2',
      '@aws-sdk/credential-provider-ini',
      '@aws-sdk/credential-provider-process',
      '@aws-sdk/credential-provider-sso',
      '@aws-sdk/credential-provider-web-identity',
    ],
    supported: { 'dynamic-import': false },
    plugins: [sdkSchemaLiteralKeys],
    logLevel: 'error',
  };
}
