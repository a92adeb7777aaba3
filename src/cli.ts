#!/usr/bin/env node
/**
 * keyturn [start]              run the bot (console when no Slack/Discord token is set)
 * keyturn validate <file...>   check config files; exit 0 when valid, 2 with every problem
 * keyturn manifest             print the Slack app manifest generated from the commands
 */
import { loadConfig, ConfigError } from './config/index.js';
import { startRuntime } from './runtime.js';
import { CommandRegistry } from './core/registry.js';
import { slackManifest } from './core/manifest.js';

async function main(argv: string[]): Promise<number> {
  const [cmd = 'start', ...rest] = argv;
  switch (cmd) {
    case 'validate':
      return validate(rest);
    case 'manifest': {
      const registry = await CommandRegistry.load(undefined, process.env.KEYTURN_COMMAND_PREFIX ?? '');
      process.stdout.write(slackManifest(registry, { botName: process.env.KEYTURN_BOT_NAME ?? 'Keyturn', url: process.env.KEYTURN_PUBLIC_URL }));
      return 0;
    }
    case 'start':
      return start();
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write('usage: keyturn [start] | keyturn validate <config.yml...> | keyturn manifest\n');
      return 0;
    default:
      process.stderr.write(`unknown subcommand "${cmd}". usage: keyturn [start] | keyturn validate <config.yml...> | keyturn manifest\n`);
      return 2;
  }
}

function validate(files: string[]): number {
  if (files.length === 0) {
    process.stderr.write('usage: keyturn validate <config.yml...>\n');
    return 2;
  }
  let bad = 0;
  for (const f of files) {
    try {
      const { config } = loadConfig(f);
      process.stdout.write(`${f}: ok (${Object.keys(config.systems).length} systems, ${config.people.length} people)\n`);
    } catch (err) {
      bad++;
      if (err instanceof ConfigError) process.stderr.write(err.problems.join('\n') + '\n');
      else process.stderr.write(`${f}: ${(err as Error).message}\n`);
    }
  }
  return bad ? 2 : 0;
}

async function start(): Promise<number> {
  let rt;
  try {
    rt = await startRuntime();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Keyturn cannot start: the configuration has problems.\n${err.problems.join('\n')}\nFix them (keyturn validate <file> checks a file) and start again.\n`);
      return 2;
    }
    process.stderr.write(`Keyturn cannot start: ${(err as Error).message}\n`);
    return 1;
  }
  const shutdown = async (signal: string) => {
    process.stderr.write(`${signal}: shutting down\n`);
    await rt.stop();
    process.exit(0);
  };
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
