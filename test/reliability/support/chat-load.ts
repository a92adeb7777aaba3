// A seeded, platform-neutral load for the outbox: roots in several channels,
// replies in their threads and edits of both, interleaved across threads the
// way a busy incident looks. queueLoad pushes it through kt.chat; expectedOf
// says what the chat platform must show afterwards (queue order per channel
// and per thread, the last edit of each message), so a fault test only has
// to read the platform's state and compare.
import type { Chat, Platform } from '../../../src/core/chat.js';
import { mulberry32 } from '../../support/mulberry32.js';

export type LoadOp =
  | { kind: 'post'; label: string; channel: string }
  | { kind: 'reply'; label: string; root: string }
  | { kind: 'update'; target: string; title: string };

export interface LoadShape {
  channels: string[];
  rootsPerChannel: number;
  repliesPerRoot: number;
  updatesPerRoot: number;
  seed: number;
}

/** Total queued rows: one per root, reply and edit. */
export const opCount = (s: LoadShape): number => s.channels.length * s.rootsPerChannel * (1 + s.repliesPerRoot + s.updatesPerRoot);

export function planLoad(shape: LoadShape): LoadOp[] {
  const rand = mulberry32(shape.seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  // One op list per thread (root first, then its replies and edits shuffled together), then merged at random:
  // per-thread order is fixed by construction, the global order mixes channels and threads.
  const lists: LoadOp[][] = [];
  shape.channels.forEach((channel, c) => {
    for (let t = 0; t < shape.rootsPerChannel; t++) {
      const root = `c${c} t${t} root`;
      const rest: Array<'reply' | 'update'> = [...Array<'reply'>(shape.repliesPerRoot).fill('reply'), ...Array<'update'>(shape.updatesPerRoot).fill('update')];
      for (let i = rest.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [rest[i], rest[j]] = [rest[j]!, rest[i]!];
      }
      const list: LoadOp[] = [{ kind: 'post', label: root, channel }];
      const known = [root];
      const versions = new Map<string, number>();
      let r = 0;
      for (const kind of rest) {
        if (kind === 'reply') {
          const label = `c${c} t${t} r${String(r++).padStart(2, '0')}`;
          list.push({ kind: 'reply', label, root });
          known.push(label);
        } else {
          // Half the edits go to the root (the incident status line), the rest to a reply already queued.
          const target = rand() < 0.5 ? root : pick(known);
          const v = (versions.get(target) ?? 1) + 1;
          versions.set(target, v);
          list.push({ kind: 'update', target, title: `${target} v${v}` });
        }
      }
      lists.push(list);
    }
  });
  const ops: LoadOp[] = [];
  while (lists.some((l) => l.length > 0)) ops.push(pick(lists.filter((l) => l.length > 0)).shift()!);
  return ops;
}

/** Queues every op through the outbox, in order; returns label -> message key. */
export async function queueLoad(chat: Chat, platform: Platform, ops: LoadOp[]): Promise<Map<string, string>> {
  const keys = new Map<string, string>();
  for (const op of ops) {
    if (op.kind === 'post') keys.set(op.label, await chat.post({ platform, channel: op.channel }, { title: op.label }));
    else if (op.kind === 'reply') keys.set(op.label, await chat.reply(keys.get(op.root)!, { title: op.label }));
    else await chat.update(keys.get(op.target)!, { title: op.title });
  }
  return keys;
}

export interface Expected {
  /** channel -> final titles of its roots, in queue order. */
  roots: Map<string, string[]>;
  /** root label -> final titles of its replies, in queue order. */
  threads: Map<string, string[]>;
  /** Every posted label (roots and replies). */
  posts: string[];
  /** label -> channel of the message. */
  channelOf: Map<string, string>;
}

export function expectedOf(ops: LoadOp[]): Expected {
  const final = new Map<string, string>();
  for (const op of ops) final.set(op.kind === 'update' ? op.target : op.label, op.kind === 'update' ? op.title : op.label);
  const roots = new Map<string, string[]>();
  const threads = new Map<string, string[]>();
  const channelOf = new Map<string, string>();
  const posts: string[] = [];
  for (const op of ops) {
    if (op.kind === 'post') {
      roots.set(op.channel, [...(roots.get(op.channel) ?? []), final.get(op.label)!]);
      threads.set(op.label, []);
      channelOf.set(op.label, op.channel);
      posts.push(op.label);
    } else if (op.kind === 'reply') {
      threads.get(op.root)!.push(final.get(op.label)!);
      channelOf.set(op.label, channelOf.get(op.root)!);
      posts.push(op.label);
    }
  }
  return { roots, threads, posts, channelOf };
}

/** The label a title was posted with (edits append ` vN`). */
export const labelOf = (title: string): string => title.replace(/ v\d+$/, '');

/** Counts of each value, e.g. fault kinds: { '429': 12, hang: 4 }. */
export function tally(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}
