/**
 * Append-only, hash-chained audit log. Each row's hash covers its content and
 * the previous row's hash, so editing or deleting a row breaks the chain at
 * that point and `verify` names it. Appends are serialized by an advisory
 * lock so replicas sharing one Postgres still form a single chain.
 */
import { createHash } from 'node:crypto';
import type { Db } from './db.js';
import { maskDeep, maskSecrets } from '../core/secrets.js';

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

export type VerifyResult =
  | { ok: true; rows: number }
  | { ok: false; rows: number; brokenAt: number; reason: string };

const GENESIS = '0'.repeat(64);

export class AuditLog {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
    /** Told about each row once it is committed (metrics count decisions and executions from here). */
    private readonly onAppend: (row: AuditRow) => void = () => {},
  ) {}

  async append(entry: AuditEntry): Promise<AuditRow> {
    const detail = maskDeep(entry.detail ?? {});
    // The outcome (and kind, actor, platform) is structure, never masked; the subject and detail are content (a command line).
    const e = { ...entry, subject: maskSecrets(entry.subject), detail };
    const row = await this.db.transaction(async (tx): Promise<AuditRow> => {
      await tx.query('SELECT pg_advisory_xact_lock(7420002)');
      const last = await tx.query<{ hash: string }>('SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1');
      const prevHash = last.rows[0]?.hash ?? GENESIS;
      const at = this.now();
      const hash = rowHash(prevHash, at, e);
      const r = await tx.query<{ id: number }>(
        `INSERT INTO audit_log (at, actor, platform, kind, subject, outcome, detail, prev_hash, hash)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id`,
        [at.toISOString(), e.actor, e.platform, e.kind, e.subject, e.outcome, JSON.stringify(detail), prevHash, hash],
      );
      return { id: Number(r.rows[0]!.id), at, ...e, detail, prevHash, hash };
    });
    try {
      this.onAppend(row);
    } catch {
      /* an observer's failure must not fail the audited operation */
    }
    return row;
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

  /** Walks the chain in id order; reports the first row whose link or content does not match. */
  async verify(): Promise<VerifyResult> {
    let prev = GENESIS;
    let count = 0;
    let lastId = 0;
    const page = 1000;
    for (;;) {
      const r = await this.db.query<RawRow>('SELECT * FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2', [lastId, page]);
      for (const raw of r.rows) {
        const row = fromRaw(raw);
        count++;
        if (row.prevHash !== prev) {
          return { ok: false, rows: count, brokenAt: row.id, reason: `row ${row.id} does not follow the previous row (a row before it was deleted or altered)` };
        }
        if (rowHash(row.prevHash, row.at, row) !== row.hash) {
          return { ok: false, rows: count, brokenAt: row.id, reason: `row ${row.id} was altered after it was written (its content no longer matches its hash)` };
        }
        prev = row.hash;
        lastId = row.id;
      }
      if (r.rows.length < page) return { ok: true, rows: count };
    }
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

function rowHash(prevHash: string, at: Date, e: Omit<AuditEntry, 'detail'> & { detail: Record<string, unknown> }): string {
  const content = canonical([prevHash, at.toISOString(), e.actor, e.platform, e.kind, e.subject, e.outcome, e.detail]);
  return createHash('sha256').update(content).digest('hex');
}

/** JSON with sorted keys: JSONB does not keep key order, the hash must not depend on it. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
