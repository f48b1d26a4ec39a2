import type { Plugin } from 'esbuild';
import { readFile } from 'node:fs/promises';

/**
 * Lets esbuild drop the unused shapes of an AWS client's schema module (`dist-es/schemas/schemas_0.js`).
 *
 * Why: those modules describe every shape of the service as top-level arrays, with traits written as
 * computed keys over the module's own string constants (`{ [_hH]: _xarc }`, `_hH = "httpHeader"`).
 * esbuild treats a computed key as a possible side effect (the key could be an object whose
 * `toString` runs code) and inlines only very short constants, so it keeps every shape that has a
 * trait: the detector carried all 481 S3 shapes (67 KiB minified) to call GetObject. Writing each such
 * key as the string literal it already is changes nothing at run time and lets the unused shapes go.
 *
 * Only keys that name a `const _x = "…"` of the same module are rewritten; anything else is left as it
 * is, so a change in the SDK's generated code can only make the bundle larger again, never wrong
 * (test/infra/lambda-bundles.test.ts checks that the unused S3 shapes stay out).
 */
export const sdkSchemaLiteralKeys: Plugin = {
  name: 'sdk-schema-literal-keys',
  setup(build) {
    build.onLoad(
      { filter: /[\\/]@aws-sdk[\\/].+[\\/]dist-es[\\/](.+[\\/])?schemas[\\/]schemas_\d+\.js$/ },
      async (args) => ({
        contents: literalKeys(await readFile(args.path, 'utf8')),
        loader: 'js',
      }),
    );
  },
};

/** `[_x]: ` becomes `"value": ` wherever `_x` is a module-level string constant of `source`. */
export function literalKeys(source: string): string {
  const constants = new Map<string, string>();
  for (const [, name, literal] of source.matchAll(/^(?:export )?const (_\w+) = ("[^"\\\n]*");$/gm)) {
    constants.set(name as string, literal as string);
  }
  return source.replace(/\[(_\w+)\]: /g, (key, name: string) => {
    const literal = constants.get(name);
    return literal === undefined ? key : `${literal}: `;
  });
}
