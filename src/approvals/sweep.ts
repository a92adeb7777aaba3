/**
 * The sweep, run on every replica every few seconds: escalates missed
 * countersigns, expires overdue requests, starts approved requests nobody
 * claimed (once the replica that stored the deciding vote is gone), and marks
 * executions whose replica died as interrupted. Safe to run everywhere at
 * once: every move is a conditional UPDATE.
 */
import { hostname } from 'node:os';
import type { Platform } from '../core/chat.js';
import { formatDuration } from '../config/duration.js';
import type { ApprovalContext } from './context.js';
import { paramsOf, recordInterrupted } from './execute.js';
import { recordOutcome } from './outcome.js';
import { reject } from './reject.js';
import { tryExecute } from './start-execution.js';
import { note, refreshView } from './view.js';
import type { ApprovalRequest } from './types.js';

export async function sweep(ctx: ApprovalContext): Promise<void> {
  await escalateCountersigns(ctx);
  // Each request on its own: one that cannot be decided now (logged) does not hold up the others or the rest of the sweep.
  const each = async (id: string, what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      ctx.log.error({ err, request: id }, `sweep: could not ${what}; tried again on the next sweep`);
    }
  };
  for (const r of await ctx.store.dueForExpiry(ctx.clock.now())) {
    rebuildMasks(ctx, r);
    await each(r.id, 'expire the request', () => expire(ctx, r.id));
  }
  for (const v of await ctx.store.rejectedUndecided()) {
    ctx.log.warn({ request: v.id }, `a stored rejection by ${v.person} was never decided (its replica stopped after storing it): rejecting now`);
    await each(v.id, 'record the rejection', () => reject(ctx, v.id, v.person, v.platform));
  }
  for (const u of await ctx.store.approvedUnclaimed(ctx.clock.now())) {
    // The replica that stored the deciding ✅ claims the request itself, right after; this one starts it only when no
    // replica is on it (handed over by one that stopped, or stored before Keyturn kept it), it is ours, or that replica
    // is gone (a dead process of this host, or no claim for longer than a live execution may go silent). Starting it
    // while that replica was merely slow (a hog run) ran it on a replica still on the old config. A request about to
    // expire is started rather than left to expire as "without enough approvals".
    const now = ctx.clock.now().getTime();
    const free = u.storedBy === null || u.storedBy === ctx.replica;
    const overdue = now - u.lastVoteAt.getTime() > ctx.staleExecutionMs;
    const expiring = u.expiresAt.getTime() - now <= ctx.staleExecutionMs;
    if (!free && !overdue && !expiring && !deadOnThisHost(u.storedBy)) continue;
    if ((await tryExecute(ctx, u.id, { detach: true })) !== null) ctx.log.warn({ request: u.id, storedBy: u.storedBy }, 'approved request was not started by the replica that stored its last vote (stopped, or silent too long): starting it now');
  }
  for (const r of await ctx.store.executing()) {
    const deadLocal = deadOnThisHost(r.executedBy);
    const silent = !r.heartbeatAt || ctx.clock.now().getTime() - r.heartbeatAt.getTime() > ctx.staleExecutionMs;
    const mine = r.executedBy === ctx.replica;
    // Ours and no longer running here, without a heartbeat: its outcome could not be written (logged when it failed).
    const live = mine ? ctx.running.has(r.id) || !silent : !(deadLocal || silent);
    if (live) continue;
    rebuildMasks(ctx, r);
    await each(r.id, 'record the interrupted execution', () =>
      recordInterrupted(ctx, r, {
        result: { ok: false, summary: `interrupted: replica ${r.executedBy} stopped while executing; not re-run automatically. Check the system and re-request if needed.`, steps: [] },
        detail: { replica: r.executedBy },
        what: mine ? `the outcome of ${r.action} on ${r.system} could not be recorded (this replica's log has the error)` : `the Keyturn process running ${r.action} on ${r.system} stopped mid-execution`,
      }),
    );
  }
}

/** A pending request past its expiry (found by a vote or the sweep): expired, said in its thread. */
export async function expire(ctx: ApprovalContext, id: string): Promise<void> {
  await recordOutcome(ctx, id, {
    from: ['pending'],
    to: 'expired',
    audit: { actor: 'keyturn', platform: 'keyturn', kind: 'approval.decision', subject: id, outcome: 'expired', detail: {} },
    note: `Expired without enough approvals. Nothing was run.`,
  });
}

/** Break-glass requests nobody countersigned in time: an incident (paged if its severity pages) and a note in the thread. */
async function escalateCountersigns(ctx: ApprovalContext): Promise<void> {
  for (const c of await ctx.countersigns.claimOverdue(ctx.clock.now())) {
    const r = await ctx.store.get(c.requestId);
    if (!r) continue;
    const title = `Break-glass ${r.action} on ${r.system} (${r.id}) not countersigned within ${formatDuration(c.withinMs)}`;
    let incident: string | null = null;
    try {
      const inc = await ctx.incidents.declare({ person: { name: 'keyturn', roles: [] }, platform: r.platform as Platform, channel: r.channel }, c.severity, title, [r.system]);
      incident = inc.id;
      await ctx.countersigns.setIncident(r.id, inc.id);
    } catch (err) {
      ctx.log.error({ err, request: r.id }, 'could not open the incident for a missed countersign');
    }
    await ctx.audit.append({ actor: 'keyturn', platform: 'keyturn', kind: 'approval.countersign', subject: r.id, outcome: 'missed', detail: { dueAt: c.dueAt.toISOString(), incident } });
    await refreshView(ctx, r.id);
    // Said as it is: the incident pages only when its severity pages and PagerDuty is configured.
    const paged = !ctx.config().incidents.severities[c.severity].page ? `${c.severity.toUpperCase()} does not page` : ctx.pagers.pager ? 'on-call is paged' : 'PagerDuty is not configured: nobody was paged';
    await note(ctx, r, incident ? `🚨 Nobody countersigned ${r.id} within ${formatDuration(c.withinMs)}: incident ${incident} (${c.severity.toUpperCase()}) is open and ${paged}.` : `🚨 Nobody countersigned ${r.id} within ${formatDuration(c.withinMs)}, and the incident could not be opened (see the logs): page on-call by hand.`);
  }
}

/** Masks this request's secret parameters in this process (another replica may have taken them); a value that cannot be read masks nothing. */
function rebuildMasks(ctx: ApprovalContext, r: ApprovalRequest): void {
  try {
    paramsOf(r, ctx.secretKey);
  } catch (err) {
    ctx.log.warn({ request: r.id, err: (err as Error).message }, 'secret parameters could not be read back');
  }
}

/** A replica id (host/pid/...) of a process on this host that no longer runs. Another host's, or unknown: false. */
function deadOnThisHost(replica: string | null): boolean {
  const [host, pid] = (replica ?? '').split('/');
  return host === hostname() && pid !== undefined && Number(pid) !== process.pid && !alive(Number(pid));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
