// need('postgres') -> the provided connection info, or null when global setup
// could not start that service (then the reason is logged once per worker).
// Usage: const pg = need('postgres'); describe.skipIf(!pg)('...', () => { ... pg!.url ... });
import { inject } from 'vitest';
import type { ProvidedServices, ServiceName } from './services.js';

const told = new Set<string>();

export function need<K extends ServiceName>(name: K): ProvidedServices[K] {
  const services = inject('services');
  const info = services?.[name] ?? null;
  if (!info && !told.has(name)) {
    told.add(name);
    const reason = services?.reasons[name] ?? 'global setup did not run';
    console.warn(`[keyturn tests] ${name} unavailable: ${reason} — tests needing it are skipped`);
  }
  return info as ProvidedServices[K];
}
