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
import { drainOptions, OutboxDrain } from '../../src/core/outbox-drain.js';
import { sendJson, type HttpServer } from '../../src/server/http-server.js';
import type { AdapterHealth, ChatAdapter } from '../../src/core/chat-adapter.js';
import type { AdapterContext } from '../context.js';
import { readSlackEnv, type SlackEnv } from './slack-env.js';
import { SlackDeliverer } from './slack-deliverer.js';
import { AckFirst } from '../../src/core/ack-first.js';
import { slackIncidentPlaces } from './incident-channels.js';
import { boltLogger, clientOptions, createWebClient, platformError, type WebClient } from './web-client.js';
import { registerSlashCommands } from './slash-commands.js';
import { RedeliverLater, registerReactions } from './reactions.js';

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

export class SlackAdapter implements ChatAdapter {
  readonly platform = 'slack' as const;
  readonly mode: 'http' | 'socket';
  readonly deliverer: SlackDeliverer;
  readonly drain: OutboxDrain;
  /** The slash commands registered with Bolt (set by start()). */
  commands: readonly string[] = [];
  /** Who the token is (set by start(), from auth.test). */
  identity: Identity | null = null;
  private readonly core: Core;
  private readonly server: HttpServer;
  private readonly settings: SlackEnv;
  private readonly client: WebClient;
  private readonly log: Logger;
  private readonly timeoutMs: number | undefined;
  private app: App | null = null;
  private pruneTimer: NodeJS.Timeout | null = null;
  private readonly inflight = new Set<Promise<unknown>>();
  /** Commands' work waits for the acks of a burst (HTTP mode; in Socket Mode the acks go over one WebSocket and nothing arrives here). */
  private readonly ackFirst = new AckFirst();
  private stopped = false;
  private connected: boolean;

  /** For GET /healthz: read live, so the entry tracks the connection and the outbox. */
  readonly health: AdapterHealth;

  /** Reads and checks SLACK_* (a bad value throws, naming the variable); nothing connects before start(). */
  constructor(
    ctx: Pick<AdapterContext, 'core' | 'server' | 'env' | 'log'>,
    private readonly opts: SlackAdapterOptions = {},
  ) {
    this.core = ctx.core;
    this.server = ctx.server;
    this.settings = readSlackEnv(ctx.env);
    this.log = ctx.log.child({ adapter: 'slack' });
    this.timeoutMs = opts.timeoutMs ?? this.settings.timeoutMs;
    this.client = createWebClient(this.settings.botToken, this.settings.apiUrl, this.log, this.timeoutMs);
    this.mode = this.settings.appToken ? 'socket' : 'http';
    this.connected = this.mode === 'http';
    this.deliverer = new SlackDeliverer(this.client, this.log, this.timeoutMs);
    this.drain = new OutboxDrain(this.core.kt.db, this.core.kt.chat, this.deliverer, this.log.child({ component: 'outbox' }), opts.pollMs ?? 1000, drainOptions(this.core.kt.config.settings));
    const self = this;
    this.health = {
      name: 'slack',
      get ok() {
        return !self.stopped && self.connected;
      },
      get detail() {
        const s = self.drain.stats;
        const how = self.mode === 'http' ? `HTTP ${SLACK_EVENTS_PATH}` : `Socket Mode${self.connected ? '' : ' (disconnected)'}`;
        return `${how} as ${self.identity?.botUserId} in ${self.identity?.teamId}; delivered ${s.delivered}, retries ${s.retries}, failed ${s.failed}`;
      },
    };
  }

  /** Verifies the token, builds the Bolt App, attaches it (route or socket) and starts delivering. */
  async start(): Promise<void> {
    const { core, settings, client, log } = this;
    const identity = (this.identity = await whoAmI(client, settings));
    const logger = boltLogger(log);
    const receiver = settings.appToken
      ? new SocketModeReceiver({ appToken: settings.appToken, logger, installerOptions: { clientOptions: { ...(settings.apiUrl ? { slackApiUrl: settings.apiUrl } : {}) } } })
      : // Answer Slack only after the handlers return: a 2xx then means the vote is stored (reactions.ts).
        new HTTPReceiver({ signingSecret: settings.signingSecret!, logger, endpoints: [SLACK_EVENTS_PATH], processBeforeResponse: true, processEventErrorHandler: answerEventError(log) });
    const app = (this.app = new App({
      token: settings.botToken,
      // Known from our own auth.test: Bolt then skips its unretried one in the constructor.
      botId: identity.botId,
      botUserId: identity.botUserId,
      receiver,
      clientOptions: clientOptions(settings.apiUrl, log, this.timeoutMs),
      logger,
      convoStore: false,
    }));
    const track = <T>(work: Promise<T>) => this.track(work);
    this.commands = registerSlashCommands(app, { core, client, log, track, afterAck: (work) => this.ackFirst.run(work) });
    const claims = registerReactions(app, { core, log, botUserId: identity.botUserId, track });
    app.error(async (err) => {
      // Rethrown so the HTTP receiver answers 500 and Slack redelivers the event.
      if (err.original instanceof RedeliverLater || err instanceof RedeliverLater) throw err;
      log.error({ err: err.message, code: err.code }, 'Bolt reported an error');
    });
    this.pruneTimer = setInterval(() => void claims.prune().catch(() => {}), 3_600_000);
    this.pruneTimer.unref();
    if (receiver instanceof HTTPReceiver) {
      this.server.route('POST', SLACK_EVENTS_PATH, (req, res) => {
        // Shutting down: 503 makes Slack redeliver events to a replica that is still up.
        if (this.stopped) return sendJson(res, 503, { error: 'shutting down' }, { 'retry-after': '1' });
        this.ackFirst.arrived();
        receiver.requestListener(req, res);
      });
    } else {
      receiver.client.on('connected', () => void (this.connected = true));
      receiver.client.on('disconnected', () => void (this.connected = false));
      receiver.client.on('reconnecting', () => void (this.connected = false));
      try {
        await app.start();
      } catch (err) {
        this.stopped = true;
        clearInterval(this.pruneTimer);
        await app.stop().catch(() => {});
        const code = platformError(err);
        throw new Error(`Socket Mode could not connect${code ? ` (${code})` : ''}: ${code === 'invalid_auth' ? 'check SLACK_APP_TOKEN (an xapp- token with connections:write)' : (err as Error).message}.`);
      }
    }
    await claims.prune().catch((err) => log.warn({ err }, 'could not prune processed Slack events'));
    core.kt.channels.activate('slack');
    core.kt.incidents.registerPlaces('slack', slackIncidentPlaces(client, log));
    this.drain.start();
    log.info({ mode: this.mode, team: identity.teamId, bot: identity.botUserId, commands: this.commands.length }, 'Slack adapter started');
  }

  /** Commands acked whose work has not finished (waiting behind the acks or running), reactions being handled. */
  get workInFlight(): number {
    return this.inflight.size;
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
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    const grace = this.opts.stopGraceMs ?? 10_000;
    await Promise.race([Promise.allSettled([...this.inflight]), new Promise((r) => setTimeout(r, grace).unref())]);
    await this.drain.stop(grace);
    if (this.mode === 'socket') await this.app?.stop().catch((err: Error) => this.log.warn({ err: err.message }, 'Socket Mode did not close cleanly'));
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
