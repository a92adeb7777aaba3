#!/usr/bin/env node
/**
 * keyturn [start]              run the bot (console when no Slack/Discord token is set)
 * keyturn validate <file...>   check config files; exit 0 when valid, 2 with every problem
 * keyturn manifest             print the Slack app manifest generated from the commands
 * keyturn config-docs          print the configuration reference (docs/config.md) generated from the schema
 */
// Each subcommand loads what it uses: `start` begins opening the store before the rest of Keyturn is loaded (runtime.ts).

async function main(argv: string[]): Promise<number> {
  const [cmd = 'start', ...rest] = argv;
  switch (cmd) {
    case 'validate':
      return validate(rest, await import('./config/load.js'));
    case 'manifest': {
      const [{ CommandRegistry }, { CHAT_PLATFORMS }] = await Promise.all([import('./core/registry.js'), import('../adapters/index.js')]);
      const registry = await CommandRegistry.load(undefined, process.env.KEYTURN_COMMAND_PREFIX ?? '');
      process.stdout.write(CHAT_PLATFORMS.slack.manifest(registry, { botName: process.env.KEYTURN_BOT_NAME ?? 'Keyturn', url: process.env.KEYTURN_PUBLIC_URL }));
      return 0;
    }
    case 'config-docs':
      process.stdout.write((await import('./config/reference.js')).configReference());
      return 0;
    case 'start':
      return start();
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write('usage: keyturn [start] | keyturn validate <config.yml...> | keyturn manifest | keyturn config-docs\n');
      return 0;
    default:
      process.stderr.write(`unknown subcommand "${cmd}". usage: keyturn [start] | keyturn validate <config.yml...> | keyturn manifest | keyturn config-docs\n`);
      return 2;
  }
}

function validate(files: string[], { loadConfig, ConfigError }: typeof import('./config/load.js')): number {
  if (files.length === 0) {
    process.stderr.write('usage: keyturn validate <config.yml...>\n');
    return 2;
  }
  let bad = 0;
  for (const f of files) {
    try {
      const { config } = loadConfig(f);
      const systems = Object.keys(config.systems).length;
      process.stdout.write(`${f}: ok (${systems} systems, ${config.people.length} people)\n`);
      // Valid but useless is worth a word: an empty or misplaced file validates too. (A pack alone has
      // systems and no people: that is normal, its including file has the people.)
      if (systems === 0) process.stderr.write(`${f}: warning: no systems are defined${config.people.length === 0 ? ' and no people' : ''}, so there is nothing to check or act on. Add some under \`systems:\` or include a pack (include: [packs/dytallix.yml]).\n`);
    } catch (err) {
      bad++;
      if (err instanceof ConfigError) process.stderr.write(err.problems.join('\n') + '\n');
      else process.stderr.write(`${f}: ${(err as Error).message}\n`);
    }
  }
  return bad ? 2 : 0;
}

const SHUTDOWN_LIMIT_MS = 30_000;
const DUPLICATE_SIGNAL_MS = 500;

async function start(): Promise<number> {
  let rt;
  try {
    rt = await (await import('./runtime.js')).startRuntime({ demoApart: true });
  } catch (err) {
    if (err instanceof (await import('./config/load.js')).ConfigError) {
      process.stderr.write(`Keyturn cannot start: the configuration has problems.\n${err.problems.join('\n')}\nFix them (keyturn validate <file> checks a file) and start again.\n`);
      return 2;
    }
    process.stderr.write(`Keyturn cannot start: ${(err as Error).message}\n`);
    return 1;
  }
  const shutdown = async (signal: NodeJS.Signals) => {
    process.stderr.write(`${signal}: shutting down: finishing running work (an action still running after 10 s is cut short and recorded interrupted) and delivering queued messages (${signal} again exits at once)\n`);
    // `npm start` forwards the signal it gets, and Ctrl-C also reaches this process directly (same process
    // group): one keypress arrives twice within milliseconds. Only a signal a moment later means "now".
    const first = Date.now();
    const again = () => (Date.now() - first < DUPLICATE_SIGNAL_MS ? process.once(signal, again) : process.exit(1));
    process.once(signal, again);
    // Running actions get 10 s, adapters drain for up to 10 s each (in parallel); past this something hangs: exit non-zero rather than wait for SIGKILL.
    setTimeout(() => {
      process.stderr.write(`shutdown did not finish within ${SHUTDOWN_LIMIT_MS / 1000} s; exiting. Queued messages stay in the outbox for the next start.\n`);
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS).unref();
    try {
      await rt.stop();
    } catch (err) {
      process.stderr.write(`shutdown failed: ${(err as Error).message}\n`);
      process.exit(1);
    }
    process.exit(0);
  };
  // A library's stray rejection (discord.js throws inside its packet handler on a malformed gateway
  // packet) must not take the bot down mid-incident: log it and keep serving.
  process.on('unhandledRejection', (reason) => rt.core.kt.log.error({ err: reason }, 'unhandled promise rejection (kept running)'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  await rt.done;
  await rt.stop();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`keyturn: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
