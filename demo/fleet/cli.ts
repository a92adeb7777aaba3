/**
 * Runs the demo fleet until Ctrl-C and prints every node URL.
 *   tsx demo/fleet/cli.ts [--port N] [--host H] [--token T] [--systems a,b] [--slow-ms N] [--json]
 * Port: --port, else $FLEET_PORT, else 7700 (0 picks a free one).
 */
import { parseArgs } from 'node:util';
import { startFleet } from './index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    token: { type: 'string' },
    systems: { type: 'string' },
    'slow-ms': { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log('usage: tsx demo/fleet/cli.ts [--port N] [--host H] [--token T] [--systems a,b] [--slow-ms N] [--json]');
  process.exit(0);
}

function int(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} must be a whole number, got "${raw}"`);
    process.exit(2);
  }
  return n;
}

const port = int('port', values.port ?? process.env.FLEET_PORT, 7700);
let fleet;
try {
  fleet = await startFleet({
    port,
    host: values.host,
    adminToken: values.token,
    systems: values.systems?.split(',').map((s) => s.trim()).filter(Boolean),
    slowMs: int('slow-ms', values['slow-ms'], 1500),
  });
} catch (err) {
  const code = (err as NodeJS.ErrnoException).code;
  console.error(code === 'EADDRINUSE' ? `port ${port} is in use: pass --port <free port> (or --port 0)` : (err as Error).message);
  process.exit(1);
}

if (values.json) {
  console.log(JSON.stringify({ url: fleet.url, adminToken: fleet.adminToken, nodes: fleet.nodes() }, null, 2));
} else {
  console.log(`Keyturn demo fleet on ${fleet.url}   admin token: ${fleet.adminToken}`);
  const width = Math.max(...fleet.nodes().map((n) => n.system.length));
  for (const n of fleet.nodes()) console.log(`  ${n.system.padEnd(width)}  ${n.url}`);
  console.log(`\nPush a failure:  curl -X POST ${fleet.url}/_fleet/set -d '{"system":"scribe-ledger","node":"node2","state":"down"}'`);
  console.log(`Back to healthy: curl -X POST ${fleet.url}/_fleet/reset`);
  console.log('Endpoints and failure states: demo/fleet/README.md. Ctrl-C stops.');
}

const stop = () => {
  void fleet.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
