/**
 * A small evaluator of EventBridge event patterns, for tests and the local demo: no maintained npm
 * package does this (research/remediation.md). It follows the documented semantics
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html and
 * eb-create-pattern-operators.html) for the operators it knows, and throws on any other, so a
 * pattern it cannot judge never silently "matches".
 *
 * - Every field named in the pattern must match (AND); the values listed for one field are ORed.
 * - A pattern value that is an object descends into the event's object at that key.
 * - When the event's value is an array, the field matches if any element matches.
 * - Exact values match by type and value (`5` does not match `"5"`); `null` matches a JSON null.
 * - Operators: prefix, suffix, equals-ignore-case, wildcard (`*` for any run of characters, `\*` a
 *   literal star), anything-but (value, list, or {prefix}), numeric (=, <, <=, >, >= pairs), exists,
 *   and `$or` at any object level.
 */
export class UnsupportedPatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedPatternError';
  }
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const MISSING = Symbol('missing');
type Field = Json | typeof MISSING;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  if (!isObject(pattern)) throw new UnsupportedPatternError('an event pattern must be a JSON object');
  return matchObject(pattern, isObject(event) ? event : {});
}

function matchObject(pattern: JsonObject, event: JsonObject): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    if (key === '$or') {
      if (!Array.isArray(rule) || rule.length < 2)
        throw new UnsupportedPatternError('$or needs a list of two or more patterns');
      return rule.some((alternative) => {
        if (!isObject(alternative))
          throw new UnsupportedPatternError('each $or alternative must be an object');
        return matchObject(alternative, event);
      });
    }
    const field: Field = Object.prototype.hasOwnProperty.call(event, key) ? (event[key] as Json) : MISSING;
    if (isObject(rule)) return isObject(field) && matchObject(rule, field);
    if (!Array.isArray(rule))
      throw new UnsupportedPatternError(`the value of "${key}" must be a list or an object`);
    if (rule.length === 0) throw new UnsupportedPatternError(`the list for "${key}" is empty`);
    return rule.some((leaf) => matchLeaf(leaf, field));
  });
}

function matchLeaf(leaf: Json, field: Field): boolean {
  if (isObject(leaf)) {
    const entries = Object.entries(leaf);
    const [operator, operand] = entries[0] ?? [];
    if (entries.length !== 1 || operator === undefined || operand === undefined) {
      throw new UnsupportedPatternError(
        `an operator object must hold exactly one operator: ${JSON.stringify(leaf)}`,
      );
    }
    if (operator === 'exists') {
      if (typeof operand !== 'boolean') throw new UnsupportedPatternError('exists takes true or false');
      return operand ? field !== MISSING : field === MISSING;
    }
    if (field === MISSING) return false;
    return anyElement(field, (value) => matchOperator(operator, operand, value));
  }
  if (field === MISSING) return false;
  return anyElement(field, (value) => value === leaf);
}

function anyElement(field: Json, test: (value: Json) => boolean): boolean {
  return Array.isArray(field) ? field.some(test) : test(field);
}

function matchOperator(operator: string, operand: Json, value: Json): boolean {
  switch (operator) {
    case 'prefix':
      return matchAffix(operand, value, (v, a) => v.startsWith(a));
    case 'suffix':
      return matchAffix(operand, value, (v, a) => v.endsWith(a));
    case 'equals-ignore-case':
      if (typeof operand !== 'string') throw new UnsupportedPatternError('equals-ignore-case takes a string');
      return typeof value === 'string' && value.toLowerCase() === operand.toLowerCase();
    case 'wildcard':
      if (typeof operand !== 'string') throw new UnsupportedPatternError('wildcard takes a string');
      return typeof value === 'string' && wildcardRegExp(operand).test(value);
    case 'anything-but':
      return matchAnythingBut(operand, value);
    case 'numeric':
      return matchNumeric(operand, value);
    default:
      throw new UnsupportedPatternError(`operator "${operator}" is not supported by this matcher`);
  }
}

/** EventBridge wildcards: `*` is any run of characters (none too), `\*` a literal star, no other magic. */
function wildcardRegExp(pattern: string): RegExp {
  if (pattern.includes('**')) throw new UnsupportedPatternError('wildcard: consecutive * are not allowed');
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    if (char === '\\' && pattern[i + 1] === '*') {
      source += '\\*';
      i++;
    } else if (char === '*') source += '.*';
    else source += char.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

function matchAffix(operand: Json, value: Json, test: (value: string, affix: string) => boolean): boolean {
  if (typeof value !== 'string') return false;
  if (typeof operand === 'string') return test(value, operand);
  if (isObject(operand) && typeof operand['equals-ignore-case'] === 'string') {
    return test(value.toLowerCase(), operand['equals-ignore-case'].toLowerCase());
  }
  throw new UnsupportedPatternError(`prefix/suffix takes a string: ${JSON.stringify(operand)}`);
}

function matchAnythingBut(operand: Json, value: Json): boolean {
  if (isObject(operand)) {
    const prefix = operand['prefix'];
    if (typeof prefix !== 'string')
      throw new UnsupportedPatternError('anything-but supports only a value, a list or {prefix}');
    return typeof value === 'string' && !value.startsWith(prefix);
  }
  const excluded = Array.isArray(operand) ? operand : [operand];
  return !excluded.some((e) => e === value);
}

const COMPARATORS: Record<string, (a: number, b: number) => boolean> = {
  '=': (a, b) => a === b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

function matchNumeric(operand: Json, value: Json): boolean {
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0 || operand.length > 4) {
    throw new UnsupportedPatternError(
      `numeric takes one or two [operator, number] pairs: ${JSON.stringify(operand)}`,
    );
  }
  // EventBridge compares numbers only: a numeric-looking string ("8") never matches a numeric rule.
  if (typeof value !== 'number') return false;
  for (let i = 0; i < operand.length; i += 2) {
    const op = operand[i];
    const bound = operand[i + 1];
    const compare = typeof op === 'string' ? COMPARATORS[op] : undefined;
    if (compare === undefined || typeof bound !== 'number') {
      throw new UnsupportedPatternError(`numeric: bad comparison ${JSON.stringify([op, bound])}`);
    }
    if (!compare(value, bound)) return false;
  }
  return true;
}
