/** Flow steps that need no external system: wait, verify (re-run a check until it passes), confirm-check (stop if red). */
import type { ConfirmCheckStep, VerifyStep, WaitStep } from '../config/index.js';
import { formatDuration } from '../config/index.js';
import type { Status } from '../core/message.js';
import type { StepContext, StepExecutor } from './step-kinds.js';
import { probeNode } from '../checks/health.js';
import { renderText } from './template.js';

const RANK: Record<Status, number> = { ok: 0, info: 0, pending: 1, warn: 2, unknown: 3, critical: 4 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const waitStepExecutor: StepExecutor<WaitStep> = {
  kind: 'wait',
  async plan(step) {
    return `wait ${formatDuration(step.duration)}`;
  },
  async run(step) {
    await sleep(step.duration);
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

async function runVerified(step: VerifyStep, ctx: StepContext): Promise<{ status: Status; summary: string }> {
  const node = verifiedNode(step, ctx);
  if (!node) return ctx.kt.checks.run(ctx.systemName, step.check);
  const h = await probeNode(node.name, node.health, ctx.sys.healthTimeout);
  return { status: h.status, summary: `${node.name} ${h.healthy ? 'healthy' : `DOWN (${h.detail})`}` };
}

export const verifyStepExecutor: StepExecutor<VerifyStep> = {
  kind: 'verify',
  async plan(step, ctx) {
    const node = verifiedNode(step, ctx);
    return `re-run ${node ? `health of ${node.name}` : `check ${step.check}`} until ${step.until} (up to ${formatDuration(step.timeout)})`;
  },
  async run(step, ctx) {
    const end = Date.now() + step.timeout;
    let last = '';
    for (let attempt = 1; ; attempt++) {
      const r = await runVerified(step, ctx);
      last = `${r.status}: ${r.summary}`;
      if (RANK[r.status] <= RANK[step.until]) return { ok: true, summary: `${step.check} ${last} (attempt ${attempt})` };
      if (Date.now() + step.interval > end) return { ok: false, summary: `${step.check} still ${last} after ${formatDuration(step.timeout)}` };
      await sleep(step.interval);
    }
  },
};

export const confirmCheckStepExecutor: StepExecutor<ConfirmCheckStep> = {
  kind: 'confirm-check',
  async plan(step) {
    return `stop if check ${step.check} is ${step.stopOn} or worse`;
  },
  async run(step, ctx) {
    const r = await ctx.kt.checks.run(ctx.systemName, step.check);
    const stop = RANK[r.status] >= RANK[step.stopOn];
    return { ok: !stop, summary: `${step.check} is ${r.status}: ${r.summary}${stop ? ' — stopping' : ''}` };
  },
};
