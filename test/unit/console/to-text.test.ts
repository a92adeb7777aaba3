// Golden files for the console's rendering: the same messages as a terminal shows them (ANSI bold,
// code colour, dim refs) and as a pipe gets them (plain text, markdown markers dropped).
import { describe, expect, it } from 'vitest';
import type { Message } from '../../../src/core/message.js';
import { toText } from '../../../adapters/console/to-text.js';
import { renderMarkup } from '../../../adapters/console/markup.js';

const messages: Array<{ ref: string; m: Message; opts?: { thread?: string; updated?: boolean; ephemeral?: boolean } }> = [
  {
    ref: 'm1',
    m: {
      title: 'Awaiting approval: pause-faucet on dytallix',
      status: 'pending',
      text: 'alice asks to run *pause-faucet* on *dytallix*.\nSteps: *pause faucet* (`POST /api/admin/pause`), then `verify status`.',
      fields: [{ label: 'Approvals', value: '0/2' }],
      reactions: { approve: '✅', reject: '❌' },
      footer: 'request r-1feb06 · expires 18:15 UTC',
    },
  },
  {
    ref: 'm2',
    m: {
      title: 'Health · mpc-wallet: OK',
      status: 'ok',
      text: '5/5 nodes healthy',
      table: { columns: ['node', 'status', 'latency', 'detail'], rows: [['mpc-node-1', 'healthy', '3 ms', 'v1.4.2'], ['mpc-node-2', 'healthy', '4 ms', 'v1.4.2']] },
    },
  },
  { ref: '', m: { title: 'Unknown system "mpc-walet". Did you mean *mpc-wallet*?', status: 'critical' }, opts: { ephemeral: true } },
  { ref: 'm3', m: { title: 'Schedule morning-check armed', text: 'cron `0 8 * * *`; health every */5 * * * * stays as typed; 2 * 3 * 4' }, opts: { thread: 'm1' } },
  { ref: 'm1', m: { title: 'Rejected', status: 'critical', text: 'Rejected by bob. Nothing was run.' }, opts: { updated: true } },
  { ref: 'm4', m: { title: 'Echo', text: `Unknown node "${'x'.repeat(5000)}"` } },
];

const render = (ansi: boolean) => messages.map(({ ref, m, opts }) => toText(m, ref, { ...opts, ansi })).join('\n') + '\n';

describe('console rendering', () => {
  it('on a terminal: bold titles and *bold*, `code` in colour, refs dimmed', async () => {
    await expect(render(true)).toMatchFileSnapshot('__golden__/console-tty.txt');
  });

  it('through a pipe: plain text, no escape codes, no markdown markers, long echoes cut', async () => {
    const out = render(false);
    expect(out).not.toContain('\x1b[');
    expect(out).not.toMatch(/\*mpc-wallet\*|`POST/);
    expect(out).toContain('(4615 more characters)');
    await expect(out).toMatchFileSnapshot('__golden__/console-plain.txt');
  });

  it('leaves stars that are not emphasis alone (cron, arithmetic, a lone star)', () => {
    expect(renderMarkup('*/5 * * * * and 2 * 3 and a * b', false)).toBe('*/5 * * * * and 2 * 3 and a * b');
    expect(renderMarkup('`*/5 * * * *` is *every five minutes*', false)).toBe('*/5 * * * * is every five minutes');
    expect(renderMarkup('(*x*), *y*.', true)).toBe('(\x1b[1mx\x1b[22m), \x1b[1my\x1b[22m.');
  });
});
