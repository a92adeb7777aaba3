/**
 * Host-key pinning: the key a server presents must be the one written in
 * config (`hostKey`) or in a known_hosts file. Unknown and changed keys are
 * refused with a message that says which key was presented and which was
 * expected; trust on first use only when the config asks for it.
 */
import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';

export interface PinnedKey {
  type: string;
  /** The key blob (base64-decoded). */
  blob: Buffer;
  /** Where it came from, for messages: "hostKey" or "known_hosts:12". */
  source: string;
}

/** SHA256:... as `ssh-keygen -l` prints it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type is the first string inside the blob itself. */
export function blobType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const n = blob.readUInt32BE(0);
  return n > 0 && n < 64 && blob.length >= 4 + n ? blob.subarray(4, 4 + n).toString('latin1') : 'unknown';
}

export function parseKeyLine(line: string, source: string): PinnedKey {
  const [type, b64] = line.trim().split(/\s+/);
  return { type: type!, blob: Buffer.from(b64 ?? '', 'base64'), source };
}

/** The names a host has in known_hosts: "addr" on port 22, else "[addr]:port". */
function hostPatterns(address: string, port: number): string[] {
  return port === 22 ? [address, `[${address}]:22`] : [`[${address}]:${port}`];
}

function matchesHost(field: string, names: string[]): boolean {
  // Hashed entry: |1|salt|hmac-sha1(salt, name)
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    return names.some((n) => createHmac('sha1', Buffer.from(salt, 'base64')).update(n).digest('base64') === hash);
  }
  let hit = false;
  for (const pat of field.split(',')) {
    const neg = pat.startsWith('!');
    const p = neg ? pat.slice(1) : pat;
    const re = new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
    if (names.some((n) => re.test(n))) {
      if (neg) return false;
      hit = true;
    }
  }
  return hit;
}

export interface KnownHostsEntries {
  keys: PinnedKey[];
  revoked: PinnedKey[];
}

/** Keys for address:port in a known_hosts file; a missing file has none. */
export function knownHostsFor(file: string, address: string, port: number): KnownHostsEntries {
  const out: KnownHostsEntries = { keys: [], revoked: [] };
  if (!existsSync(file)) return out;
  const names = hostPatterns(address, port);
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((raw, i) => {
      const line = raw.trim();
      if (!line || line.startsWith('#')) return;
      let parts = line.split(/\s+/);
      let marker = '';
      if (parts[0]!.startsWith('@')) {
        marker = parts[0]!;
        parts = parts.slice(1);
      }
      // @cert-authority entries sign host certificates, which are not supported: they never match.
      if (parts.length < 3 || marker === '@cert-authority' || !matchesHost(parts[0]!, names)) return;
      const key = parseKeyLine(`${parts[1]} ${parts[2]}`, `${file}:${i + 1}`);
      (marker === '@revoked' ? out.revoked : out.keys).push(key);
    });
  return out;
}

/** Appends a first-seen key (trustOnFirstUse) in the format ssh writes. */
export function rememberHostKey(file: string, address: string, port: number, blob: Buffer): void {
  const name = port === 22 ? address : `[${address}]:${port}`;
  appendFileSync(file, `${name} ${blobType(blob)} ${blob.toString('base64')}\n`, { mode: 0o600 });
}

/** Host key algorithms to offer so the server presents a key of a pinned type (ssh-rsa pins accept the SHA-2 signatures). */
export function algorithmsFor(keys: PinnedKey[]): string[] {
  const out: string[] = [];
  for (const k of keys) {
    const algs = k.type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [k.type];
    for (const a of algs) if (!out.includes(a)) out.push(a);
  }
  return out;
}
