/** Fields every check and step kind shares, in their own file so the integrations' schemas can use them without an import cycle. */
import { z } from 'zod';
import { duration } from './duration.js';

export const comparison = z.enum(['>', '>=', '<', '<=', '==', '!=']);

export const checkBase = {
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-_.]*$/, 'expected a lower-case name (letters, digits, - _ .)')
    .describe('Check name, as typed in `/check <system> <name>` and used by schedules (`run`) and `verify` / `confirm-check` steps (`check`). Keep it unique in the system: the first check of a name is the one that runs.'),
  description: z.string().optional().describe('Free text for readers of the config; not shown in chat.'),
  timeout: duration
    .optional()
    .describe('Deadline of each request or command the check makes (per node, endpoint, query or host). Absent: the timeout of what it talks to (`healthTimeout`, `prometheus.timeout`, `docker.timeout`, `chain.timeout`, `ssh.commandTimeout`; 5s for tls and sql kinds). etcd kinds always use `etcd.timeout`.'),
  showInHealth: z
    .boolean()
    .default(false)
    .describe('Also run by `/health <system>` and shown under the node table (its status counts in the headline). `/health` without a system shows node health only.'),
};

/** Fields every action step kind shares. */
export const stepBase = {
  name: z.string().optional().describe('Shown in plans, results and the audit log; default `<kind> #<position>`, e.g. `http #2`.'),
  description: z.string().optional().describe('Free text for readers of the config; not shown in chat.'),
};

/** The placeholders every step's text fields may use (src/runbooks/engine.ts `context`), for the fields' descriptions. */
export const STEP_VARS =
  '`{{params.<name>}}` (the request\'s parameters), `{{system}}`, `{{requestId}}`, `{{reason}}` (the request\'s --reason, else empty) and `{{node.name}}`, `{{node.url}}`, `{{node.health}}`, `{{node.container}}`, `{{node.labels.<key>}}` (the node named by the first parameter whose value is a node of the system). A placeholder with no value fails the plan before approval.';
