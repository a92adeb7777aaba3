import { describe, expect, it } from 'vitest';
import { ChannelPacer } from '../../../src/alerts/pacer.js';

describe('per-channel pacer', () => {
  it('when a post is not delivered yet, then the channel waits; once delivered, a full second more', async () => {
    let now = 0;
    const delivered = new Set<string>();
    const p = new ChannelPacer(async (k) => delivered.has(k), () => now, 1000);
    expect(await p.canPost('C1')).toBe(true);
    p.posted('C1', 'm1');
    now = 5000;
    expect(await p.canPost('C1')).toBe(false); // still queued: however long ago it was posted
    delivered.add('m1');
    expect(await p.canPost('C1')).toBe(false); // delivered just now (as far as we can tell)
    now = 5999;
    expect(await p.canPost('C1')).toBe(false);
    now = 6000;
    expect(await p.canPost('C1')).toBe(true);
  });

  it('when one channel is busy, then another channel is not held up', async () => {
    const p = new ChannelPacer(async () => false, () => 0, 1000);
    p.posted('C1', 'm1');
    expect(await p.canPost('C1')).toBe(false);
    expect(await p.canPost('C2')).toBe(true);
  });

  it('waitMs says how long until the next post may go', async () => {
    let now = 0;
    const p = new ChannelPacer(async () => true, () => now, 1000);
    expect(p.waitMs('C1')).toBe(0);
    p.posted('C1', 'm1');
    expect(p.waitMs('C1')).toBeNull();
    await p.canPost('C1');
    now = 400;
    expect(p.waitMs('C1')).toBe(600);
  });
});
