/**
 * Bundles one Lambda handler for deployment: `tsx scripts/bundle-lambda.ts <entry> <outfile>`.
 *
 * Run by the house construct (lib/infra/credtrail-function.ts) at synth time, in a child process
 * because CDK's local bundling is synchronous and esbuild runs plugins only in its asynchronous API.
 * The options are `esbuildOptions()`, the ones the bundle-size test and the bench build with, plus the
 * external source map the construct has always shipped.
 */
import { build } from 'esbuild';
import { esbuildOptions } from '../lib/infra/lambda-bundling';

const [entry, outfile] = process.argv.slice(2);
if (entry === undefined || outfile === undefined) {
  console.error('usage: tsx scripts/bundle-lambda.ts <entry> <outfile>');
  process.exit(2);
}
build({ ...esbuildOptions(entry, outfile), sourcemap: 'external' }).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
