/**
 * The alerts use cases: ingest (store first), the background loops that
 * group, thread and page (one replica at a time, by lease), acknowledge,
 * silence, and the hook other modules (incidents) use to hear every alert.
 */
import type { Config } from '../config/index.js';
import type { Clock, ConfigSource } from '../core/contracts.js';
import type { Logger } from '../core/logger.js';
import type { Db } from '../store/db.js';
import type { AuditLog } from '../store/audit-log.js';
import type { Chat, Platform } from '../core/chat.js';
import type { People } from '../core/people.js';
import type { Channels } from '../core/channels.js';
import { UserError } from '../core/errors.js';
import { registerSecret } from '../core/secrets.js';
import { canonicalEmoji } from '../approvals/emoji.js';
import type { ReactionEvent } from '../core/reactions.js';
import { formatDuration } from '../config/duration.js';
import { PagerDuty } from '../integrations/pagerduty/client.js';
import { AlertIngest, type Stored } from './ingest.js';
import { IngestYield, INGEST_YIELD } from './ingest-yield.js';
import { fromGeneric, type AlertSource, type GenericAlert, type IncomingAlert } from './schemas.js';
import { processBatch, type AlertEvent } from './processor.js';
import { AlertNotifier } from './notifier.js';
import { Pager, enqueuePage } from './pager.js';
import { routeAlert, type RouteDecision, type RouteInput } from './routing.js';
import { GROUP_LOCK, groupByRef, listGroups, loadGroups, saveGroups } from './group-store.js';
import { addNote, groupKeysOfThread, groupsMatching, lastAlertStatus, threadByRoot } from './alert-queries.js';
import type { GroupState } from './grouping.js';
import { when } from './render.js';
import { AlertLoops } from './loops.js';

/** Hears a processed batch's events, in processing order. */
export type AlertListener = (events: AlertEvent[]) => void | Promise<void>;
export type { AlertEvent };

export interface AlertReactionOutcome {
  kind: 'alert-ack';
  acknowledged: string[];
  reason?: string;
}

/** Roles that may acknowledge and silence alerts (admins always may). */
export const ALERT_ROLES = ['oncall', 'approver', 'admin'];

/** What alerts use; `replica` is the process's one id (the lease holder). */
export interface AlertDeps {
  config: ConfigSource<Config>;
  db: Db;
  audit: Pick<AuditLog, 'append'>;
  chat: Pick<Chat, 'post' | 'update' | 'reply' | 'findByPlatformId'>;
  people: Pick<People, 'byAccount' | 'hasAnyRole'>;
  channels: Pick<Channels, 'targets'>;
  clock: Clock;
  log: Logger;
  replica: string;
}

export class Alerts {
  readonly replica: string;
  readonly pagerduty: PagerDuty;
  readonly pager: Pager;
  readonly notifier: AlertNotifier;
  private readonly listeners = new Set<AlertListener>();
  private readonly store: AlertIngest;
  private readonly loops: AlertLoops;

  constructor(
    private readonly deps: AlertDeps,
    private readonly env: NodeJS.ProcessEnv = process.env,
    opts: { pagerduty?: PagerDuty; stormSize?: number; postIntervalMs?: number } = {},
  ) {
    this.replica = deps.replica;
    this.pagerduty = opts.pagerduty ?? PagerDuty.fromEnv(env);
    this.pager = new Pager(deps, this.pagerduty, (r) => (r ? this.route(r).routingKey : this.defaultRoutingKey()), () => this.kickPager());
    this.notifier = new AlertNotifier(deps, { stormSize: opts.stormSize, postIntervalMs: opts.postIntervalMs });
    this.store = new AlertIngest(deps.db);
    this.loops = new AlertLoops(deps.db, deps.replica, {
      process: () => this.processAll(true),
      chat: () => this.notifier.tick(),
      pages: async (isStopped) => {
        while (!isStopped() && (await this.pager.sendDue()) > 0);
      },
    });
    registerSecret(env.KEYTURN_ALERT_TOKEN);
  }

  /** The webhook bearer token: KEYTURN_ALERT_TOKEN, else the config's; null means webhooks are off. */
  token(): string | null {
    return this.env.KEYTURN_ALERT_TOKEN || this.deps.config().alerts.token || null;
  }

  /** The config's default PagerDuty routing key, else PAGERDUTY_ROUTING_KEY; empty means paging is off. */
  defaultRoutingKey(): string {
    const key = this.deps.config().alerts.pagerduty.routingKey || this.env.PAGERDUTY_ROUTING_KEY || '';
    registerSecret(key);
    return key;
  }

  /** Where an alert group goes (channel, paging), with the effective default routing key. */
  route(r: RouteInput): RouteDecision {
    const cfg = this.deps.config().alerts;
    return routeAlert({ ...cfg, pagerduty: { routingKey: this.defaultRoutingKey() } }, r);
  }

  /** Stores alerts (the webhook answers after this) and wakes the processor. */
  async ingest(source: AlertSource, body: unknown, alerts: IncomingAlert[]): Promise<Stored> {
    const stored = await this.store.store(source, body, alerts);
    this.kick();
    return stored;
  }

  /** The status of the last alert raised for a group key ('firing', 'resolved'), or null: a scheduled check resolves only what it fired. */
  lastStatus(groupKey: string): Promise<string | null> {
    return lastAlertStatus(this.deps.db, groupKey);
  }

  /** Groups for /alerts: the open ones, and those resolved since a time when asked. */
  list(opts: { includeResolvedSince?: Date; limit?: number } = {}): Promise<GroupState[]> {
    return listGroups(this.deps.db, opts);
  }

  /** Raises (or resolves) an alert from inside Keyturn, e.g. a failing scheduled check. */
  async raise(alert: GenericAlert): Promise<Stored> {
    return this.ingest('schedule', alert, [fromGeneric(alert, 'schedule')]);
  }

  /** Every processed alert, with its group's new state; on the replica that processes it, after it is stored. */
  onAlerts(listener: AlertListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    this.loops.start(this.deps.log.child({ component: 'alerts' }));
  }

  stop(): Promise<void> {
    return this.loops.stop();
  }

  /** New alerts are stored: process them now. */
  kick(): void {
    this.loops.kickProcess();
  }

  /** Group state changed (processed alerts, an ack, a silence): let chat catch up. */
  private kickChat(): void {
    this.loops.kickChat();
  }

  private kickPager(): void {
    this.loops.kickPager();
  }

  /** One full pass (process, chat, pages) regardless of the loops: for tests and shutdown. */
  async runOnce(): Promise<void> {
    await this.processAll();
    await this.notifier.tick();
    while ((await this.pager.sendDue()) > 0);
  }

  /**
   * Processes every stored alert. `yieldToIngest` (the background loop): while webhooks are arriving, the ingest goes
   * first (ingest-yield.ts): small batches, after a quiet moment where one comes within the pass's budget, and past it
   * batches that grow with the storm. Otherwise (a command asked) full batches at once.
   */
  private async processAll(yieldToIngest = false): Promise<void> {
    const turn = yieldToIngest ? new IngestYield(this.store) : null;
    let got = 0;
    for (;;) {
      const size = turn ? await turn.nextBatch(got) : INGEST_YIELD.fullBatch;
      const events = await processBatch(this.deps.db, (r) => this.route(r), size);
      got = events.length;
      if (events.length === 0) return;
      this.kickChat();
      if (events.some((e) => e.group.page || e.group.pageState !== 'none')) this.kickPager();
      for (const { kind, group: g } of events) {
        // Log-only routes (info by default): the log line is where they show.
        if (!g.channel && kind !== 'firing' && kind !== 'update') this.deps.log.info({ alert: g.id, kind, alertname: g.alertname, system: g.system, severity: g.severity, summary: g.summary }, 'alert (log only)');
      }
      for (const fn of this.listeners) {
        try {
          await fn(events);
        } catch (err) {
          this.deps.log.error({ err, alerts: events.length }, 'alert listener failed');
        }
      }
    }
  }

  /** `a-1f3c9b`, a unique prefix of one, or the alertname of exactly one open group. */
  async resolveRef(ref: string): Promise<GroupState> {
    const db = this.deps.db;
    const exact = await groupByRef(db, ref);
    if (exact) return exact;
    const matches = await groupsMatching(db, ref);
    if (matches.length === 1) return matches[0]!;
    const open = (await listGroups(db, { limit: 8 })).map((g) => `${g.id} (${g.alertname}${g.system ? ` · ${g.system}` : ''})`);
    if (matches.length > 1) throw new UserError(`"${ref}" matches several alert groups: ${matches.map((x) => `${x.id} (${x.alertname})`).join(', ')}. Use the id.`, 'alerts.ambiguous');
    throw new UserError(`No alert group "${ref}". ${open.length ? `Open: ${open.join(', ')}` : 'No alert group is open.'}`, 'alerts.unknown');
  }

  /** Acknowledges firing groups: noted in their threads, and in PagerDuty where they paged. Returns the ids acknowledged. */
  async acknowledge(groupKeys: string[], who: string, platform: Platform | 'keyturn'): Promise<string[]> {
    const d = this.deps;
    const now = d.clock.now();
    const acked = await d.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(${GROUP_LOCK})`);
      const groups = [...(await loadGroups(tx, groupKeys)).values()].filter((g) => g.status === 'firing' && !g.ackedBy);
      for (const g of groups) {
        const noteId = await addNote(tx, g.groupKey, `${d.config().alerts.ackReaction} Acknowledged by ${who}`, now);
        Object.assign(g, { ackedBy: who, ackedAt: now, version: g.version + 1, lastNoteId: noteId });
        if (g.channel) Object.assign(g, { chatPending: true, pendingSince: g.pendingSince ?? now });
        if (g.pageState === 'triggered') {
          g.pageState = 'acknowledged';
          await enqueuePage(tx, g, 'acknowledge');
        }
      }
      await saveGroups(tx, groups);
      return groups;
    });
    for (const g of acked) await d.audit.append({ actor: who, platform, kind: 'alert.ack', subject: `${g.id} ${g.alertname}`, outcome: 'acknowledged', detail: { system: g.system, paged: g.pageState === 'acknowledged' } });
    this.kickChat();
    this.kickPager();
    return acked.map((g) => g.id);
  }

  /** Mutes a group's chat updates until a time (null lifts it). Alerts are still stored and paged. */
  async silence(groupKey: string, ms: number | null, who: string, platform: Platform | 'keyturn'): Promise<GroupState> {
    const d = this.deps;
    const now = d.clock.now();
    const until = ms === null ? null : new Date(now.getTime() + ms);
    const g = await d.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(${GROUP_LOCK})`);
      const g = (await loadGroups(tx, [groupKey])).get(groupKey);
      if (!g) throw new UserError(`No alert group ${groupKey}.`, 'alerts.unknown');
      Object.assign(g, { silencedUntil: until, silencedBy: until ? who : null, version: g.version + 1 });
      // Lifting a silence shows what the thread missed meanwhile.
      if (!until && g.channel) Object.assign(g, { chatPending: true, pendingSince: g.pendingSince ?? now });
      await saveGroups(tx, [g]);
      return g;
    });
    await d.audit.append({ actor: who, platform, kind: 'alert.silence', subject: `${g.id} ${g.alertname}`, outcome: until ? 'silenced' : 'unsilenced', detail: { until: until?.toISOString() ?? null, forMs: ms } });
    this.kickChat();
    return g;
  }

  describeSilence(g: GroupState): string {
    return g.silencedUntil ? `${g.id} silenced for ${formatDuration(g.silencedUntil.getTime() - this.deps.clock.now().getTime())} (until ${when(g.silencedUntil)})` : `${g.id} is no longer silenced`;
  }

  /** A reaction on an alert thread's root: the ack emoji acknowledges its firing groups. Null: not ours. */
  async onReaction(ev: ReactionEvent): Promise<AlertReactionOutcome | null> {
    const d = this.deps;
    const msg = await d.chat.findByPlatformId(ev.platform, ev.channel, ev.messageId);
    if (!msg) return null;
    const thread = await threadByRoot(d.db, msg.threadKey ?? msg.key);
    if (!thread) return null;
    if (canonicalEmoji(ev.emoji) !== canonicalEmoji(d.config().alerts.ackReaction)) return null;
    // Taking the reaction away does not un-acknowledge: PagerDuty has no such transition.
    if (!ev.added) return { kind: 'alert-ack', acknowledged: [] };
    const person = d.people.byAccount(ev.platform, ev.account);
    if (!person || !d.people.hasAnyRole(person, ALERT_ROLES)) {
      const reason = `${person?.name ?? `${ev.platform}:${ev.account}`}'s ${ev.emoji} does not acknowledge: ${person ? `needs one of the roles ${ALERT_ROLES.join(', ')}` : 'this account is not mapped to a person in Keyturn\'s config'}.`;
      await d.chat.reply(msg.threadKey ?? msg.key, { title: reason, status: 'info' });
      return { kind: 'alert-ack', acknowledged: [], reason };
    }
    const acknowledged = await this.acknowledge(await groupKeysOfThread(d.db, thread.id), person.name, ev.platform);
    return { kind: 'alert-ack', acknowledged };
  }
}
