/**
 * tar of a directory (or file) on Keyturn's own host, and back: what the
 * `archive` / `archive-restore` steps do when they name a `path` without a
 * `container` (a volume mounted into Keyturn's host or container). Entries
 * are named from the path's last component (`/srv/data` -> `data/...`), the
 * same layout Docker's archive endpoint gives, so one TarLister verifies both.
 * No shell, no tar binary: ustar headers, a pax `path` record for long names.
 * Files that are not regular files, directories or symlinks (sockets, fifos,
 * devices) are left out and named, never silently.
 */
import { createReadStream } from 'node:fs';
import { lstat, mkdir, open, readdir, readlink, rename, rm, symlink } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';

const BLOCK = 512;

function field(b: Buffer, off: number, len: number, s: string): void {
  b.write(s, off, len, 'utf8');
}

function octal(b: Buffer, off: number, len: number, n: number): void {
  field(b, off, len, n.toString(8).padStart(len - 1, '0') + '\0');
}

function header(name: string, o: { type: '0' | '5' | '2' | 'x'; size: number; mode: number; mtime: number; link?: string }): Buffer {
  const h = Buffer.alloc(BLOCK);
  field(h, 0, 100, name);
  octal(h, 100, 8, o.mode & 0o7777);
  octal(h, 108, 8, 0);
  octal(h, 116, 8, 0);
  octal(h, 124, 12, o.size);
  octal(h, 136, 12, Math.max(0, Math.floor(o.mtime)));
  h.fill(' ', 148, 156);
  field(h, 156, 1, o.type);
  if (o.link) field(h, 157, 100, o.link);
  field(h, 257, 6, 'ustar\0');
  field(h, 263, 2, '00');
  let sum = 0;
  for (const x of h) sum += x;
  field(h, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

/** A pax record "<len> key=value\n", where len counts itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

const pad = (n: number) => Buffer.alloc((BLOCK - (n % BLOCK)) % BLOCK);

async function entry(write: (b: Buffer) => Promise<void>, name: string, o: Parameters<typeof header>[1]): Promise<void> {
  const linkLong = o.link !== undefined && Buffer.byteLength(o.link) > 100;
  if (Buffer.byteLength(name) > 100 || linkLong) {
    const pax = Buffer.from(paxRecord('path', name) + (linkLong ? paxRecord('linkpath', o.link!) : ''));
    await write(header('././@PaxHeader', { type: 'x', size: pax.length, mode: 0o644, mtime: o.mtime }));
    await write(Buffer.concat([pax, pad(pax.length)]));
  }
  await write(header(Buffer.byteLength(name) > 100 ? name.slice(0, 99) : name, o));
}

/**
 * Writes `path` as a tar stream. Returns what was left out (not a file, directory or symlink).
 * A file that shrinks or grows while it is read fails the backup: a torn copy is not a backup.
 */
export async function packPath(path: string, write: (b: Buffer) => Promise<void>): Promise<{ skipped: string[] }> {
  const skipped: string[] = [];
  const walk = async (abs: string, name: string): Promise<void> => {
    const st = await lstat(abs);
    const mtime = st.mtimeMs / 1000;
    if (st.isDirectory()) {
      await entry(write, `${name}/`, { type: '5', size: 0, mode: st.mode, mtime });
      for (const child of (await readdir(abs)).sort()) await walk(join(abs, child), `${name}/${child}`);
    } else if (st.isSymbolicLink()) {
      await entry(write, name, { type: '2', size: 0, mode: st.mode, mtime, link: await readlink(abs) });
    } else if (st.isFile()) {
      await entry(write, name, { type: '0', size: st.size, mode: st.mode, mtime });
      let read = 0;
      if (st.size > 0) {
        for await (const chunk of createReadStream(abs, { start: 0, end: st.size - 1 })) {
          read += (chunk as Buffer).length;
          await write(chunk as Buffer);
        }
      }
      if (read !== st.size) throw new Error(`${name} changed while it was read (${read} of ${st.size} bytes)`);
      await write(pad(st.size));
    } else skipped.push(name);
  };
  await walk(path, basename(path));
  await write(Buffer.alloc(2 * BLOCK));
  return { skipped };
}

/** Exact-size reads over a byte stream. */
class Reader {
  private buf = Buffer.alloc(0);
  private readonly it: AsyncIterator<Buffer>;
  constructor(src: AsyncIterable<Buffer>) {
    this.it = src[Symbol.asyncIterator]();
  }
  async read(n: number): Promise<Buffer> {
    while (this.buf.length < n) {
      const r = await this.it.next();
      if (r.done) throw new Error('archive is truncated');
      this.buf = Buffer.concat([this.buf, r.value]);
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
}

const str = (h: Buffer, off: number, len: number) => h.subarray(off, off + len).toString('utf8').replace(/\0.*$/s, '');
const num = (h: Buffer, off: number, len: number) => parseInt(str(h, off, len).trim() || '0', 8);

/** A name that stays inside the archive's own top directory: relative, no `..`, no empty segment tricks. */
export function safeEntryName(name: string, base: string): string {
  const clean = posix.normalize(name.replace(/^\.\//, '')).replace(/\/$/, '');
  if (clean.startsWith('/') || clean.split('/').includes('..') || (clean !== base && !clean.startsWith(`${base}/`))) {
    throw new Error(`archive entry ${JSON.stringify(name)} is outside ${base}`);
  }
  return clean;
}

/**
 * Puts an archive of `path` back: extracted into a fresh sibling directory first, then swapped in
 * for what is at `path` (kept aside until the swap succeeded, then removed). Symlinks are created
 * last, so no file of the archive can be written through a link the archive itself made.
 */
export async function restorePath(path: string, tar: AsyncIterable<Buffer>): Promise<{ entries: number }> {
  const base = basename(path);
  const parent = dirname(path);
  const stamp = `${process.pid}-${Date.now().toString(36)}`;
  const staging = join(parent, `.${base}.restore-${stamp}`);
  await mkdir(staging, { mode: 0o700 });
  const links: Array<[string, string]> = [];
  let entries = 0;
  try {
    const r = new Reader(tar);
    let longName: string | null = null;
    for (;;) {
      const h = await r.read(BLOCK);
      if (h.every((x) => x === 0)) break;
      const size = num(h, 124, 12);
      const type = String.fromCharCode(h[156]!);
      const body = async () => {
        const b = await r.read(size);
        await r.read((BLOCK - (size % BLOCK)) % BLOCK);
        return b;
      };
      if (type === 'x' || type === 'L') {
        const text = (await body()).toString('utf8');
        longName = type === 'L' ? text.replace(/\0.*$/s, '') : (/(?:^|\n)\d+ path=([^\n]*)\n/.exec(text)?.[1] ?? longName);
        continue;
      }
      if (type === 'g') {
        await body();
        continue;
      }
      const prefix = str(h, 257, 6) === 'ustar' ? str(h, 345, 155) : '';
      const name = safeEntryName(longName ?? (prefix ? `${prefix}/${str(h, 0, 100)}` : str(h, 0, 100)), base);
      longName = null;
      const target = join(staging, name);
      const mode = num(h, 100, 8) & 0o777;
      entries++;
      if (type === '5') await mkdir(target, { recursive: true, mode: mode || 0o755 });
      else if (type === '2') links.push([str(h, 157, 100), target]);
      else if (type === '0' || type === '\0' || type === '7') {
        await mkdir(dirname(target), { recursive: true });
        const fd = await open(target, 'wx', mode || 0o644);
        try {
          let left = size;
          while (left > 0) {
            const n = Math.min(left, 1 << 16);
            await fd.write(await r.read(n));
            left -= n;
          }
        } finally {
          await fd.close();
        }
        await r.read((BLOCK - (size % BLOCK)) % BLOCK);
      } else throw new Error(`archive entry ${name} is of a kind Keyturn does not restore (type ${JSON.stringify(type)})`);
    }
    for (const [to, at] of links) await symlink(to, at);
    const aside = join(parent, `.${base}.replaced-${stamp}`);
    const had = await lstat(path).then(() => true, () => false);
    if (had) await rename(path, aside);
    try {
      await rename(join(staging, base), path);
    } catch (err) {
      if (had) await rename(aside, path); // what was there goes back: a failed restore changes nothing
      throw err;
    }
    if (had) await rm(aside, { recursive: true, force: true });
    return { entries };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
