/**
 * The MPC wallet's Postgres (runbook 000, database `mpc_wallet`): the tables
 * the runbook's SQL reads, a day of healthy history, and the failure states
 * its procedures look for. Columns come from the runbook's own queries:
 *   transactions          state, amount_sats, created_at, completed_at (+ tx_id, the TXID votes refer to)
 *   votes                 tx_id, node_id, approve, received_at
 *   byzantine_violations  id, node_id, violation_type, tx_id, evidence, detected_at, action_taken
 *   presignature_usage    used_at (the monthly archive script; + node_id, presig_id, tx_id)
 * node_id is the node's number (mpc-node-3 is 3), as in `WHERE node_id = <NODE_ID>`.
 * Works against any real Postgres URL (tests: a fresh database; `npm run fleet`: its own server).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const uid = () => randomBytes(4).toString('hex');

export const MPC_SCHEMA = `
  CREATE TABLE IF NOT EXISTS transactions (
    id bigserial PRIMARY KEY,
    tx_id text NOT NULL UNIQUE,
    state text NOT NULL CHECK (state IN ('pending', 'voting', 'approved', 'signing', 'completed', 'failed', 'rejected')),
    amount_sats bigint NOT NULL CHECK (amount_sats > 0),
    recipient text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz
  );
  CREATE INDEX IF NOT EXISTS transactions_created_at ON transactions (created_at);
  CREATE INDEX IF NOT EXISTS transactions_state ON transactions (state);
  CREATE TABLE IF NOT EXISTS votes (
    id bigserial PRIMARY KEY,
    tx_id text NOT NULL REFERENCES transactions (tx_id),
    node_id int NOT NULL CHECK (node_id BETWEEN 1 AND 5),
    approve boolean NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tx_id, node_id)
  );
  CREATE TABLE IF NOT EXISTS byzantine_violations (
    id bigserial PRIMARY KEY,
    node_id int NOT NULL,
    violation_type text NOT NULL CHECK (violation_type IN ('double_vote', 'invalid_signature', 'minority_vote')),
    tx_id text,
    evidence jsonb NOT NULL DEFAULT '{}',
    detected_at timestamptz NOT NULL DEFAULT now(),
    action_taken text NOT NULL DEFAULT 'logged'
  );
  CREATE INDEX IF NOT EXISTS byzantine_violations_detected_at ON byzantine_violations (detected_at);
  CREATE TABLE IF NOT EXISTS presignature_usage (
    id bigserial PRIMARY KEY,
    node_id int NOT NULL,
    presig_id text NOT NULL,
    tx_id text,
    used_at timestamptz NOT NULL DEFAULT now()
  );
`;

export const MPC_TABLES = ['transactions', 'votes', 'byzantine_violations', 'presignature_usage'] as const;

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => {}); // a terminated backend (pg_terminate_backend) must not crash the fleet
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => {});
  }
}

/**
 * Creates the tables and a healthy last 48 hours: 60 transactions a day,
 * 4 or 5 approving votes each, ~3 % failed, one minority vote three days ago
 * (old history, outside the 24-hour window), no violation in the last 24 hours.
 */
export async function seedMpc(url: string): Promise<void> {
  await withClient(url, async (c) => {
    await c.query(MPC_SCHEMA);
    await c.query(`
      INSERT INTO transactions (tx_id, state, amount_sats, recipient, created_at, completed_at)
      SELECT 'tx-' || lpad(i::text, 5, '0'),
             CASE WHEN i % 33 = 0 THEN 'failed' ELSE 'completed' END,
             50000 + (i * 7919) % 2500000,
             'bc1q' || md5(i::text),
             now() - (i * interval '24 minutes') - interval '2 minutes',
             now() - (i * interval '24 minutes') - interval '2 minutes' + ((20 + i % 25) * interval '1 second')
      FROM generate_series(1, 120) i;
      INSERT INTO votes (tx_id, node_id, approve, received_at)
      SELECT t.tx_id, n, true, t.created_at + n * interval '1 second'
      FROM transactions t CROSS JOIN generate_series(1, 5) n
      WHERE NOT (n = 5 AND t.id % 7 = 0);
      INSERT INTO byzantine_violations (node_id, violation_type, tx_id, evidence, detected_at, action_taken)
      VALUES (2, 'minority_vote', 'tx-00200', '{"expected": "approve", "got": "reject", "round": 3907}', now() - interval '3 days', 'logged');
      INSERT INTO presignature_usage (node_id, presig_id, tx_id, used_at)
      SELECT 1 + i % 5, 'ps-' || i, 'tx-' || lpad((1 + i % 120)::text, 5, '0'), now() - (i * interval '10 minutes')
      FROM generate_series(1, 300) i;
    `);
  });
}

/** Everything back to the healthy seed: tables dropped and recreated (restored data and pushed failures gone). */
export async function resetMpc(url: string): Promise<void> {
  await dropMpcTables(url);
  await seedMpc(url);
}

/**
 * Scenario 2 of Disaster Recovery, "PostgreSQL data corrupted or deleted":
 * the tables are gone, so a restore has an empty database to go into.
 */
export async function dropMpcTables(url: string): Promise<void> {
  await withClient(url, (c) => c.query(`DROP TABLE IF EXISTS ${[...MPC_TABLES].reverse().join(', ')} CASCADE`));
}

export type Violation = 'double_vote' | 'invalid_signature' | 'minority_vote';

/** "Byzantine Violation Detected": a violation by node `node` (1..5) now, on a new voting transaction, with evidence. */
export async function pushByzantineViolation(url: string, o: { node: number; type?: Violation; minutesAgo?: number }): Promise<{ id: number; txId: string }> {
  const type = o.type ?? 'double_vote';
  return withClient(url, async (c) => {
    const txId = `tx-byz-${uid()}`;
    const at = `now() - ${Math.max(0, o.minutesAgo ?? 1)} * interval '1 minute'`;
    await c.query(`INSERT INTO transactions (tx_id, state, amount_sats, recipient, created_at) VALUES ($1, 'voting', 125000, 'bc1qattacker', ${at} - interval '10 seconds')`, [txId]);
    const evidence = type === 'double_vote'
      ? { round: 4411, vote_a: { approve: true, sig: '3045…a1' }, vote_b: { approve: false, sig: '3044…9f' } }
      : type === 'invalid_signature' ? { round: 4411, reason: 'signature does not verify against node certificate' } : { round: 4411, expected: 'approve', got: 'reject' };
    const r = await c.query<{ id: string }>(
      `INSERT INTO byzantine_violations (node_id, violation_type, tx_id, evidence, detected_at, action_taken) VALUES ($1, $2, $3, $4, ${at}, $5) RETURNING id`,
      [o.node, type, txId, JSON.stringify(evidence), type === 'minority_vote' ? 'logged' : 'banned'],
    );
    return { id: Number(r.rows[0]!.id), txId };
  });
}

/**
 * "Consensus Timeout": a transaction stuck in `voting` for `minutes` with
 * votes only from `voters` (fewer than the threshold of 4).
 */
export async function pushStuckTransaction(url: string, o: { txId?: string; minutes?: number; voters?: number[] } = {}): Promise<string> {
  const txId = o.txId ?? `tx-stuck-${uid()}`;
  const minutes = o.minutes ?? 7;
  const voters = o.voters ?? [1, 2, 4];
  await withClient(url, async (c) => {
    await c.query(`INSERT INTO transactions (tx_id, state, amount_sats, recipient, created_at) VALUES ($1, 'voting', 2500000, 'bc1qstuck', now() - $2 * interval '1 minute')`, [txId, minutes]);
    for (const [i, n] of voters.entries()) {
      await c.query(`INSERT INTO votes (tx_id, node_id, approve, received_at) VALUES ($1, $2, true, now() - $3 * interval '1 minute' + $4 * interval '1 second')`, [txId, n, minutes, i + 1]);
    }
  });
  return txId;
}

/** HighTransactionFailureRate: `count` failed transactions in the last minutes (10 s apart). */
export async function pushFailedTransactions(url: string, count: number): Promise<void> {
  await withClient(url, (c) => c.query(
    `INSERT INTO transactions (tx_id, state, amount_sats, recipient, created_at, completed_at)
     SELECT 'tx-fail-' || $2::text || '-' || i, 'failed', 10000 * i, 'bc1qfail', now() - i * interval '10 seconds', now() - i * interval '10 seconds' + interval '5 seconds'
     FROM generate_series(1, $1::int) i`,
    [count, uid()],
  ));
}

/**
 * The disk filling up: presignature usage the monthly archive job never moved
 * to cold storage (older than 90 days), added until the database takes
 * `percent` of a volume of `volumeBytes`. Returns the percent reached.
 */
export async function fillDiskTo(url: string, volumeBytes: number, percent: number): Promise<number> {
  return withClient(url, async (c) => {
    const used = async () => Number((await c.query<{ n: string }>('SELECT pg_database_size(current_database()) AS n')).rows[0]!.n);
    for (let batch = 0, size = await used(); size < (volumeBytes * percent) / 100; batch++, size = await used()) {
      if (batch > 10_000) throw new Error('the database does not grow');
      // ~256 KiB a batch: small steps, so the target is not overshot by much.
      await c.query(
        `INSERT INTO presignature_usage (node_id, presig_id, used_at)
         SELECT 1 + i % 5, 'ps-old-' || $1::int || '-' || i || '-' || repeat(md5(i::text), 2), now() - interval '120 days' - i * interval '1 second'
         FROM generate_series(1, 1500) i`,
        [batch],
      );
    }
    return Math.round((1000 * (await used())) / volumeBytes) / 10;
  });
}

export interface HeldConnections {
  count: number;
  close(): Promise<void>;
}

/** "too many connections": `n` client connections left idle (as a leaking connection pool does). */
export async function holdIdleConnections(url: string, n: number): Promise<HeldConnections> {
  const clients: pg.Client[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const c = new pg.Client({ connectionString: url, application_name: 'mpc-node-pool' });
      c.on('error', () => {}); // terminated by the idle-connection cleanup: expected
      await c.connect();
      await c.query('SELECT 1');
      clients.push(c);
    }
  } catch (err) {
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
    throw err;
  }
  return { count: clients.length, close: async () => void (await Promise.all(clients.map((c) => c.end().catch(() => {})))) };
}

/** Row counts per table (the runbook's "verify data integrity" after a restore); -1 for a missing table. */
export async function mpcCounts(url: string): Promise<Record<(typeof MPC_TABLES)[number], number>> {
  return withClient(url, async (c) => {
    const out = {} as Record<(typeof MPC_TABLES)[number], number>;
    for (const t of MPC_TABLES) {
      const exists = await c.query(`SELECT to_regclass($1) AS r`, [`public.${t}`]);
      out[t] = exists.rows[0]!.r ? Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${t}`)).rows[0]!.n) : -1;
    }
    return out;
  });
}

/** Idle connections of this database held open by others (what the cleanup would terminate). */
export async function idleConnections(url: string): Promise<number> {
  return withClient(url, async (c) => Number((await c.query<{ n: string }>(
    `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle' AND pid <> pg_backend_pid()`,
  )).rows[0]!.n));
}
