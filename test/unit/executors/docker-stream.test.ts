import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DockerDemux, TailBuffer, demuxBuffer } from '../../../src/integrations/docker/stream.js';

const frame = (stream: 1 | 2, payload: Buffer) => {
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
};

describe('docker stream demux', () => {
  it('when frames arrive split at any byte, then stdout and stderr come out whole and in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom<1 | 2>(1, 2), fc.uint8Array({ maxLength: 40 })), { maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 10 }),
        (frames, cuts) => {
          const wire = Buffer.concat(frames.map(([s, p]) => frame(s, Buffer.from(p))));
          const out: Buffer[] = [];
          const err: Buffer[] = [];
          const d = new DockerDemux((b) => out.push(Buffer.from(b)), (b) => err.push(Buffer.from(b)));
          let pos = 0;
          for (let i = 0; pos < wire.length; i++) {
            const n = cuts[i % cuts.length]!;
            d.push(wire.subarray(pos, pos + n));
            pos += n;
          }
          expect(Buffer.concat(out)).toEqual(Buffer.concat(frames.filter(([s]) => s === 1).map(([, p]) => Buffer.from(p))));
          expect(Buffer.concat(err)).toEqual(Buffer.concat(frames.filter(([s]) => s === 2).map(([, p]) => Buffer.from(p))));
          expect(d.leftover).toBe(0);
        },
      ),
    );
  });

  it('when the stream is cut inside a frame, then the leftover says so', () => {
    const d = new DockerDemux(() => {}, () => {});
    d.push(frame(1, Buffer.from('hello')).subarray(0, 10));
    expect(d.leftover).toBe(10);
  });

  it('when a TTY container logs, then its raw output is stdout', () => {
    expect(demuxBuffer(Buffer.from('plain text'), true).stdout.toString()).toBe('plain text');
    expect(demuxBuffer(Buffer.concat([frame(1, Buffer.from('a\n')), frame(2, Buffer.from('b\n'))]))).toEqual({ stdout: Buffer.from('a\n'), stderr: Buffer.from('b\n') });
  });

  it('when more output than the cap arrives, then the tail is kept and the total counted', () => {
    const t = new TailBuffer(5);
    for (const s of ['abc', 'defg', 'hi']) t.push(Buffer.from(s));
    expect(t.text()).toBe('efghi');
    expect(t.total).toBe(9);
  });
});
