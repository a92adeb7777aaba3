/**
 * How a request shows in chat: its message (rendered from the stored state,
 * votes and countersign), re-rendered everywhere it is shown, and notes in
 * its thread.
 */
import type { ApprovalContext } from './context.js';
import type { StepProgress } from '../runbooks/action.js';
import type { ApprovalRequest, Vote } from './types.js';
import type { Countersign } from './break-glass.js';
import { renderRequest, shownParams } from './render.js';
import type { Message } from '../core/message.js';

export async function renderView(ctx: ApprovalContext, r: ApprovalRequest, progress?: string) {
  return renderWith(ctx, r, await viewInputs(ctx, r.id, r.state !== 'pending'), progress);
}

/** What a request's message shows besides the request itself (read before a transaction that writes the outcome). */
export interface ViewInputs {
  votes: Vote[];
  countersign: Countersign | null;
}

/** A pending request has no countersign yet (it opens when the execution starts): not read then. */
export async function viewInputs(ctx: ApprovalContext, id: string, withCountersign = true): Promise<ViewInputs> {
  return { votes: await ctx.store.votes(id), countersign: withCountersign ? await ctx.countersigns.get(id) : null };
}

export function renderWith(ctx: ApprovalContext, r: ApprovalRequest, inputs: ViewInputs, progress?: string) {
  const config = ctx.config();
  return renderRequest({
    request: { ...r, params: shownParams(config, r) },
    votes: inputs.votes,
    countersign: inputs.countersign,
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
  if (key) await ctx.chat.reply(key, noteMessage(r.id, text));
}

export function noteMessage(id: string, text: string): Message {
  return { title: text, status: 'info', footer: `request ${id}` };
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
