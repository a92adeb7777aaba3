/**
 * The Slack adapter: a Bolt App that turns slash commands and reactions into
 * dispatcher and approval calls, and an outbox drain that delivers
 * everything Keyturn says through the Web API. HTTP mode mounts Bolt's
 * request listener at POST /slack/events on Keyturn's one HTTP server (Bolt
 * verifies signatures and timestamps); Socket Mode (SLACK_APP_TOKEN) opens
 * Slack's WebSocket instead and needs no public URL.
 */
import { App, HTTPReceiver, SocketModeReceiver, type HTTPReceiverOptions } from '@slack/bolt';
import type { Core } from '../../src/app.js';
import type { Logger } from '../../src/core/logger.js';
import { OutboxDrain } from '../../src/core/outbox-drain.js';
import { sendJson, type HttpServer } from '../../src/server/http-server.js';
import type { ComponentStatus } from '../../src/server/health-routes.js';
import { readSlackEnv, type SlackEnv } from './slack-env.js';
import { SlackDeliverer } from './slack-deliverer.js';
import { slackIncidentPlaces } from './incident-channels.js';
import { boltLogger, clientOptions, createWebClient, platformError, type WebClient } from './web-client.js';
import { registerSlashCommands } from './slash-commands.js';
import { RedeliverLater, registerReactions } from './reactions.js';
import type { EventClaims } from '../../src/store/event-claims.js';

export const SLACK_EVENTS_PATH = '/slack/events';

export interface SlackAdapterOptions {
  /** Web API call timeout (default 10 s). */
  timeoutMs?: number;
  /** How often the outbox is polled when nothing wakes it (default 1 s). */
  pollMs?: number;
  /** How long stop() waits for running commands and the outbox (default 10 s each). */
  stopGraceMs?: number;
}

interface Identity {
  teamId: string;
  botUserId: string;
  botId: string;
}

export class SlackAdapter {
  readonly mode: 'http' | 'socket';
  readonly drain: OutboxDrain;
  readonly commands: string[];
  private readonly inflight = new Set<Promise<unknown>>();
  private stopped = false;
  private connected: boolean;
  private readonly pruneTimer: NodeJS.Timeout;
  private readonly claims: EventClaims;

  /** For GET /healthz: read live, so the entry tracks the connection and the outbox. */
  readonly component: ComponentStatus;

  private constructor(
    private readonly core: Core,
    private readonly app: App,
    settings: SlackEnv,
    readonly identity: Identity,
    client: WebClient,
    private readonly log: Logger,
    private readonly opts: SlackAdapterOptions,
  ) {
    this.mode = settings.appToken ? 'socket' : 'http';
    this.connected = this.mode === 'http';
    const track = <T>(work: Promise<T>) => this.track(work);
    this.commands = registerSlashCommands(app, { core, client, log, track });
    this.claims = registerReactions(app, { core, log, botUserId: identity.botUserId, track });
    app.error(async (err) => {
      // Rethrown so the HTTP receiver answers 500 and Slack redelivers the event.
      if (err.original instanceof RedeliverLater || err instanceof RedeliverLater) throw err;
      log.error({ err: err.message, code: err.code }, 'Bolt reported an error');
    });
    this.drain = new OutboxDrain(core.kt.db, core.kt.chat, new SlackDeliverer(client, log), log.child({ component: 'outbox' }), opts.pollMs ?? 1000);
    this.pruneTimer = setInterval(() => void this.claims.prune().catch(() => {}), 3_600_000);
    this.pruneTimer.unref();
    const self = this;
    this.component = {
      name: 'slack',
      get ok() {
        return !self.stopped && self.connected;
      },
      get detail() {
        const s = self.drain.stats;
        const how = self.mode === 'http' ? `HTTP ${SLACK_EVENTS_PATH}` : `Socket Mode${self.connected ? '' : ' (disconnected)'}`;
        return `${how} as ${identity.botUserId} in ${identity.teamId}; delivered ${s.delivered}, retries ${s.retries}, failed ${s.failed}`;
      },
    };
  }

  /** Verifies the token, builds the Bolt App, attaches it (route or socket) and starts delivering. */
  static async start(core: Core, server: HttpServer, env: NodeJS.ProcessEnv, parentLog: Logger, opts: SlackAdapterOptions = {}): Promise<SlackAdapter> {
    const settings = readSlackEnv(env);
    const log = parentLog.child({ adapter: 'slack' });
    const timeoutMs = opts.timeoutMs ?? settings.timeoutMs;
    const client = createWebClient(settings.botToken, settings.apiUrl, log, timeoutMs);
    const identity = await whoAmI(client, settings);
    const logger = boltLogger(log);
    const receiver = settings.appToken
      ? new SocketModeReceiver({ appToken: settings.appToken, logger, installerOptions: { clientOptions: { ...(settings.apiUrl ? { slackApiUrl: settings.apiUrl } : {}) } } })
      : // Answer Slack only after the handlers return: a 2xx then means the vote is stored (reactions.ts).
        new HTTPReceiver({ signingSecret: settings.signingSecret!, logger, endpoints: [SLACK_EVENTS_PATH], processBeforeResponse: true, processEventErrorHandler: answerEventError(log) });
    const app = new App({
      token: settings.botToken,
      // Known from our own auth.test: Bolt then skips its unretried one in the constructor.
      botId: identity.botId,
      botUserId: identity.botUserId,
      receiver,
      clientOptions: clientOptions(settings.apiUrl, log, timeoutMs),
      logger,
      convoStore: false,
    });
    const adapter = new SlackAdapter(core, app, settings, identity, client, log, opts);
    if (receiver instanceof HTTPReceiver) {
      server.route('POST', SLACK_EVENTS_PATH, (req, res) => {
        // Shutting down: 503 makes Slack redeliver events to a replica that is still up.
        if (adapter.stopped) return sendJson(res, 503, { error: 'shutting down' }, { 'retry-after': '1' });
        receiver.requestListener(req, res);
      });
    } else {
      receiver.client.on('connected', () => void (adapter.connected = true));
      receiver.client.on('disconnected', () => void (adapter.connected = false));
      receiver.client.on('reconnecting', () => void (adapter.connected = false));
      try {
        await app.start();
      } catch (err) {
        adapter.stopped = true;
        clearInterval(adapter.pruneTimer);
        await app.stop().catch(() => {});
        const code = platformError(err);
        throw new Error(`Socket Mode could not connect${code ? ` (${code})` : ''}: ${code === 'invalid_auth' ? 'check SLACK_APP_TOKEN (an xapp- token with connections:write)' : (err as Error).message}.`);
      }
    }
    await adapter.claims.prune().catch((err) => log.warn({ err }, 'could not prune processed Slack events'));
    core.kt.channels.activate('slack');
    core.kt.incidents.registerPlaces('slack', slackIncidentPlaces(client, log));
    adapter.drain.start();
    log.info({ mode: adapter.mode, team: identity.teamId, bot: identity.botUserId, commands: adapter.commands.length }, 'Slack adapter started');
    return adapter;
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inflight.add(work);
    const done = () => void this.inflight.delete(work);
    work.then(done, done);
    return work;
  }

  /** Stops taking requests, lets running commands finish, flushes the outbox, then disconnects. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.pruneTimer);
    const grace = this.opts.stopGraceMs ?? 10_000;
    await Promise.race([Promise.allSettled([...this.inflight]), new Promise((r) => setTimeout(r, grace).unref())]);
    await this.drain.stop(grace);
    if (this.mode === 'socket') await this.app.stop().catch((err: Error) => this.log.warn({ err: err.message }, 'Socket Mode did not close cleanly'));
  }
}

/**
 * What Slack hears when handling an event threw. 500 (Slack redelivers) only when our work could
 * not be stored now (RedeliverLater); anything else is an event Bolt or we cannot read, which a
 * redelivery would not fix: 200, logged, so Slack does not retry it three times.
 */
function answerEventError(log: Logger): NonNullable<HTTPReceiverOptions['processEventErrorHandler']> {
  return async ({ error, response }) => {
    const original = (error as { original?: unknown }).original ?? error;
    if (response.headersSent) return false;
    if (original instanceof RedeliverLater) {
      response.writeHead(500);
      response.end();
      return false;
    }
    log.warn({ err: error.message }, 'Slack event could not be read; acknowledged so it is not redelivered');
    response.writeHead(200);
    response.end();
    return false;
  };
}

/** auth.test with a start-up message that says what to fix. */
async function whoAmI(client: WebClient, settings: SlackEnv): Promise<Identity> {
  const where = settings.apiUrl ?? 'https://slack.com/api/';
  try {
    const r = await client.auth.test();
    if (!r.user_id || !r.team_id) throw new Error('auth.test answered without user_id/team_id');
    // A user token (xoxp) has no bot_id; Bolt only needs one to ignore its own messages.
    return { teamId: r.team_id, botUserId: r.user_id, botId: r.bot_id ?? '' };
  } catch (err) {
    const code = platformError(err);
    if (code === 'invalid_auth' || code === 'not_authed' || code === 'account_inactive' || code === 'token_revoked') {
      throw new Error(`Slack rejected SLACK_BOT_TOKEN (${code}). Copy the Bot User OAuth Token (xoxb-...) from the app's "OAuth & Permissions" page.`);
    }
    throw new Error(`cannot verify SLACK_BOT_TOKEN with auth.test at ${where}: ${code ?? (err as Error).message}. Check network access${settings.apiUrl ? ' and SLACK_API_URL' : ''}.`);
  }
}
