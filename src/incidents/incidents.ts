/**
 * Incident lifecycle: declare (open its place, pin a summary, page, post a
 * health snapshot), update / severity / assign / status, resolve (unpage,
 * post-mortem draft). Everything is in the store, so a restart loses nothing.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock, ConfigSource, PagerSlot } from '../core/contracts.js';
import type { Config } from '../config/index.js';
import type { Db } from '../store/db.js';
import type { AuditLog } from '../store/audit-log.js';
import type { Chat } from '../core/chat.js';
import type { People } from '../core/people.js';
import type { Channels } from '../core/channels.js';
import type { CheckService } from '../core/check-service.js';
import type { Person } from '../config/index.js';
import type { SeverityLevel } from '../config/incidents-schema.js';
import type { ChannelTarget, Platform } from '../core/chat.js';
import type { Message } from '../core/message.js';
import { accountOf } from '../core/chat-adapter.js';
import { STATUS_EMOJI } from '../core/message.js';
import { UserError } from '../core/errors.js';
import { unknownName } from '../core/suggest.js';
import { IncidentStore } from './incident-store.js';
import { summaryMessage } from './render.js';
import { buildTimeline } from './timeline.js';
import { renderPostmortem } from './postmortem.js';
import type { EventKind, Incident, TimelineEvent } from './types.js';

/** What incidents use: the store, chat, people and channels, health checks, and the pager when one is attached. */
export interface IncidentDeps {
  config: ConfigSource<Config>;
  db: Db;
  audit: Pick<AuditLog, 'append'>;
  chat: Pick<Chat, 'post' | 'reply' | 'update'>;
  checks: Pick<CheckService, 'system' | 'run'>;
  people: Pick<People, 'byName' | 'withRole'>;
  channels: Pick<Channels, 'targets'>;
  clock: Clock;
  pagers: PagerSlot;
}

export interface Origin {
  person: Person;
  platform: Platform;
  channel: string;
}

/** Platform abilities beyond posting (Slack channel creation); adapters register them. */
export interface IncidentPlaces {
  createChannel(name: string, inviteAccounts: string[]): Promise<string>;
}

export class Incidents {
  readonly store: IncidentStore;
  private readonly places = new Map<Platform, IncidentPlaces>();

  constructor(
    private readonly deps: IncidentDeps,
    private readonly opts: { postmortemDir?: string | null } = {},
  ) {
    this.store = new IncidentStore(deps.db);
  }

  /** What happened during the incident: its own events and the audit rows about its systems. */
  timeline(inc: Incident): Promise<TimelineEvent[]> {
    return buildTimeline({ clock: this.deps.clock, db: this.deps.db, store: this.store }, inc);
  }

  registerPlaces(platform: Platform, places: IncidentPlaces): void {
    this.places.set(platform, places);
  }

  async declare(who: Origin, severity: SeverityLevel, title: string, systems: string[]): Promise<Incident> {
    const d = this.deps;
    for (const s of systems) d.checks.system(s);
    const now = d.clock.now();
    const base = `inc-${now.toISOString().slice(0, 10).replace(/-/g, '')}-${slug(title)}`;
    const place = await this.openPlace(who, base);
    let inc: Incident | null = null;
    for (let n = 1; !inc && n < 100; n++) {
      const candidate: Incident = {
        id: n === 1 ? base : `${base}-${n}`, title, severity, state: 'open', systems, declaredBy: who.person.name, commander: who.person.name, scribe: null,
        platform: place.target.platform, channel: place.target.channel, place: place.kind, summaryKey: null, statusLine: 'investigating',
        createdAt: now, lastUpdateAt: now, resolvedAt: null, resolution: null, escalationLevel: 0, lastSnapshotAt: now, lastHealth: null, reviewComplete: false, remindersSent: 0,
      };
      if (await this.store.insert(candidate)) inc = candidate;
    }
    if (!inc) throw new Error(`could not allocate an incident id for ${base}`);
    await this.event(inc, 'declared', who.person.name, `declared ${severity.toUpperCase()}: ${title}${systems.length ? ` (systems: ${systems.join(', ')})` : ''}`);
    const summaryKey = await d.chat.post(place.target, summaryMessage(d.config(), inc, now));
    await this.store.set(inc.id, { summary_key: summaryKey });
    inc.summaryKey = summaryKey;
    await d.audit.append({ actor: who.person.name, platform: who.platform, kind: 'incident.declared', subject: inc.id, outcome: severity, detail: { title, systems, place: place.kind, channel: place.target.channel } });
    if (place.kind === 'channel' || place.target.channel !== who.channel || place.target.platform !== who.platform) {
      // Tell the channel the command came from where the incident lives.
      await d.chat.post({ platform: who.platform, channel: who.channel }, { title: `🚨 ${severity.toUpperCase()} declared: ${title}`, status: 'critical', text: `Incident ${inc.id} is handled ${place.kind === 'channel' ? `in its own channel (${place.target.channel})` : 'in the incidents channel thread'}.` });
    }
    await this.page(inc, 'trigger');
    if (systems.length) await this.snapshot(inc, 'Health at declaration');
    return (await this.store.get(inc.id))!;
  }

  /** Finds the incident a command refers to: an explicit id, the channel it lives in, or the only open one. */
  async resolveTarget(platform: Platform, channel: string, id?: string): Promise<Incident> {
    if (id) {
      const inc = await this.store.get(id);
      if (!inc) throw new UserError(unknownName('incident', id, (await this.store.recent(10)).map((i) => i.id), { known: 'Recent incidents', none: 'There are no incidents yet.' }), 'unknown.incident');
      return inc;
    }
    const open = await this.store.open();
    const here = open.filter((i) => i.place === 'channel' && i.platform === platform && i.channel === channel);
    if (here.length === 1) return here[0]!;
    if (open.length === 1) return open[0]!;
    if (open.length === 0) throw new UserError('No incident is open. Declare one with /incident declare <sev1..sev4> <title> [--system <name>].', 'incident.none');
    throw new UserError(`${open.length} incidents are open: ${open.map((i) => i.id).join(', ')}. Say which with --id <incident>.`, 'incident.ambiguous');
  }

  async update(inc: Incident, actor: string, text: string): Promise<void> {
    const now = this.deps.clock.now();
    await this.store.set(inc.id, { status_line: text, last_update_at: now });
    await this.event(inc, 'update', actor, text);
    await this.post(inc, { title: `📣 Update from ${actor}`, status: 'info', text });
    await this.refresh(inc.id);
  }

  async setSeverity(inc: Incident, actor: string, level: SeverityLevel): Promise<void> {
    if (inc.severity === level) throw new UserError(`${inc.id} is already ${level.toUpperCase()}.`, 'incident.same-severity');
    await this.store.set(inc.id, { severity: level, last_update_at: this.deps.clock.now() });
    await this.event(inc, 'severity', actor, `severity ${inc.severity.toUpperCase()} -> ${level.toUpperCase()}`);
    await this.post(inc, { title: `Severity changed by ${actor}: ${inc.severity.toUpperCase()} → ${level.toUpperCase()}`, status: 'warn' });
    const updated = (await this.store.get(inc.id))!;
    if (this.deps.config().incidents.severities[level].page && !this.deps.config().incidents.severities[inc.severity].page) await this.page(updated, 'trigger');
    await this.refresh(inc.id);
  }

  async assign(inc: Incident, actor: string, role: 'commander' | 'scribe', personName: string): Promise<void> {
    const p = this.deps.people.byName(personName);
    if (!p) throw new UserError(unknownName('person', personName, this.deps.config().people.map((x) => x.name)), 'unknown.person');
    await this.store.set(inc.id, { [role]: p.name, last_update_at: this.deps.clock.now() });
    await this.event(inc, 'assign', actor, `${p.name} is ${role}`);
    await this.post(inc, { title: `${p.name} is now ${role} (assigned by ${actor})`, status: 'info' });
    await this.refresh(inc.id);
  }

  async resolve(inc: Incident, actor: string, summary: string | undefined): Promise<{ markdown: string; file: string | null }> {
    const d = this.deps;
    if (inc.state !== 'open') throw new UserError(`${inc.id} is already resolved.`, 'incident.resolved');
    const now = d.clock.now();
    await this.store.set(inc.id, { state: 'resolved', resolved_at: now, resolution: summary ?? null, last_update_at: now });
    await this.event(inc, 'resolved', actor, `resolved${summary ? `: ${summary}` : ''}`);
    await d.audit.append({ actor, platform: 'keyturn', kind: 'incident.resolved', subject: inc.id, outcome: 'resolved', detail: { summary: summary ?? null } });
    const resolved = (await this.store.get(inc.id))!;
    await this.page(resolved, 'resolve');
    await this.refresh(inc.id);
    return this.publishPostmortem(resolved, `Resolved by ${actor}`);
  }

  /** Builds the draft from the timeline, posts it into the incident's place (text and Markdown file), and keeps a copy on disk. */
  async publishPostmortem(inc: Incident, heading: string): Promise<{ markdown: string; file: string | null }> {
    const d = this.deps;
    const events = await this.timeline(inc);
    const markdown = renderPostmortem(d.config(), inc, events, d.clock.now());
    const filename = `${inc.id}-postmortem.md`;
    let file: string | null = null;
    if (this.opts.postmortemDir) {
      mkdirSync(this.opts.postmortemDir, { recursive: true, mode: 0o700 });
      file = join(this.opts.postmortemDir, filename);
      // 0600 like backups: a post-mortem quotes commands, hosts and people (issue 16). chmod too: `mode` only applies on create.
      writeFileSync(file, markdown, { mode: 0o600 });
      chmodSync(file, 0o600);
    }
    await this.post(inc, { title: `${heading}. Post-mortem draft for ${inc.id}`, status: 'info', text: markdown, attachment: { filename, content: markdown }, footer: inc.severity === 'sev1' || inc.severity === 'sev2' ? 'Review required within 48 h: /postmortem --complete when done' : undefined });
    return { markdown, file };
  }

  /** Alerts for an affected system go on the timeline and into the incident's place. */
  recordAlert(system: string, text: string, severity: string): Promise<void> {
    return this.recordAlerts([{ system, text, severity }]);
  }

  /**
   * A batch of alerts, in order: the open incidents are read once for all of them (an alert storm processes hundreds
   * of groups a batch, and one store read per alert held the store, and the webhooks writing to it, for seconds).
   */
  async recordAlerts(alerts: Array<{ system: string; text: string; severity: string }>): Promise<void> {
    if (alerts.length === 0) return;
    const open = await this.store.open();
    // One alert that cannot be recorded does not keep the others off their timelines: every one is tried, then the failures reported.
    const failed: unknown[] = [];
    for (const { system, text, severity } of alerts) {
      for (const inc of open) {
        if (!inc.systems.includes(system)) continue;
        try {
          await this.event(inc, 'alert', 'alertmanager', text);
          await this.post(inc, { title: `Alert: ${text}`, status: severity === 'critical' ? 'critical' : severity === 'warning' ? 'warn' : 'info' });
        } catch (err) {
          failed.push(err);
        }
      }
    }
    if (failed.length === 1) throw failed[0];
    if (failed.length > 1) throw new AggregateError(failed, `${failed.length} alerts could not be recorded on their incidents`);
  }

  /** Posts a health snapshot of the affected systems into the incident's place and returns the state per system. */
  async snapshot(inc: Incident, title: string): Promise<Record<string, string>> {
    const d = this.deps;
    const results = await Promise.all(inc.systems.map((s) => d.checks.run(s, 'health')));
    const state = Object.fromEntries(results.map((r) => [r.system, healthKey(r)]));
    await this.store.set(inc.id, { last_health: state });
    await this.post(inc, {
      title: `${title}: ${inc.systems.join(', ')}`,
      status: results.some((r) => r.status === 'critical') ? 'critical' : results.some((r) => r.status !== 'ok') ? 'warn' : 'ok',
      table: { columns: ['', 'system', 'summary', 'down'], rows: results.map((r) => [STATUS_EMOJI[r.status], r.system, r.summary, downNodes(r).join(', ') || '-']) },
    });
    await this.event(inc, 'health', 'keyturn', results.map((r) => `${r.system} ${r.status} (${r.summary})`).join('; '));
    return state;
  }

  async post(inc: Incident, m: Message): Promise<void> {
    const d = this.deps;
    if (inc.place === 'thread' && inc.summaryKey) await d.chat.reply(inc.summaryKey, m);
    else await d.chat.post({ platform: inc.platform as Platform, channel: inc.channel }, m);
  }

  async refresh(id: string): Promise<void> {
    const inc = await this.store.get(id);
    if (inc?.summaryKey) await this.deps.chat.update(inc.summaryKey, summaryMessage(this.deps.config(), inc, this.deps.clock.now()));
  }

  async event(inc: Incident, kind: EventKind, actor: string, text: string): Promise<void> {
    await this.store.addEvent(inc.id, { at: this.deps.clock.now(), kind, actor, text });
  }

  private async page(inc: Incident, action: 'trigger' | 'resolve'): Promise<void> {
    const d = this.deps;
    if (!d.config().incidents.severities[inc.severity].page) return;
    const dedupKey = `keyturn-incident-${inc.id}`;
    if (!d.pagers.pager) {
      if (action === 'trigger') await this.post(inc, { title: 'PagerDuty is not configured: nobody was paged. Set PAGERDUTY_ROUTING_KEY to page on SEV1/SEV2.', status: 'warn' });
      return;
    }
    try {
      if (action === 'trigger') await d.pagers.pager.trigger({ dedupKey, summary: `${inc.severity.toUpperCase()}: ${inc.title}`, severity: inc.severity === 'sev1' ? 'critical' : 'error', source: `keyturn/${inc.systems.join(',') || 'incident'}`, details: { incident: inc.id, systems: inc.systems } });
      else await d.pagers.pager.resolve(dedupKey);
      await this.event(inc, 'escalation', 'keyturn', `PagerDuty ${action === 'trigger' ? 'paged' : 'resolved'} (dedup ${dedupKey})`);
    } catch (err) {
      await this.post(inc, { title: `PagerDuty ${action} failed: ${(err as Error).message}. It will not be retried by the incident; page by hand if needed.`, status: 'critical' });
    }
  }

  private async openPlace(who: Origin, name: string): Promise<{ kind: 'channel' | 'thread'; target: ChannelTarget }> {
    const d = this.deps;
    const cfg = d.config().incidents;
    const ops = this.places.get(who.platform);
    if (cfg.createChannels && ops) {
      const oncall = d.people.withRole(['oncall']).map((p) => accountOf(p, who.platform)).filter((x): x is string => !!x);
      const own = accountOf(who.person, who.platform);
      const channel = await ops.createChannel(name.slice(0, 80), [...new Set([own, ...oncall].filter((x): x is string => !!x))]);
      return { kind: 'channel', target: { platform: who.platform, channel } };
    }
    const target = d.channels.targets(cfg.channel).find((t) => t.platform === who.platform) ?? { platform: who.platform, channel: who.channel };
    return { kind: 'thread', target };
  }
}

function slug(title: string): string {
  return title.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40).replace(/-+$/, '') || 'incident';
}

function downNodes(r: object): string[] {
  const nodes = (r as { nodes?: Array<{ node: string; healthy: boolean }> }).nodes;
  return (nodes ?? []).filter((n) => !n.healthy).map((n) => n.node);
}

/** What counts as a change: the status and the set of down nodes. */
export function healthKey(r: { status: string }): string {
  const down = downNodes(r);
  return `${r.status}${down.length ? ` (down: ${down.join(', ')})` : ''}`;
}
