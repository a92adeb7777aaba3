/**
 * The step engine: runs an action's steps in order, stops at the first
 * failure, then always runs the `finally` steps (resume writes after a
 * backup even when the backup failed). Every step result is audited.
 *
 * The run's signal (src/core/run-stop.ts) is aborted when the process stops:
 * the step running then ends early, no later step starts, and the result is
 * `interrupted`. The `finally` steps still run, with a signal of their own:
 * they put back what the steps started (resume writes), which a stop must not
 * skip; each still has its own timeouts.
 */
import type { ActionDefinition, StepDefinition, SystemConfig } from '../config/index.js';
import { UserError } from '../core/errors.js';
import { maskSecrets } from '../core/secrets.js';
import type { Logger } from '../core/logger.js';
import type { Message } from '../core/message.js';
import type { ChannelTarget } from '../core/chat.js';
import type { AuditEntry } from '../store/audit-log.js';
import type { CheckResult } from '../checks/types.js';
import type { ExecutionResult, PlanStep, StepReport } from './results.js';
import type { StepContext } from '../integrations/contracts.js';
import { stepExecutor } from '../integrations/registry.js';
import { STOPPED } from '../core/run-stop.js';

/**
 * What the engine needs from the running services, and no more: it builds
 * each step's small context (src/integrations/contracts.ts) from these.
 */
export interface RunbookServices {
  checks: { system(name: string): SystemConfig; run(systemName: string, checkName: string): Promise<CheckResult> };
  audit: { append(entry: AuditEntry): Promise<unknown> };
  chat: { post(target: ChannelTarget, message: Message): Promise<unknown> };
  channels: { targets(name: string): ChannelTarget[]; platforms(): string[] };
  log: Logger;
  clock: { now(): Date };
}

/** Stops a run early: long waits (wait, verify) end when it is aborted. Never aborted unless a caller passes one. */
const NEVER = new AbortController().signal;
/** The `finally` steps' signal: never aborted (they undo what the steps started, stop or no stop). */
const CLEANUP = new AbortController().signal;
import type { ActionTarget, StepProgress } from './action.js';

import { stepName } from './step-name.js';

export type { ActionTarget, StepProgress } from './action.js';
export { stepName } from './step-name.js';

function context(kt: RunbookServices, sys: SystemConfig, t: ActionTarget, signal: AbortSignal): StepContext {
  const nodeParam = Object.values(t.params).find((v) => typeof v === 'string' && sys.nodes.some((n) => n.name === v));
  const node = sys.nodes.find((n) => n.name === nodeParam);
  return {
    systemName: t.systemName,
    sys,
    params: t.params,
    vars: { params: t.params, system: t.systemName, node: node ?? {}, requestId: t.requestId ?? '', reason: t.reason ?? '' },
    failure: null,
    requestId: t.requestId,
    log: kt.log.child({ system: t.systemName, action: t.actionName, requestId: t.requestId }),
    ...stepServices(kt, t.systemName),
    signal,
  };
}

/** The services part of a step's context: checks of this system, announcements, the clock. */
export function stepServices(kt: RunbookServices, systemName: string): Pick<StepContext, 'runCheck' | 'announce' | 'now'> {
  return {
    runCheck: (check) => kt.checks.run(systemName, check),
    announce: async (channel, message) => {
      const targets = kt.channels.targets(channel);
      for (const target of targets) await kt.chat.post(target, message);
      return { posted: targets.map((x) => x.platform), running: kt.channels.platforms() };
    },
    now: () => kt.clock.now(),
  };
}

export function actionOf(kt: Pick<RunbookServices, 'checks'>, systemName: string, actionName: string): { sys: SystemConfig; action: ActionDefinition } {
  const sys = kt.checks.system(systemName);
  const action = sys.actions[actionName];
  if (!action) throw new Error(`system ${systemName} has no action ${actionName}`);
  return { sys, action };
}

/** The dry run: what each step will do, exactly, secrets masked. Refuses (UserError) when a step cannot be prepared. */
export async function planAction(kt: RunbookServices, t: ActionTarget, signal: AbortSignal = NEVER): Promise<PlanStep[]> {
  const { sys, action } = actionOf(kt, t.systemName, t.actionName);
  const ctx = context(kt, sys, t, signal);
  const plan: PlanStep[] = [];
  for (const [phase, steps] of [['steps', action.steps], ['finally', action.finally]] as const) {
    for (const [i, s] of steps.entries()) {
      try {
        plan.push({ phase, index: i, kind: s.kind, name: stepName(s, i), summary: maskSecrets(await stepExecutor(s.kind).plan(s, ctx)) });
      } catch (err) {
        const msg = maskSecrets((err as Error).message);
        throw new UserError(`Cannot prepare ${phase === 'finally' ? 'finally ' : ''}step ${i + 1} (${stepName(s, i)}) of ${t.actionName}: ${msg}`, 'plan.refused');
      }
    }
  }
  // Approvers see the retry: the steps run again while one fails.
  const attempts = action.attempts ?? 1;
  const lastStep = plan.filter((p) => p.phase === 'steps').at(-1);
  if (attempts > 1 && lastStep) lastStep.summary += ` — if a step fails, steps 1-${action.steps.length} run again, up to ${attempts} attempts in all`;
  return plan;
}

/**
 * Asked before each step: a reason not to run it (the approved plan no longer matches the config), or null.
 * A step refused this way fails without running; the steps after it do not run either.
 */
export type StepGuard = (phase: 'steps' | 'finally', index: number) => Promise<string | null>;

export async function runAction(
  kt: RunbookServices,
  t: ActionTarget,
  onProgress: (p: StepProgress) => Promise<void> = async () => {},
  guard?: StepGuard,
  signal: AbortSignal = NEVER,
): Promise<ExecutionResult> {
  const { sys, action } = actionOf(kt, t.systemName, t.actionName);
  const ctx = context(kt, sys, t, signal);
  const reports: StepReport[] = [];
  let failure: StepReport | null = null;
  let refused = false;

  const runPhase = async (phase: 'steps' | 'finally', steps: StepDefinition[]) => {
    for (const [i, s] of steps.entries()) {
      if (phase === 'steps' && failure) break;
      const name = stepName(s, i);
      // Stopped between two steps: the next one does not start (finally steps still run).
      if (phase === 'steps' && signal.aborted) {
        failure = await notRun(phase, i, steps.length, name, STOPPED);
        break;
      }
      const stop = guard ? await guard(phase, i) : null;
      if (stop) {
        refused = true;
        const report = await notRun(phase, i, steps.length, name, stop);
        if (!failure) failure = report;
        // A finally step that still matches its approval runs (resume writes); the changed one does not.
        if (phase === 'steps') break;
        continue;
      }
      ctx.signal = phase === 'finally' ? CLEANUP : signal;
      // `finally` steps may act on an earlier failure (an announce with when: failed).
      ctx.failure = failure ? `${(failure as StepReport).name}: ${(failure as StepReport).summary}` : null;
      ctx.before = baselines.get(`${phase}/${i}`);
      await onProgress({ phase, index: i, total: steps.length, name });
      const started = performance.now();
      let report: StepReport;
      try {
        const out = await stepExecutor(s.kind).run(s, ctx);
        report = { phase, index: i, name, ok: out.ok, summary: maskSecrets(out.summary), ms: Math.round(performance.now() - started) };
        await audit(kt, t, report, out.detail);
      } catch (err) {
        report = { phase, index: i, name, ok: false, summary: maskSecrets((err as Error).message ?? String(err)), ms: Math.round(performance.now() - started) };
        await audit(kt, t, report);
      }
      reports.push(report);
      await onProgress({ phase, index: i, total: steps.length, name, report });
      if (!report.ok && !failure) failure = report;
    }
  };

  /** A step that does not run (changed since its approval, or the run was stopped): reported, audited and shown like one that ran. */
  const notRun = async (phase: 'steps' | 'finally', index: number, total: number, name: string, why: string): Promise<StepReport> => {
    const report: StepReport = { phase, index, name, ok: false, summary: maskSecrets(`not run: ${why}`), ms: 0 };
    await audit(kt, t, report);
    reports.push(report);
    await onProgress({ phase, index, total, name, report });
    return report;
  };

  // Baselines (a verify that must see a change) are read once, before anything is touched.
  const baselines = new Map<string, unknown>();
  for (const [phase, steps] of [['steps', action.steps], ['finally', action.finally]] as const) {
    for (const [i, s] of steps.entries()) {
      const exec = stepExecutor(s.kind);
      if (!exec.before) continue;
      try {
        baselines.set(`${phase}/${i}`, await exec.before(s, ctx));
      } catch (err) {
        baselines.set(`${phase}/${i}`, { error: maskSecrets((err as Error).message) });
      }
    }
  }
  // `attempts`: the steps run again from the first while one fails (restart, verify: up to 3 times); finally runs once.
  const attempts = action.attempts ?? 1;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    failure = null;
    const named = attempts > 1 ? action.steps.map((s, i) => ({ ...s, name: `${stepName(s, i)} (attempt ${attempt}/${attempts})` })) : action.steps;
    await runPhase('steps', named as StepDefinition[]);
    if (!failure || refused || signal.aborted) break;
  }
  // Cut short by the stop: a step failed (a wait cut short, a request cancelled) or did not start once it came.
  const interrupted = (failure as StepReport | null) !== null && signal.aborted;
  await runPhase('finally', action.finally);
  const f = failure as StepReport | null;
  const total = action.steps.length;
  const at = f && `step ${f.index + 1}/${f.phase === 'finally' ? action.finally.length : total} (${f.name}): ${f.summary}`;
  const summary = !f
    ? `all ${total} step(s)${action.finally.length ? ` and ${action.finally.length} finally step(s)` : ''} succeeded`
    : interrupted
      ? `interrupted at ${at}${action.finally.length ? `; the ${action.finally.length} finally step(s) ran` : ''}`
      : `failed at ${f.phase === 'finally' ? 'finally ' : ''}${at}`;
  return interrupted ? { ok: false, interrupted: true, summary, steps: reports } : { ok: !f, summary, steps: reports };
}

async function audit(kt: RunbookServices, t: ActionTarget, r: StepReport, detail: Record<string, unknown> = {}): Promise<void> {
  await kt.audit.append({
    actor: t.actor,
    platform: 'keyturn',
    kind: 'step',
    subject: `${t.systemName}/${t.actionName}${t.requestId ? ` ${t.requestId}` : ''} ${r.phase === 'finally' ? 'finally ' : ''}step ${r.index + 1} ${r.name}`,
    outcome: r.ok ? 'ok' : 'failed',
    detail: { summary: r.summary, ms: r.ms, ...detail },
  });
}
