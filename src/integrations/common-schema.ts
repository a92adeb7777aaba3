/** zod pieces more than one integration's schema uses (names, container references, env maps, levels). */
import { z } from 'zod';

/** A name chosen in config: a database of `databases`, a backup label. */
export const lowerName = z.string().regex(/^[a-z0-9][a-z0-9-_.]*$/, 'expected a lower-case name (letters, digits, - _ .)');

/** A container in a step: may hold {{node.container}} or {{params.x}}; the rendered value is checked again before use. */
export const containerRef = z.string().min(1);

/** Environment variables for a command run inside a container. */
export const envMap = z
  .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name'), z.string())
  .default({})
  .describe('Environment variables for the command (values may be ${env:NAME} secrets: masked in plans and output).');

export const level = z.enum(['warn', 'critical']);

export const scalar = z.union([z.number(), z.boolean(), z.string()]);
