/**
 * `npm start` as a user runs it (bin/keyturn.js: compiled dist/ when fresh, else the sources through tsx; console, embedded
 * PGlite, the bundled demo and its fleet): from spawn to the first answer of a `/health` typed at once,
 * on a fresh data dir and on the same dir reopened, then the idle RSS. The floor row is a fresh dir
 * without the initdb template (KEYTURN_CACHE_DIR=off: initdb on every fresh start, as before issue 22).
 */
import { spawn } from 'node:child_process';
import { NODE_FLAGS } from '../src/node-flags.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/support/services.js';
import type { Section } from './stats.js';
import { descendantsRssMb, rssMb } from './proc.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Run {
  firstAnswerMs: number;
  /** The bot's own process. */
  idleRss: number;
  peakRss: number;
  /** The processes it started: the demo's own process (its simulators), anvil, etcd. */
  demoRss: number;
  demoParts: string;
  load: string;
}

async function firstHealth(dataDir: string, env: Record<string, string> = {}): Promise<Run> {
  const port = await freePort();
  const load = loadavg()[0]!.toFixed(1);
  const t0 = performance.now();
  const child = spawn(process.execPath, [...NODE_FLAGS, 'bin/keyturn.js', 'start'], {
    env: { ...process.env, PORT: String(port), KEYTURN_DEMO_PORT: '0', KEYTURN_DATA_DIR: dataDir, KEYTURN_CONFIG: '', LOG_LEVEL: 'silent', ...env },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  let peakRss = 0;
  const sampler = setInterval(() => {
    try {
      peakRss = Math.max(peakRss, rssMb(child.pid!));
    } catch {
      /* exited */
    }
  }, 50);
  child.stdin.write('/health mpc-wallet\n');
  let out = '';
  const firstAnswerMs = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      if (/checked in .* \/health mpc-wallet/.test(out)) resolve(performance.now() - t0);
    });
    child.once('exit', (code) => reject(new Error(`keyturn exited (${code}) before answering /health:\n${out.slice(-2000)}`)));
  });
  await sleep(3000); // idle
  const idleRss = rssMb(child.pid!);
  const demo = descendantsRssMb(child.pid!);
  clearInterval(sampler);
  child.stdin.end(); // the console's input ends: Keyturn stops cleanly
  await new Promise((r) => child.once('exit', r));
  return { firstAnswerMs, idleRss, peakRss, demoRss: demo.total, demoParts: demo.each.map((e) => `${e.what} ${e.mb.toFixed(0)}`).join(', '), load };
}

export async function startup(): Promise<Section> {
  const load = loadavg()[0]!.toFixed(1);
  const rows: string[][] = [['npm start (console, embedded PGlite, demo)', 'first /health answer', 'bot idle RSS', 'bot peak RSS', "demo's processes idle RSS (MB each)", 'load']];
  const targets: Section['targets'] = [];
  const headline: NonNullable<Section['headline']> = [];
  const row = (name: string, r: Run) =>
    rows.push([name, `${(r.firstAnswerMs / 1000).toFixed(1)} s`, `${r.idleRss.toFixed(0)} MB`, `${r.peakRss.toFixed(0)} MB`, `${r.demoRss.toFixed(0)} MB (${r.demoParts || 'none'})`, r.load]);
  const noTemplate = mkdtempSync(join(tmpdir(), 'kt-bench-start-'));
  const dir = mkdtempSync(join(tmpdir(), 'kt-bench-start-'));
  try {
    row('fresh data dir, initdb every time (floor: KEYTURN_CACHE_DIR=off)', await firstHealth(noTemplate, { KEYTURN_CACHE_DIR: 'off' }));
    // Builds the machine's template if it is not there yet (once); the next fresh start copies it.
    const warm = mkdtempSync(join(tmpdir(), 'kt-bench-start-'));
    await firstHealth(warm).finally(() => rmSync(warm, { recursive: true, force: true }));
    const fresh = await firstHealth(dir);
    row('fresh data dir (initdb template in the cache)', fresh);
    row('reopened data dir, sources through tsx (KEYTURN_FROM_SOURCE=1)', await firstHealth(dir, { KEYTURN_FROM_SOURCE: '1' }));
    const reopened = await firstHealth(dir);
    row('reopened data dir', reopened);
    targets.push({ what: `first answer, reopened data dir < 2 s (${(reopened.firstAnswerMs / 1000).toFixed(1)} s)`, ok: reopened.firstAnswerMs < 2000 });
    targets.push({ what: `first answer, fresh data dir < 4 s (${(fresh.firstAnswerMs / 1000).toFixed(1)} s)`, ok: fresh.firstAnswerMs < 4000 });
    targets.push({ what: `idle RSS, embedded store, console < 200 MB (${reopened.idleRss.toFixed(0)} MB)`, ok: reopened.idleRss < 200 });
    const reproduce = '`npm run bench startup`';
    headline.push(
      { figure: 'first answer of `npm start`, reopened data dir', floor: '-', measured: `${(reopened.firstAnswerMs / 1000).toFixed(1)} s`, target: '< 2 s', ok: reopened.firstAnswerMs < 2000, reproduce },
      { figure: 'first answer, fresh data dir (initdb template cached)', floor: '-', measured: `${(fresh.firstAnswerMs / 1000).toFixed(1)} s`, target: '< 4 s', ok: fresh.firstAnswerMs < 4000, reproduce },
      { figure: "idle RSS, embedded store, console (bot process; the demo's processes apart)", floor: '-', measured: `${reopened.idleRss.toFixed(0)} MB`, target: '< 200 MB', ok: reopened.idleRss < 200, reproduce },
    );
  } finally {
    rmSync(noTemplate, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    title: 'npm start: first /health answer and idle memory (console, embedded PGlite, demo)',
    rows,
    notes: [
      `How to reproduce: \`npm run bench startup\`. Load average at the start of this section: ${load} (2 cores).`,
      'bin/keyturn.js runs dist/ when `npm run build` made it after the last source change (`npm run bench` builds first), else the sources transpiled once per change into .cache/keyturn/ (bin/transpiled.js; as after `npm ci`), or through tsx where that copy cannot be made; the tsx row forces tsx (KEYTURN_FROM_SOURCE=1).',
      'Measured from spawning `node bin/keyturn.js start` to the console printing the answer of a `/health mpc-wallet` written to its stdin at once; idle RSS 3 s after that answer; peak RSS sampled every 50 ms.',
      "Bot RSS is the bot's own process only (the targets). The demo runs in processes of its own (demo/process.ts with the simulators, anvil, etcd): their RSS is the separate column, never folded into the bot's.",
    ],
    targets,
    headline,
  };
}
