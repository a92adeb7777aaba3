/** Config for approval tests: a `target` system whose actions hit a local HTTP server. */
import { PEOPLE } from '../../support/core.js';

export const SECRET = 'tok-SUPERSECRET-9f8e7d6c';

export function approvalConfig(targetUrl: string, overrides: Record<string, unknown> = {}) {
  process.env.KT_TEST_TARGET_TOKEN = SECRET;
  return {
    ...PEOPLE,
    systems: {
      target: {
        nodes: [{ name: 'n1', health: `${targetUrl}/health` }],
        actions: {
          pause: {
            description: 'pause the target',
            policy: 'dangerous',
            steps: [{ name: 'pause', kind: 'http', method: 'POST', url: `${targetUrl}/pause`, headers: { Authorization: 'Bearer ${env:KT_TEST_TARGET_TOKEN}' }, body: { reason: 'chat', request: '{{requestId}}' } }],
          },
          backup: {
            description: 'pause writes, back up, always resume',
            policy: 'dangerous',
            steps: [
              { name: 'pause writes', kind: 'http', url: `${targetUrl}/pause-writes` },
              { name: 'archive', kind: 'http', url: `${targetUrl}/archive` },
              { name: 'verify archive', kind: 'http', url: `${targetUrl}/verify` },
            ],
            finally: [{ name: 'resume writes', kind: 'http', url: `${targetUrl}/resume-writes` }],
          },
          slow: { policy: 'dangerous', steps: [{ name: 'slow call', kind: 'http', url: `${targetUrl}/slow`, timeout: '60s' }] },
          compact: { description: 'no policy: runs at once', steps: [{ name: 'compact', kind: 'http', url: `${targetUrl}/compact` }] },
        },
      },
    },
    ...overrides,
  };
}
