import { describe, expect, it } from 'vitest';
import { toJournalValue } from '../../actors/serialize.js';
import { ValidationError } from '../../errors.js';

/** What the journal gives back on replay: the value through JSON. */
const throughJson = (value: unknown): unknown => {
  const json = JSON.stringify(value);
  return json === undefined ? undefined : JSON.parse(json);
};

/**
 * A step's result is recorded as JSON would rebuild it, so the live value and the replayed one
 * are the same. Plain data is copied without the text (a fast path); these check that the copy
 * is exactly what JSON gives, key order included, and that it is a copy.
 */
describe('a value as the journal keeps it', () => {
  class Point {
    constructor(
      readonly x: number,
      readonly y: number,
    ) {}
  }
  const inheriting = Object.create({ inherited: 1 }) as Record<string, unknown>;
  inheriting.own = 2;
  const withGetter = { get computed() { return 'got'; }, plain: 1 };
  const nullPrototype = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1, b: [true] });

  const cases: [string, unknown][] = [
    ['a step result', { step: 'A', index: 7, note: 'x'.repeat(60) }],
    ['nested data', { list: [1, 'two', null, { deep: [[], {}] }], flag: false, n: -12.5e-7 }],
    ['integer-like keys first, then the rest in order', { b: 1, 2: 'two', a: 2, 1: 'one', '-1': 'minus' }],
    ['-0, NaN and Infinity', { zero: -0, nan: Number.NaN, inf: Infinity, list: [-0, Number.NaN, -Infinity] }],
    ['undefined, functions and symbols in an object are left out', { u: undefined, f: () => 1, s: Symbol('s'), kept: 1 }],
    ['undefined, a function or a hole in an array become null', [undefined, () => 1, , 3]], // eslint-disable-line no-sparse-arrays
    ['a Date becomes its ISO string', { at: new Date(0) }],
    ['a toJSON is called', { money: { toJSON: () => '12.50 EUR' } }],
    ['a class instance keeps only its fields', new Point(1, 2)],
    ['a Map becomes {}', { map: new Map([[1, 2]]) }],
    ['a typed array becomes an object of indexes', { bytes: new Uint8Array([1, 2]) }],
    ['an inherited enumerable key is left out', inheriting],
    ['a getter is read', withGetter],
    ['an object without a prototype', nullPrototype],
    ['a "__proto__" key is kept as data', JSON.parse('{"__proto__": {"x": 1}, "y": 2}')],
    ['boxed primitives are unboxed', { s: new String('s'), n: new Number(3), b: new Boolean(false) }],
    ['lone surrogates and escapes', { text: 'a\ud800b "quoted" \\ \n é 😀' }],
    ['a deep list', JSON.parse(`${'['.repeat(60)}1${']'.repeat(60)}`)],
  ];

  it.each(cases)('%s: equals the JSON round trip, key order included', (_name, value) => {
    const journaled = toJournalValue(value, 'the value');
    expect(journaled).toEqual(throughJson(value));
    expect(JSON.stringify(journaled)).toBe(JSON.stringify(throughJson(value)));
    if (typeof journaled === 'object' && journaled !== null) {
      expect(Object.getPrototypeOf(journaled)).toBe(Array.isArray(journaled) ? Array.prototype : Object.prototype);
    }
  });

  it('a key made enumerable on Object.prototype (a polluted prototype) is left out, as JSON leaves it out', () => {
    Object.defineProperty(Object.prototype, 'polluted', { value: 'bad', enumerable: true, configurable: true, writable: true });
    try {
      expect(toJournalValue({ own: 1, inner: { own: 2 } }, 'the value')).toEqual({ own: 1, inner: { own: 2 } });
      expect(Object.keys(toJournalValue({ own: 1 }, 'the value') as object)).toEqual(['own']);
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted;
    }
  });

  it('is a copy: changing what the step returned afterwards does not change the journal', () => {
    const result = { list: [1, 2], inner: { n: 1 } };
    const journaled = toJournalValue(result, 'the value') as typeof result;
    result.list.push(3);
    result.inner.n = 2;
    expect(journaled).toEqual({ list: [1, 2], inner: { n: 1 } });
  });

  it('keeps primitives and undefined as they are', () => {
    for (const value of ['s', true, null, 3, undefined]) expect(toJournalValue(value, 'the value')).toBe(value);
    expect(toJournalValue(Number.NaN, 'the value')).toBe(null);
  });

  it('a cycle or a BigInt is a clear error that names the value', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => toJournalValue(cyclic, 'result of step "S"')).toThrow(ValidationError);
    expect(() => toJournalValue(cyclic, 'result of step "S"')).toThrow(/result of step "S" cannot be stored as JSON/);
    expect(() => toJournalValue({ n: 1n }, 'result of step "S"')).toThrow(/cannot be stored as JSON/);
  });
});
