/**
 * `etcd` action steps: put or delete a key (or a prefix). The plan reads
 * the key's current value so approvers see what they are changing; the run
 * records the value it replaced or removed (etcd's prev_kv, so it is what
 * was really there at that moment) in the step detail, which the engine
 * writes to the audit log.
 */
import type { EtcdStep } from './schema.js';
import { maskedExcerpt, maskSecrets } from '../../core/secrets.js';
import { renderJson, renderText } from '../../runbooks/template.js';
import type { StepContext, StepExecutor, StepOutcome } from '../contracts.js';
import { EtcdClient, type KeyValue } from './client.js';

function build(step: EtcdStep, ctx: StepContext) {
  const key = renderText(step.key, ctx.vars);
  const value = step.value === undefined ? undefined : typeof step.value === 'string' ? renderText(step.value, ctx.vars) : JSON.stringify(renderJson(step.value, ctx.vars));
  return { key, value, etcd: EtcdClient.of(ctx.sys.etcd) };
}

const show = (v: string) => (v.length > 300 ? `${maskedExcerpt(v, 300)}…` : maskSecrets(v));
const current = (kvs: KeyValue[], count: number) =>
  count === 0 ? 'absent' : count === 1 ? `current value ${show(kvs[0]!.value)}` : `${count} keys: ${kvs.map((k) => `${k.key} = ${show(k.value)}`).join(', ')}${count > kvs.length ? ' …' : ''}`;

export const etcdStepExecutor: StepExecutor<EtcdStep> = {
  kind: 'etcd',
  async plan(step, ctx) {
    const { key, value, etcd } = build(step, ctx);
    const now = await etcd.get(key, step.prefix, 10);
    if (step.mustExist && now.count === 0) throw new Error(`${key}${step.prefix ? ' (prefix)' : ''} does not exist in etcd: nothing to ${step.op}`);
    if (step.op === 'put') return `put ${key} = ${show(value!)} (${current(now.kvs, now.count)})`;
    return `delete ${key}${step.prefix ? ` and every key under it` : ''} (${current(now.kvs, now.count)})`;
  },
  async run(step, ctx): Promise<StepOutcome> {
    const { key, value, etcd } = build(step, ctx);
    if (step.op === 'put') {
      const r = await etcd.put(key, value!);
      return {
        ok: true,
        summary: `put ${key} = ${show(value!)}${r.prev ? ` (was ${show(r.prev.value)})` : ' (new key)'}`,
        detail: { key, op: 'put', newValue: value, oldValue: r.prev?.value ?? null, revision: r.revision },
      };
    }
    const r = await etcd.delete(key, step.prefix);
    if (step.mustExist && r.deleted === 0) return { ok: false, summary: `${key} was already gone: nothing deleted`, detail: { key, op: 'delete', deleted: 0, oldValue: null } };
    const old = step.prefix ? Object.fromEntries(r.prev.map((k) => [k.key, k.value])) : (r.prev[0]?.value ?? null);
    return {
      ok: true,
      summary: r.deleted ? `deleted ${step.prefix ? `${r.deleted} key(s) under ` : ''}${key}${!step.prefix && r.prev[0] ? ` (was ${show(r.prev[0].value)})` : ''}` : `${key} did not exist: nothing deleted`,
      detail: { key, op: 'delete', deleted: r.deleted, oldValue: old, revision: r.revision },
    };
  },
};
