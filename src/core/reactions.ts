/**
 * One entry point for chat reactions: adapters call `kt.reactions.dispatch`
 * and each handler (approvals' votes, alerts' acknowledgement) gets a turn
 * until one recognises the message. Null: nobody did.
 */
import type { ReactionEvent } from '../approvals/approvals.js';

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
