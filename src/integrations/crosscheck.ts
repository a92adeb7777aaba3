/**
 * References from the integrations' checks and steps to the system's
 * settings (a `database` in `databases`, contract names in `chain.contracts`,
 * hosts in `ssh.hosts`...), each integration's own rules in its folder's
 * crosscheck.ts. Reported at load with the path of the field, like every
 * config problem.
 */
import type { z } from 'zod';
import { refs, type Sys } from './crosscheck-helpers.js';
import { integrationSchemas } from './schemas.js';
import type { IntegrationSchema } from './schema-types.js';

export function crossCheckExecutors(systemName: string, sys: Sys, ctx: z.RefinementCtx): void {
  const at = refs(systemName, sys, ctx);
  for (const i of integrationSchemas as readonly IntegrationSchema[]) i.crossCheck?.(at);
}
