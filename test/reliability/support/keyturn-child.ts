/**
 * A whole Keyturn (startRuntime: config from KEYTURN_CONFIG, Postgres from
 * DATABASE_URL, Slack in HTTP mode from SLACK_* env) in its own OS process,
 * so a test can SIGKILL it at any point. Prints one JSON line
 * `{"keyturnChild":"ready","port":N,"pid":P}` on stdout once it serves HTTP;
 * everything else it prints is the runtime's own log.
 */
import { startRuntime } from '../../../src/runtime.js';

const rt = await startRuntime({ env: process.env });
process.stdout.write(JSON.stringify({ keyturnChild: 'ready', port: rt.server.port, pid: process.pid }) + '\n');

// SIGTERM: the runtime's clean stop (finish work, flush the outbox), as in production.
process.once('SIGTERM', () => {
  void rt.stop().finally(() => process.exit(0));
});
