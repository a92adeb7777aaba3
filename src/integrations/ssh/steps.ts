/**
 * `systemd` and `ssh-exec` action steps. Both name a host of the system's
 * `ssh.hosts` (often {{params.node}}), render each argv element on its own
 * (a parameter is one argument, quoted for the remote shell), and never run
 * a command twice: a connection lost mid-command fails the step with "outcome
 * unknown" instead of retrying.
 */
import { formatDeadline } from '../../config/duration.js';
import { maskedExcerpt, maskSecrets } from '../../core/secrets.js';
import { renderText } from '../../runbooks/template.js';
import type { StepContext, StepExecutor, StepOutcome } from '../contracts.js';
import { pause, STOPPED } from '../../core/run-stop.js';
import { SshError, sshPool, type ExecResult } from './client.js';
import { showArgv } from './quote.js';
import type { SshExecStep, SystemdStep } from './schema.js';
import { describeUnit, unitState, type UnitState } from './unit-state.js';

const MAX_ARG = 8_192;

/** A rendered argument: placeholders filled, then checked (no NUL, bounded length). */
export function renderArg(template: string, ctx: Pick<StepContext, 'vars'>): string {
  const v = renderText(template, ctx.vars);
  if (v.includes('\0')) throw new Error(`argument ${JSON.stringify(template)} would contain a NUL byte`);
  if (v.length > MAX_ARG) throw new Error(`argument ${JSON.stringify(template)} is ${v.length} characters long (at most ${MAX_ARG})`);
  return v;
}

function hostOf(step: { host: string }, ctx: StepContext) {
  const pool = sshPool(ctx.systemName, ctx.sys.ssh);
  const host = renderText(step.host, ctx.vars);
  if (!(host in pool.conf.hosts)) throw new Error(`unknown host "${host}" (ssh.hosts of ${ctx.systemName}: ${pool.hostNames().join(', ')})`);
  return { pool, host };
}

const seconds = (ms: number) => formatDeadline(ms);
/** NUL cannot be stored in the audit log (Postgres text) or shown: it reads as ␀. */
export const printable = (s: string) => s.replace(/\0/g, '\u2400');
const outputOf = (r: ExecResult, max: number) => printable(maskedExcerpt([r.stdout.trim(), r.stderr.trim() && `[stderr] ${r.stderr.trim()}`].filter(Boolean).join('\n'), max, 'end'));

/** The state a unit should reach after `op`. */
const target = (op: SystemdStep['op']) => (op === 'stop' ? ['inactive'] : ['active']);

export const systemdStepExecutor: StepExecutor<SystemdStep> = {
  kind: 'systemd',
  async plan(step, ctx) {
    const { pool, host } = hostOf(step, ctx);
    // Reading the state first proves the host key, the login and the unit before anyone approves.
    const now = await unitState(pool, host, step.unit, step.timeout);
    if (now.LoadState === 'not-found') throw new Error(`unit ${step.unit} is not loaded on ${host} (systemctl show says not-found)`);
    if (step.op === 'status') return `systemctl show ${step.unit} on ${host} (${pool.describe(host)}): now ${describeUnit(now)}`;
    const cmd = `${step.sudo ? 'sudo -n ' : ''}systemctl ${step.op} ${step.unit}`;
    return `${cmd} on ${host} (${pool.describe(host)}, now ${describeUnit(now)}), then up to ${seconds(step.timeout)} for it to be ${target(step.op)[0]}`;
  },
  async run(step, ctx): Promise<StepOutcome> {
    const { pool, host } = hostOf(step, ctx);
    const detail: Record<string, unknown> = { host, unit: step.unit, op: step.op };
    try {
      const before = await unitState(pool, host, step.unit, step.timeout);
      detail.before = describeUnit(before);
      if (step.op === 'status') return { ok: before.LoadState !== 'not-found', summary: `${step.unit} on ${host}: ${describeUnit(before)}`, detail };
      const argv = ['systemctl', step.op, '--', step.unit];
      const started = Date.now();
      const r = await pool.exec(host, argv, { sudo: step.sudo, timeoutMs: step.timeout, maxCapture: 4_000 });
      detail.exitCode = r.exitCode;
      const cmd = `${step.sudo ? 'sudo -n ' : ''}systemctl ${step.op} ${step.unit}`;
      if (r.timedOut) return { ok: false, summary: `${cmd} on ${host} did not finish within ${seconds(step.timeout)}: killed`, detail: { ...detail, timedOut: true } };
      if (r.exitCode !== 0) return { ok: false, summary: `${cmd} on ${host} exited ${r.exitCode ?? `on signal ${r.signal}`}: ${outputOf(r, 400) || 'no output'}`, detail: { ...detail, output: outputOf(r, 2000) } };
      const after = await settle(pool, host, step, started + step.timeout, ctx.signal);
      detail.after = describeUnit(after);
      const ok = target(step.op).includes(after.ActiveState);
      return {
        ok,
        summary: ok ? `${cmd} on ${host}: now ${describeUnit(after)}` : `${cmd} on ${host}: ${after.ActiveState === 'failed' ? 'the unit failed' : ctx.signal.aborted ? `not seen ${target(step.op)[0]}, ${STOPPED}` : `not ${target(step.op)[0]} within ${seconds(step.timeout)}`}: now ${describeUnit(after)}`,
        detail,
      };
    } catch (err) {
      return { ok: false, summary: failure(err), detail };
    }
  },
};

/** Polls the unit until it reaches the op's target state, fails, the deadline passes or the run is stopped. */
async function settle(pool: ReturnType<typeof sshPool>, host: string, step: SystemdStep, until: number, signal: AbortSignal): Promise<UnitState> {
  for (;;) {
    const s = await unitState(pool, host, step.unit, Math.max(1_000, until - Date.now()));
    if (target(step.op).includes(s.ActiveState) || s.ActiveState === 'failed' || Date.now() >= until || !(await pause(250, signal))) return s;
  }
}

function failure(err: unknown): string {
  return maskSecrets(err instanceof SshError || err instanceof Error ? err.message : String(err));
}

export const sshExecStepExecutor: StepExecutor<SshExecStep> = {
  kind: 'ssh-exec',
  async plan(step, ctx) {
    const { pool, host } = hostOf(step, ctx);
    const argv = step.command.map((a) => renderArg(a, ctx));
    await pool.probe(host);
    const deadline = step.timeout ?? pool.conf.commandTimeout;
    return maskSecrets(`on ${host} (${pool.describe(host)}): ${step.sudo ? 'sudo -n ' : ''}${showArgv(argv)} — expect exit ${step.expectExit.join(' or ')}, killed after ${seconds(deadline)}`);
  },
  async run(step, ctx): Promise<StepOutcome> {
    const { pool, host } = hostOf(step, ctx);
    const argv = step.command.map((a) => renderArg(a, ctx));
    const shown = maskSecrets(`${step.sudo ? 'sudo -n ' : ''}${showArgv(argv)}`);
    const deadline = step.timeout ?? pool.conf.commandTimeout;
    const detail: Record<string, unknown> = { host, command: shown };
    try {
      const r = await pool.exec(host, argv, { sudo: step.sudo, timeoutMs: deadline, maxCapture: step.maxOutput * 2 });
      Object.assign(detail, { exitCode: r.exitCode, signal: r.signal, stdout: printable(maskedExcerpt(r.stdout, step.maxOutput, 'end')), stderr: printable(maskedExcerpt(r.stderr, step.maxOutput, 'end')) });
      const out = outputOf(r, Math.min(500, step.maxOutput));
      if (r.timedOut) return { ok: false, summary: `${shown} on ${host} was still running at its deadline (${seconds(deadline)}): killed${out ? `; output so far: ${out}` : ''}`, detail: { ...detail, timedOut: true } };
      const ok = r.exitCode !== null && step.expectExit.includes(r.exitCode);
      const how = r.exitCode === null ? `died on signal ${r.signal ?? '?'}` : `exited ${r.exitCode}`;
      return { ok, summary: `${shown} on ${host} ${how}${ok ? '' : ` (expected ${step.expectExit.join(' or ')})`}${out ? `: ${out}` : ''}`, detail };
    } catch (err) {
      return { ok: false, summary: failure(err), detail };
    }
  },
};
