/**
 * One entry point for chat reactions: adapters call `kt.reactions.dispatch`
 * and each handler (approvals' votes, alerts' acknowledgement) gets a turn
 * until one recognises the message. Null: nobody did.
 */
import type { Platform } from './chat.js';

export interface ReactionEvent {
  platform: Platform;
  channel: string;
  /** The platform's id of the message reacted to (Slack ts, Discord snowflake, console ref). */
  messageId: string;
  account: string;
  emoji: string;
  added: boolean;
  /**
   * Return once the vote is stored and, if it completed the approvals, the
   * execution claimed; the action then runs in the background. Slack's
   * events are acknowledged after the handler returns, and must be within 3 s.
   */
  detach?: boolean;
}

export type ReactionHandler = (ev: ReactionEvent) => Promise<unknown | null>;

export class Reactions {
  private readonly handlers: Array<{ name: string; fn: ReactionHandler }> = [];

  register(name: string, fn: ReactionHandler): void {
    this.handlers.push({ name, fn });
  }

  async dispatch(ev: ReactionEvent): Promise<{ handler: string; outcome: unknown } | null> {
    for (const h of this.handlers) {
      const outcome = await h.fn(ev);
      if (outcome !== null && outcome !== undefined) return { handler: h.name, outcome };
    }
    return null;
  }
}
