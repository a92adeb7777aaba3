/**
 * fast-check arbitraries for hostile JSON: any JSON value with strings that
 * hold NULs, lone surrogates, RTL marks and the like, and random mutations of
 * a valid document (a field deleted, replaced by another value of any type,
 * or an unknown field added), so most inputs are almost-valid, which is where
 * validators and the code behind them break.
 */
import fc from 'fast-check';

/** Values chosen to break storage and parsing: NUL, lone surrogates, huge and odd numbers, odd times. */
const edgeValues = fc.constantFrom<unknown>(
  '', '\u0000', 'a\u0000b', '\ud800', '\udfff', '\u202e', 'x'.repeat(5000), ' ', '0', 'null', '__proto__', 'constructor',
  0, -1, 1e308, -1e308, 2 ** 53 + 1, 0.1, null, true, false, [], {}, [null], { '': '' },
  '0001-01-01T00:00:00Z', '2024-02-30T00:00:00Z', '2024-05-01T08:00:00+14:00', '9999-12-31T23:59:59.999999999Z', 'firing', 'resolved', '4',
);

export const nastyJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' }) },
  { weight: 1, arbitrary: edgeValues },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ unit: 'binary', maxLength: 12 }), fc.oneof(edgeValues, fc.jsonValue({ maxDepth: 2, stringUnit: 'binary' })), { maxKeys: 6 }) },
);

type Path = Array<string | number>;

/** Every path into a document, the root excluded. */
function pathsOf(v: unknown, at: Path = []): Path[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => [[...at, i], ...pathsOf(x, [...at, i])]);
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => [[...at, k], ...pathsOf(x, [...at, k])]);
  return [];
}

function containerAt(doc: unknown, path: Path): Record<string | number, unknown> | null {
  let cur = doc;
  for (const p of path.slice(0, -1)) cur = (cur as Record<string | number, unknown>)[p];
  return cur && typeof cur === 'object' ? (cur as Record<string | number, unknown>) : null;
}

const mutation = fc.record({
  pick: fc.nat(),
  op: fc.constantFrom('delete', 'replace', 'replace', 'add'),
  value: fc.oneof(edgeValues, fc.jsonValue({ maxDepth: 2, stringUnit: 'binary' })),
  key: fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'alertname', 'severity')),
});

/** 0 to 3 mutations of `base` (deep-copied; the base is never changed). */
export function mutatedJson(base: unknown): fc.Arbitrary<unknown> {
  return fc.array(mutation, { maxLength: 3 }).map((ms) => {
    const doc = structuredClone(base);
    for (const m of ms) {
      const paths = pathsOf(doc);
      if (paths.length === 0) break;
      const path = paths[m.pick % paths.length]!;
      const parent = containerAt(doc, path);
      if (!parent) continue;
      const last = path.at(-1)!;
      if (m.op === 'delete') {
        if (Array.isArray(parent)) parent.splice(Number(last), 1);
        else delete parent[last];
      } else if (m.op === 'replace') parent[last] = structuredClone(m.value);
      else if (!Array.isArray(parent)) Object.defineProperty(parent, m.key, { value: structuredClone(m.value), enumerable: true, writable: true, configurable: true });
    }
    return doc;
  });
}
