/**
 * What an integration's index.ts hands the registry: a runner for every check
 * kind and an executor for every step kind its schema.ts lists. The mapped
 * types make a listed kind without its runner a compile error in that folder.
 */
import type { z } from 'zod';
import type { IntegrationSchema } from './schema-types.js';
import type { CheckKindRunner, StepExecutor } from './contracts.js';

type KindOf<S> = S extends z.ZodType ? (z.output<S> extends { kind: infer K extends string } ? K : never) : never;
type ParsedOf<T extends readonly unknown[], K> = Extract<z.output<Extract<T[number], z.ZodType>>, { kind: K }>;

export interface IntegrationRunners<I extends IntegrationSchema> {
  checks: { [K in KindOf<I['checks'][number]>]: CheckKindRunner<ParsedOf<I['checks'], K>> };
  steps: { [K in KindOf<I['steps'][number]>]: StepExecutor<ParsedOf<I['steps'], K>> };
}
