/**
 * Named channels (config `channels.alerts`, `channels.incidents`...) to the
 * concrete places to post on every platform that is running. The console
 * has one channel, so in local mode every named channel is the console.
 */
import type { Config } from '../config/index.js';
import type { ChannelTarget, Platform } from './chat.js';

export class Channels {
  private readonly active = new Set<Platform>();

  constructor(private readonly config: () => Config) {}

  /** Adapters announce themselves when they start. */
  activate(platform: Platform): void {
    this.active.add(platform);
  }

  platforms(): Platform[] {
    return [...this.active];
  }

  /** Where a named channel lives on each active platform. Unknown names resolve to nothing (the caller says so). */
  targets(name: string): ChannelTarget[] {
    const ref = this.config().channels[name];
    const out: ChannelTarget[] = [];
    for (const p of this.active) {
      if (p === 'console') out.push({ platform: 'console', channel: 'console' });
      else if (ref?.[p]) out.push({ platform: p, channel: ref[p]! });
    }
    return out;
  }
}
