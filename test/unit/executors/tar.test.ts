import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TarLister } from '../../../src/integrations/backup/tar.js';

const LONG = `${'deep-directory-name/'.repeat(6)}file-with-a-long-name.txt`;
let dir: string;

// Tests may use the tar CLI to make real archives; product code only reads them.
const tar = (format: string) => {
  const r = spawnSync('tar', ['-C', dir, `--format=${format}`, '-cf', '-', '.'], { maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return r.stdout;
};

const list = (buf: Buffer, chunk = 7) => {
  const t = new TarLister();
  for (let i = 0; i < buf.length; i += chunk) t.push(buf.subarray(i, i + chunk));
  return t.end();
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kt-tar-'));
  mkdirSync(join(dir, 'keys'));
  writeFileSync(join(dir, 'keys', 'share.key'), 'x'.repeat(1000));
  mkdirSync(join(dir, LONG, '..'), { recursive: true });
  writeFileSync(join(dir, LONG), 'long');
});

describe('tar listing', () => {
  // ustar splits long paths into prefix + name; gnu uses ././@LongLink entries; pax uses path= records.
  it.each(['gnu', 'pax', 'ustar'])('when a %s archive streams in small chunks, then every entry is listed with its size', (format) => {
    const entries = list(tar(format));
    expect(entries.find((e) => e.name.endsWith('keys/share.key'))).toMatchObject({ type: 'file', size: 1000 });
    expect(entries.find((e) => e.name.endsWith(LONG))).toMatchObject({ type: 'file', size: 4 });
    expect(entries.filter((e) => e.type === 'dir').length).toBeGreaterThanOrEqual(7);
  });

  it('when a header byte is damaged, then the checksum catches it', () => {
    const buf = Buffer.from(tar('gnu'));
    buf[520] = buf[520]! ^ 0x20;
    expect(() => list(buf)).toThrow(/header checksum mismatch at byte 512: the archive is corrupted/);
  });

  it('when the archive is cut short, then it is reported truncated', () => {
    const buf = tar('gnu');
    expect(() => list(buf.subarray(0, 512 * 4 + 100))).toThrow('archive is truncated: it ends inside an entry');
    // Cut exactly after the last entry's data: only the missing end marker shows it.
    const end = buf.length - [...buf].reverse().findIndex((b) => b !== 0);
    expect(() => list(buf.subarray(0, Math.ceil(end / 512) * 512))).toThrow('archive is truncated: no end-of-archive marker');
  });

  it('when there is nothing but the end marker, then it is not accepted as a backup', () => {
    expect(() => list(Buffer.alloc(1024))).toThrow('archive has no entries');
  });
});
