// The neutral message as Discord embeds. Golden files show what users see
// (review a change there); the property test holds every Discord limit for
// any message, so rendering never makes Discord refuse a post.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMBED_LIMITS, discordMarkdown, toEmbeds } from '../../../adapters/discord/to-embed.js';
import type { Message, Status } from '../../../src/core/message.js';

const golden = (name: string) => `./golden/${name}.json`;
const json = (x: unknown) => JSON.stringify(x, null, 2) + '\n';

const total = (embeds: ReturnType<typeof toEmbeds>) =>
  embeds.reduce((n, e) => n + (e.title?.length ?? 0) + (e.description?.length ?? 0) + (e.footer?.text.length ?? 0) + (e.fields ?? []).reduce((m, f) => m + f.name.length + f.value.length, 0), 0);

function withinLimits(embeds: ReturnType<typeof toEmbeds>, fencesFromInput = false): void {
  expect(embeds.length).toBeGreaterThan(0);
  expect(embeds.length).toBeLessThanOrEqual(EMBED_LIMITS.embedsPerMessage);
  expect(total(embeds)).toBeLessThanOrEqual(EMBED_LIMITS.total);
  for (const e of embeds) {
    expect(e.title?.length ?? 0).toBeLessThanOrEqual(EMBED_LIMITS.title);
    expect(e.description?.length ?? 0).toBeLessThanOrEqual(EMBED_LIMITS.description);
    expect(e.footer?.text.length ?? 0).toBeLessThanOrEqual(EMBED_LIMITS.footer);
    expect(e.fields?.length ?? 0).toBeLessThanOrEqual(EMBED_LIMITS.fields);
    for (const f of e.fields ?? []) {
      expect(f.name.length).toBeGreaterThan(0);
      expect(f.name.length).toBeLessThanOrEqual(EMBED_LIMITS.fieldName);
      expect(f.value.length).toBeGreaterThan(0);
      expect(f.value.length).toBeLessThanOrEqual(EMBED_LIMITS.fieldValue);
    }
    // Every code block Keyturn opens (tables) also closes, whatever the cut.
    if (!fencesFromInput) expect(((e.description ?? '').match(/```/g) ?? []).length % 2).toBe(0);
  }
}

const HEALTH: Message = {
  title: 'Health · mpc-wallet: WARN',
  status: 'warn',
  text: 'degraded, one more failure stops signing (4/5 healthy)',
  table: {
    columns: ['node', 'status', 'latency', 'version', 'detail'],
    rows: [1, 2, 3, 4, 5].map((n) => [`mpc-node-${n}`, n === 2 ? 'DOWN' : 'healthy', `${n * 3} ms`, '1.4.2', n === 2 ? 'HTTP 503' : 'healthy']),
  },
  footer: 'checked in 14 ms · alice · /health mpc-wallet',
};

const REQUEST: Message = {
  title: 'Awaiting approval: pause-faucet on dytallix',
  status: 'pending',
  text: 'Will run:\n1. *pause faucet*: `POST https://dytallix.internal/api/admin/pause headers: Authorization: Bearer •••`\n2. *confirm status*: `re-run check status until warn (up to 10s)`',
  fields: [
    { label: 'Requested by', value: 'alice', short: true },
    { label: 'Approvals', value: '1/2 (bob)', short: true },
    { label: 'Who may approve', value: 'approver, admin: bob, carol, dave (not alice)' },
    { label: 'Reason', value: 'drain *suspected*' },
  ],
  footer: 'request r-1a2b3c',
  reactions: { approve: '✅', reject: '❌' },
};

describe('toEmbeds', () => {
  it('when a health check comes back, then the table is a code block and the colour says warn', async () => {
    const embeds = toEmbeds(HEALTH);
    withinLimits(embeds);
    await expect(json(embeds)).toMatchFileSnapshot(golden('health'));
  });

  it('when a request waits for approval, then fields, vote hint and the request id footer are shown', async () => {
    const embeds = toEmbeds(REQUEST);
    expect(embeds).toHaveLength(1);
    expect(embeds[0]!.footer).toEqual({ text: 'request r-1a2b3c' });
    await expect(json(embeds)).toMatchFileSnapshot(golden('request'));
  });

  it('when there are 40 fields, then they continue in a second embed', async () => {
    const m: Message = { title: 'Validators', status: 'ok', fields: Array.from({ length: 40 }, (_, i) => ({ label: `validator-${i + 1}`, value: 'active', short: true })) };
    const embeds = toEmbeds(m);
    withinLimits(embeds);
    expect(embeds.map((e) => e.fields?.length)).toEqual([25, 15]);
    expect(embeds[1]!.title).toBeUndefined();
    await expect(json(embeds)).toMatchFileSnapshot(golden('many-fields'));
  });

  it('when a table is longer than a description, then it splits into code blocks with the header repeated', async () => {
    const rows = Array.from({ length: 120 }, (_, i) => [`key-${String(i).padStart(3, '0')}`, 'x'.repeat(30), `${i} ms`]);
    const embeds = toEmbeds({ title: 'Keys', status: 'info', table: { columns: ['key', 'value', 'latency'], rows } });
    withinLimits(embeds);
    expect(embeds.length).toBeGreaterThan(1);
    for (const e of embeds) expect(e.description!.split('\n')[1]).toMatch(/^key +value +latency$/);
    expect(embeds.at(-1)!.footer).toBeUndefined(); // everything fitted
    expect(embeds.flatMap((e) => e.description!.match(/key-\d{3}/g) ?? [])).toHaveLength(120);
    await expect(json(embeds)).toMatchFileSnapshot(golden('long-table'));
  });

  it('when the whole message is beyond 6000 characters, then it is cut on whole rows and the footer says how much is missing', async () => {
    const rows = Array.from({ length: 400 }, (_, i) => [`row-${i}`, 'y'.repeat(40)]);
    const embeds = toEmbeds({ title: 'Log scan', status: 'critical', table: { columns: ['line', 'text'], rows }, footer: 'request r-ffffff' });
    withinLimits(embeds);
    const shown = embeds.flatMap((e) => e.description!.match(/row-\d+/g) ?? []).length;
    expect(shown).toBeGreaterThan(50);
    expect(embeds.at(-1)!.footer!.text).toBe(`… ${400 - shown} more lines not shown (Discord's message size limit) · request r-ffffff`);
    await expect(json(embeds)).toMatchFileSnapshot(golden('truncated'));
  });

  it('when a title, a field and the footer are too long, then each is clipped with an ellipsis', async () => {
    const embeds = toEmbeds({ title: 'T'.repeat(300), fields: [{ label: 'L'.repeat(300), value: 'V'.repeat(2000) }, { label: '', value: '' }], footer: 'F'.repeat(3000) });
    withinLimits(embeds);
    expect(embeds[0]!.title).toHaveLength(256);
    expect(embeds[0]!.title!.endsWith('…')).toBe(true);
    expect(embeds[0]!.fields![0]!.value).toHaveLength(1024);
    expect(embeds[0]!.fields![1]).toEqual({ name: '\u200b', value: '-', inline: false });
    await expect(json(embeds)).toMatchFileSnapshot(golden('clipped'));
  });

  it('when statuses differ, then each has its own colour', () => {
    const statuses: Status[] = ['ok', 'warn', 'critical', 'info', 'pending', 'unknown'];
    const colours = statuses.map((status) => toEmbeds({ title: 'x', status })[0]!.color);
    expect(new Set(colours).size).toBe(statuses.length);
  });

  it('for any message, every Discord limit holds', () => {
    const text = fc.string({ maxLength: 9000, unit: fc.constantFrom('a', 'b', ' ', '\n', '*', '`', 'é', '✅', 'word ') });
    const message = fc.record({
      title: fc.string({ maxLength: 400 }),
      status: fc.constantFrom<Status | undefined>('ok', 'warn', 'critical', 'info', 'pending', 'unknown', undefined),
      text: fc.option(text, { nil: undefined }),
      fields: fc.option(fc.array(fc.record({ label: fc.string({ maxLength: 300 }), value: fc.string({ maxLength: 1500 }), short: fc.boolean() }), { maxLength: 80 }), { nil: undefined }),
      table: fc.option(fc.record({ columns: fc.array(fc.string({ maxLength: 20 }), { minLength: 1, maxLength: 4 }), rows: fc.array(fc.array(fc.string({ maxLength: 120 }), { maxLength: 4 }), { maxLength: 300 }) }), { nil: undefined }),
      footer: fc.option(fc.string({ maxLength: 2500 }), { nil: undefined }),
      reactions: fc.option(fc.constant({ approve: '✅', reject: '❌' }), { nil: undefined }),
    });
    fc.assert(fc.property(message, (m) => withinLimits(toEmbeds(m as Message), /```/.test(JSON.stringify(m)))), { numRuns: 300 });
  });
});

describe('discordMarkdown', () => {
  it('when text has Slack-style *bold*, then it becomes **bold**, code spans untouched', () => {
    expect(discordMarkdown('Did you mean *mpc-wallet*? `a*b*c` and *two words*')).toBe('Did you mean **mpc-wallet**? `a*b*c` and **two words**');
    expect(discordMarkdown('2 * 3 * 4')).toBe('2 * 3 * 4');
  });
});
