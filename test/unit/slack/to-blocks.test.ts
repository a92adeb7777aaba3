// What Slack users see, as golden files: a change in rendering shows up in
// review as a diff of __golden__/*.json. Then the rules the goldens rely on.
import { describe, expect, it } from 'vitest';
import { LIMITS, escapeMrkdwn, fallbackText, splitLines, toBlocks } from '../../../adapters/slack/to-blocks.js';
import type { Message } from '../../../src/core/message.js';

const golden = (name: string) => `./__golden__/${name}.json`;
const render = (m: Message) => `${JSON.stringify(toBlocks(m), null, 2)}\n`;

const nodes = [1, 2, 3, 4, 5].map((n) => [n === 3 ? '🔴' : '🟢', `mpc-node-${n}`, n === 3 ? 'down' : 'healthy', n === 3 ? '-' : `${10 + n} ms`]);

const CASES: Record<string, Message> = {
  'health-table': {
    title: 'Health · mpc-wallet: WARN',
    status: 'warn',
    text: '4/5 nodes healthy: degraded, one more failure stops signing',
    table: { columns: ['', 'node', 'state', 'latency'], rows: nodes },
    footer: 'checked in 12 ms · alice · /health mpc-wallet',
  },
  'approval-request': {
    title: 'Awaiting approval: pause-faucet on dytallix',
    status: 'pending',
    text: 'Will run:\n1. *pause faucet*: `POST https://dytallix.internal/api/admin/pause`\n2. *confirm status*: `until status is warn (10s)`',
    fields: [
      { label: 'Requested by', value: 'alice', short: true },
      { label: 'Approvals', value: '1/2 (bob)', short: true },
      { label: 'Who may approve', value: 'approver, admin: bob, carol, dave (not alice)', short: false },
      { label: 'Reason', value: 'drain > 10k/h & rising <suspected>', short: false },
      { label: 'Expires', value: '12:15 UTC (in 14m)', short: true },
    ],
    footer: 'request r-abc123',
    reactions: { approve: '✅', reject: '❌' },
  },
  'critical-alert': {
    title: 'Oracle stale on musd',
    status: 'critical',
    mentionChannel: true,
    text: 'Price feed <!here> is 3600 s old; threshold 900 s.',
    fields: [{ label: 'since', value: '10:02 UTC', short: true }],
  },
  'thread-note': { title: '✅ step 1/2 pause faucet: HTTP 200, faucetPaused = true', status: 'info', footer: 'request r-abc123' },
  'long-title': { title: `Failed: ${'x'.repeat(170)}`, status: 'critical', text: 'see thread' },
  'title-only': { title: 'Cancelled by alice. Nothing was run.' },
  'postmortem-attachment': {
    title: 'Post-mortem draft for inc-7',
    status: 'info',
    text: '# inc-7: mpc signing stalled\n*Impact*: 12 min without signatures',
    attachment: { filename: 'inc-7-postmortem.md', content: '# inc-7\n' },
    pin: true,
    footer: 'Review required within 48 h: /postmortem --complete when done',
  },
};

describe('toBlocks golden files', () => {
  for (const [name, m] of Object.entries(CASES)) {
    it(`renders ${name} as in __golden__/${name}.json`, async () => {
      await expect(render(m)).toMatchFileSnapshot(golden(name));
    });
  }
});

describe('toBlocks rules', () => {
  it('when a message has a body, then it starts with a header carrying the status emoji', () => {
    const { blocks } = toBlocks(CASES['health-table']!);
    expect(blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: '🟡 Health · mpc-wallet: WARN', emoji: true } });
  });

  it('when a table is rendered, then its columns line up in one monospace code block with every row', () => {
    const { blocks } = toBlocks(CASES['health-table']!);
    const code = blocks.map((b) => (b.type === 'section' && b.text ? b.text.text : '')).find((t) => t.startsWith('```'))!;
    const lines = code.split('\n').slice(1, -1);
    expect(lines).toHaveLength(6);
    const col = (l: string) => l.indexOf('healthy') >= 0 ? l.indexOf('healthy') : l.indexOf('down');
    expect(new Set(lines.slice(1).map(col)).size).toBe(1); // the state column starts at the same offset on every row
  });

  it('when text contains &, < or >, then it is escaped everywhere so nothing can mention or link', () => {
    const { text, blocks } = toBlocks(CASES['critical-alert']!);
    const all = JSON.stringify(blocks);
    expect(all).toContain('Price feed &lt;!here&gt; is');
    expect(all).not.toContain('<!here>');
    expect(text).toContain('&lt;!here&gt;');
    expect(escapeMrkdwn('a & b <c> &amp;')).toBe('a &amp; b &lt;c&gt; &amp;amp;');
  });

  it('when mentionChannel is set, then both the blocks and the notification text mention the channel', () => {
    const { text, blocks } = toBlocks(CASES['critical-alert']!);
    expect(text.startsWith('<!channel> 🔴 Oracle stale on musd')).toBe(true);
    expect(blocks[1]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: '<!channel>' } });
    expect(toBlocks({ title: 'quiet' }).text).not.toContain('<!channel>');
  });

  it('when short fields follow each other, then they share a section; long fields get their own', () => {
    const { blocks } = toBlocks(CASES['approval-request']!);
    const sections = blocks.filter((b) => b.type === 'section');
    const shape = sections.map((b) => ('fields' in b && b.fields ? `fields:${b.fields.length}` : 'text'));
    expect(shape).toEqual(['text', 'fields:2', 'text', 'text', 'fields:1']);
  });

  it('when a message collects votes, then the context line says which reactions to use, with the footer', () => {
    const { blocks } = toBlocks(CASES['approval-request']!);
    expect(blocks.at(-1)).toEqual({
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: 'React :white_check_mark: to approve, :x: to reject.' },
        { type: 'mrkdwn', text: 'request r-abc123' },
      ],
    });
  });

  it('when a table is longer than a section allows, then it continues in more sections, each with the header row', () => {
    const rows = Array.from({ length: 400 }, (_, i) => [`node-${i}`, 'healthy', `${i} ms`]);
    const { blocks } = toBlocks({ title: 'big', table: { columns: ['node', 'state', 'latency'], rows } });
    const codes = blocks.flatMap((b) => (b.type === 'section' && b.text?.text.startsWith('```') ? [b.text.text] : []));
    expect(codes.length).toBeGreaterThan(1);
    for (const c of codes) {
      expect(c.length).toBeLessThanOrEqual(LIMITS.section);
      expect(c.split('\n')[1]).toMatch(/^node\s+state\s+latency$/);
    }
    const shown = codes.flatMap((c) => c.split('\n').slice(2, -1));
    expect(shown).toHaveLength(400); // every row, once
  });

  it('when a message would need more than 50 blocks, then it is cut to 50 and says so, keeping the context line', () => {
    const fields = Array.from({ length: 80 }, (_, i) => ({ label: `f${i}`, value: 'v', short: false }));
    const { blocks } = toBlocks({ title: 'many', fields, footer: 'request r-1' });
    expect(blocks).toHaveLength(LIMITS.blocks);
    expect(blocks.at(-1)).toMatchObject({ type: 'context', elements: [{ text: 'request r-1' }] });
    expect(JSON.stringify(blocks.at(-2))).toMatch(/more sections not shown/);
  });

  it('when text or a field is over Slack limits, then it is split or clipped, never rejected', () => {
    const long = 'word '.repeat(2000);
    const { blocks, text } = toBlocks({ title: 't', text: long, fields: [{ label: 'big', value: 'y'.repeat(5000), short: true }] });
    for (const b of blocks) {
      if (b.type === 'section' && b.text) expect(b.text.text.length).toBeLessThanOrEqual(LIMITS.section);
      if (b.type === 'section' && b.fields) for (const f of b.fields) expect(f.text.length).toBeLessThanOrEqual(LIMITS.field);
    }
    expect(text.length).toBeLessThanOrEqual(LIMITS.fallback);
    expect(splitLines('a\nbb\nccc', 4)).toEqual(['a\nbb', 'ccc']);
    expect(splitLines('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
  });

  it('when the title is the whole message, then the fallback text is exactly what the console shows', () => {
    expect(fallbackText({ title: 'Cancelled by alice. Nothing was run.' })).toBe('Cancelled by alice. Nothing was run.');
    expect(toBlocks({ title: '' }).blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: '(no title)' } });
  });
});
