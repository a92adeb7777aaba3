/**
 * The demo Dytallix API server's data directory (runbook 004, "Create
 * Backup": `data/dytallix.db` and its WAL), kept on disk in the demo's data
 * dir so `/backup dytallix` archives real files: `dytallix.json`, the API
 * node's state after each admin write, and `wal/000001.log`, one JSON line
 * per admin write. Read back at the next start, so a restart (or a restore
 * of this directory followed by a restart) brings the faucet state back.
 */
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Fleet } from './index.js';

export interface DytallixData {
  dir: string;
  /** Applies the saved state to a started fleet (nothing when there is none yet). */
  load(fleet: Fleet): void;
  /** For FleetOptions.onWrite: records a write to the API node. */
  onWrite(system: string, node: string, fleet: Fleet): void;
  /** Resolves when every write so far is on disk. */
  flushed(): Promise<void>;
}

export function dytallixData(dir: string): DytallixData {
  const state = join(dir, 'dytallix.json');
  let chain: Promise<void> = mkdir(join(dir, 'wal'), { recursive: true, mode: 0o700 }).then(async () => {
    if (!existsSync(join(dir, 'wal', '000001.log'))) await writeFile(join(dir, 'wal', '000001.log'), '', { mode: 0o600 });
  });
  return {
    dir,
    load(fleet) {
      // A first start writes the server's initial state, so the directory is never an empty shell.
      if (!existsSync(state)) return save(fleet, 'initial state');
      const saved = JSON.parse(readFileSync(state, 'utf8')) as Record<string, unknown>;
      fleet.set('dytallix', 'api', saved);
    },
    onWrite(system, node, fleet) {
      if (system !== 'dytallix' || node !== 'api') return;
      const hit = fleet.hits('dytallix', 'api').filter((h) => h.method !== 'GET').at(-1);
      save(fleet, hit ? `${hit.method} ${hit.path}` : 'write');
    },
    flushed: () => chain,
  };

  function save(fleet: Fleet, op: string): void {
    const data = fleet.inspect('dytallix', 'api').data;
    const line = `${JSON.stringify({ at: new Date().toISOString(), op, faucetPaused: data.faucetPaused, faucetBalance: data.faucetBalance, keyVersion: data.keyVersion })}\n`;
    // One writer at a time, in order: the state file is replaced whole (temp + rename), the log appended.
    chain = chain.then(async () => {
      await writeFile(`${state}.partial`, JSON.stringify(data, null, 2), { mode: 0o600 });
      await rename(`${state}.partial`, state);
      await appendFile(join(dir, 'wal', '000001.log'), line, { mode: 0o600 });
    }).catch((err: unknown) => void process.stderr.write(`demo: could not write Dytallix's data dir ${dir}: ${(err as Error).message}\n`));
  }
}
