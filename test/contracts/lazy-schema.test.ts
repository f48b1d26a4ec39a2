import * as z from 'zod';
import { lazySchema } from '../../lib/contracts/lazy-schema';

function countedSchema() {
  let builds = 0;
  const schema = lazySchema(() => {
    builds += 1;
    return z.object({ id: z.string().regex(/^i-[0-9a-f]+$/), count: z.number().int().positive() });
  });
  return { schema, builds: () => builds };
}

describe('lazySchema', () => {
  it('builds nothing until the schema is first used, then builds it once', () => {
    const { schema, builds } = countedSchema();
    expect(builds()).toBe(0);

    schema.parse({ id: 'i-0abc', count: 1 });
    schema.safeParse({ id: 'nope', count: 1 });

    expect(builds()).toBe(1);
  });

  it('accepts and rejects exactly what the schema it builds does', () => {
    const { schema } = countedSchema();
    const good = { id: 'i-0abc', count: 3 };

    expect(schema.parse(good)).toEqual(good);
    expect(schema.safeParse({ id: 'i-0abc', count: 0 }).success).toBe(false);
    expect(schema.safeParse({ id: 'vol-1', count: 3 }).success).toBe(false);
    expect(() => schema.parse({ id: 'i-0abc' })).toThrow(z.ZodError);
  });

  it('composes like the schema itself: nested, extended, optional, instanceof', () => {
    const { schema } = countedSchema();
    const outer = z.object({ inner: schema, list: z.array(schema.extend({ tag: z.string() })) });

    expect(schema instanceof z.ZodObject).toBe(true);
    expect(schema.optional().parse(undefined)).toBeUndefined();
    expect(
      outer.parse({ inner: { id: 'i-1', count: 1 }, list: [{ id: 'i-2', count: 2, tag: 't' }] }),
    ).toEqual({
      inner: { id: 'i-1', count: 1 },
      list: [{ id: 'i-2', count: 2, tag: 't' }],
    });
    expect(outer.safeParse({ inner: { id: 'i-1', count: 1 }, list: [{ id: 'i-2', count: 2 }] }).success).toBe(
      false,
    );
    expect(outer.safeParse({ inner: { id: 'x', count: 1 }, list: [] }).success).toBe(false);
  });
});
