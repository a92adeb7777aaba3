/**
 * Writes an audit anchor periodically (KEYTURN_AUDIT_ANCHOR_EVERY, default
 * 5m), at start and at a clean stop: to this replica's anchor file and, when
 * the config names an `audit` channel, as a post there (one replica posts per
 * interval, by lease). A truncation after the last anchor is the one the
 * anchors cannot see, so the interval is the window an attacker has.
 */
import type { Config } from '../config/index.js';
import type { ConfigSource } from './contracts.js';
import type { Logger } from './logger.js';
import type { Db } from '../store/db.js';
import type { AuditLog } from '../store/audit-log.js';
import type { Chat } from './chat.js';
import type { Channels } from './channels.js';
import { parseDuration, formatDuration } from '../config/duration.js';
import { takeLease } from '../store/leases.js';
import type { Anchor } from '../store/audit-anchor.js';

export const DEFAULT_ANCHOR_EVERY_MS = 5 * 60_000;

export function anchorEveryMs(env: NodeJS.ProcessEnv): number {
  const raw = env.KEYTURN_AUDIT_ANCHOR_EVERY?.trim();
  if (!raw) return DEFAULT_ANCHOR_EVERY_MS;
  const ms = parseDuration(raw);
  if (ms === undefined || ms < 1000) throw new Error(`KEYTURN_AUDIT_ANCHOR_EVERY must be a duration of at least 1s such as 5m or 30s; got ${JSON.stringify(raw)}`);
  return ms;
}

export interface AnchoringDeps {
  config: ConfigSource<Config>;
  db: Db;
  audit: Pick<AuditLog, 'anchor'>;
  chat: Pick<Chat, 'post'>;
  channels: Pick<Channels, 'targets'>;
  log: Logger;
  /** The process's one replica id: the holder of the posting lease. */
  replica: string;
}

export class AuditAnchoring {
  private timer: NodeJS.Timeout | null = null;
  private last: Anchor | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private pendingFirst = false;

  constructor(
    private readonly deps: AnchoringDeps,
    readonly everyMs: number,
  ) {}

  start(): void {
    if (this.timer) return;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    const wasRunning = this.timer !== null;
    this.timer = null;
    await this.running;
    if (wasRunning) await this.tick();
  }

  /**
   * A row was appended. The first one of a chain nobody anchored yet is anchored at once, not at the
   * next interval: a fresh install's history is covered from its first row, and `/audit verify`
   * answers the same way on the first run as on later ones.
   */
  appended(): void {
    if (this.timer && this.last === null && !this.pendingFirst) {
      this.pendingFirst = true;
      void this.tick();
    }
  }

  /** One anchor now; failures are logged (the audit itself goes on). */
  tick(): Promise<unknown> {
    this.running = this.running.then(() => this.anchorOnce()).catch((err: unknown) => this.deps.log.error({ err }, 'audit anchor failed'));
    return this.running;
  }

  private async anchorOnce(): Promise<void> {
    const d = this.deps;
    const a = await d.audit.anchor();
    this.pendingFirst = false;
    if (!a || (this.last && this.last.headHash === a.headHash)) return void (this.last = a ?? this.last);
    this.last = a;
    if (!Object.hasOwn(d.config().channels, 'audit')) return;
    if (!(await takeLease(d.db, 'audit-anchor-post', this.deps.replica, Math.max(1000, this.everyMs - 1000)))) return;
    const text = `rows ${a.rows} · head #${a.headId} ${a.headHash} · chain ${a.chain} · mac ${a.mac.slice(0, 16)}…`;
    for (const target of d.channels.targets('audit')) {
      await d.chat.post(target, { title: `Audit anchor ${a.at.slice(0, 19).replace('T', ' ')} UTC`, status: 'info', text, footer: `every ${formatDuration(this.everyMs)}; /audit verify checks the log against it` });
    }
  }
}
