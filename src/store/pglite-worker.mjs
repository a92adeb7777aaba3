// @ts-check
/**
 * The embedded store's thread: PGlite (Postgres in WebAssembly) opened here, so its queries run beside
 * the bot's event loop instead of on it (an ack never waits behind a query). pglite-db.ts owns this
 * thread and is the only sender: one request at a time reaches PGlite, in the order they were sent.
 *
 * Plain JavaScript on purpose: the same file runs from the sources (tests, tsx) and from dist/
 * (tsc copies it there, allowJs), with no TypeScript loader to start inside the thread. It imports
 * nothing of Keyturn's, only PGlite.
 *
 * Requests:  { id, op: 'query', sql, params } | { id, op: 'begin' | 'commit' | 'rollback' | 'close' }
 * Answers:   { id, rows, rowCount } | { id, error: { message, name, code?, detail?, ... } }
 * At start:  { id: 0, ready: true } or { id: 0, error } (then the thread ends).
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

/**
 * @typedef {{ dataDir: string | null, options: import('@electric-sql/pglite').PGliteOptions, templateFile: string | null }} Init
 * @typedef {{ id: number, op: 'query', sql: string, params: unknown[] } | { id: number, op: 'begin' | 'commit' | 'rollback' | 'close' }} Request
 */

/** What a Postgres error carries besides its message (pg's DatabaseError fields): callers branch on `code`. */
const ERROR_FIELDS = ['code', 'severity', 'detail', 'hint', 'position', 'internalPosition', 'internalQuery', 'where', 'schema', 'table', 'column', 'dataType', 'constraint', 'file', 'line', 'routine'];

const port = parentPort;
if (!port) throw new Error('pglite-worker.mjs runs as a worker thread of src/store/pglite-db.ts');
const init = /** @type {Init} */ (workerData);

/** @param {unknown} err */
function plain(err) {
  const e = /** @type {Record<string, unknown>} */ (err instanceof Error ? err : { message: String(err) });
  /** @type {Record<string, unknown>} */
  const out = { message: String(e.message ?? err), name: err instanceof WebAssembly.RuntimeError ? 'RuntimeError' : String(e.name ?? 'Error') };
  for (const f of ERROR_FIELDS) if (typeof e[f] === 'string') out[f] = e[f];
  return out;
}

/** pg's meaning: rows returned by a SELECT, rows changed by a write. PGlite reports affectedRows = 0 for a SELECT. */
function rowCount(/** @type {{ rows: unknown[], affectedRows?: number }} */ r) {
  return Math.max(r.affectedRows ?? 0, r.rows.length);
}

/** An in-memory store starts from the initdb template (pglite-template.ts); without it PGlite runs initdb. */
function template() {
  try {
    return init.templateFile ? { loadDataDir: new Blob([readFileSync(init.templateFile)]) } : {};
  } catch {
    return {};
  }
}

/** @type {PGlite} */
let pg;
try {
  pg = init.dataDir ? await PGlite.create(init.dataDir, init.options) : await PGlite.create({ ...init.options, ...template() });
} catch (err) {
  port.postMessage({ id: 0, error: plain(err) });
  process.exit(1);
}
port.postMessage({ id: 0, ready: true });

/**
 * Set when a BEGIN failed: the owner sends a transaction's queries without waiting for its BEGIN, so until that
 * transaction's COMMIT or ROLLBACK they must fail too rather than run outside any transaction.
 * @type {unknown}
 */
let failedBegin = null;

/** @param {Request} req */
async function handle(req) {
  if (failedBegin && req.op !== 'close') {
    const err = failedBegin;
    if (req.op === 'commit' || req.op === 'rollback') failedBegin = null;
    throw err;
  }
  switch (req.op) {
    case 'query': {
      const r = await pg.query(req.sql, req.params);
      return { rows: r.rows, rowCount: rowCount(r) };
    }
    case 'begin':
      try {
        await pg.exec('BEGIN');
      } catch (err) {
        failedBegin = err;
        throw err;
      }
      return { rows: [], rowCount: 0 };
    case 'commit': {
      // COMMIT of a transaction an error aborted answers ROLLBACK: the caller must hear that nothing was kept (as PGlite's own transaction() says).
      const [r] = await pg.exec('COMMIT');
      if (r?.command === 'ROLLBACK') throw Object.assign(new Error('Transaction was rolled back instead of committed'), { code: '25P02', severity: 'ERROR' });
      return { rows: [], rowCount: 0 };
    }
    case 'rollback':
      await pg.exec('ROLLBACK');
      return { rows: [], rowCount: 0 };
    case 'close':
      await pg.close();
      return { rows: [], rowCount: 0 };
  }
}

let chain = Promise.resolve();
port.on('message', (/** @type {Request} */ req) => {
  chain = chain.then(async () => {
    try {
      port.postMessage({ id: req.id, ...(await handle(req)) });
    } catch (err) {
      port.postMessage({ id: req.id, error: plain(err) });
      // WebAssembly aborted: this PGlite is gone. End the thread so the owner fails every later query at once.
      if (err instanceof WebAssembly.RuntimeError) process.exit(2);
    }
  });
});
