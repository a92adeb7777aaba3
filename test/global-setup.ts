// Vitest globalSetup: start Postgres, etcd, dockerd and anvil once, in
// parallel, and provide their (plain-data) connection info as `services`.
// A service that can't start is provided as null (its tests skip) — except
// under CI=true, where that fails the run: CI must not go green by skipping.
import type { TestProject } from 'vitest/node';
import {
  startAnvil, startDocker, startEtcd, startPostgres, findPrometheus,
  type ProvidedServices, type ServiceName,
} from './support/services.js';
import { startSshService } from './support/sshd.js';
import { templateTarballFile } from '../src/store/pglite-template.js';
import { PGLITE_OPTIONS } from '../src/store/pglite-db.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const t0 = performance.now();
  // The embedded store's initdb template (src/store/pglite-template.ts), made once here rather than by
  // every test worker at once on a clean machine; a failure only means each store runs initdb itself.
  const template = templateTarballFile(PGLITE_OPTIONS).catch(() => null);
  const starters = { postgres: startPostgres, etcd: startEtcd, docker: startDocker, anvil: startAnvil, ssh: startSshService, prometheus: findPrometheus };
  const names = Object.keys(starters) as ServiceName[];
  // KT_TEST_SKIP=docker,etcd: don't start those (faster local runs; exercises the skip path).
  const skip = new Set((process.env.KT_TEST_SKIP ?? '').split(',').map((s) => s.trim()));
  const results = await Promise.allSettled(names.map((n) =>
    skip.has(n) ? Promise.reject(new Error(`${n}: disabled by KT_TEST_SKIP`)) : starters[n]()));
  await template;

  const stops: Array<() => Promise<void>> = [];
  const teardown = async () => { await Promise.allSettled(stops.map((s) => s())); };
  const services: ProvidedServices = { postgres: null, etcd: null, docker: null, anvil: null, ssh: null, prometheus: null, reasons: {} };
  results.forEach((r, i) => {
    const name = names[i]!;
    if (r.status === 'fulfilled') {
      stops.push(r.value.stop);
      // Copy only plain fields: provide() serializes, functions can't cross.
      const info: Record<string, unknown> = { ...r.value };
      for (const k of Object.keys(info)) if (typeof info[k] === 'function') delete info[k];
      (services as unknown as Record<string, unknown>)[name] = info;
    } else {
      const msg = r.reason instanceof Error ? r.reason.message : String(r.reason);
      services.reasons[name] = msg.startsWith(`${name}: `) ? msg.slice(name.length + 2) : msg;
    }
  });

  const failed = Object.entries(services.reasons);
  if (failed.length && process.env.CI === 'true') {
    await teardown();
    throw new Error(`[keyturn tests] CI=true and services failed to start: ${failed.map(([n, r]) => `${n}: ${r}`).join('; ')}`);
  }
  for (const [name, reason] of failed) {
    console.warn(`[keyturn tests] ${name} unavailable: ${reason} — tests needing it are skipped`);
  }
  console.log(`[keyturn tests] global setup: ${names.filter((n) => services[n]).join(', ') || 'no services'} up in ${Math.round(performance.now() - t0)} ms`);

  project.provide('services', services);
  return teardown;
}
