/** The TLS integration's runner: one per kind of ./schema.ts (a missing one does not compile). */
import type { IntegrationRunners } from '../runner-types.js';
import type { tlsSchema } from './schema.js';
import { runTlsCheck } from './checks.js';

export const tlsRunners = {
  checks: { tls: (systemName, _sys, def) => runTlsCheck(systemName, def) },
  steps: {},
} satisfies IntegrationRunners<typeof tlsSchema>;
