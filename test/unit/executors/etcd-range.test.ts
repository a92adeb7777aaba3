import { describe, expect, it } from 'vitest';
import { rangeEnd } from '../../../src/integrations/etcd/client.js';

describe('etcd prefix range', () => {
  it.each([
    ['/bans/', '/bans0'],
    ['a', 'b'],
  ])('when the prefix is %s, then range_end is %s', (prefix, end) => {
    expect(rangeEnd(Buffer.from(prefix)).toString()).toBe(end);
  });

  it('when the last bytes are 0xff, then they carry into the byte before', () => {
    expect(rangeEnd(Buffer.from([0x61, 0xff, 0xff]))).toEqual(Buffer.from([0x62]));
  });

  it('when every byte is 0xff, then the range runs to the end of the key space', () => {
    expect(rangeEnd(Buffer.from([0xff, 0xff]))).toEqual(Buffer.from([0]));
  });
});
