/**
 * Running a claimed request: its secret parameters are read back from the
 * store (and masked in this process), the plan it was approved on is
 * resolved again against this replica's config, and only an identical plan
 * runs. Before each step the step is resolved once more; a step that no
 * longer matches what was approved is not run.
 */
import { canonical } from '../core/canonical-json.js';
import { registerPublicUrl } from '../core/url-display.js';
import type { Config } from '../config/index.js';
import type { ApprovalContext } from './context.js';
import { boundStep, diffPlans, planHash, resolvePlan, shortHash, type BoundPlan } from './binding.js';
import { registerParamSecrets, unseal } from './sealed-params.js';
import { note, progressText, refreshView, stepLine } from './view.js';
import { recordOutcome } from './outcome.js';
import { countedApprovals, type ApprovalRequest, type ExecutionResult, type RequestState } from './types.js';

const HEARTBEAT_MS = 5_000;
/** Tries at writing an execution's outcome before leaving it to the sweep. */
const OUTCOME_ATTEMPTS = 3;
/** At most this many changes are listed in the thread (all of them go to the audit row). */
const SHOWN_CHANGES = 12;

export type PlanCheck = { same: true; plan: BoundPlan } | { same: false; changes: string[]; hash: string | null };

function registerPlanUrls(v: unknown): void {
  if (typeof v === 'string') {
    if (/^https?:\/\//i.test(v) && !v.includes('•••')) registerPublicUrl(v);
  } else if (v && typeof v === 'object') for (const x of Object.values(v)) registerPlanUrls(x);
}

/** Resolves the request's plan against the current config and compares it with the approved one. */
export function checkPlan(config: Config, r: ApprovalRequest, planKey: Buffer): PlanCheck {
  if (!r.planHash || !r.boundPlan) return { same: false, changes: ['this request was made before approvals were bound to a plan'], hash: null };
  let now: BoundPlan;
  try {
    now = resolvePlan(config, { system: r.system, action: r.action, requester: r.requester, params: r.params, requestId: r.id, reason: r.reason }, planKey);
  } catch (err) {
    return { same: false, changes: [(err as Error).message], hash: null };
  }
  const hash = planHash(now);
  if (hash === r.planHash) return { same: true, plan: now };
  // The approved plan's URLs came from a config (every configuration secret already hidden in it), like the current
  // ones: shown by the same rule, in full, so "what changed" reads old → new on any replica, not origin → full URL.
  registerPlanUrls(r.boundPlan);
  const changes = diffPlans(r.boundPlan, now);
  return { same: false, changes: changes.length ? changes : [`plan ${shortHash(r.planHash)} → ${shortHash(hash)}`], hash };
}

/** The request's parameters with the secret ones read back (and registered for masking here); throws if they cannot be read. */
export function paramsOf(r: ApprovalRequest, secretKey: Buffer | null): Record<string, unknown> {
  if (!r.sealedParams) return r.params;
  const secret = unseal(secretKey, r.id, r.sealedParams);
  registerParamSecrets(secret);
  return { ...r.params, ...secret };
}

/** Runs a request this process has claimed (start-execution.ts): only the plan that was approved runs, with a heartbeat while it does. */
export async function executeClaimed(d: ApprovalContext, r: ApprovalRequest): Promise<RequestState> {
  const { store } = d;
  let params: Record<string, unknown>;
  try {
    params = paramsOf(r, d.secretKey);
  } catch (err) {
    return finish(d, r, 'failed', { ok: false, summary: `not run: ${(err as Error).message}`, steps: [] });
  }
  const check = checkPlan(d.config(), r, d.planKey);
  if (!check.same) return invalidate(d, r, check.changes, check.hash);

  const votes = countedApprovals(await store.votes(r.id), r);
  await d.audit.append({ actor: 'keyturn', platform: 'keyturn', kind: 'approval.decision', subject: r.id, outcome: 'approved', detail: { approvers: votes.map((v) => v.person), replica: d.replica, planHash: r.planHash } });
  await note(d, r, `Approved by ${votes.map((v) => v.person).join(' and ')}. Executing ${r.action}.`);
  const beat = setInterval(() => void store.heartbeat(r.id, d.clock.now()).catch(() => {}), HEARTBEAT_MS);
  beat.unref();
  const approved = r.boundPlan!;
  // Before each step: that step, resolved again here, must be the one approved.
  const guard = async (phase: 'steps' | 'finally', index: number): Promise<string | null> => {
    const was = boundStep(approved, phase, index);
    let now: BoundPlan;
    try {
      now = resolvePlan(d.config(), { system: r.system, action: r.action, requester: r.requester, params: r.params, requestId: r.id, reason: r.reason }, d.planKey);
    } catch (err) {
      return (err as Error).message;
    }
    const is = boundStep(now, phase, index);
    if (was && is && canonical(was) === canonical(is)) return null;
    const changes = diffPlans({ ...approved, steps: was ? [was] : [] }, { ...approved, steps: is ? [is] : [] });
    return `this step changed since it was approved: ${changes.slice(0, 3).join('; ') || 'it is no longer in the action'}`;
  };
  let result: ExecutionResult;
  try {
    result = await d.actions.run(
      { systemName: r.system, actionName: r.action, params, requestId: r.id, actor: r.requester, reason: r.reason },
      async (p) => {
        await refreshView(d, r.id, progressText(p));
        const line = stepLine(p);
        if (line) await note(d, r, line);
      },
      guard,
    );
  } catch (err) {
    result = { ok: false, summary: `engine error: ${(err as Error).message}`, steps: [] };
  } finally {
    clearInterval(beat);
  }
  if (result.interrupted) return interrupted(d, r, result);
  return finish(d, r, result.ok ? 'succeeded' : 'failed', result);
}

async function finish(d: ApprovalContext, r: ApprovalRequest, state: RequestState, result: ExecutionResult): Promise<RequestState> {
  const audit = { actor: r.requester, platform: 'keyturn', kind: 'approval.result', subject: `${r.id} ${r.system}/${r.action}`, outcome: state, detail: { summary: result.summary } };
  const said = `${result.ok ? 'Succeeded' : 'Failed'}: ${result.summary}`;
  // What ran must be recorded: a failed write (the store restarting, a dropped connection) is tried again.
  let decided: ApprovalRequest | null = null;
  for (let attempt = 1; ; attempt++) {
    try {
      decided = await recordOutcome(d, r.id, { from: ['executing'], to: state, result, audit, note: said });
      break;
    } catch (err) {
      if (attempt >= OUTCOME_ATTEMPTS) {
        // Left executing without a heartbeat: the sweep records it interrupted and points here.
        d.log.error({ err, request: r.id, state, summary: result.summary }, `the outcome of ${r.id} (${state}) could not be recorded`);
        return state;
      }
      await new Promise((res) => setTimeout(res, 1_000 * attempt));
    }
  }
  if (decided) return state;
  // Another replica's sweep took this run for dead (no heartbeat it could see) and recorded it interrupted:
  // what really happened still goes to the audit log and the thread.
  const now = await d.store.get(r.id);
  // An earlier try that committed but whose answer was lost (a dropped connection) already wrote it all.
  if (now?.state === state) return state;
  await d.audit.append({ ...audit, detail: { ...audit.detail, recordedAs: now?.state ?? null } });
  await note(d, r, `${said} (finished after it was recorded as ${now?.state ?? 'gone'})`);
  return state;
}

/** This process stopped mid-run (src/core/run-stop.ts): with what did run. Not `failed`: nothing says the action could not work. */
async function interrupted(d: ApprovalContext, r: ApprovalRequest, result: ExecutionResult): Promise<RequestState> {
  await recordInterrupted(d, r, {
    result: { ...result, summary: `interrupted: this Keyturn process (replica ${d.replica}) stopped while executing (${result.summary}); not re-run automatically. Check the system and re-request if needed.` },
    detail: { replica: d.replica, summary: result.summary },
    what: `Keyturn stopped while running ${r.action} on ${r.system} (${result.summary})`,
  });
  return 'interrupted';
}

/**
 * An execution that was not let finish, whoever finds it (its own process at a stop, or the sweep for a replica
 * that died): the one state, audit row and thread warning, and never re-run by itself. False when another
 * replica recorded it first (then nothing is written twice).
 */
export async function recordInterrupted(d: ApprovalContext, r: ApprovalRequest, o: { result: ExecutionResult; detail: Record<string, unknown>; what: string }): Promise<boolean> {
  const done = await recordOutcome(d, r.id, {
    from: ['executing'],
    to: 'interrupted',
    result: o.result,
    audit: { actor: 'keyturn', platform: 'keyturn', kind: 'approval.result', subject: `${r.id} ${r.system}/${r.action}`, outcome: 'interrupted', detail: o.detail },
    note: `⚠️ Interrupted: ${o.what}. It will not be re-run by itself: check what was done (/audit ${r.id}) and re-request if needed.`,
  });
  return done !== null;
}

/** Nothing runs: the thread says what changed, the audit keeps every change, and a new request is needed. */
async function invalidate(d: ApprovalContext, r: ApprovalRequest, changes: string[], hash: string | null): Promise<RequestState> {
  const summary = `not run: the config changed since the request, so what was approved is not what would run (${changes.length} change${changes.length === 1 ? '' : 's'})`;
  const shown = changes.slice(0, SHOWN_CHANGES).map((c) => `• ${c}`);
  if (changes.length > SHOWN_CHANGES) shown.push(`• … and ${changes.length - SHOWN_CHANGES} more (/audit ${r.id})`);
  await recordOutcome(d, r.id, {
    from: ['executing'],
    to: 'invalidated',
    result: { ok: false, summary, steps: [] },
    audit: {
      actor: 'keyturn',
      platform: 'keyturn',
      kind: 'approval.result',
      subject: `${r.id} ${r.system}/${r.action}`,
      outcome: 'invalidated',
      detail: { approvedPlan: r.planHash, currentPlan: hash, changes, replica: d.replica },
    },
    note: `⚠️ Not run: the configuration changed after ${r.id} was requested, so what was approved${r.planHash ? ` (plan ${shortHash(r.planHash)})` : ''} is not what would run. Nothing was executed.\nChanged since the request:\n${shown.join('\n')}\nRequest ${r.action} on ${r.system} again to approve the current plan.`,
  });
  return 'invalidated';
}
