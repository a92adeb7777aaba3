/** Fields every check kind shares, in their own file so executor check schemas can use them without an import cycle. */
import { z } from 'zod';
import { duration } from './duration.js';

export const comparison = z.enum(['>', '>=', '<', '<=', '==', '!=']);

export const checkBase = {
  name: z.string().regex(/^[a-z0-9][a-z0-9-_.]*$/, 'expected a lower-case name (letters, digits, - _ .)'),
  description: z.string().optional(),
  timeout: duration.optional(),
  /** Also shown by /health <system>, under the node table. */
  showInHealth: z.boolean().default(false),
};

/** Fields every action step kind shares. */
export const stepBase = {
  name: z.string().optional().describe('Shown in plans, results and the audit log.'),
  description: z.string().optional().describe('Free text for readers of the config.'),
};
