/**
 * The HTTP integration's own step kind beyond the core `http` step: a
 * cluster's member list read over HTTP (`member-count`). The `http` check
 * and step schemas are core kinds (src/config/checks-schema.ts,
 * src/config/steps-schema.ts); their runners live in this folder and in
 * src/checks.
 */
import { z } from 'zod';
import { duration } from '../../config/duration.js';
import { stepBase } from '../../config/check-base.js';
import type { IntegrationSchema } from '../schema-types.js';

/**
 * A cluster's member list read over HTTP (Raft /cluster/nodes): counted before an action (`save`),
 * compared after it (`expect`: the count changed by exactly `change`, the member present or gone),
 * or checked for quorum before a removal (`quorumWithout`: the members left, minus that one, still have a
 * reachable majority; refused before approval otherwise).
 */
export const memberCountStep = z
  .strictObject({
    ...stepBase,
    kind: z.literal('member-count').describe('A cluster member list over HTTP.'),
    url: z.string().min(1).describe('GET this URL; the answer is JSON with the member list.'),
    headers: z.record(z.string(), z.string()).default({}).describe('Request headers (secrets by ${env:...}).'),
    list: z.string().min(1).default('nodes').describe('Dotted path of the member array in the answer.'),
    id: z.string().min(1).default('node_id').describe('Member field that identifies a member.'),
    reachable: z.string().min(1).default('reachable').describe('Member field that is true when the member is reachable (for quorumWithout).'),
    save: z.string().regex(/^[a-z][a-z0-9_]*$/).optional().describe('Remember the count under this name for a later step of the same run (`expect.from`).'),
    expect: z
      .strictObject({
        from: z.string().regex(/^[a-z][a-z0-9_]*$/).describe('The name an earlier step saved the count under.'),
        change: z.number().int().describe('Exactly this many more (+1 after an add) or fewer (-1 after a remove) members.'),
        member: z.string().min(1).optional().describe('This member id (e.g. {{params.node_id}}) must be in the list (change > 0) or gone from it (change < 0).'),
      })
      .optional()
      .describe('After the action: poll until the count changed by exactly `change` (and the member is in / out), else fail.'),
    quorumWithout: z.string().min(1).optional().describe('Before a removal: the member id to remove; refused (also before approval) unless the members left have a reachable majority.'),
    timeout: duration.default(30_000).describe('How long `expect` may take to hold.'),
    interval: duration.default(1_000).describe('Time between reads while waiting.'),
  })
  .refine((s) => [s.save !== undefined, s.expect !== undefined, s.quorumWithout !== undefined].filter(Boolean).length >= 1, { message: 'give save, expect or quorumWithout' })
  .describe("Reads a cluster's member list over HTTP: counts it before an action (`save`), confirms the change after it (`expect`), or refuses a removal that would lose quorum (`quorumWithout`).");

export const httpSchema = {
  name: 'http',
  connection: {},
  checks: [],
  steps: [memberCountStep],
} as const satisfies IntegrationSchema;

export type MemberCountStep = z.infer<typeof memberCountStep>;
