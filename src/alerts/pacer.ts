/**
 * At most one new chat message per second per channel. The next post waits
 * until the previous one was delivered (not just queued) and then a full
 * interval, so a slow or retrying platform cannot make posts bunch up.
 * Edits are not paced here: the outbox keeps only the newest pending edit.
 */
export class ChannelPacer {
  private readonly last = new Map<string, { key: string; releasedAt: number | null }>();

  constructor(
    /** True once the outbox has delivered (or given up on) the post with this message key. */
    private readonly isDelivered: (messageKey: string) => Promise<boolean>,
    private readonly now: () => number = Date.now,
    readonly intervalMs = 1000,
  ) {}

  async canPost(channel: string): Promise<boolean> {
    const st = this.last.get(channel);
    if (!st) return true;
    if (st.releasedAt === null) {
      if (!(await this.isDelivered(st.key))) return false;
      // Seen delivered now: the delivery itself happened no later than this, so the gap is at least the interval.
      st.releasedAt = this.now();
    }
    return this.now() - st.releasedAt >= this.intervalMs;
  }

  posted(channel: string, messageKey: string): void {
    this.last.set(channel, { key: messageKey, releasedAt: null });
  }

  /** ms until canPost may turn true (0 when it may be true now, null when waiting on a delivery). */
  waitMs(channel: string): number | null {
    const st = this.last.get(channel);
    if (!st) return 0;
    if (st.releasedAt === null) return null;
    return Math.max(0, this.intervalMs - (this.now() - st.releasedAt));
  }
}
