// Issue 16, finding 9: parameters. Integers had no bounds (count=-5,
// idle_minutes=-100000 accepted); `..` in a string param escaped its URL path
// segment (/api/items/../status reached /api/status); a leading `-` could read
// as an option; `/audit constructor` passed the role check and
// `/run sys constructor` found Object.prototype.constructor as an action.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { testCore, PEOPLE, type TestCore } from '../../support/core.js';
import { startTargetServer, type TargetServer } from '../../support/target-server.js';
import { toPlainText } from '../../../src/core/message.js';

let target: TargetServer;
let t: TestCore;

beforeAll(async () => {
  target = await startTargetServer();
});
afterAll(() => target.close());

function config() {
  return {
    ...PEOPLE,
    systems: {
      items: {
        actions: {
          // No policy: runs at once for alice, so what reaches the target is what a bad value would do.
          touch: {
            params: [{ name: 'id' }],
            steps: [{ name: 'touch item', kind: 'http', method: 'POST', url: `${target.url}/api/items/{{params.id}}/status` }],
          },
          scale: {
            params: [{ name: 'count', type: 'integer', min: 1, max: 1000 }, { name: 'ratio', type: 'number', required: false, min: 0, max: 1 }],
            steps: [{ name: 'scale', kind: 'http', url: `${target.url}/scale`, body: { count: '{{params.count}}' } }],
          },
          tag: {
            params: [{ name: 'label', pattern: '[A-Za-z0-9._-]{1,40}' }, { name: 'offset', required: false, pattern: '-?[0-9]{1,5}' }],
            steps: [{ name: 'tag', kind: 'http', url: `${target.url}/tag/{{params.label}}` }],
          },
        },
      },
    },
  };
}

beforeEach(async () => {
  target.reset();
  t = await testCore({ config: config() });
});
afterEach(() => t.close());

const said = (r: { ephemeral: Parameters<typeof toPlainText>[0][] }) => [...r.ephemeral.map(toPlainText), t.chat.allText()].join('\n');

describe('action parameters', () => {
  it('when an integer is below min or above max, then the request is refused before anything runs', async () => {
    for (const line of ['/run items scale count=-5', '/run items scale count=0', '/run items scale count=1001', '/run items scale count=5 ratio=1.5']) {
      const r = await t.run('alice', line);
      expect(r.outcome, line).toBe('user-error');
      expect(said(r), line).toMatch(/must be at (least|most)/);
    }
    expect(target.hits()).toHaveLength(0);
    expect((await t.run('alice', '/run items scale count=5')).outcome).toBe('ok');
    expect(target.hits('/scale')).toHaveLength(1);
  });

  it('when a string param is ".." (or "."), then it is refused and no request climbs out of its path segment', async () => {
    for (const v of ['..', '.', 'a/../b']) {
      const r = await t.run('alice', `/run items touch id=${v}`);
      expect(r.outcome, v).toBe('user-error');
    }
    // Even a pattern that admits dots through a character class does not allow a dot segment.
    expect((await t.run('alice', '/run items tag label=..')).outcome).toBe('user-error');
    expect(target.hits()).toHaveLength(0);
    expect((await t.run('alice', '/run items touch id=42')).outcome).toBe('ok');
    expect(target.hits().map((h) => h.path)).toEqual(['/api/items/42/status']);
  });

  it('when a string param starts with "-", then it is refused unless its pattern begins with a dash', async () => {
    const r = await t.run('alice', '/run items touch id=-rf');
    expect(r.outcome).toBe('user-error');
    expect(said(r)).toContain('may not start with "-"');
    expect((await t.run('alice', '/run items tag label=-x')).outcome).toBe('user-error');
    expect((await t.run('alice', '/run items tag label=ok offset=-12')).outcome).toBe('ok');
    expect(target.hits().map((h) => h.path)).toEqual(['/tag/ok']);
  });

  it('when a rendered URL path would change under normalisation, then the step is refused (renderUrl)', async () => {
    const { renderUrl, TemplateError } = await import('../../../src/runbooks/template.js');
    expect(() => renderUrl('http://h/api/items/{{params.id}}/status', { params: { id: '..' } })).toThrow(TemplateError);
    expect(() => renderUrl('{{node.url}}/x/{{params.id}}', { node: { url: 'http://h' }, params: { id: '.' } })).toThrow(/normalised/);
    expect(() => renderUrl('http://h/a/%2e%2e/b', {})).toThrow(/normalised/);
    expect(renderUrl('http://h/api/items/{{params.id}}/status', { params: { id: 'a.b' } })).toBe('http://h/api/items/a.b/status');
  });

  it('when someone types a prototype key as a subcommand or an action, then it is an unknown name, not a pass', async () => {
    const audit = await t.run('erin', '/audit constructor');
    expect(audit.outcome).toBe('denied');
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const r = await t.run('alice', `/run items ${name}`);
      expect(r.outcome, name).toBe('user-error');
      expect(said(r), name).toMatch(/Unknown action|no action|unknown action/i);
    }
    expect(target.hits()).toHaveLength(0);
  });
});

describe('pack parameters have the bounds their runbook implies', () => {
  it('presig-generate count is 1..1000 and terminate-idle idle_minutes is 0..1440 (never negative)', () => {
    const env = { ...process.env, MPC_DATABASE_URL: 'postgres://mpc@127.0.0.1:5432/mpc_wallet' };
    const mpc = loadConfig('packs/mpc-wallet.yml', env).config.systems['mpc-wallet']!;
    expect(mpc.actions['presig-generate']!.params.find((p) => p.name === 'count')).toMatchObject({ min: 1, max: 1000 });
    expect(mpc.actions['terminate-idle']!.params.find((p) => p.name === 'idle_minutes')!.min).toBe(0);
  });
});
