/**
 * reaction_added / reaction_removed on a message go to kt.reactions with the
 * Slack user id as the account: on a request message they are votes for the
 * mapped person (approvals decide whether one counts), on an alert an
 * acknowledgement. Each event id is
 * claimed in `processed_events` first, so Slack's redeliveries and several
 * replicas receiving the same event act once.
 */
import type { App } from '@slack/bolt';
import { z } from 'zod';
import type { Core } from '../../src/app.js';
import type { Db } from '../../src/store/db.js';
import type { Logger } from '../../src/core/logger.js';

export interface ReactionDeps {
  core: Core;
  log: Logger;
  botUserId: string;
  track<T>(work: Promise<T>): Promise<T>;
}

const reactionEvent = z.object({
  type: z.enum(['reaction_added', 'reaction_removed']),
  user: z.string().min(1),
  reaction: z.string().min(1),
  // Reactions on files and file comments carry other item types: not votes.
  item: z.object({ type: z.literal('message'), channel: z.string().min(1), ts: z.string().regex(/^\d+\.\d+$/) }),
});

/** True the first time an event id is seen, on any replica. */
export async function claimEvent(db: Db, eventId: string): Promise<boolean> {
  const r = await db.query(`INSERT INTO processed_events (platform, event_id) VALUES ('slack', $1) ON CONFLICT DO NOTHING RETURNING event_id`, [eventId]);
  return r.rowCount > 0;
}

/** Slack redelivers for at most a few hours; a day of ids is plenty. */
export async function pruneEvents(db: Db): Promise<void> {
  await db.query(`DELETE FROM processed_events WHERE platform = 'slack' AND at < now() - interval '1 day'`);
}

export function registerReactions(app: App, deps: ReactionDeps): void {
  const handler = async ({ event, body }: { event: unknown; body: unknown }) => {
    await deps.track(onReaction(deps, event, (body as { event_id?: unknown }).event_id));
  };
  app.event('reaction_added', handler);
  app.event('reaction_removed', handler);
}

async function onReaction(deps: ReactionDeps, raw: unknown, eventId: unknown): Promise<void> {
  const { kt } = deps.core;
  const parsed = reactionEvent.safeParse(raw);
  if (!parsed.success) return void deps.log.debug({ issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }, 'reaction event ignored');
  const ev = parsed.data;
  // Our own seeded ✅ / ❌ are not votes (Bolt's ignoreSelf drops them too; this holds without it).
  if (ev.user === deps.botUserId) return;
  const log = deps.log.child({ eventId, account: ev.user, person: kt.people.byAccount('slack', ev.user)?.name ?? null });
  try {
    if (typeof eventId === 'string' && eventId && !(await claimEvent(kt.db, eventId))) return void log.debug('duplicate event: already handled');
    const outcome = await kt.reactions.dispatch({
      platform: 'slack',
      channel: ev.item.channel,
      messageId: ev.item.ts,
      account: ev.user,
      emoji: ev.reaction,
      added: ev.type === 'reaction_added',
    });
    if (outcome) log.info({ outcome }, 'reaction handled');
  } catch (err) {
    log.error({ err }, 'reaction could not be handled');
  }
}
