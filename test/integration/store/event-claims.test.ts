// Event claims on both backends: a claim is acted on once, a finished one is
// acknowledged, an unfinished one is waited for, and one left by a replica
// that died (older than staleMs) is taken over.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../src/store/migrate.js';
import { EventClaims } from '../../../src/store/event-claims.js';
import type { Db } from '../../../src/store/db.js';
import { storeBackends } from '../../support/backends.js';

describe.each(storeBackends())('event claims on %s', (_name, { skip, open }) => {
  let db: Db;
  let claims: EventClaims;
  beforeAll(async () => {
    if (skip) return;
    db = await open();
    await migrate(db);
    claims = new EventClaims(db, 'slack');
  });
  afterAll(async () => {
    if (!skip) await db.close();
  });

  it.skipIf(skip)('when 20 deliveries of one event race, then exactly one claims it and the others see it done once finished', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const r = await claims.claim('EvRACE', { waitMs: 5_000 });
        // The winner stores its work, then finishes; the waiters must not answer before that.
        if (r === 'claimed') {
          await new Promise((res) => setTimeout(res, 200));
          await claims.finish('EvRACE');
        }
        return [i, r] as const;
      }),
    );
    const outcomes = results.map(([, r]) => r);
    expect(outcomes.filter((r) => r === 'claimed')).toHaveLength(1);
    expect(outcomes.filter((r) => r === 'done')).toHaveLength(19);
  });

  it.skipIf(skip)('when the claimer is still working past the wait, then a redelivery is told busy (Slack retries later)', async () => {
    expect(await claims.claim('EvBUSY')).toBe('claimed');
    expect(await claims.claim('EvBUSY', { waitMs: 100 })).toBe('busy');
  });

  it.skipIf(skip)('when the claimer died (claim unfinished past staleMs), then a redelivery takes it over once', async () => {
    expect(await claims.claim('EvDEAD')).toBe('claimed');
    await new Promise((res) => setTimeout(res, 300));
    const [a, b] = await Promise.all([claims.claim('EvDEAD', { staleMs: 200, waitMs: 0 }), claims.claim('EvDEAD', { staleMs: 200, waitMs: 0 })]);
    expect([a, b].sort()).toEqual(['busy', 'claimed']);
  });

  it.skipIf(skip)('when the work failed and the claim was released, then the redelivery claims it again', async () => {
    expect(await claims.claim('EvFAIL')).toBe('claimed');
    await claims.release('EvFAIL');
    expect(await claims.claim('EvFAIL')).toBe('claimed');
    await claims.finish('EvFAIL');
    // release() never removes a finished claim.
    await claims.release('EvFAIL');
    expect(await claims.claim('EvFAIL')).toBe('done');
  });
});
