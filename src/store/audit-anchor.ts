/**
 * Anchors of the audit chain kept OUTSIDE the store: one JSON line per anchor
 * (chain id, row count, head row id and hash, time) appended to a 0600 file,
 * each line MACed with the audit key. Whoever can rewrite the database cannot
 * make the log shorter than an anchor says without `/audit verify` noticing,
 * and cannot forge an anchor without the key.
 */
import { createHmac } from 'node:crypto';
import { appendFileSync, chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { Db } from './db.js';

export const ANCHOR_FILE = 'audit-anchors.jsonl';

export const anchorSchema = z.strictObject({
  v: z.literal(1),
  at: z.string(),
  /** The chain's id (from its audit.chain-start row): a replaced chain is not mistaken for this one. */
  chain: z.string(),
  rows: z.number().int().nonnegative(),
  headId: z.number().int().nonnegative(),
  headHash: z.string(),
  mac: z.string().regex(/^[0-9a-f]{64}$/),
});
export type Anchor = z.infer<typeof anchorSchema>;

export function anchorMac(key: string, a: Omit<Anchor, 'mac' | 'v'>): string {
  return createHmac('sha256', key).update(JSON.stringify(['anchor', a.chain, a.rows, a.headId, a.headHash, a.at])).digest('hex');
}

/**
 * Where anchors go: KEYTURN_AUDIT_ANCHOR_FILE, else next to the embedded store, else (Postgres)
 * <KEYTURN_DATA_DIR>/audit-anchors.jsonl. An in-memory store has none unless the variable is set.
 */
export function anchorPathFor(db: Pick<Db, 'kind' | 'dataDir'>, env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.KEYTURN_AUDIT_ANCHOR_FILE?.trim()) return env.KEYTURN_AUDIT_ANCHOR_FILE.trim();
  if (db.kind === 'pglite') return db.dataDir ? join(db.dataDir, ANCHOR_FILE) : null;
  const data = env.KEYTURN_DATA_DIR ?? '.keyturn';
  return data === ':memory:' ? null : join(data, ANCHOR_FILE);
}

export function appendAnchor(path: string, a: Anchor): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  appendFileSync(path, JSON.stringify(a) + '\n', { mode: 0o600 });
  chmodSync(path, 0o600);
}

export interface ReadAnchors {
  anchors: Anchor[];
  /** Lines that are not anchors or whose MAC does not match the key: written by someone else. */
  bad: Array<{ line: number; why: string }>;
}

export function readAnchors(path: string, key: string): ReadAnchors {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { anchors: [], bad: [] };
    throw err;
  }
  const anchors: Anchor[] = [];
  const bad: ReadAnchors['bad'] = [];
  text.split('\n').forEach((raw, i) => {
    if (!raw.trim()) return;
    let parsed: Anchor;
    try {
      parsed = anchorSchema.parse(JSON.parse(raw));
    } catch {
      bad.push({ line: i + 1, why: 'not an anchor line' });
      return;
    }
    if (anchorMac(key, parsed) !== parsed.mac) bad.push({ line: i + 1, why: 'its MAC does not match the audit key (forged, edited, or written with another key)' });
    else anchors.push(parsed);
  });
  return { anchors, bad };
}
