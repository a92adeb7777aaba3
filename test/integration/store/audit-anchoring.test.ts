// The periodic anchor job: a line in the anchor file and, when the config names an `audit` channel, a post there.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testCore, PEOPLE, type TestCore } from '../../support/core.js';
import { toPlainText } from '../../../src/core/message.js';

let t: TestCore | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

async function start(channels: Record<string, unknown>) {
  const file = join(mkdtempSync(join(tmpdir(), 'kt-anchoring-')), 'anchors.jsonl');
  t = await testCore({ config: { ...PEOPLE, channels, systems: { s: { nodes: [{ name: 'n1' }] } } }, env: { ...process.env, KEYTURN_AUDIT_ANCHOR_FILE: file, KEYTURN_AUDIT_ANCHOR_EVERY: '1h' } });
  return file;
}

describe('audit anchoring', () => {
  it('when an audit channel is configured, then each new anchor is appended to the file and posted there; an unchanged log is not re-posted', async () => {
    const file = await start({ audit: { slack: 'C0AUDIT01' } });
    await t!.run('alice', '/help');
    await t!.core.auditAnchoring.tick();
    await t!.core.auditAnchoring.tick();
    await t!.flush();
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    const posts = t!.chat.posts.map((p) => toPlainText(p.message)).filter((x) => /Audit anchor/.test(x));
    expect(posts).toHaveLength(1);
    expect(posts[0]).toContain(`rows ${lines[0].rows} · head #${lines[0].headId} ${lines[0].headHash}`);
    expect((await t!.core.kt.audit.verify()).ok).toBe(true);
  });

  it('when no audit channel is configured, then anchors go to the file only', async () => {
    const file = await start({});
    await t!.run('alice', '/help');
    await t!.core.auditAnchoring.tick();
    await t!.flush();
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(t!.chat.posts.some((p) => /Audit anchor/.test(toPlainText(p.message)))).toBe(false);
  });
});
