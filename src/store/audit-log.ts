/**
 * Append-only, HMAC-chained audit log. Each row's hash is an HMAC-SHA256
 * (key from the environment, never in the database: src/store/audit-key.ts)
 * over its content and the previous row's hash, so editing or deleting a row
 * breaks the chain at that point, and recomputing the chain needs the key.
 * Truncating the tail leaves a valid chain: anchors written outside the
 * store (audit-anchor.ts) catch that. Appends are serialized by an advisory
 * lock so replicas sharing one Postgres still form a single chain.
 *
 * Rows written before the keyed chain (plain sha256, issue 16) stay as they
 * are: the first keyed row, `audit.chain-start`, records how many rows came
 * before it and the last one's hash, under the key. Rewriting those older
 * rows changes that hash, so they are covered from then on too. See docs/audit.md.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Db, Queryable, Unit } from './db.js';
import { maskDeep, maskSecrets } from '../core/secrets.js';
import { resolveAuditKey } from './audit-key.js';
import { canonical } from '../core/canonical-json.js';
import { anchorMac, appendAnchor, readAnchors, type Anchor } from './audit-anchor.js';

export interface AuditEntry {
  actor: string;
  platform: string;
  /** What happened: command, denied, approval.vote, step, alert... */
  kind: string;
  subject: string;
  outcome: string;
  detail?: Record<string, unknown>;
}

export interface AuditRow extends Required<AuditEntry> {
  id: number;
  at: Date;
  prevHash: string;
  hash: string;
}

export type VerifyProblem = 'rewrite' | 'gap' | 'truncation' | 'anchor' | 'unkeyed';

export type VerifyResult =
  | { ok: true; rows: number; /** Rows before the keyed chain (plain sha256, covered by the chain-start row). */ legacyRows: number; anchor: Anchor | null }
  | { ok: false; rows: number; brokenAt: number; problem: VerifyProblem; reason: string };

export interface AuditOptions {
  /** HMAC key; default resolveAuditKey(db, process.env). */
  key?: string;
  /** Append-only anchor file outside the store; null: no anchors (an in-memory store). */
  anchorFile?: string | null;
}

const GENESIS = '0'.repeat(64);
export const CHAIN_START = 'audit.chain-start';

export class AuditLog {
  private readonly key: string;
  readonly anchorFile: string | null;
  /** The last anchor this process wrote, held against the file by verify. */
  private written: Anchor | null = null;
  /** This process has seen the chain-start row (or written it). */
  private chainStarted = false;

  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
    /** Told about each row once it is committed (metrics count decisions and executions from here). */
    private readonly onAppend: (row: AuditRow) => void = () => {},
    opts: AuditOptions = {},
  ) {
    this.key = opts.key ?? resolveAuditKey(db);
    this.anchorFile = opts.anchorFile ?? null;
  }

  async append(entry: AuditEntry, unit?: Unit): Promise<AuditRow> {
    const detail = maskDeep(entry.detail ?? {});
    // The outcome (and kind, actor, platform) is structure, never masked; the subject and detail are content (a command line).
    const e = { ...entry, subject: maskSecrets(entry.subject), detail };
    const write = async (tx: Queryable): Promise<AuditRow> => {
      await tx.query('SELECT pg_advisory_xact_lock(7420002)');
      const last = await tx.query<{ hash: string }>('SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1');
      let prevHash = last.rows[0]?.hash ?? GENESIS;
      const at = this.now();
      if (!this.chainStarted || !last.rows[0]) {
        const started = await tx.query(`SELECT 1 FROM audit_log WHERE kind = $1 LIMIT 1`, [CHAIN_START]);
        if (started.rowCount === 0) prevHash = (await this.insert(tx, prevHash, at, await this.chainStart(tx, prevHash))).hash;
      }
      return this.insert(tx, prevHash, at, e);
    };
    const committed = (row: AuditRow) => {
      this.chainStarted = true;
      try {
        this.onAppend(row);
      } catch {
        /* an observer's failure must not fail the audited operation */
      }
    };
    // In a caller's transaction (a request's outcome): the chain's lock is held until that one commits.
    if (unit) {
      const row = await write(unit.tx);
      unit.after(() => committed(row));
      return row;
    }
    const row = await this.db.transaction(write);
    committed(row);
    return row;
  }

  /** The first keyed row: a fresh chain id, and how many unkeyed rows precede it and the last one's hash. */
  private async chainStart(tx: Pick<Db, 'query'>, legacyHead: string): Promise<AuditEntry & { detail: Record<string, unknown> }> {
    const n = await tx.query<{ n: number | string }>('SELECT count(*) AS n FROM audit_log');
    const legacyRows = Number(n.rows[0]!.n);
    return {
      actor: 'keyturn', platform: 'system', kind: CHAIN_START, subject: 'audit chain', outcome: 'started',
      detail: { chain: `c-${randomBytes(6).toString('hex')}`, alg: 'hmac-sha256', legacyRows, legacyHead },
    };
  }

  private async insert(tx: Pick<Db, 'query'>, prevHash: string, at: Date, e: AuditEntry & { detail: Record<string, unknown> }): Promise<AuditRow> {
    const hash = keyedHash(this.key, prevHash, at, e);
    const r = await tx.query<{ id: number }>(
      `INSERT INTO audit_log (at, actor, platform, kind, subject, outcome, detail, prev_hash, hash)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id`,
      [at.toISOString(), e.actor, e.platform, e.kind, e.subject, e.outcome, JSON.stringify(e.detail), prevHash, hash],
    );
    return { id: Number(r.rows[0]!.id), at, ...e, prevHash, hash };
  }

  async recent(limit = 20, filter: { subject?: string; kind?: string } = {}): Promise<AuditRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.subject) {
      params.push(`%${filter.subject}%`);
      where.push(`subject LIKE $${params.length}`);
    }
    if (filter.kind) {
      params.push(filter.kind);
      where.push(`kind = $${params.length}`);
    }
    params.push(limit);
    const r = await this.db.query<RawRow>(
      `SELECT * FROM audit_log ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
    return r.rows.map(fromRaw);
  }

  /**
   * Writes an anchor (chain id, row count, head id and hash) to the anchor file and returns it;
   * null when there is no keyed chain yet or no anchor file. The rows are read in one snapshot
   * under the append lock, so the count and the head agree.
   */
  async anchor(): Promise<Anchor | null> {
    // Nowhere to write it (an in-memory store): no snapshot under the append lock for nothing.
    if (!this.anchorFile) return null;
    const a = await this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(7420002)');
      const start = await tx.query<RawRow>(`SELECT * FROM audit_log WHERE kind = $1 ORDER BY id LIMIT 1`, [CHAIN_START]);
      if (!start.rows[0]) return null;
      const head = await tx.query<{ id: number | string; hash: string }>('SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1');
      const n = await tx.query<{ n: number | string }>('SELECT count(*) AS n FROM audit_log');
      const body = { at: this.now().toISOString(), chain: String(fromRaw(start.rows[0]).detail.chain), rows: Number(n.rows[0]!.n), headId: Number(head.rows[0]!.id), headHash: head.rows[0]!.hash };
      return { v: 1 as const, ...body, mac: anchorMac(this.key, body) };
    });
    if (a && this.anchorFile) {
      appendAnchor(this.anchorFile, a);
      this.written = a;
    }
    return a && this.anchorFile ? a : null;
  }

  /**
   * Walks the chain in id order with the key, then holds it against every anchor of this chain
   * in the anchor file. Reports the first row whose link or HMAC does not match (a rewrite or a
   * deleted row), and a log shorter than an anchor (truncation).
   */
  async verify(): Promise<VerifyResult> {
    const found = this.anchorFile ? readAnchors(this.anchorFile, this.key) : { anchors: [], bad: [] };
    if (found.bad.length) {
      const b = found.bad[0]!;
      return { ok: false, rows: 0, brokenAt: 0, problem: 'anchor', reason: `line ${b.line} of the anchor file ${this.anchorFile} does not verify: ${b.why}` };
    }
    // The last anchor this process wrote must still be in the file: a deleted or cut anchor file would otherwise hide a truncation.
    const w = this.written;
    if (w && !found.anchors.some((a) => a.chain === w.chain && a.headId === w.headId && a.headHash === w.headHash)) {
      return { ok: false, rows: 0, brokenAt: w.headId, problem: 'anchor', reason: `the anchor file ${this.anchorFile} lost the anchor this process wrote at ${w.at} (${w.rows} rows, head row ${w.headId}): it was deleted or cut, so a truncation could hide behind it` };
    }
    // Anchors of a chain the database no longer holds: the whole log was replaced (every anchored row of it is gone).
    const chains = [...new Set(found.anchors.map((a) => a.chain))];
    let prev = GENESIS;
    let count = 0;
    let lastId = 0;
    let chain: string | null = null;
    let legacyRows = 0;
    const anchors = new Map<number, Anchor>();
    const seen = new Set<number>();
    const fail = (brokenAt: number, problem: VerifyProblem, reason: string): VerifyResult => ({ ok: false, rows: count, brokenAt, problem, reason });
    const page = 1000;
    for (;;) {
      const r = await this.db.query<RawRow>('SELECT * FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2', [lastId, page]);
      for (const raw of r.rows) {
        const row = fromRaw(raw);
        count++;
        if (row.prevHash !== prev) {
          if (chain === null && row.kind === CHAIN_START && count > 1) return fail(row.id, 'rewrite', `the ${count - 1} rows before the keyed chain (which starts at row ${row.id}) were altered, added or deleted: their last hash is not the one the chain-start row recorded under the key`);
          return fail(row.id, 'gap', `row ${row.id} does not follow the previous row (a row before it was deleted or altered)`);
        }
        if (chain === null && row.kind !== CHAIN_START) {
          // Before the keyed chain: plain sha256, checked here and pinned by the chain-start row's HMAC below.
          if (plainHash(row.prevHash, row.at, row) !== row.hash) return fail(row.id, 'rewrite', `row ${row.id} was altered after it was written (its content no longer matches its hash)`);
        } else {
          if (keyedHash(this.key, row.prevHash, row.at, row) !== row.hash) {
            return fail(row.id, 'rewrite', `row ${row.id} was altered after it was written: its HMAC does not match (content rewritten, or its hash recomputed without the audit key)`);
          }
          if (chain === null) {
            legacyRows = count - 1;
            if (row.detail.legacyRows !== legacyRows) return fail(row.id, 'gap', `the keyed chain starts at row ${row.id} after ${String(row.detail.legacyRows)} older rows, but ${legacyRows} are there`);
            chain = String(row.detail.chain);
            for (const a of found.anchors) if (a.chain === chain) anchors.set(a.headId, a);
          }
          const a = anchors.get(row.id);
          if (a) seen.add(row.id);
          if (a && (a.headHash !== row.hash || a.rows !== count)) {
            return fail(row.id, a.headHash !== row.hash ? 'rewrite' : 'gap', `row ${row.id} does not match the anchor of ${a.at} (${a.rows} rows, head ${a.headHash.slice(0, 12)}…): ${count} rows up to it, hash ${row.hash.slice(0, 12)}…`);
          }
        }
        prev = row.hash;
        lastId = row.id;
      }
      if (r.rows.length < page) break;
    }
    if (count > 0 && chain === null) {
      return fail(lastId, 'unkeyed', `none of the ${count} rows is keyed: no ${CHAIN_START} row (it was deleted, or nothing was appended since the upgrade)`);
    }
    const latest = found.anchors.at(-1) ?? null;
    const gone = chains.filter((c) => c !== chain);
    if (gone.length && latest && latest.chain === chain) {
      const a = found.anchors.filter((x) => x.chain === gone.at(-1)).at(-1)!;
      return fail(a.headId, 'truncation', `the audit chain was replaced: the anchor of ${a.at} recorded chain ${a.chain} with ${a.rows} rows, none of which is in the database (it holds chain ${chain}, started later). If the log was deliberately archived and reset, move the anchor file aside.`);
    }
    if (latest && latest.chain !== chain) {
      return fail(latest.headId, 'truncation', chain
        ? `the audit chain was replaced: the latest anchor (${latest.at}) is for chain ${latest.chain} with ${latest.rows} rows, the database holds chain ${chain}`
        : `the audit log is empty but the anchor of ${latest.at} recorded ${latest.rows} rows: it was truncated (or this is not the database the anchors were written for)`);
    }
    // Rows appended after a truncation link to what is left, so the chain alone looks whole: the anchored head is what is missing.
    const missing = [...anchors.values()].filter((a) => !seen.has(a.headId)).sort((a, b) => b.headId - a.headId)[0];
    if (missing) {
      return fail(missing.headId, 'truncation', `the log was truncated: the anchor of ${missing.at} recorded ${missing.rows} rows ending at row ${missing.headId}, which is missing; ${count} rows are there, the last is row ${lastId}`);
    }
    return { ok: true, rows: count, legacyRows, anchor: latest };
  }
}

interface RawRow {
  id: number | string;
  at: Date | string;
  actor: string;
  platform: string;
  kind: string;
  subject: string;
  outcome: string;
  detail: Record<string, unknown> | string;
  prev_hash: string;
  hash: string;
}

function fromRaw(r: RawRow): AuditRow {
  return {
    id: Number(r.id),
    at: new Date(r.at),
    actor: r.actor,
    platform: r.platform,
    kind: r.kind,
    subject: r.subject,
    outcome: r.outcome,
    detail: typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

type Hashed = Omit<AuditEntry, 'detail'> & { detail: Record<string, unknown> };

function content(prevHash: string, at: Date, e: Hashed): string {
  return canonical([prevHash, at.toISOString(), e.actor, e.platform, e.kind, e.subject, e.outcome, e.detail]);
}

function keyedHash(key: string, prevHash: string, at: Date, e: Hashed): string {
  return createHmac('sha256', key).update(content(prevHash, at, e)).digest('hex');
}

/** How rows were chained before the key (kept only to check those rows). */
export function plainHash(prevHash: string, at: Date, e: Hashed): string {
  return createHash('sha256').update(content(prevHash, at, e)).digest('hex');
}

