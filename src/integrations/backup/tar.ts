/**
 * Just enough of the tar format (ustar, GNU long names, pax headers) to list
 * an archive while it streams and prove every header is intact: each
 * 512-byte header carries a checksum of its own bytes.
 */
export class TarError extends Error {}

export interface TarEntry {
  name: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  size: number;
}

const BLOCK = 512;

function octal(b: Buffer, start: number, len: number): number {
  const field = b.subarray(start, start + len);
  // GNU base-256 for sizes over 8 GiB: high bit of the first byte set.
  if (field[0]! & 0x80) {
    let n = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return n;
  }
  const s = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarError(`bad octal field "${s.slice(0, 12)}"`);
  return parseInt(s, 8);
}

const cstring = (b: Buffer, start: number, len: number) => b.subarray(start, start + len).toString('utf8').replace(/\0.*$/s, '');

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  return sum === octal(h, 148, 8);
}

export class TarLister {
  readonly entries: TarEntry[] = [];
  private buf: Buffer = Buffer.alloc(0);
  private skip = 0;
  private longName: string | null = null;
  private collect: { bytes: Buffer[]; left: number; kind: 'L' | 'x' } | null = null;
  private zeroBlocks = 0;
  private offset = 0;

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, this.buf.length);
        if (this.collect) {
          const take = Math.min(n, this.collect.left);
          this.collect.bytes.push(this.buf.subarray(0, take));
          this.collect.left -= take;
        }
        this.buf = this.buf.subarray(n);
        this.skip -= n;
        this.offset += n;
        if (this.skip > 0) return;
        if (this.collect) this.finishCollect();
        continue;
      }
      if (this.buf.length < BLOCK) return;
      const h = this.buf.subarray(0, BLOCK);
      this.buf = this.buf.subarray(BLOCK);
      this.offset += BLOCK;
      if (h.every((x) => x === 0)) {
        this.zeroBlocks++;
        continue;
      }
      if (this.zeroBlocks) throw new TarError(`data after the end-of-archive marker at byte ${this.offset - BLOCK}`);
      if (!checksumOk(h)) throw new TarError(`header checksum mismatch at byte ${this.offset - BLOCK}: the archive is corrupted`);
      const size = octal(h, 124, 12);
      const flag = String.fromCharCode(h[156]!);
      this.skip = Math.ceil(size / BLOCK) * BLOCK;
      if (flag === 'L' || flag === 'x' || flag === 'g') {
        this.collect = flag === 'g' ? null : { bytes: [], left: size, kind: flag };
        if (this.skip === 0 && this.collect) this.finishCollect();
        continue;
      }
      const prefix = h.subarray(257, 262).toString('latin1') === 'ustar' ? cstring(h, 345, 155) : '';
      const name = this.longName ?? (prefix ? `${prefix}/${cstring(h, 0, 100)}` : cstring(h, 0, 100));
      this.longName = null;
      const type = flag === '0' || flag === '\0' || flag === '7' ? 'file' : flag === '5' ? 'dir' : flag === '2' ? 'symlink' : 'other';
      this.entries.push({ name, type, size });
    }
  }

  private finishCollect(): void {
    const c = this.collect!;
    this.collect = null;
    const text = Buffer.concat(c.bytes).toString('utf8');
    if (c.kind === 'L') this.longName = text.replace(/\0.*$/s, '');
    else {
      const path = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(text);
      if (path) this.longName = path[1]!;
    }
  }

  /** Throws unless the archive ended cleanly after at least one entry. */
  end(): TarEntry[] {
    if (this.skip > 0 || this.buf.length > 0) throw new TarError('archive is truncated: it ends inside an entry');
    if (this.entries.length === 0) throw new TarError('archive has no entries');
    // Two zero blocks end every well-formed archive; without them it was cut at an entry boundary.
    if (this.zeroBlocks < 2) throw new TarError('archive is truncated: no end-of-archive marker');
    return this.entries;
  }
}
