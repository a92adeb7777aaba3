/** Flow steps that need no external system: wait, verify (re-run a check until it passes), confirm-check (stop if red). */
import type { ConfirmCheckStep, VerifyStep, WaitStep } from '../config/index.js';
import { formatDuration } from '../config/index.js';
import type { Status } from '../core/message.js';
import type { StepExecutor } from './step-kinds.js';

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

export const verifyStepExecutor: StepExecutor<VerifyStep> = {
  kind: 'verify',
  async plan(step) {
    return `re-run check ${step.check} until ${step.until} (up to ${formatDuration(step.timeout)})`;
  },
  async run(step, ctx) {
    const end = Date.now() + step.timeout;
    let last = '';
    for (let attempt = 1; ; attempt++) {
      const r = await ctx.kt.checks.run(ctx.systemName, step.check);
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
