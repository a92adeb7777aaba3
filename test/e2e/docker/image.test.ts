// A real `docker build` of the repository's Dockerfile and a real `docker run`
// of the image, on the private Docker Engine the global setup starts. No
// registry is reachable, so the base image is this machine's node (see
// node-base-image.ts) passed as BASE; the build's `npm ci` runs with the
// host's network (no bridge here) to reach the npm registry. The image holds
// no demo: the running container gets a keyturn.yml (the demo's config) on its
// /config volume, pointed at the fleet simulators and etcd stand-in that this
// test runs on the host (the container shares the host's network).
// Docker's layer cache is kept between runs (image-cache.ts): the build always runs, and reuses the
// steps whose inputs did not change since the last one (KT_IMAGE_CACHE=off starts from nothing).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import { need } from '../../support/need.js';
import { freePort } from '../../support/services.js';
import { ensureNodeBaseImage, nodeBaseInputs, NODE_BASE_IMAGE } from './node-base-image.js';
import { loadLayerCache } from './image-cache.js';
import { startFleet, type Fleet } from '../../../demo/fleet/index.js';
import { startEtcdLite, type EtcdLite } from '../../../demo/fleet/etcd-lite.js';
import { NODE_FLAGS } from '../../../src/node-flags.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const IMAGE = 'keyturn-test/keyturn:e2e';
/** The Dockerfile's build stage, tagged so that its layers can be kept for the next run's build. */
const BUILD_STAGE = 'keyturn-test/keyturn-build:e2e';
/** What the Dockerfile COPYs: the build context holds nothing else (no node_modules, dist, .env). */
const CONTEXT = ['Dockerfile', '.dockerignore', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'bin', 'src', 'commands', 'adapters', 'packs'];

const dockerInfo = need('docker');
let docker: Docker;
let buildLog = '';
let buildSeconds = 0;
/** [step line, seconds] for the build summary printed to the test log. */
const stepTimes: Array<[string, number]> = [];
/** Generous: the container starts the whole bot, slow on a busy 2-CPU machine. Not an assertion. */
const CONTAINER_TEST_MS = 240_000;
let container: Docker.Container | null = null;
let port = 0;
/** What the container's config points at, on the host. */
let fleet: Fleet | null = null;
let etcd: EtcdLite | null = null;
let configDir = '';

/** A /config volume with keyturn.yml (the demo's config), and the env that points it at the host's simulators. */
async function configVolume(): Promise<string[]> {
  fleet = await startFleet({ host: '127.0.0.1', port: 0 });
  etcd = await startEtcdLite({ host: '127.0.0.1', port: 0 });
  configDir = mkdtempSync(join(tmpdir(), 'kt-image-config-'));
  copyFileSync(join(ROOT, 'demo', 'demo.yml'), join(configDir, 'keyturn.yml'));
  // The image runs as uid 1000: the volume must be readable by it.
  chmodSync(configDir, 0o755);
  chmodSync(join(configDir, 'keyturn.yml'), 0o644);
  return [`KEYTURN_DEMO_URL=${fleet.url}`, `KEYTURN_DEMO_ETCD_URL=${etcd.url}`, `DYTALLIX_ADMIN_TOKEN=${fleet.adminToken}`, `FINDAG_ADMIN_TOKEN=${fleet.adminToken}`];
}

/** `docker build` of the Dockerfile (or of its stage `target`), reusing the layers of `cacheFrom` where the inputs are the same. */
async function build(base: string, tag: string, o: { target?: string; cacheFrom: string[] }): Promise<void> {
  const context = spawn('tar', ['-C', ROOT, '-c', ...CONTEXT], { stdio: ['ignore', 'pipe', 'inherit'] });
  const stream = await docker.buildImage(context.stdout as unknown as NodeJS.ReadableStream, {
    t: tag, buildargs: { BASE: base }, networkmode: 'host', forcerm: true, rm: true,
    ...(o.target ? { target: o.target } : {}),
    ...(o.cacheFrom.length ? { cachefrom: JSON.stringify(o.cacheFrom) } : {}),
  });
  await new Promise<void>((ok, ko) =>
    docker.modem.followProgress(
      stream,
      (err: Error | null, out: Array<{ error?: string }>) => {
        const bad = err?.message ?? out.find((o) => o.error)?.error;
        return bad ? ko(new Error(`docker build failed: ${bad}\n${buildLog.slice(-4000)}`)) : ok();
      },
      (ev: { stream?: string }) => {
        buildLog += ev.stream ?? '';
        const step = /^Step \d+\/\d+ : (.*)/.exec(ev.stream ?? '');
        if (step) stepTimes.push([step[1]!.slice(0, 60), performance.now() / 1000]);
      },
    ),
  );
}

/** Runs a command in the running container; returns its exit code and output. */
async function exec(cmd: string[], env: string[] = []): Promise<{ code: number | null; out: string }> {
  const e = await container!.exec({ Cmd: cmd, Env: env, AttachStdout: true, AttachStderr: true });
  const stream = await e.start({});
  let out = '';
  const sink = { write: (c: Buffer) => void (out += c.toString()) } as unknown as NodeJS.WritableStream;
  docker.modem.demuxStream(stream, sink, sink);
  await new Promise((ok) => stream.on('end', ok));
  return { code: (await e.inspect()).ExitCode, out };
}

async function health(): Promise<{ status: number; body: { status: string; store: { ok: boolean; kind: string } } } | null> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/healthz`);
    return { status: r.status, body: (await r.json()) as never };
  } catch {
    return null;
  }
}

describe.skipIf(!dockerInfo)('the Docker image', () => {
  beforeAll(async () => {
    docker = new Docker({ socketPath: dockerInfo!.socketPath });
    // The last build's images first (the local base among them, so its layers match), then the build.
    const cache = await loadLayerCache(docker, nodeBaseInputs(), [NODE_BASE_IMAGE, BUILD_STAGE, IMAGE]);
    const base = await ensureNodeBaseImage(docker);
    const t0 = performance.now();
    const cacheFrom = cache.loaded ? [BUILD_STAGE, IMAGE] : [];
    await build(base, BUILD_STAGE, { target: 'build', cacheFrom });
    await build(base, IMAGE, { cacheFrom });
    buildSeconds = (performance.now() - t0) / 1000;
    const slowest = stepTimes
      .map(([step, at], i) => [step, (stepTimes[i + 1]?.[1] ?? t0 / 1000 + buildSeconds) - at] as const)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([step, sec]) => `${sec.toFixed(0)} s ${step}`);
    const reused = (buildLog.match(/Using cache/g) ?? []).length;
    console.log(`[docker image test] docker build took ${buildSeconds.toFixed(1)} s (${cache.loaded ? `the last build's layers loaded: ${reused} steps reused` : 'no saved layers'}); slowest steps: ${slowest.join(' | ')}`);
    await cache.save();
  }, 600_000);

  afterAll(async () => {
    await container?.remove({ force: true, v: true }).catch(() => {});
    await fleet?.close();
    await etcd?.close();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  it('when inspected, then it runs as a non-root user, declares the volumes, a health check on /healthz, and carries no secret', async () => {
    const { Config: c } = await docker.getImage(IMAGE).inspect();
    expect(c.User).toBe('1000:1000');
    expect(Object.keys(c.Volumes ?? {}).sort()).toEqual(['/config', '/data']);
    expect(c.WorkingDir).toBe('/config');
    expect(c.Healthcheck?.Test?.join(' ')).toMatch(/^CMD node -e fetch\(.*\/healthz/);
    expect(c.Env).toEqual(expect.arrayContaining(['NODE_ENV=production', 'PORT=3000', 'KEYTURN_DATA_DIR=/data', 'KEYTURN_CONSOLE=off']));
    for (const e of c.Env ?? []) expect(e).not.toMatch(/TOKEN|SECRET|PASSWORD|DATABASE_URL|KEY=/);
    expect(c.Cmd).toEqual(['node', ...NODE_FLAGS, '/app/dist/src/cli.js', 'start']);
  });

  it('when run, then /healthz answers 200 from the embedded store, Docker reports it healthy, and /metrics is served', async () => {
    port = await freePort();
    const env = await configVolume();
    container = await docker.createContainer({
      Image: IMAGE,
      Env: [`PORT=${port}`, ...env],
      // The image's own health command, checked every second instead of every 30 s.
      Healthcheck: { Interval: 1e9, Timeout: 5e9, StartPeriod: 120e9, Retries: 3 },
      HostConfig: { NetworkMode: 'host', Binds: [`${configDir}:/config:ro`] },
    });
    await container.start();
    const deadline = Date.now() + CONTAINER_TEST_MS - 20_000;
    let h = await health();
    while (h?.status !== 200 && Date.now() < deadline) {
      const state = (await container.inspect()).State;
      if (!state.Running) throw new Error(`container exited ${state.ExitCode}: ${(await container.logs({ stdout: true, stderr: true })).toString()}`);
      await sleep(250);
      h = await health();
    }
    expect(h).toMatchObject({ status: 200, body: { status: 'ok', store: { ok: true, kind: 'pglite' } } });
    let healthStatus = '';
    while (Date.now() < deadline && (healthStatus = (await container.inspect()).State.Health?.Status ?? '') !== 'healthy') await sleep(250);
    expect(healthStatus).toBe('healthy');
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('keyturn_build_info{version="0.1.0"} 1');
  }, CONTAINER_TEST_MS);

  it('when inspected from inside, then the bot runs as uid 1000 with production dependencies only, and `keyturn` is on the PATH', async () => {
    const r = await exec(['sh', '-c', 'id -u; test -d /app/node_modules/pg && echo has-pg; test -e /app/node_modules/vitest || echo no-vitest; test -e /app/node_modules/typescript || echo no-typescript; ls /app/dist/commands | grep -c "\\.js$"; keyturn help']);
    expect(r.code, r.out).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines.slice(0, 4)).toEqual(['1000', 'has-pg', 'no-vitest', 'no-typescript']);
    expect(Number(lines[4])).toBeGreaterThanOrEqual(8);
    expect(lines[5]).toMatch(/^usage: keyturn \[start\]/);
  }, CONTAINER_TEST_MS);

  it('when inspected from inside, then the image holds no demo: no demo/ and no simulator in dist/', async () => {
    const r = await exec(['sh', '-c', 'test -e /app/demo || echo no-demo; test -e /app/systems || echo no-systems; find /app/dist -name "*fleet*" -o -name "*musd*" -o -name "*.sol" | wc -l; ls /app/packs | grep -c "\\.yml$"']);
    expect(r.code, r.out).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines.slice(0, 3)).toEqual(['no-demo', 'no-systems', '0']);
    expect(Number(lines[3])).toBeGreaterThanOrEqual(6);
  }, CONTAINER_TEST_MS);

  it('when started without a config, then it exits 1 saying it needs one (the demo is not in the image)', async () => {
    const r = await exec(['sh', '-c', 'cd /tmp && node /app/dist/src/cli.js start < /dev/null'], ['KEYTURN_CONSOLE=auto', 'KEYTURN_DATA_DIR=:memory:', 'PORT=0']);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain('Keyturn cannot start: no configuration: set KEYTURN_CONFIG or put keyturn.yml in the working directory (/tmp)');
    expect(r.out).toContain('The demo (demo/) is not part of this installation');
  }, CONTAINER_TEST_MS);

  it('when console input is piped to the CLI inside the container, then the config\'s systems answer /health and it exits 0', async () => {
    // Its own in-memory store and port: the running bot holds /data.
    const r = await exec(['sh', '-c', "printf '/health mpc-wallet\\n/help\\n' | node /app/dist/src/cli.js start"], ['KEYTURN_CONSOLE=auto', 'KEYTURN_DATA_DIR=:memory:', 'PORT=0']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('🟢 Health · mpc-wallet: OK');
    expect(r.out).toContain('5/5 nodes healthy');
    expect(r.out).toContain('Keyturn commands');
  }, CONTAINER_TEST_MS);

  it('when stopped, then SIGTERM shuts it down cleanly with exit code 0', async () => {
    await container!.stop({ t: 30 });
    const state = (await container!.inspect()).State;
    expect(state.ExitCode).toBe(0);
    expect((await container!.logs({ stdout: true, stderr: true })).toString()).toContain('SIGTERM: shutting down');
  }, CONTAINER_TEST_MS);
});
