/**
 * Starts a whole Keyturn: config (with the demo fleet when the bundled demo
 * config is used), core, HTTP server, and the chat adapters the environment
 * asks for (the table in adapters/index.ts: those whose token is set, the
 * console when there are none). Stops it cleanly on SIGTERM.
 */
import type { Readable, Writable } from 'node:stream';
// Only what decides and starts the slow parts is loaded up front: the store (its WebAssembly compiles in
// its own thread) and the demo's process start first, and the rest of Keyturn loads meanwhile (startRuntime).
import { defaultConfigPath, BUNDLED_DEMO_CONFIG } from './config/config-path.js';
import { openDb } from './store/open.js';
import { startDemo, startDemoProcess, type Demo, type DemoHandle, type DemoProcess } from './demo.js';
import type { Core } from './app.js';
import type { Logger } from './core/logger.js';
import type { HttpServer } from './server/http-server.js';
import type { ComponentStatus } from './server/health-routes.js';
import type { ChatAdapter, Platform } from './core/chat-adapter.js';
import type { AdapterOf, CHAT_PLATFORMS } from '../adapters/index.js';

/** The rest of Keyturn, loaded while the store opens. Each platform loads its SDK only when it is wanted (Bolt and discord.js are large). */
const loadParts = () =>
  Promise.all([
    import('./config/load.js'),
    import('./app.js'),
    import('./core/logger.js'),
    import('./server/http-server.js'),
    import('./server/health-routes.js'),
    import('./server/metrics.js'),
    import('./server/alert-routes.js'),
    import('../adapters/index.js'),
    import('./integrations/ssh/client.js'),
  ]).then(([config, app, logger, http, health, metrics, alerts, adapters, ssh]) => ({ ...config, ...app, ...logger, ...http, ...health, ...metrics, ...alerts, ...adapters, ...ssh }));

export interface RuntimeOptions {
  env?: NodeJS.ProcessEnv;
  configPath?: string;
  input?: Readable;
  output?: Writable;
  log?: Logger;
  /**
   * The demo (when the config is the bundled one) in a child process of its own (`keyturn start` does
   * this): its simulators neither stall this event loop nor count in this process's memory. Off (tests):
   * the demo runs in this process, `demo` gives its fleet.
   */
  demoApart?: boolean;
}

export interface Runtime {
  core: Core;
  server: HttpServer;
  /** The demo running in this process (demoApart off), else null. */
  demo: Demo | null;
  /** The demo's child process (demoApart on), else null. */
  demoProcess: DemoProcess | null;
  /** The chat adapters running, in start order. */
  adapters: ChatAdapter[];
  /** The running adapter of a platform, as its own class; null when it is not running. */
  adapter<P extends Platform>(platform: P): AdapterOf<P> | null;
  /** Resolves when the console input ends (console mode) — never in server modes. */
  done: Promise<void>;
  stop(): Promise<void>;
}

export async function startRuntime(opts: RuntimeOptions = {}): Promise<Runtime> {
  const env = opts.env ?? process.env;
  const configPath = opts.configPath ?? defaultConfigPath(env);
  // The demo fleet (simulators, anvil), the store and the loading of the rest do not depend on each other: all
  // start at once, so the fleet comes up and PGlite compiles while the modules load. The config needs the demo's URLs, so it comes after.
  const wantDemo = configPath === BUNDLED_DEMO_CONFIG || env.KEYTURN_DEMO === '1';
  const opening = openDb(env);
  opening.catch(() => {}); // awaited after the demo: a failure meanwhile is handled there, not an unhandled rejection
  const output = opts.output ?? process.stdout;
  let said: ((how: string) => void) | undefined;
  const demoStarting = !wantDemo ? null : opts.demoApart ? startDemoProcess(env, (how) => said?.(how)) : startDemo(env);
  demoStarting?.catch(() => {}); // awaited below
  // Said at once (a setting that is wrong, no configuration and no demo/ in this installation): what did start is
  // closed when it is ready, not waited for (the store may still be running an initdb where no template is cached).
  const abandon = (err: unknown): never => {
    void opening.then((db) => db.close(), () => {}).catch(() => {});
    void demoStarting?.then((d) => d.close(), () => {}).catch(() => {});
    throw err;
  };
  const parts = await loadParts().catch(abandon);
  const { loadConfig, createCore, createLogger, HttpServer, registerHealthRoutes, schedulerComponent, registerMetricsRoute, registerAlertRoutes, wantedPlatforms, closeSshPools } = parts;
  const platforms = (() => {
    try {
      return wantedPlatforms(env);
    } catch (err) {
      return abandon(err);
    }
  })();
  const consoleMode = platforms.some((p) => p.platform === 'console');
  const log = opts.log ?? createLogger({ level: env.LOG_LEVEL ?? (consoleMode ? 'warn' : 'info') });
  // A demo process that dies is said where the user looks: the console, and the log.
  said = (how: string) => {
    const text = `demo: the demo's process (its simulated fleet, etcd and anvil) stopped (${how}): the demo systems no longer answer, so /health shows them down. Restart Keyturn to bring the demo back.`;
    log.error(text);
    if (consoleMode) output.write(`${text}\n`);
  };
  const demo: DemoHandle | null = await (demoStarting ?? null)?.catch(abandon) ?? null;
  const dbOpen = await opening.then((value) => ({ value }), (reason: unknown) => ({ reason }));
  if ('reason' in dbOpen) {
    await demo?.close();
    throw dbOpen.reason;
  }
  let core: Core;
  try {
    const { config } = loadConfig(configPath, env);
    core = await createCore({ config, env, log, db: dbOpen.value, ownsDb: true });
  } catch (err) {
    await dbOpen.value.close().catch(() => {});
    await demo?.close();
    throw err;
  }
  const components: ComponentStatus[] = [];

  // Gated: the port may open before the Slack route is mounted; until ready() every request gets 503 + Retry-After, never 404.
  const server = new HttpServer(log.child({ component: 'http' }), { gated: true });
  registerHealthRoutes(server, core.kt, () => components);
  registerMetricsRoute(server, core.kt.metrics);
  registerAlertRoutes(server, core.kt);
  core.kt.metrics.collectProcessMetrics();
  const port = Number(env.PORT ?? 3000);
  try {
    await server.listen(port);
  } catch (err) {
    if (!consoleMode) throw new Error(`cannot listen on port ${port}: ${(err as Error).message}. Set PORT to a free port.`);
    // Locally the console still works without the HTTP routes; say so instead of failing.
    output.write(`note: HTTP server not started (port ${port}: ${(err as NodeJS.ErrnoException).code}); set PORT to try alerts locally.\n`);
  }

  // Slack (SLACK_BOT_TOKEN: HTTP mode at POST /slack/events on this server, Socket Mode with SLACK_APP_TOKEN), Discord
  // (DISCORD_TOKEN), else the console on stdin/stdout: one after the other, in the table's order. One that cannot start
  // stops the ones before it and the whole start fails, saying what to fix.
  const adapters: ChatAdapter[] = [];
  const terminal = { input: opts.input ?? process.stdin, output, extra: demo?.consoleCommands };
  for (const platform of platforms) {
    try {
      const adapter = await platform.create({ core, server, env, log, terminal });
      await adapter.start();
      adapters.push(adapter);
      components.push(adapter.health);
    } catch (err) {
      for (const started of [...adapters].reverse()) await started.stop().catch(() => {});
      await server.close();
      await core.close();
      await demo?.close();
      throw err;
    }
  }
  const adapter = <P extends Platform>(platform: P) => (adapters.find((a) => a.platform === platform) as AdapterOf<P> | undefined) ?? null;
  // The console reads its input until it ends; server modes run until stop().
  const consoleAdapter = adapter('console');
  const done: Promise<void> = consoleAdapter ? consoleAdapter.run() : new Promise(() => {});
  if (!adapters.length) log.warn(`no chat adapter: ${noAdapterReason(parts.CHAT_PLATFORMS)}; serving HTTP only (alerts, /healthz, /metrics)`);
  core.kt.approvals.start();
  core.incidentWatcher.start();
  core.kt.alerts.start();
  core.kt.scheduler.start();
  core.auditAnchoring.start();
  let stopped = false;
  components.push(schedulerComponent(core.kt, () => !stopped));
  // Every route and component is in place: /healthz and /slack/events answer for real from here on.
  server.ready();
  // Only now does the demo's process start its chain (anvil, the deployment): CPU the start above did not wait for.
  if (opts.demoApart) (demo as DemoProcess | null)?.started();

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      // No new connections, no new schedule ticks, no new executions; then every adapter at once stops taking commands,
      // lets what it started finish and drains its outbox (up to 10 s) while running ticks finish; then connections close.
      // An action still running after the grace (10 s; a 1 h wait, say) is cut short and recorded interrupted (src/core/run-stop.ts).
      // Whatever is still queued stays in the outbox for the next replica or start: nothing is dropped.
      stopped = true;
      core.stopRuns();
      const serverClosed = server.close();
      const results = await Promise.allSettled([...adapters.map((a) => a.stop()), core.kt.scheduler.stop()]);
      for (const r of results) if (r.status === 'rejected') log.error({ err: r.reason }, 'adapter did not stop cleanly');
      await serverClosed;
      await core.close();
      closeSshPools(); // pooled SSH connections would keep the process alive until their idle timeout
      await demo?.close();
    })());
  const demoProcess = opts.demoApart ? (demo as DemoProcess | null) : null;
  return { core, server, demo: demoProcess ? null : (demo as Demo | null), demoProcess, adapters, adapter, done, stop };
}

/** `KEYTURN_CONSOLE=off and none of SLACK_BOT_TOKEN, DISCORD_TOKEN is set`, from the adapters table. */
function noAdapterReason(platforms: typeof CHAT_PLATFORMS): string {
  const all: Array<{ enabledBy: string; standIn?: boolean }> = Object.values(platforms);
  const standIns = all.filter((p) => p.standIn).map((p) => `${p.enabledBy}=off`);
  return `${standIns.join(' and ')} and none of ${all.filter((p) => !p.standIn).map((p) => p.enabledBy).join(', ')} is set`;
}
