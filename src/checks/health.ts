/** HTTP health fan-out over a system's nodes, in parallel, judged by the quorum rule. */
import type { SystemConfig } from '../config/schema.js';
import { httpRequest, HttpError } from '../integrations/http/client.js';
import { evaluateQuorum } from './quorum.js';
import type { HealthResult, NodeHealth } from './types.js';

const HEALTHY_WORDS = new Set(['ok', 'healthy', 'up', 'pass', 'green', 'serving', 'running', 'true']);

export async function checkHealth(systemName: string, sys: SystemConfig, timeoutMs = sys.healthTimeout): Promise<HealthResult> {
  const started = performance.now();
  const probed = sys.nodes.filter((n) => n.health);
  const nodes = await Promise.all(probed.map((n) => probeNode(n.name, n.health!, timeoutMs)));
  const healthy = nodes.filter((n) => n.healthy).length;
  const verdict = evaluateQuorum(healthy, probed.length, sys.quorum);
  return {
    system: systemName,
    check: 'health',
    status: verdict.status,
    summary: verdict.text,
    nodes,
    healthy,
    total: probed.length,
    table: {
      columns: ['node', 'status', 'latency', 'version', 'detail'],
      rows: nodes.map((n) => [n.node, n.healthy ? 'healthy' : 'DOWN', `${Math.round(n.latencyMs)} ms`, n.version ?? '-', n.detail]),
    },
    durationMs: performance.now() - started,
  };
}

export async function probeNode(node: string, url: string, timeoutMs: number): Promise<NodeHealth> {
  try {
    const res = await httpRequest({ url, timeoutMs });
    const body = res.json && typeof res.json === 'object' ? (res.json as Record<string, unknown>) : undefined;
    const version = body ? String(body.version ?? body.build ?? '') || undefined : undefined;
    const reported = body ? (body.status ?? body.state ?? body.healthy) : undefined;
    let healthy = res.status >= 200 && res.status < 300;
    let detail = `HTTP ${res.status}`;
    if (healthy && reported !== undefined && !HEALTHY_WORDS.has(String(reported).toLowerCase())) {
      healthy = false;
      detail = `reports ${String(reported)}`;
    } else if (healthy && !body && !/^\s*ok\s*$/i.test(res.text)) {
      // 200 with a body that is neither JSON nor "OK": something answers, but not the node we expect.
      healthy = false;
      detail = 'unreadable health response';
    } else if (reported !== undefined) detail = String(reported);
    return { node, healthy, status: healthy ? 'ok' : 'critical', latencyMs: res.latencyMs, version, detail };
  } catch (err) {
    const e = err as HttpError;
    return { node, healthy: false, status: 'critical', latencyMs: e.latencyMs ?? 0, detail: e.message };
  }
}
