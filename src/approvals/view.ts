/**
 * How a request shows in chat: its message (rendered from the stored state,
 * votes and countersign), re-rendered everywhere it is shown, and notes in
 * its thread.
 */
import type { ApprovalContext } from './context.js';
import type { StepProgress } from '../runbooks/action.js';
import type { ApprovalRequest } from './types.js';
import { renderRequest, shownParams } from './render.js';

export async function renderView(ctx: ApprovalContext, r: ApprovalRequest, progress?: string) {
  const config = ctx.config();
  return renderRequest({
    request: { ...r, params: shownParams(config, r) },
    votes: await ctx.store.votes(r.id),
    countersign: r.state === 'pending' ? null : await ctx.countersigns.get(r.id),
    approvers: ctx.people.withRole(r.approverRoles).filter((p) => p.name !== r.requester).map((p) => p.name),
    reactions: config.settings.reactions,
    progress,
    now: ctx.clock.now(),
  });
}

/** Re-renders every message that shows the request. */
export async function refreshView(ctx: ApprovalContext, id: string, progress?: string): Promise<void> {
  const r = await ctx.store.get(id);
  if (!r) return;
  const m = await renderView(ctx, r, progress);
  for (const key of await ctx.store.messages(id)) await ctx.chat.update(key, m);
}

/** A reply in the request's thread. */
export async function note(ctx: ApprovalContext, r: ApprovalRequest, text: string): Promise<void> {
  const key = r.messageKey ?? (await ctx.store.get(r.id))?.messageKey;
  if (key) await ctx.chat.reply(key, { title: text, status: 'info', footer: `request ${r.id}` });
}

/** One step's outcome, as a line in a thread. */
export function stepLine(p: StepProgress): string | null {
  if (!p.report) return null;
  return `${p.report.ok ? '✅' : '❌'} ${p.phase === 'finally' ? 'finally ' : ''}step ${p.index + 1}/${p.total} ${p.name}: ${p.report.summary}`;
}

/** A progress line for the request message itself. */
export function progressText(p: StepProgress): string {
  const where = `${p.phase === 'finally' ? 'finally ' : ''}step ${p.index + 1}/${p.total}: ${p.name}`;
  return p.report ? `${where} ${p.report.ok ? 'done' : 'FAILED'}` : `${where}…`;
}
