/** Flow steps that need no external system: wait, verify (re-run a check until it passes), confirm-check (stop if red). */
import type { ConfirmCheckStep, VerifyStep, WaitStep } from '../config/index.js';
import type { VerifyTarget } from '../config/steps-schema.js';
import { formatDuration } from '../config/index.js';
import type { Status } from '../core/message.js';
import type { StepContext, StepExecutor } from '../integrations/contracts.js';
import { probeNode } from '../checks/health.js';
import { renderText } from './template.js';
import { pause, STOPPED } from '../core/run-stop.js';

const RANK: Record<Status, number> = { ok: 0, info: 0, pending: 1, warn: 2, unknown: 3, critical: 4 };
export const waitStepExecutor: StepExecutor<WaitStep> = {
  kind: 'wait',
  async plan(step) {
    return `wait ${formatDuration(step.duration)}`;
  },
  async run(step, ctx) {
    if (!(await pause(step.duration, ctx.signal))) return { ok: false, summary: `wait of ${formatDuration(step.duration)} cut short: ${STOPPED}` };
    return { ok: true, summary: `waited ${formatDuration(step.duration)}` };
  },
};

/** `node: {{params.node}}` narrows the health fan-out to the node an action just restarted: the others' state is not its verdict. */
function verifiedNode(step: VerifyStep, ctx: StepContext): { name: string; health: string } | null {
  if (step.node === undefined) return null;
  const name = renderText(step.node, ctx.vars);
  const node = ctx.sys.nodes.find((n) => n.name === name);
  if (!node) throw new Error(`unknown node "${name}" (nodes: ${ctx.sys.nodes.map((n) => n.name).join(', ')})`);
  if (!node.health) throw new Error(`node ${name} has no health URL to verify`);
  return { name, health: node.health };
}

async function runVerified(step: VerifyStep, ctx: StepContext): Promise<{ status: Status; summary: string; values?: Record<string, unknown> }> {
  const node = verifiedNode(step, ctx);
  if (!node) return ctx.runCheck(step.check);
  const h = await probeNode(node.name, node.health, ctx.sys.healthTimeout);
  return { status: h.status, summary: `${node.name} ${h.healthy ? 'healthy' : `DOWN (${h.detail})`}` };
}

const shown = (v: unknown) => (v === undefined ? 'nothing' : typeof v === 'string' ? v : JSON.stringify(v));

/** Exact, with one allowance: a number matches its decimal string (a JSON API may send either). */
function sameReading(got: unknown, want: unknown): boolean {
  if (got === want) return true;
  if (typeof got === 'number' && typeof want === 'string') return want.trim() !== '' && Number(want) === got;
  if (typeof got === 'string' && typeof want === 'number') return got.trim() !== '' && Number(got) === want;
  return false;
}

/** The baseline a `changed` target compares against: the check's status and values before the action. */
interface Baseline {
  status?: Status;
  values?: Record<string, unknown>;
  error?: string;
}

function targetText(t: VerifyTarget): string {
  if (t.field !== undefined) return t.changed ? `${t.field} reads differently than before the action` : `${t.field} = ${shown(t.equals)}`;
  return t.changed ? 'its status differs from before the action' : `status is exactly ${t.status}`;
}

/** Whether one run of the check meets the target, and what it read. */
function judgeTarget(t: VerifyTarget, r: { status: Status; values?: Record<string, unknown> }, before: Baseline | undefined): { ok: boolean; read: string } {
  if (t.field !== undefined) {
    const has = !!r.values && Object.hasOwn(r.values, t.field);
    const got = has ? r.values![t.field] : undefined;
    const read = has ? `${t.field} = ${shown(got)}` : `${t.field} not reported${r.values ? ` (it reports ${Object.keys(r.values).join(', ') || 'nothing'})` : ''}`;
    if (!has || got === undefined) return { ok: false, read };
    if (!t.changed) return { ok: sameReading(got, t.equals), read };
    const was = before?.values?.[t.field];
    if (was === undefined) return { ok: false, read: `${read}; before the action it could not be read${before?.error ? ` (${before.error})` : ''}, so a change cannot be shown` };
    return { ok: !sameReading(got, was), read: `${read} (before the action: ${shown(was)})` };
  }
  if (!t.changed) return { ok: r.status === t.status, read: `status ${r.status}` };
  if (!before?.status) return { ok: false, read: `status ${r.status}; before the action it could not be read${before?.error ? ` (${before.error})` : ''}` };
  return { ok: r.status !== before.status, read: `status ${r.status} (before the action: ${before.status})` };
}

export const verifyStepExecutor: StepExecutor<VerifyStep> = {
  kind: 'verify',
  async plan(step, ctx) {
    const node = verifiedNode(step, ctx);
    const until = typeof step.until === 'string' ? `${step.until}${step.until === 'ok' ? '' : ' or better'}` : targetText(step.until);
    return `re-run ${node ? `health of ${node.name}` : `check ${step.check}`} until ${until} (up to ${formatDuration(step.timeout)})`;
  },
  async before(step, ctx) {
    if (typeof step.until === 'string' || !step.until.changed) return undefined;
    const r = await runVerified(step, ctx);
    return { status: r.status, values: r.values } satisfies Baseline;
  },
  async run(step, ctx) {
    const end = Date.now() + step.timeout;
    let last = '';
    for (let attempt = 1; ; attempt++) {
      const r = await runVerified(step, ctx);
      if (typeof step.until === 'string') {
        last = `${r.status}: ${r.summary}`;
        if (RANK[r.status] <= RANK[step.until]) return { ok: true, summary: `${step.check} ${last} (attempt ${attempt})` };
      } else {
        const j = judgeTarget(step.until, r, ctx.before as Baseline | undefined);
        last = `${j.read} (${r.status}: ${r.summary})`;
        if (j.ok) return { ok: true, summary: `${step.check} confirms ${targetText(step.until)}: ${last} (attempt ${attempt})` };
      }
      if (Date.now() + step.interval > end)
        return { ok: false, summary: typeof step.until === 'string' ? `${step.check} still ${last} after ${formatDuration(step.timeout)}` : `${step.check} did not confirm ${targetText(step.until)} within ${formatDuration(step.timeout)}: ${last}` };
      if (!(await pause(step.interval, ctx.signal))) return { ok: false, summary: `${step.check} not confirmed: ${STOPPED} (last: ${last})` };
    }
  },
};

export const confirmCheckStepExecutor: StepExecutor<ConfirmCheckStep> = {
  kind: 'confirm-check',
  async plan(step) {
    return `stop if check ${step.check} is ${step.stopOn} or worse`;
  },
  async run(step, ctx) {
    const r = await ctx.runCheck(step.check);
    const stop = RANK[r.status] >= RANK[step.stopOn];
    return { ok: !stop, summary: `${step.check} is ${r.status}: ${r.summary}${stop ? ' — stopping' : ''}` };
  },
};
