/**
 * The alerts use cases: ingest (store first), the background loops that
 * group, thread and page (one replica at a time, by lease), acknowledge,
 * silence, and the hook other modules (incidents) use to hear every alert.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Keyturn } from '../core/keyturn.js';
import type { Platform } from '../core/chat.js';
import { UserError } from '../core/errors.js';
import { registerSecret } from '../core/secrets.js';
import { canonicalEmoji } from '../approvals/emoji.js';
import type { ReactionEvent } from '../approvals/approvals.js';
import { formatDuration } from '../config/duration.js';
import { PagerDuty } from '../integrations/pagerduty/client.js';
import { takeLease, releaseLease } from '../store/leases.js';
import { AlertIngest, type Stored } from './ingest.js';
import { fromGeneric, type AlertSource, type GenericAlert, type IncomingAlert } from './schemas.js';
import { processBatch, type AlertEvent } from './processor.js';
import { AlertNotifier } from './notifier.js';
import { Pager, enqueuePage } from './pager.js';
import { routeAlert, type RouteDecision, type RouteInput } from './routing.js';
import { GROUP_LOCK, groupByRef, listGroups, loadGroups, saveGroups, toGroup, type GroupRow } from './group-store.js';
import type { GroupState } from './grouping.js';
import { when } from './render.js';
import { Loop } from './loop.js';

export type AlertListener = (ev: AlertEvent) => void | Promise<void>;
export type { AlertEvent };

export interface AlertReactionOutcome {
  kind: 'alert-ack';
  acknowledged: string[];
  reason?: string;
}

/** Roles that may acknowledge and silence alerts (admins always may). */
export const ALERT_ROLES = ['oncall', 'approver', 'admin'];

const LEASE = 'alerts';
const LEASE_MS = 15_000;
/** Least time between two runs of a loop when kicked: a storm kicks on every request. */
const PROCESS_GAP_MS = 50;
/** Chat moves at one post a second per channel and one edit a second per thread: ticking faster is waste. */
const CHAT_GAP_MS = 250;

export class Alerts {
  readonly replica = `${hostname()}/${process.pid}/${randomBytes(3).toString('hex')}`;
  readonly pagerduty: PagerDuty;
  readonly pager: Pager;
  readonly notifier: AlertNotifier;
  private readonly listeners = new Set<AlertListener>();
  private readonly store: AlertIngest;
  private readonly loops: Loop[] = [];
  private leaderUntil = 0;
  private leaderCheckedAt = 0;
  private stopped = true;

  constructor(
    private readonly kt: () => Keyturn,
    private readonly env: NodeJS.ProcessEnv = process.env,
    opts: { pagerduty?: PagerDuty; stormSize?: number; postIntervalMs?: number } = {},
  ) {
    this.pagerduty = opts.pagerduty ?? PagerDuty.fromEnv(env);
    this.pager = new Pager(kt, this.pagerduty, (r) => (r ? this.route(r).routingKey : this.defaultRoutingKey()), () => this.kickPager());
    this.notifier = new AlertNotifier(kt, { stormSize: opts.stormSize, postIntervalMs: opts.postIntervalMs });
    this.store = new AlertIngest(kt().db);
    registerSecret(env.KEYTURN_ALERT_TOKEN);
  }

  /** The webhook bearer token: KEYTURN_ALERT_TOKEN, else the config's; null means webhooks are off. */
  token(): string | null {
    return this.env.KEYTURN_ALERT_TOKEN || this.kt().config.alerts.token || null;
  }

  /** The config's default PagerDuty routing key, else PAGERDUTY_ROUTING_KEY; empty means paging is off. */
  defaultRoutingKey(): string {
    const key = this.kt().config.alerts.pagerduty.routingKey || this.env.PAGERDUTY_ROUTING_KEY || '';
    registerSecret(key);
    return key;
  }

  /** Where an alert group goes (channel, paging), with the effective default routing key. */
  route(r: RouteInput): RouteDecision {
    const cfg = this.kt().config.alerts;
    return routeAlert({ ...cfg, pagerduty: { routingKey: this.defaultRoutingKey() } }, r);
  }

  /** Stores alerts (the webhook answers after this) and wakes the processor. */
  async ingest(source: AlertSource, body: unknown, alerts: IncomingAlert[]): Promise<Stored> {
    const stored = await this.store.store(source, body, alerts);
    this.kick();
    return stored;
  }

  /** Raises (or resolves) an alert from inside Keyturn, e.g. a failing scheduled check. */
  async raise(alert: GenericAlert): Promise<Stored> {
    return this.ingest('schedule', alert, [fromGeneric(alert, 'schedule')]);
  }

  /** Every processed alert, with its group's new state; on the replica that processes it, after it is stored. */
  onAlert(listener: AlertListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const log = this.kt().log.child({ component: 'alerts' });
    this.loops.push(
      new Loop('process', 200, PROCESS_GAP_MS, () => this.process(), log),
      new Loop('chat', 250, CHAT_GAP_MS, () => this.chat(), log),
      new Loop('pager', 500, PROCESS_GAP_MS, () => this.sendPages(), log),
    );
    for (const l of this.loops) l.start();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.loops.map((l) => l.stop()));
    this.loops.length = 0;
    await releaseLease(this.kt().db, LEASE, this.replica).catch(() => {});
    this.leaderUntil = 0;
  }

  /** New alerts are stored: process them now. */
  kick(): void {
    this.loops.find((l) => l.name === 'process')?.kick();
  }

  /** Group state changed (processed alerts, an ack, a silence): let chat catch up. */
  private kickChat(): void {
    this.loops.find((l) => l.name === 'chat')?.kick();
  }

  private kickPager(): void {
    this.loops.find((l) => l.name === 'pager')?.kick();
  }

  /** One full pass (process, chat, pages) regardless of the loops: for tests and shutdown. */
  async runOnce(): Promise<void> {
    await this.processAll();
    await this.notifier.tick();
    while ((await this.pager.sendDue()) > 0);
  }

  private async leader(): Promise<boolean> {
    const now = Date.now();
    if (now - this.leaderCheckedAt < LEASE_MS / 5 && now < this.leaderUntil) return true;
    this.leaderCheckedAt = now;
    const ok = await takeLease(this.kt().db, LEASE, this.replica, LEASE_MS);
    this.leaderUntil = ok ? now + LEASE_MS - 1000 : 0;
    return ok;
  }

  private async process(): Promise<void> {
    if (!(await this.leader())) return;
    await this.processAll();
  }

  private async chat(): Promise<void> {
    if (!(await this.leader())) return;
    await this.notifier.tick();
  }

  private async sendPages(): Promise<void> {
    if (!(await this.leader())) return;
    while (!this.stopped && (await this.pager.sendDue()) > 0);
  }

  private async processAll(): Promise<void> {
    for (;;) {
      const events = await processBatch(this.kt(), (r) => this.route(r));
      if (events.length === 0) return;
      this.kickChat();
      if (events.some((e) => e.group.page || e.group.pageState !== 'none')) this.kickPager();
      for (const { kind, group: g } of events) {
        // Log-only routes (info by default): the log line is where they show.
        if (!g.channel && kind !== 'firing' && kind !== 'update') this.kt().log.info({ alert: g.id, kind, alertname: g.alertname, system: g.system, severity: g.severity, summary: g.summary }, 'alert (log only)');
      }
      for (const ev of events) {
        for (const fn of this.listeners) {
          try {
            await fn(ev);
          } catch (err) {
            this.kt().log.error({ err, alert: ev.group.id }, 'alert listener failed');
          }
        }
      }
    }
  }

  /** `a-1f3c9b`, a unique prefix of one, or the alertname of exactly one open group. */
  async resolveRef(ref: string): Promise<GroupState> {
    const db = this.kt().db;
    const exact = await groupByRef(db, ref);
    if (exact) return exact;
    const r = await db.query<GroupRow>(
      `SELECT * FROM alert_groups WHERE id LIKE $1 OR (status = 'firing' AND lower(alertname) = lower($2)) ORDER BY last_seen DESC LIMIT 6`,
      [`${ref.replace(/[%_\\]/g, '')}%`, ref],
    );
    if (r.rows.length === 1) return toGroup(r.rows[0]!);
    const open = (await listGroups(db, { limit: 8 })).map((g) => `${g.id} (${g.alertname}${g.system ? ` · ${g.system}` : ''})`);
    if (r.rows.length > 1) throw new UserError(`"${ref}" matches several alert groups: ${r.rows.map((x) => `${x.id} (${x.alertname})`).join(', ')}. Use the id.`, 'alerts.ambiguous');
    throw new UserError(`No alert group "${ref}". ${open.length ? `Open: ${open.join(', ')}` : 'No alert group is open.'}`, 'alerts.unknown');
  }

  /** Acknowledges firing groups: noted in their threads, and in PagerDuty where they paged. Returns the ids acknowledged. */
  async acknowledge(groupKeys: string[], who: string, platform: Platform | 'keyturn'): Promise<string[]> {
    const kt = this.kt();
    const now = kt.clock.now();
    const acked = await kt.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(${GROUP_LOCK})`);
      const groups = [...(await loadGroups(tx, groupKeys)).values()].filter((g) => g.status === 'firing' && !g.ackedBy);
      for (const g of groups) {
        const note = await tx.query<{ id: number }>(`INSERT INTO alert_notes (group_key, text, at) VALUES ($1, $2, $3) RETURNING id`, [g.groupKey, `${kt.config.alerts.ackReaction} Acknowledged by ${who}`, now]);
        Object.assign(g, { ackedBy: who, ackedAt: now, version: g.version + 1, lastNoteId: Number(note.rows[0]!.id) });
        if (g.channel) Object.assign(g, { chatPending: true, pendingSince: g.pendingSince ?? now });
        if (g.pageState === 'triggered') {
          g.pageState = 'acknowledged';
          await enqueuePage(tx, g, 'acknowledge');
        }
      }
      await saveGroups(tx, groups);
      return groups;
    });
    for (const g of acked) await kt.audit.append({ actor: who, platform, kind: 'alert.ack', subject: `${g.id} ${g.alertname}`, outcome: 'acknowledged', detail: { system: g.system, paged: g.pageState === 'acknowledged' } });
    this.kickChat();
    this.kickPager();
    return acked.map((g) => g.id);
  }

  /** Mutes a group's chat updates until a time (null lifts it). Alerts are still stored and paged. */
  async silence(groupKey: string, ms: number | null, who: string, platform: Platform | 'keyturn'): Promise<GroupState> {
    const kt = this.kt();
    const now = kt.clock.now();
    const until = ms === null ? null : new Date(now.getTime() + ms);
    const g = await kt.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(${GROUP_LOCK})`);
      const g = (await loadGroups(tx, [groupKey])).get(groupKey);
      if (!g) throw new UserError(`No alert group ${groupKey}.`, 'alerts.unknown');
      Object.assign(g, { silencedUntil: until, silencedBy: until ? who : null, version: g.version + 1 });
      // Lifting a silence shows what the thread missed meanwhile.
      if (!until && g.channel) Object.assign(g, { chatPending: true, pendingSince: g.pendingSince ?? now });
      await saveGroups(tx, [g]);
      return g;
    });
    await kt.audit.append({ actor: who, platform, kind: 'alert.silence', subject: `${g.id} ${g.alertname}`, outcome: until ? 'silenced' : 'unsilenced', detail: { until: until?.toISOString() ?? null, forMs: ms } });
    this.kickChat();
    return g;
  }

  describeSilence(g: GroupState): string {
    return g.silencedUntil ? `${g.id} silenced for ${formatDuration(g.silencedUntil.getTime() - this.kt().clock.now().getTime())} (until ${when(g.silencedUntil)})` : `${g.id} is no longer silenced`;
  }

  /** A reaction on an alert thread's root: the ack emoji acknowledges its firing groups. Null: not ours. */
  async onReaction(ev: ReactionEvent): Promise<AlertReactionOutcome | null> {
    const kt = this.kt();
    const msg = await kt.chat.findByPlatformId(ev.platform, ev.channel, ev.messageId);
    if (!msg) return null;
    const t = await kt.db.query<{ id: number }>(`SELECT id FROM alert_threads WHERE root_key = $1`, [msg.threadKey ?? msg.key]);
    const thread = t.rows[0];
    if (!thread) return null;
    if (canonicalEmoji(ev.emoji) !== canonicalEmoji(kt.config.alerts.ackReaction)) return null;
    // Taking the reaction away does not un-acknowledge: PagerDuty has no such transition.
    if (!ev.added) return { kind: 'alert-ack', acknowledged: [] };
    const person = kt.people.byAccount(ev.platform, ev.account);
    if (!person || !kt.people.hasAnyRole(person, ALERT_ROLES)) {
      const reason = `${person?.name ?? `${ev.platform}:${ev.account}`}'s ${ev.emoji} does not acknowledge: ${person ? `needs one of the roles ${ALERT_ROLES.join(', ')}` : 'this account is not mapped to a person in Keyturn\'s config'}.`;
      await kt.chat.reply(msg.threadKey ?? msg.key, { title: reason, status: 'info' });
      return { kind: 'alert-ack', acknowledged: [], reason };
    }
    const keys = await kt.db.query<{ group_key: string }>(`SELECT group_key FROM alert_group_threads WHERE thread_id = $1`, [thread.id]);
    const acknowledged = await this.acknowledge(keys.rows.map((r) => r.group_key), person.name, ev.platform);
    return { kind: 'alert-ack', acknowledged };
  }
}
