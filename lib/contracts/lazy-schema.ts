/**
 * A zod schema built on its first use instead of when its module loads.
 *
 * Why: zod builds a schema eagerly (every instance gets its methods attached), and module tops run in
 * every Lambda cold start. The detector imports the finding contract and its state items for the rare
 * batch that has a finding or a taint chain; built at load, they cost every cold start about 17 ms of
 * CPU (paired rounds, README "Speed and cost"). Only for schemas a handler does not need on most
 * invocations: a schema every invocation uses would just move its cost into the first one.
 *
 * The value stands in for the schema itself (a proxy that builds it on the first property read), so
 * importers, `z.infer<typeof …>` and schemas composed from it are unchanged: zod reaches a nested
 * schema only through its properties (`_zod`, methods, `instanceof` through `_zod.traits`).
 */
export function lazySchema<T extends object>(build: () => T): T {
  let built: T | undefined;
  const schema = (): T => (built ??= build());
  return new Proxy({} as T, {
    get: (_target, property) => Reflect.get(schema(), property) as unknown,
    has: (_target, property) => property in schema(),
    getPrototypeOf: () => Reflect.getPrototypeOf(schema()),
  });
}
