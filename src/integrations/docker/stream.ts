/**
 * Docker's multiplexed stream format (logs and exec of containers without a
 * TTY): frames of an 8-byte header [stream, 0, 0, 0, size(uint32 BE)] and
 * `size` bytes of payload, stream 1 = stdout, 2 = stderr. Frames split
 * across chunks arbitrarily, so the demuxer keeps what it has not consumed.
 */
export class DockerDemux {
  private pending: Buffer = Buffer.alloc(0);

  constructor(
    private readonly onStdout: (b: Buffer) => void,
    private readonly onStderr: (b: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(4);
      if (buf.length < 8 + size) break;
      const payload = buf.subarray(8, 8 + size);
      if (buf[0] === 2) this.onStderr(payload);
      else this.onStdout(payload);
      buf = buf.subarray(8 + size);
    }
    this.pending = Buffer.from(buf);
  }

  /** Bytes of an incomplete frame left at the end: non-zero means the stream was cut. */
  get leftover(): number {
    return this.pending.length;
  }
}

/** Splits a whole multiplexed buffer; a TTY container's output is raw and returned as stdout. */
export function demuxBuffer(buf: Buffer, tty = false): { stdout: Buffer; stderr: Buffer } {
  if (tty) return { stdout: buf, stderr: Buffer.alloc(0) };
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const d = new DockerDemux((b) => out.push(b), (b) => err.push(b));
  d.push(buf);
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
}

/** Keeps the last `max` bytes of what it is given: bounded capture of command output. */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  total = 0;

  constructor(private readonly max: number) {}

  push(b: Buffer): void {
    this.total += b.length;
    this.chunks.push(b);
    this.size += b.length;
    // Drop whole chunks only while what is left still covers the last `max` bytes.
    while (this.chunks.length > 1 && this.size - this.chunks[0]!.length >= this.max) this.size -= this.chunks.shift()!.length;
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.max)).toString('utf8');
  }
}
