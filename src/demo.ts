/**
 * Local demo: starts the in-process fleet simulators and points the bundled
 * config at them, so `npm start` on a fresh machine checks real HTTP nodes.
 * Adds `demo degrade|restore|state` to the console.
 */
import { startFleet, type Fleet } from '../systems/fleet/index.js';

export interface Demo {
  fleet: Fleet;
  consoleCommands: (words: string[], print: (s: string) => void) => Promise<boolean>;
  close(): Promise<void>;
}

export async function startDemo(env: NodeJS.ProcessEnv): Promise<Demo> {
  const fleet = await startFleet({ adminToken: env.DEMO_ADMIN_TOKEN ?? 'demo-admin-token', host: '127.0.0.1' });
  env.KEYTURN_DEMO_URL = fleet.url;
  env.DYTALLIX_ADMIN_TOKEN ??= fleet.adminToken;
  env.SCRIBE_ADMIN_KEY ??= fleet.adminToken;
  env.FINDAG_ADMIN_TOKEN ??= fleet.adminToken;
  return {
    fleet,
    async consoleCommands(words, print) {
      if (words[0] !== 'demo') return false;
      const [, verb, system, node, state] = words;
      try {
        if (verb === 'degrade' && system && node) {
          fleet.set(system, node, (state ?? 'down') as never);
          print(`demo: ${system}/${node} is now ${state ?? 'down'}. Try /health ${system}.`);
        } else if (verb === 'restore') {
          fleet.reset();
          print('demo: every simulated node is healthy again.');
        } else {
          print('Usage: demo degrade <system> <node> [down|unhealthy|hung|slow|garbage|...]   |   demo restore');
        }
      } catch (err) {
        print(`demo: ${(err as Error).message}`);
      }
      return true;
    },
    close: () => fleet.close(),
  };
}
