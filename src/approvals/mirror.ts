/**
 * A request is posted where it was asked and, when `channels.approvals`
 * names a channel on another running platform, mirrored there, so approvers
 * on either platform see it and can vote on it. Votes count people, so one
 * person reacting on both platforms still counts once. Mirrors are attached
 * to the request and re-rendered with it as it moves.
 */
import type { ApprovalContext } from './context.js';
import type { Platform } from '../core/chat.js';
import type { Message } from '../core/message.js';

export async function mirrorRequest(ctx: Pick<ApprovalContext, 'channels' | 'chat' | 'store'>, requestId: string, origin: Platform, shown: Message): Promise<string[]> {
  const keys: string[] = [];
  for (const target of ctx.channels.targets('approvals')) {
    if (target.platform === origin) continue;
    const key = await ctx.chat.post(target, shown);
    await ctx.store.attachMessage(requestId, key, false);
    keys.push(key);
  }
  return keys;
}
