/**
 * A core with one system, `target` (node n1), whose actions call a local HTTP server: the setup of
 * the approval and secret tests. `actions` gets the server's URL; `extra` adds top-level config.
 */
import { PEOPLE, testCore, type TestCore } from './core.js';
import { startTargetServer, type TargetServer } from './target-server.js';

export async function startTargetCore(actions: (url: string) => Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<{ t: TestCore; target: TargetServer }> {
  const target = await startTargetServer();
  try {
    const t = await testCore({ config: { ...PEOPLE, ...extra, systems: { target: { nodes: [{ name: 'n1', health: `${target.url}/health` }], actions: actions(target.url) } } } });
    return { t, target };
  } catch (err) {
    await target.close();
    throw err;
  }
}
