/**
 * The integrations' config, collected: one entry per integration folder. The
 * check and step unions (src/config/checks-schema.ts, steps-schema.ts) and a
 * system's connection fields (src/config/schema.ts) are built from this list,
 * so a kind listed in an integration's schema.ts is in the config at once.
 * Its runner is demanded by src/integrations/registry.ts (a compile error
 * until it exists). Schemas only here: no client or runner is imported, so
 * loading the config pulls in no integration code.
 */
import type { z } from 'zod';
import type { IntegrationSchema } from './schema-types.js';
import { httpSchema } from './http/schema.js';
import { tlsSchema } from './tls/schema.js';
import { dockerSchema } from './docker/schema.js';
import { postgresSchema } from './postgres/schema.js';
import { etcdSchema } from './etcd/schema.js';
import { chainSchema } from './chain/schema.js';
import { backupSchema } from './backup/schema.js';
import { sshSchema } from './ssh/schema.js';
import { prometheusSchema } from './prometheus/schema.js';

export const integrationSchemas = [httpSchema, tlsSchema, dockerSchema, postgresSchema, etcdSchema, chainSchema, backupSchema, sshSchema, prometheusSchema] as const satisfies readonly IntegrationSchema[];

export type IntegrationName = (typeof integrationSchemas)[number]['name'];
type All = (typeof integrationSchemas)[number];

type Flat<K extends 'checks' | 'steps', T extends readonly unknown[]> = T extends readonly [infer H extends IntegrationSchema, ...infer R] ? [...H[K], ...Flat<K, R>] : [];
// The same lists flattened in order (the unions, and docs/config.md, come out the same every time), typed as the tuple zod's discriminated union takes.
const all: readonly IntegrationSchema[] = integrationSchemas;
export const integrationChecks = all.flatMap((i) => i.checks) as unknown as Flat<'checks', typeof integrationSchemas>;
export const integrationSteps = all.flatMap((i) => i.steps) as unknown as Flat<'steps', typeof integrationSchemas>;

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
/** The fields the integrations add to a system (`docker`, `databases`, `etcd`, `chain`, `ssh`, `prometheus`): all optional. */
export const systemConnections = Object.assign({}, ...all.map((i) => i.connection)) as UnionToIntersection<All['connection']>;

/** For tests and docs: which integration brings which kinds. */
export function kindsOf(name: IntegrationName): { checks: string[]; steps: string[] } {
  const kind = (s: unknown) => String(((s as z.ZodObject).shape.kind as z.ZodLiteral).value);
  const i: IntegrationSchema = integrationSchemas.find((s) => s.name === name)!;
  return { checks: i.checks.map(kind), steps: i.steps.map(kind) };
}
