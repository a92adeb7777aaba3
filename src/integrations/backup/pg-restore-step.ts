/**
 * `pg-restore` steps (dangerous: put them in an action with a policy). The
 * backup is found by id, its checksum and content verified before anyone
 * is asked to approve, and again right before restoring. Logical backups
 * restore over the wire into a database from `databases` (empty unless
 * requireEmpty is false), in one transaction; pg_dump archives restore with
 * pg_restore --single-transaction inside a container.
 */
import type { PgRestoreStep } from './schema.js';
import { maskedExcerpt, maskSecrets } from '../../core/secrets.js';
import { renderText } from '../../runbooks/template.js';
import type { StepContext, StepExecutor, StepOutcome } from '../contracts.js';
import { findBackup, openBackup, verifyBackup, type Manifest } from './store.js';
import { plannedDrops, restoreLogical, userTables } from './pg.js';
import { describeContents } from './backup-steps.js';
import { checkedName, containerState, describeState, dockerClient, execIn } from '../docker/client.js';
import { databaseUrl, displayUrl } from '../postgres/client.js';

/** `plan`: also lists what a replacing restore would drop now; at run time the restore's own transaction decides that. */
async function prepare(step: PgRestoreStep, ctx: StepContext, mode: 'plan' | 'run'): Promise<{ m: Manifest; target: string; drops: string[] }> {
  const m = await findBackup(ctx.systemName, renderText(step.backup, ctx.vars));
  await verifyBackup(m);
  if (m.format === 'pg-logical' && !step.database) throw new Error(`backup ${m.id} is a logical dump: restore it with database: <name from databases>`);
  if (m.format === 'pg-custom' && !step.container) throw new Error(`backup ${m.id} is a pg_dump archive: restore it with container: + dbname: (pg_restore runs there)`);
  if (m.format !== 'pg-logical' && m.format !== 'pg-custom') throw new Error(`backup ${m.id} is a ${m.kind} backup, not a Postgres one`);
  if (step.replace && !step.database) throw new Error('replace applies to logical backups restored with database: (pg_restore archives: use --clean in your own tooling)');
  if (step.database) {
    const url = databaseUrl(ctx.sys, step.database);
    if (step.replace) return { m, target: `${step.database} (${displayUrl(url)})`, drops: mode === 'plan' ? await plannedDrops(url, 10_000) : [] };
    if (step.requireEmpty) {
      const tables = await userTables(url, 10_000);
      if (tables.length) throw new Error(`target ${step.database} already has ${tables.length} table(s) (${tables.slice(0, 5).join(', ')}${tables.length > 5 ? ', …' : ''}): restore into an empty database`);
    }
    return { m, target: `${step.database} (${displayUrl(url)})`, drops: [] };
  }
  const container = checkedName(renderText(step.container!, ctx.vars));
  const st = await containerState(dockerClient(ctx.sys.docker), container);
  if (st.state !== 'running') throw new Error(`container ${container} is ${describeState(st)}: pg_restore needs it running`);
  return { m, target: maskSecrets(`${renderText(step.dbname!, ctx.vars)} via ${step.binary} in container ${container}`), drops: [] };
}

export const pgRestoreStepExecutor: StepExecutor<PgRestoreStep> = {
  kind: 'pg-restore',
  async plan(step, ctx) {
    const { m, target, drops } = await prepare(step, ctx, 'plan');
    const replacing = step.replace ? (drops.length ? `, replacing what is there: first ${drops.join('; ')}` : ', replacing what is there (nothing to drop now)') : '';
    return `restore ${m.id} (${describeContents(m)}; taken ${m.createdAt} from ${m.source}; sha256 ${m.sha256.slice(0, 12)}… verified) into ${target}${replacing}, in one transaction (a failure leaves the database as it was)`;
  },
  async run(step, ctx): Promise<StepOutcome> {
    const { m, target } = await prepare(step, ctx, 'run');
    if (step.database) {
      let counts: Record<string, number>;
      let drops: string[];
      try {
        ({ counts, dropped: drops } = await restoreLogical(databaseUrl(ctx.sys, step.database), openBackup(m), step.timeout, { replace: step.replace }));
      } catch (err) {
        return { ok: false, summary: `restore of ${m.id} into ${target} failed and was rolled back${step.replace ? ' (nothing dropped: the old tables are still there)' : ''}: ${maskSecrets((err as Error).message)}`, detail: { backup: m.id, target } };
      }
      const rows = Object.values(counts).reduce((a, b) => a + b, 0);
      return {
        ok: true,
        summary: `restored ${m.id} into ${target}${step.replace && drops.length ? ` after ${drops.join('; ')}` : ''}: ${Object.keys(counts).length} tables, ${rows} rows, every table's row count matches the backup`,
        detail: { backup: m.id, sha256: m.sha256, target, tables: counts },
      };
    }
    const container = checkedName(renderText(step.container!, ctx.vars));
    const env = Object.fromEntries(Object.entries(step.env).map(([k, v]) => [k, renderText(v, ctx.vars)]));
    const cmd = [step.binary, '--no-owner', '--exit-on-error', '--single-transaction', ...(step.user ? ['--username', step.user] : []), '--dbname', renderText(step.dbname!, ctx.vars)];
    const r = await execIn(dockerClient(ctx.sys.docker), container, { cmd, env, timeoutMs: step.timeout, stdin: openBackup(m) });
    const err = maskedExcerpt(r.stderr.trim(), 500, 'end');
    if (r.exitCode !== 0) return { ok: false, summary: `${step.binary} exited ${r.exitCode} (nothing committed): ${err || 'no error output'}`, detail: { backup: m.id, target, exitCode: r.exitCode } };
    return { ok: true, summary: `restored ${m.id} into ${target}${err ? ` (${err})` : ''}`, detail: { backup: m.id, sha256: m.sha256, target, exitCode: 0 } };
  },
};
