/**
 * reaction_added / reaction_removed on a message go to kt.reactions with the
 * Slack user id as the account: on a request message they are votes for the
 * mapped person (approvals decide whether one counts), on an alert an
 * acknowledgement.
 *
 * Slack retries an event until it gets a 2xx, so the 2xx must mean "stored":
 * the HTTP receiver answers only after this handler returns
 * (processBeforeResponse), and the handler returns once the vote is stored
 * (an execution it starts runs in the background). Each event id is claimed
 * first (src/store/event-claims.ts), so redeliveries and several replicas
 * receiving the same event act once; a claim left unfinished by a replica
 * that died is taken over by the redelivery.
 */
import type { App } from '@slack/bolt';
import { z } from 'zod';
import type { Core } from '../../src/app.js';
import type { Logger } from '../../src/core/logger.js';
import { EventClaims } from '../../src/store/event-claims.js';

export interface ReactionDeps {
  core: Core;
  log: Logger;
  botUserId: string;
  track<T>(work: Promise<T>): Promise<T>;
}

/**
 * Thrown to make Bolt answer 500, so that Slack redelivers the event later:
 * its work could not be stored now (database down, another replica still on it).
 */
export class RedeliverLater extends Error {}

const reactionEvent = z.object({
  type: z.enum(['reaction_added', 'reaction_removed']),
  user: z.string().min(1),
  reaction: z.string().min(1),
  // Reactions on files and file comments carry other item types: not votes.
  item: z.object({ type: z.literal('message'), channel: z.string().min(1), ts: z.string().regex(/^\d+\.\d+$/) }),
});

export function registerReactions(app: App, deps: ReactionDeps): EventClaims {
  const claims = new EventClaims(deps.core.kt.db, 'slack');
  const handler = async ({ event, body }: { event: unknown; body: unknown }) => {
    await deps.track(onReaction(deps, claims, event, (body as { event_id?: unknown }).event_id));
  };
  app.event('reaction_added', handler);
  app.event('reaction_removed', handler);
  return claims;
}

async function onReaction(deps: ReactionDeps, claims: EventClaims, raw: unknown, eventId: unknown): Promise<void> {
  const { kt } = deps.core;
  const parsed = reactionEvent.safeParse(raw);
  if (!parsed.success) return void deps.log.debug({ issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }, 'reaction event ignored');
  const ev = parsed.data;
  // Our own seeded ✅ / ❌ are not votes (Bolt's ignoreSelf drops them too; this holds without it).
  if (ev.user === deps.botUserId) return;
  const log = deps.log.child({ eventId, account: ev.user, person: kt.people.byAccount('slack', ev.user)?.name ?? null });
  const id = typeof eventId === 'string' && eventId ? eventId : null;
  let claimed = false;
  try {
    if (id) {
      const claim = await claims.claim(id, { staleMs: kt.config.settings.eventClaimStaleMs });
      if (claim === 'done') return void log.debug('duplicate event: already handled');
      if (claim === 'busy') throw new RedeliverLater(`event ${id} is still being handled by another replica`);
      claimed = true;
    }
    const outcome = await kt.reactions.dispatch({
      platform: 'slack',
      channel: ev.item.channel,
      messageId: ev.item.ts,
      account: ev.user,
      emoji: ev.reaction,
      added: ev.type === 'reaction_added',
      detach: true,
    });
    if (id) await claims.finish(id);
    if (outcome) log.info({ outcome }, 'reaction handled');
  } catch (err) {
    if (claimed && id) await claims.release(id).catch(() => {});
    log.error({ err }, 'reaction could not be handled; Slack will redeliver it');
    throw err instanceof RedeliverLater ? err : new RedeliverLater((err as Error).message);
  }
}
