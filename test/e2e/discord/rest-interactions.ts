// REST routes for interaction responses: the initial callback and the
// interaction webhook (@original, follow-ups).

import { discordError, type HttpAnswer } from './faults.js';
import { INTENT, validateMessage, attachmentsFor, type RouteEnv } from './rest-channels.js';
import { noContent, ok, route, type RestCtx, type Route } from './rest-server.js';
import { applyMessageFields, isoTime, type StoredInteraction, type StoredMessage } from './state.js';
import type { Json } from './types.js';

const LOADING = 128;
const EPHEMERAL = 64;

/** Callback types Discord accepts per interaction type. */
const ALLOWED: Record<number, number[]> = {
  1: [1],
  2: [4, 5, 9, 12],
  3: [4, 5, 6, 7, 9],
  4: [8],
  5: [4, 5, 6, 7],
};

export function interactionRoutes(env: RouteEnv): Route[] {
  const s = env.state;
  const o = s.o;
  const gid = o.guildId;

  const metadata = (it: StoredInteraction): Json => {
    const user = s.users.get(it.userId);
    const meta: Json = { id: it.id, type: it.type, user, authorizing_integration_owners: { '0': gid } };
    if (it.type === 2) Object.assign(meta, { name: it.commandName, command_type: 1 });
    if (it.type === 3) meta.interacted_message_id = it.componentMessageId;
    return meta;
  };
  const newMessage = (it: StoredInteraction, c: RestCtx, data: Json, loading: boolean): StoredMessage => {
    const ephemeral = ((data.flags as number | undefined) ?? 0) & EPHEMERAL;
    const stored = s.createMessage(it.channelId, loading ? { flags: data.flags } : data, {
      ephemeral: Boolean(ephemeral),
      extra: {
        type: it.type === 2 ? 20 : 0, webhook_id: o.applicationId, application_id: o.applicationId,
        interaction_metadata: metadata(it), attachments: loading ? [] : attachmentsFor(env, it.channelId, data, c.files),
        interaction: { id: it.id, type: it.type, name: it.commandName ?? '', user: s.users.get(it.userId), member: s.member(it.userId, false) },
      },
    });
    if (loading) stored.msg.flags = ((stored.msg.flags as number) | LOADING) & (LOADING | EPHEMERAL);
    if (!stored.ephemeral) env.echo('MESSAGE_CREATE', s.render(stored, true), INTENT.guildMessages);
    return stored;
  };
  const editMessage = (stored: StoredMessage, c: RestCtx, data: Json): void => {
    const wasLoading = ((stored.msg.flags as number) & LOADING) !== 0;
    applyMessageFields(stored.msg, { ...data, flags: undefined });
    if (data.flags !== undefined && data.flags !== null) {
      // Ephemerality is fixed at creation; other settable flags follow the edit.
      stored.msg.flags = ((stored.msg.flags as number) & EPHEMERAL) | ((data.flags as number) & (4 | 4096 | 32768));
    }
    stored.msg.flags = (stored.msg.flags as number) & ~LOADING;
    if (c.files.length || data.attachments !== undefined) {
      const keep = new Set(((data.attachments as Json[] | undefined) ?? []).map((a) => String(a.id)));
      stored.msg.attachments = [
        ...(stored.msg.attachments as Json[]).filter((a) => keep.has(String(a.id))),
        ...attachmentsFor(env, stored.msg.channel_id, data, c.files),
      ];
    }
    if (!wasLoading) stored.msg.edited_timestamp = isoTime();
    if (!stored.ephemeral) env.echo('MESSAGE_UPDATE', s.render(stored, true), INTENT.guildMessages);
  };

  const callback = (c: RestCtx): HttpAnswer => {
    const it = s.interactions.get(c.params.token!);
    if (!it || it.id !== c.params.id) return discordError(404, 10062, 'Unknown interaction');
    if (it.responseType !== undefined) return discordError(400, 40060, 'Interaction has already been acknowledged.');
    const deadline = o.interactionAckDeadlineMs;
    if (deadline > 0 && Date.now() - (it.dispatchedAt ?? it.createdAt) > deadline) return discordError(404, 10062, 'Unknown interaction');
    const type = c.body.type as number;
    const data = (c.body.data as Json | undefined) ?? {};
    if (!ALLOWED[it.type]?.includes(type)) {
      return discordError(400, 50035, 'Invalid Form Body', {
        type: { _errors: [{ code: 'INTERACTION_RESPONSE_TYPE_INVALID', message: `Response type ${type} is not valid for interaction type ${it.type}` }] },
      });
    }
    let message: StoredMessage | undefined;
    if (type === 4) {
      const invalid = validateMessage(data, c.files, true);
      if (invalid) return invalid;
      message = newMessage(it, c, data, false);
      it.originalMessageId = message.msg.id;
    } else if (type === 5) {
      message = newMessage(it, c, data, true);
      it.originalMessageId = message.msg.id;
    } else if (type === 6 || type === 7) {
      message = it.componentMessageId ? s.messages.get(it.componentMessageId) : undefined;
      if (!message) return discordError(404, 10008, 'Unknown Message');
      if (type === 7) editMessage(message, c, data);
      it.originalMessageId = message.msg.id;
    } else if (type === 8) {
      const choices = (data.choices as Json[] | undefined) ?? [];
      if (choices.length > 25) return discordError(400, 50035, 'Invalid Form Body', { data: { choices: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 25 or fewer in length.' }] } } });
      it.autocompleteChoices = choices;
    } else if (type === 9) {
      it.modal = data;
    }
    it.responseType = type;
    if (c.query.get('with_response') !== 'true') return noContent();
    const interaction: Json = { id: it.id, type: it.type };
    if (message) {
      Object.assign(interaction, {
        response_message_id: message.msg.id, response_message_loading: type === 5,
        response_message_ephemeral: message.ephemeral,
      });
    }
    return ok({ interaction, resource: { type, ...(message ? { message: s.render(message) } : {}) } });
  };

  /** The interaction behind a webhook token, unless unknown or expired. */
  const webhookInteraction = (c: RestCtx): StoredInteraction | undefined => {
    const it = s.interactions.get(c.params.token!);
    if (!it || c.params.app !== o.applicationId) return undefined;
    const ttl = o.interactionTokenTtlMs;
    if (ttl > 0 && Date.now() - (it.dispatchedAt ?? it.createdAt) > ttl) return undefined;
    return it;
  };
  const withWebhookMessage = (fn: (c: RestCtx, it: StoredInteraction, m: StoredMessage) => HttpAnswer) => (c: RestCtx) => {
    const it = webhookInteraction(c);
    if (!it) return discordError(404, 10015, 'Unknown Webhook');
    const id = c.params.message === '@original' ? it.originalMessageId : c.params.message;
    const m = id && (id === it.originalMessageId || it.followUpIds.includes(id)) ? s.messages.get(id) : undefined;
    return m ? fn(c, it, m) : discordError(404, 10008, 'Unknown Message');
  };

  return [
    route('POST', '/interactions/:id/:token/callback', callback, false),
    route('GET', '/webhooks/:app/:token/messages/:message', withWebhookMessage((_c, _it, m) => ok(s.render(m))), false),
    route('PATCH', '/webhooks/:app/:token/messages/:message', withWebhookMessage((c, _it, m) => {
      const invalid = validateMessage(c.body, c.files, false);
      if (invalid) return invalid;
      editMessage(m, c, c.body);
      return ok(s.render(m));
    }), false),
    route('DELETE', '/webhooks/:app/:token/messages/:message', withWebhookMessage((_c, _it, m) => {
      s.messages.delete(m.msg.id);
      if (!m.ephemeral) env.echo('MESSAGE_DELETE', { id: m.msg.id, channel_id: m.msg.channel_id, guild_id: gid }, INTENT.guildMessages);
      return noContent();
    }), false),
    route('POST', '/webhooks/:app/:token', (c) => {
      const it = webhookInteraction(c);
      // Follow-ups need an acknowledged interaction (Discord answers Unknown Webhook before).
      if (!it || it.responseType === undefined) return discordError(404, 10015, 'Unknown Webhook');
      const invalid = validateMessage(c.body, c.files, true);
      if (invalid) return invalid;
      const original = it.originalMessageId ? s.messages.get(it.originalMessageId) : undefined;
      if (original && ((original.msg.flags as number) & LOADING) !== 0) {
        // The first follow-up after a deferral replaces the "thinking..." message (ephemerality from the deferral).
        editMessage(original, c, c.body);
        return ok(s.render(original));
      }
      const m = newMessage(it, c, c.body, false);
      it.followUpIds.push(m.msg.id);
      return ok(s.render(m)); // for interaction follow-ups `wait` is always true
    }, false),
  ];
}
