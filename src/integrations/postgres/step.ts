/** `sql` action steps: a maintenance statement from config (VACUUM ANALYZE, terminate idle connections), values bound. */
import type { SqlStep } from './schema.js';
import { maskDeep } from '../../core/secrets.js';
import { renderJson } from '../../runbooks/template.js';
import type { StepContext, StepExecutor, StepOutcome } from '../contracts.js';
import { cell, databaseUrl, displayUrl, runStatement } from './client.js';

function build(step: SqlStep, ctx: StepContext) {
  const url = databaseUrl(ctx.sys, step.database);
  // A placeholder that is the whole value keeps the parameter's type; either way it is bound, never spliced into SQL.
  const params = step.params.map((p) => renderJson(p, ctx.vars));
  return { url, params };
}

const oneLine = (sql: string) => sql.replace(/\s+/g, ' ').trim();

export const sqlStepExecutor: StepExecutor<SqlStep> = {
  kind: 'sql',
  async plan(step, ctx) {
    const { url, params } = build(step, ctx);
    return `on ${step.database} (${displayUrl(url)}): ${oneLine(step.statement)}${params.length ? ` with ${params.map((p, i) => `$${i + 1} = ${JSON.stringify(p)}`).join(', ')}` : ''}`;
  },
  async run(step, ctx): Promise<StepOutcome> {
    const { url, params } = build(step, ctx);
    const r = await runStatement(url, step.statement, params, step.timeout);
    const preview = r.rows.slice(0, 5).map((row) => r.columns.map((c) => `${c}=${cell(row[c])}`).join(' ')).join('; ');
    return {
      ok: true,
      summary: `${r.command}${r.rows.length || r.command !== 'VACUUM' ? ` ${r.rowCount} row${r.rowCount === 1 ? '' : 's'}` : ''} on ${step.database}${preview ? `: ${preview}${r.rows.length > 5 ? ' …' : ''}` : ''}`,
      detail: { database: step.database, statement: oneLine(step.statement), params: maskDeep(params), command: r.command, rowCount: r.rowCount, rows: maskDeep(r.rows.slice(0, 20).map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, cell(v)])))) },
    };
  },
};
