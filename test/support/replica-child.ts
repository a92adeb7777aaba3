/**
 * A Keyturn replica in its own OS process, for crash tests: opens the shared
 * Postgres, and on stdin lines runs `request <system> <action> <person>` and
 * `vote <requestId> <person>`, printing one JSON line per result.
 */
import { createInterface } from 'node:readline';
import { createCore } from '../../src/app.js';
import { config as configSchema } from '../../src/config/index.js';
import { resolveEnvRefs } from '../../src/config/env-refs.js';
import { PostgresDb } from '../../src/store/postgres-db.js';
import { migrate } from '../../src/store/migrate.js';
import { createLogger } from '../../src/core/logger.js';

const db = new PostgresDb(process.env.KT_DB_URL!);
await migrate(db);
const config = configSchema.parse(resolveEnvRefs(JSON.parse(process.env.KT_CONFIG_JSON!), process.env, []));
const core = await createCore({ config, db, log: createLogger({ level: 'silent' }) });
const out = (o: unknown) => process.stdout.write(JSON.stringify(o) + '\n');
out({ ready: true, pid: process.pid });

for await (const line of createInterface({ input: process.stdin })) {
  const [verb, a, b, c] = line.trim().split(/\s+/);
  try {
    if (verb === 'request') {
      const person = core.kt.people.byName(c!)!;
      const r = await core.kt.approvals.requestAction({ person, platform: 'console', channel: 'console' }, a!, b!, {});
      out({ request: r.request?.id });
    } else if (verb === 'vote') {
      // Not awaited: the vote that reaches the threshold runs the action, which the test kills mid-step.
      void core.kt.approvals.vote(a!, { platform: 'console', account: b! }, 'approve', true).then((v) => out({ vote: v }));
    }
  } catch (err) {
    out({ error: (err as Error).message });
  }
}
