// REST routes for the gateway URL, the application and its commands (global and guild).

import { discordError, type HttpAnswer } from './faults.js';
import { noContent, ok, route, type RestCtx, type Route } from './rest-server.js';
import type { RouteEnv } from './rest-channels.js';
import type { Json } from './types.js';

const NAME_RE = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

interface Problem {
  path: (string | number)[];
  code: string;
  message: string;
}

function checkName(name: unknown, path: (string | number)[], lower: boolean): Problem | null {
  if (typeof name !== 'string' || !NAME_RE.test(name) || (lower && name !== name.toLowerCase())) {
    return { path: [...path, 'name'], code: 'APPLICATION_COMMAND_INVALID_NAME', message: `Command name is invalid` };
  }
  return null;
}

function checkDescription(d: unknown, path: (string | number)[]): Problem | null {
  if (typeof d !== 'string' || d.length < 1 || d.length > 100) {
    return { path: [...path, 'description'], code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be between 1 and 100 in length.' };
  }
  return null;
}

function checkOptions(options: unknown, path: (string | number)[]): Problem | null {
  if (options === undefined || options === null) return null;
  if (!Array.isArray(options) || options.length > 25) {
    return { path: [...path, 'options'], code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be 25 or fewer in length.' };
  }
  let seenOptional = false;
  for (const [i, opt] of (options as Json[]).entries()) {
    const p = [...path, 'options', i];
    if (typeof opt.type !== 'number' || opt.type < 1 || opt.type > 11) {
      return { path: [...p, 'type'], code: 'BASE_TYPE_CHOICES', message: 'Value must be one of {1, 2, ..., 11}.' };
    }
    const problem = checkName(opt.name, p, true) ?? checkDescription(opt.description, p);
    if (problem) return problem;
    if (opt.type === 1 || opt.type === 2) {
      const nested = checkOptions(opt.options, p);
      if (nested) return nested;
      continue;
    }
    if (opt.required) {
      if (seenOptional) return { path: [...p, 'required'], code: 'APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID', message: 'Required options must be placed before non-required options' };
    } else seenOptional = true;
    if (Array.isArray(opt.choices) && opt.choices.length > 25) {
      return { path: [...p, 'choices'], code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be 25 or fewer in length.' };
    }
    if (opt.autocomplete && opt.choices?.length) {
      return { path: [...p, 'autocomplete'], code: 'APPLICATION_COMMAND_OPTION_CHOICES_AUTOCOMPLETE', message: 'Autocomplete cannot be set if there are choices.' };
    }
  }
  return null;
}

/** Validates a command like Discord does (names, descriptions, option order and counts). */
export function validateCommand(cmd: Json, path: (string | number)[] = []): Problem | null {
  const type = (cmd.type as number | undefined) ?? 1;
  const chatInput = type === 1;
  return checkName(cmd.name, path, chatInput) ?? (chatInput ? checkDescription(cmd.description, path) : null) ?? checkOptions(cmd.options, path);
}

function formBodyError(p: Problem): HttpAnswer {
  let errors: Json = { _errors: [{ code: p.code, message: p.message }] };
  for (const key of [...p.path].reverse()) errors = { [String(key)]: errors };
  return discordError(400, 50035, 'Invalid Form Body', errors);
}

export function commandRoutes(env: RouteEnv): Route[] {
  const s = env.state;
  const o = s.o;
  const scopeOf = (c: RestCtx): string | HttpAnswer => {
    if (c.params.app !== o.applicationId) return discordError(403, 50001, 'Missing Access');
    if (c.params.guild !== undefined && c.params.guild !== o.guildId) return discordError(403, 50001, 'Missing Access');
    return c.params.guild ?? 'global';
  };
  const list = (scope: string): Json[] => s.commands.get(scope) ?? [];
  const render = (scope: string, body: Json, existing?: Json): Json => {
    const type = (body.type as number | undefined) ?? 1;
    const cmd: Json = {
      id: existing?.id ?? s.ids.next(), application_id: o.applicationId, version: s.ids.next(), type, name: body.name,
      name_localizations: body.name_localizations ?? null, description: body.description ?? '',
      description_localizations: body.description_localizations ?? null,
      default_member_permissions: body.default_member_permissions ?? null, nsfw: body.nsfw ?? false,
      integration_types: body.integration_types ?? [0], contexts: body.contexts ?? null,
    };
    if (body.options !== undefined) cmd.options = body.options;
    if (scope === 'global') cmd.dm_permission = body.dm_permission ?? true;
    else cmd.guild_id = scope;
    return cmd;
  };
  const sameCommand = (a: Json, b: Json): boolean => a.name === b.name && (a.type ?? 1) === (b.type ?? 1);
  const scoped = (fn: (c: RestCtx, scope: string) => HttpAnswer) => (c: RestCtx) => {
    const scope = scopeOf(c);
    return typeof scope === 'string' ? fn(c, scope) : scope;
  };

  const getAll = scoped((_c, scope) => ok(list(scope)));
  const bulk = scoped((c, scope) => {
    const body = c.body as unknown;
    if (!Array.isArray(body)) return discordError(400, 50035, 'Invalid Form Body', { _errors: [{ code: 'BASE_TYPE_ARRAY', message: 'Must be an array.' }] });
    for (const [i, cmd] of (body as Json[]).entries()) {
      const p = validateCommand(cmd, [i]);
      if (p) return formBodyError(p);
    }
    const old = list(scope);
    const next = (body as Json[]).map((cmd) => render(scope, cmd, old.find((x) => sameCommand(x, cmd))));
    s.commands.set(scope, next);
    return ok(next);
  });
  const create = scoped((c, scope) => {
    const p = validateCommand(c.body);
    if (p) return formBodyError(p);
    const cmds = list(scope);
    const existing = cmds.find((x) => sameCommand(x, c.body));
    const cmd = render(scope, c.body, existing);
    s.commands.set(scope, existing ? cmds.map((x) => (x === existing ? cmd : x)) : [...cmds, cmd]);
    return ok(cmd, existing ? 200 : 201);
  });
  const one = (fn: (c: RestCtx, scope: string, cmd: Json) => HttpAnswer) => scoped((c, scope) => {
    const cmd = list(scope).find((x) => x.id === c.params.command);
    return cmd ? fn(c, scope, cmd) : discordError(404, 10063, 'Unknown application command');
  });
  const getOne = one((_c, _scope, cmd) => ok(cmd));
  const patchOne = one((c, scope, cmd) => {
    const merged = render(scope, { ...cmd, ...c.body }, cmd);
    const p = validateCommand(merged);
    if (p) return formBodyError(p);
    s.commands.set(scope, list(scope).map((x) => (x === cmd ? merged : x)));
    return ok(merged);
  });
  const deleteOne = one((_c, scope, cmd) => {
    s.commands.set(scope, list(scope).filter((x) => x !== cmd));
    return noContent();
  });

  const application = (): Json => ({
    id: o.applicationId, name: o.botUsername, icon: null, description: '', summary: '', type: null,
    bot_public: false, bot_require_code_grant: false, verify_key: '0'.repeat(64), flags: o.applicationFlags,
    owner: s.users.get(o.users[0]?.id ?? o.botUserId), team: null, bot: s.botUser, approximate_guild_count: 1,
    hook: true, integration_types_config: { '0': {} }, redirect_uris: [], interactions_endpoint_url: null,
  });

  return [
    route('GET', '/gateway', () => ok({ url: env.gatewayUrl() }), false),
    route('GET', '/gateway/bot', () =>
      ok({
        url: env.gatewayUrl(), shards: 1,
        session_start_limit: { total: 1000, remaining: s.sessionStartRemaining, reset_after: 14_400_000, max_concurrency: 1 },
      })),
    route('GET', '/applications/@me', () => ok(application())),
    route('GET', '/oauth2/applications/@me', () => ok(application())),
    route('GET', '/applications/:app/commands', getAll),
    route('PUT', '/applications/:app/commands', bulk),
    route('POST', '/applications/:app/commands', create),
    route('GET', '/applications/:app/commands/:command', getOne),
    route('PATCH', '/applications/:app/commands/:command', patchOne),
    route('DELETE', '/applications/:app/commands/:command', deleteOne),
    route('GET', '/applications/:app/guilds/:guild/commands', getAll),
    route('PUT', '/applications/:app/guilds/:guild/commands', bulk),
    route('POST', '/applications/:app/guilds/:guild/commands', create),
    route('GET', '/applications/:app/guilds/:guild/commands/:command', getOne),
    route('PATCH', '/applications/:app/guilds/:guild/commands/:command', patchOne),
    route('DELETE', '/applications/:app/guilds/:guild/commands/:command', deleteOne),
  ];
}
