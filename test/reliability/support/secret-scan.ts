// Finding secret values in whatever a process left behind: text, JSON values
// and raw file bytes. A secret counts as leaked in any form a reader could
// turn back into it: as is, JSON- or URL-escaped, base64 or hex encoded, or a
// long enough piece of its random part (a truncated echo is still a leak).
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface Secret {
  /** Which variable it is, for the failure message. */
  name: string;
  value: string;
}

export interface Needle {
  secret: string;
  form: string;
  bytes: Buffer;
}

/** `prefix` + 24 random hex characters: the hex tail is what makes pieces of it recognisable. */
export function distinctive(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('hex')}`;
}

/** Base64 of `s` at each of the three byte alignments it can have inside a longer encoded value. */
function base64Forms(s: string): string[] {
  const out: string[] = [];
  for (let k = 0; k < 3; k++) {
    const bytes = Buffer.from(s);
    const b64 = Buffer.concat([Buffer.alloc(k, 0x20), bytes]).toString('base64');
    // Only the characters whose 6 bits all come from the secret: the edges mix in neighbouring bytes.
    const pure = b64.slice(Math.ceil((8 * k) / 6), Math.floor((8 * (k + bytes.length)) / 6));
    if (pure.length >= 8) out.push(pure);
  }
  return out;
}

/** Pieces of the random hex tail: 10 characters every 5, so any 14 consecutive tail characters contain one. */
function tailPieces(s: string): string[] {
  const tail = /[0-9a-f]{20,}$/.exec(s)?.[0];
  if (!tail) return [];
  const out: string[] = [];
  for (let i = 0; i + 10 <= tail.length; i += 5) out.push(tail.slice(i, i + 10));
  out.push(tail.slice(-10));
  return out;
}

export function needlesFor(secrets: Secret[]): Needle[] {
  const needles: Needle[] = [];
  for (const { name, value } of secrets) {
    const forms = new Map<string, string>([
      [value, 'as is'],
      [JSON.stringify(value).slice(1, -1), 'JSON-escaped'],
      [JSON.stringify(JSON.stringify(value)).slice(2, -2), 'JSON-escaped twice'],
      [encodeURIComponent(value), 'URL-encoded'],
      [Buffer.from(value).toString('hex'), 'hex'],
    ]);
    for (const b of base64Forms(value)) forms.set(b, 'base64');
    for (const p of tailPieces(value)) if (!forms.has(p)) forms.set(p, `piece of its random part (${p})`);
    for (const [form, label] of forms) needles.push({ secret: name, form: label, bytes: Buffer.from(form) });
  }
  return needles;
}

export interface Finding {
  where: string;
  secret: string;
  form: string;
  context: string;
}

/** Every needle found in `data`, with a little surrounding text for the failure message. */
export function scan(where: string, data: string | Buffer, needles: Needle[]): Finding[] {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  const found: Finding[] = [];
  for (const n of needles) {
    const at = buf.indexOf(n.bytes);
    if (at < 0) continue;
    const context = buf.subarray(Math.max(0, at - 60), at + n.bytes.length + 60).toString('utf8').replace(/[^\x20-\x7e]/g, '.');
    found.push({ where, secret: n.secret, form: n.form, context });
  }
  return found;
}

/** Every regular file under `dir`, recursively (symlinks not followed). */
export function walkFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walkFiles(p));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

export interface FileScan {
  files: number;
  bytes: number;
  findings: Finding[];
}

export function scanFiles(dir: string, needles: Needle[]): FileScan {
  const result: FileScan = { files: 0, bytes: 0, findings: [] };
  for (const file of walkFiles(dir)) {
    const data = readFileSync(file);
    result.files++;
    result.bytes += statSync(file).size;
    result.findings.push(...scan(file, data, needles));
  }
  return result;
}
