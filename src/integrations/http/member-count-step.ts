/**
 * `member-count` steps: a cluster's member list over HTTP, so a membership
 * change is verified by what changed, not by the list merely answering.
 * `save` counts the members before the action; `expect` then waits until
 * the count moved by exactly `change` (and the member is in or out), and
 * fails when it did not; `quorumWithout` refuses a removal (before approval
 * too) that would leave the remaining members without a reachable majority.
 */
import type { MemberCountStep } from './schema.js';
import { formatDuration } from '../../config/duration.js';
import { maskSecrets } from '../../core/secrets.js';
import { renderText, renderUrl } from '../../runbooks/template.js';
import type { StepContext, StepExecutor, StepOutcome } from '../contracts.js';
import { pause, STOPPED } from '../../core/run-stop.js';
import { httpRequest, jsonPath } from './client.js';

interface Members {
  ids: string[];
  reachable: Set<string>;
}

async function read(step: MemberCountStep, ctx: StepContext): Promise<Members> {
  const url = renderUrl(step.url, ctx.vars);
  if (!/^https?:\/\//.test(url)) throw new Error(`member list URL must be http(s), got ${maskSecrets(url)}`);
  const headers = Object.fromEntries(Object.entries(step.headers).map(([k, v]) => [k, renderText(v, ctx.vars)]));
  const res = await httpRequest({ method: 'GET', url, headers, timeoutMs: 10_000, signal: ctx.signal });
  if (res.status !== 200) throw new Error(`GET ${maskSecrets(url)}: HTTP ${res.status}`);
  const list = jsonPath(res.json, step.list);
  if (!Array.isArray(list)) throw new Error(`${step.list} in the answer of ${maskSecrets(url)} is not a list`);
  const ids = list.map((m) => String((m as Record<string, unknown>)[step.id]));
  const reachable = new Set(list.filter((m) => (m as Record<string, unknown>)[step.reachable] === true).map((m) => String((m as Record<string, unknown>)[step.id])));
  return { ids, reachable };
}

/** Members left without `id`, how many of them are reachable, and the majority they need. */
function quorumAfter(m: Members, id: string) {
  const left = m.ids.filter((x) => x !== id);
  const up = left.filter((x) => m.reachable.has(x)).length;
  const need = Math.floor(left.length / 2) + 1;
  return { left: left.length, up, need, ok: up >= need, member: m.ids.includes(id) };
}

const saved = (ctx: StepContext): Record<string, number> => ((ctx.vars.savedCounts ??= {}) as Record<string, number>);

export const memberCountStepExecutor: StepExecutor<MemberCountStep> = {
  kind: 'member-count',
  async plan(step, ctx) {
    const m = await read(step, ctx);
    const parts: string[] = [];
    if (step.quorumWithout !== undefined) {
      const id = renderText(step.quorumWithout, ctx.vars);
      const q = quorumAfter(m, id);
      if (!q.member) throw new Error(`${id} is not a member (members: ${m.ids.join(', ')})`);
      if (!q.ok) throw new Error(`removing ${id} would leave ${q.left} member(s) with ${q.up} reachable, below the majority of ${q.need}: no quorum`);
      parts.push(`without ${id}: ${q.left} members, ${q.up} reachable (majority ${q.need}), checked again before the removal`);
    }
    if (step.save) parts.push(`count the members (now ${m.ids.length}) as "${step.save}"`);
    if (step.expect) {
      const member = step.expect.member === undefined ? '' : ` and ${renderText(step.expect.member, ctx.vars)} ${step.expect.change > 0 ? 'in' : 'out of'} the list`;
      parts.push(`until the member count is "${step.expect.from}" ${step.expect.change >= 0 ? '+' : ''}${step.expect.change}${member} (up to ${formatDuration(step.timeout)}), else fail`);
    }
    return parts.join('; ');
  },
  async run(step, ctx): Promise<StepOutcome> {
    let m = await read(step, ctx);
    const out: string[] = [];
    if (step.quorumWithout !== undefined) {
      const id = renderText(step.quorumWithout, ctx.vars);
      const q = quorumAfter(m, id);
      if (!q.member) return { ok: false, summary: `${id} is not a member (members: ${m.ids.join(', ')})` };
      if (!q.ok) return { ok: false, summary: `removing ${id} would leave ${q.left} member(s) with ${q.up} reachable, below the majority of ${q.need}: no quorum — not removing` };
      out.push(`quorum holds without ${id}: ${q.up} of ${q.left} reachable (majority ${q.need})`);
    }
    if (step.save) {
      saved(ctx)[step.save] = m.ids.length;
      out.push(`${m.ids.length} members`);
    }
    if (step.expect) {
      const before = saved(ctx)[step.expect.from];
      if (before === undefined) return { ok: false, summary: `no member count saved as "${step.expect.from}" earlier in this run` };
      const want = before + step.expect.change;
      const member = step.expect.member === undefined ? undefined : renderText(step.expect.member, ctx.vars);
      const holds = (x: Members) => x.ids.length === want && (member === undefined || x.ids.includes(member) === step.expect!.change > 0);
      const end = Date.now() + step.timeout;
      while (!holds(m)) {
        if (Date.now() + step.interval > end) {
          return { ok: false, summary: `member count ${before} → ${m.ids.length} after ${formatDuration(step.timeout)}, expected ${want}${member !== undefined ? ` with ${member} ${step.expect.change > 0 ? 'in' : 'out of'} the list (${m.ids.includes(member) ? 'in' : 'not in'} it)` : ''}` };
        }
        if (!(await pause(step.interval, ctx.signal))) return { ok: false, summary: `member count ${before} → ${m.ids.length}, expected ${want}: not confirmed, ${STOPPED}` };
        m = await read(step, ctx);
      }
      out.push(`member count ${before} → ${m.ids.length}${member !== undefined ? `, ${member} ${step.expect.change > 0 ? 'joined' : 'gone'}` : ''}`);
    }
    return { ok: true, summary: out.join('; ') };
  },
};
