/**
 * Incident channels on Slack: `conversations.create` for inc-YYYYMMDD-<slug>
 * (a number is appended when the name is taken) and `conversations.invite`
 * for the declarer and on-call. Used when `incidents.createChannels` is on.
 */
import type { IncidentPlaces } from '../../src/incidents/incidents.js';
import type { Logger } from '../../src/core/logger.js';
import type { WebClient } from './web-client.js';

export function slackIncidentPlaces(client: WebClient, log: Logger): IncidentPlaces {
  return {
    async createChannel(name, invite) {
      const base = name.toLowerCase().replace(/[^a-z0-9_-]/g, '-').slice(0, 76);
      let id: string | undefined;
      for (let n = 1; !id && n < 20; n++) {
        const candidate = n === 1 ? base : `${base}-${n}`;
        try {
          const r = await client.conversations.create({ name: candidate, is_private: false });
          id = r.channel?.id;
        } catch (err) {
          if ((err as { data?: { error?: string } }).data?.error !== 'name_taken') throw new Error(`Slack would not create #${candidate}: ${(err as Error).message}`);
        }
      }
      if (!id) throw new Error(`Slack would not create a channel for ${base}: every name was taken`);
      if (invite.length) {
        // Inviting is best effort: the channel is usable and people can join it themselves.
        await client.conversations.invite({ channel: id, users: invite.join(',') }).catch((err: Error) => log.warn({ err: err.message, channel: id }, 'could not invite everyone to the incident channel'));
      }
      return id;
    },
  };
}
