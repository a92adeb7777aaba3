/** Check kinds `etcd-key` (e.g. is a node banned: /bans/<node>) and `etcd-health` (endpoints and members). */
import type { SystemConfig } from '../../config/index.js';
import type { EtcdHealthCheck, EtcdKeyCheck } from './schema.js';
import type { Status } from '../../core/message.js';
import { maskedExcerpt, maskSecrets } from '../../core/secrets.js';
import { renderText } from '../../runbooks/template.js';
import type { CheckResult } from '../../checks/types.js';
import { EtcdClient, type KeyValue } from './client.js';

const short = (v: string) => (v.length > 80 ? `${maskedExcerpt(v, 80)}…` : maskSecrets(v));

export async function runEtcdKeyCheck(systemName: string, sys: SystemConfig, def: EtcdKeyCheck): Promise<CheckResult> {
  const started = performance.now();
  const etcd = EtcdClient.of(sys.etcd);
  // "{{node.name}}" in the key: one lookup per node, so /health-like tables show every node, banned or not.
  const keys = def.key.includes('{{')
    ? sys.nodes.map((n) => ({ node: n.name, key: renderText(def.key, { system: systemName, node: n }) }))
    : [{ node: undefined, key: def.key }];
  const looked = await Promise.all(keys.map(async (k) => ({ ...k, ...(await etcd.get(k.key, def.prefix, def.maxRows + 1)) })));
  const found: Array<KeyValue & { node?: string }> = looked.flatMap((l) => l.kvs.map((kv) => ({ ...kv, node: l.node })));
  const total = looked.reduce((a, l) => a + l.count, 0);
  const bad = def.expect === 'absent' ? total > 0 : looked.some((l) => l.count === 0);
  const status: Status = bad ? def.status : 'ok';
  const perNode = keys.length > 1 || keys[0]!.node !== undefined;
  const table = perNode
    ? { columns: ['node', 'key', 'present', 'value'], rows: looked.map((l) => [l.node ?? '-', l.key, l.count ? 'yes' : 'no', l.kvs[0] ? short(l.kvs[0].value) : '-']) }
    : { columns: ['key', 'value', 'modified at revision'], rows: found.slice(0, def.maxRows).map((kv) => [kv.key, short(kv.value), String(kv.modRevision)]) };
  const where = def.prefix ? `under ${def.key}` : def.key;
  // The keys as looked up, not the template: "/bans/1 … /bans/5", not "/bans/{{node.labels.node_id}}".
  const lookedUp = keys.length > 2 ? `${keys[0]!.key} … ${keys.at(-1)!.key}` : keys.map((k) => k.key).join(', ');
  let summary: string;
  if (def.expect === 'absent') summary = total ? `${total} key${total === 1 ? '' : 's'} ${perNode ? 'present' : where}: ${found.slice(0, 5).map((k) => k.node ?? k.key).join(', ')}${total > 5 ? ' …' : ''}` : `no keys ${perNode ? `(${lookedUp})` : where}`;
  else {
    const absent = looked.filter((l) => l.count === 0);
    summary = absent.length ? `missing: ${absent.map((l) => l.key).join(', ')}` : `${total} key${total === 1 ? '' : 's'} present`;
  }
  return { system: systemName, check: def.name, status, summary, table, durationMs: performance.now() - started };
}

export async function runEtcdHealthCheck(systemName: string, sys: SystemConfig, def: EtcdHealthCheck): Promise<CheckResult> {
  const started = performance.now();
  const etcd = EtcdClient.of(sys.etcd);
  const health = await etcd.health();
  const healthy = health.filter((h) => h.healthy).length;
  let members: Awaited<ReturnType<EtcdClient['members']>> = [];
  let memberError = '';
  if (healthy) members = await etcd.members().catch((err) => ((memberError = (err as Error).message), []));
  const problems: string[] = health.filter((h) => !h.healthy).map((h) => `${h.endpoint} ${h.detail}`);
  let status: Status = healthy === 0 ? 'critical' : healthy < health.length ? 'warn' : 'ok';
  if (memberError) problems.push(`member list failed: ${memberError}`);
  if (def.members !== undefined && members.length < def.members) {
    problems.push(`${members.length} of ${def.members} members`);
    if (status === 'ok') status = 'warn';
  }
  return {
    system: systemName,
    check: def.name,
    status,
    summary: problems.length ? problems.join('; ') : `${healthy}/${health.length} endpoints healthy, ${members.length} member${members.length === 1 ? '' : 's'}`,
    table: {
      columns: ['endpoint', 'health', 'latency'],
      rows: health.map((h) => [h.endpoint, h.detail, `${Math.round(h.ms)} ms`]),
    },
    fields: members.length ? [{ label: 'members', value: members.map((m) => `${m.name || m.id}${m.isLearner ? ' (learner)' : ''} ${m.clientURLs.join(' ')}`).join('\n') }] : undefined,
    durationMs: performance.now() - started,
  };
}
