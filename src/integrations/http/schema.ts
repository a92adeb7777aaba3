/**
 * The HTTP integration's config: the `http` check (a request whose status and
 * JSON fields are shown and judged), the `http` step (one admin API call) and
 * the `member-count` step (a cluster's member list read over HTTP). No
 * connection fields: every check and step names its own URL.
 */
import { z } from 'zod';
import { duration } from '../../config/duration.js';
import { checkBase as base, comparison, stepBase, STEP_VARS } from '../../config/check-base.js';
import type { IntegrationSchema } from '../schema-types.js';

/** A value an http check reads from the JSON body and may judge. */
const httpCheckField = z
  .strictObject({
    field: z
      .string()
      .describe('Dotted path into the JSON response body: `faucetBalance`, `status.paused`, `nodes.0.height` (a number picks an array item). A field the body lacks reads `missing` and makes the check unknown. `verify` steps name it in `until.field` (with `perNode`: `<node>/<field>`).'),
    label: z.string().optional().describe('Name shown instead of the path in results, e.g. "pool size".'),
    op: comparison
      .optional()
      .describe('How the value is compared with `warn` and `critical`: critical when `value <op> critical` holds, else warn when `value <op> warn` holds, else ok. `{ op: "<", warn: 10, critical: 1 }`: warn below 10, critical below 1; `{ op: "==", critical: false }`: critical when the field is false. Strings and booleans only compare with `==` / `!=`. Absent: the field is only shown, never judged.'),
    warn: z.union([z.number(), z.boolean(), z.string()]).optional().describe('Limit for warn, compared by `op` (a number for numeric fields).'),
    critical: z.union([z.number(), z.boolean(), z.string()]).optional().describe('Limit for critical, compared by `op`; checked before `warn`.'),
    unit: z.string().optional().describe('Appended to the value when shown, e.g. "ms" or " DYT".'),
  })
  .describe('One JSON field of the response to show and, with `op`, judge.');

export const httpCheck = z.strictObject({
  ...base,
  timeout: base.timeout.describe("Deadline of each request (per node with `perNode`); default the system's `healthTimeout`. No answer in time is critical."),
  kind: z.literal('http').describe('An HTTP GET/POST whose status and JSON fields are shown and judged.'),
  url: z
    .string()
    .regex(/^(https?:\/\/|\{\{\s*node\.url\s*\}\})/, 'expected an http(s) URL')
    .describe('http(s) URL to request. May use `{{system}}`; with `perNode` also `{{node.name}}`, `{{node.url}}`, `{{node.health}}`, `{{node.labels.<key>}}` (e.g. `"{{node.url}}/api/v1/cluster/status"`). No `{{params...}}`: checks take no parameters.'),
  perNode: z
    .boolean()
    .default(false)
    .describe('Run the request once per node of the system, with `{{node.*}}` filled from each node; results get a node column and the check takes the worst node. `verify` steps then see each field as `<node>/<field>` (e.g. `mpc-node-1/can_sign`).'),
  method: z.enum(['GET', 'POST']).default('GET').describe('HTTP method; no request body is sent.'),
  headers: z
    .record(z.string(), z.string())
    .default({})
    .describe('Request headers; values may use the same `{{...}}` placeholders as `url`, and secrets as `${env:NAME}` (e.g. `Authorization: "Bearer ${env:API_TOKEN}"`).'),
  expectStatus: z.number().int().default(200).describe('The HTTP status that counts as an answer; any other (redirects are not followed) is critical, with the start of the body.'),
  fields: z.array(httpCheckField).default([]).describe('JSON fields to show and judge. Empty: only the status is checked.'),
}).describe('HTTP endpoint with JSON fields shown and judged (e.g. a faucet balance); with `perNode`, the same request against every node.');

export const httpStep = z.strictObject({
  ...stepBase,
  kind: z.literal('http').describe('One HTTP request (an admin API call); fails on an unexpected status or field.'),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST').describe('HTTP method.'),
  url: z
    .string()
    .min(1)
    .describe(`http(s) URL, e.g. \`"{{node.url}}/admin/pause"\` or \`"\${public:FAUCET_URL}/api/faucet/pause"\`. Placeholders: ${STEP_VARS} Parameter values are URL-encoded; a rendered path with a \`.\` or \`..\` segment is refused.`),
  headers: z
    .record(z.string(), z.string())
    .default({})
    .describe('Request headers; values may use the same placeholders as `url`, and secrets as `${env:NAME}` (masked in the plan and audit), e.g. `Authorization: "Bearer ${env:ADMIN_TOKEN}"`.'),
  body: z
    .unknown()
    .optional()
    .describe('Request body, sent as JSON (content-type application/json unless a header sets one; a string is sent as it is). Strings inside may use the placeholders of `url`; a string that is exactly one placeholder takes the value\'s own type: `{ node: "{{params.node}}", amount: "{{params.amount}}" }` sends amount as a number for a number parameter. Absent: no body.'),
  secretRefs: z.record(z.string(), z.strictObject({
    ref: z.string().min(1).describe('Where the value is, usually {{params.key}}: env:NAME (Keyturn\'s environment) or file:/path.'),
    envPrefix: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional().describe('env:NAME is accepted only for names starting with this (e.g. DYTALLIX_KEY_).'),
    dir: z.string().startsWith('/').optional().describe('file:/path is accepted only for files under this directory.'),
    pattern: z.string().optional().describe('The value must match this (whole), checked before approval and at run time; never shown.'),
  })).default({}).describe('Top-level body fields whose value is read from a reference when the step runs (a new key from the environment or a file), so the key itself is never typed into chat; the plan shows the reference, the value is masked everywhere.'),
  timeout: duration.default(10_000).describe('Deadline of the whole request; no answer in time fails the step.'),
  expect: z
    .strictObject({
      status: z
        .union([z.number().int(), z.array(z.number().int())])
        .optional()
        .describe('The status, or list of statuses, that count as success, e.g. `[200, 202]`. Absent: any 2xx. Redirects are not followed, so a 3xx fails unless listed.'),
      field: z
        .string()
        .optional()
        .describe('Dotted path into the JSON response (`paused`, `result.state`, `items.0.id`) whose value must equal `equals`. Alone, without `equals`, it checks nothing.'),
      equals: z.unknown().optional().describe('With `field`: the value it must have, compared as JSON (`true` does not match `"true"`).'),
    })
    .default({})
    .describe('What the response must show for the step to succeed, e.g. `{ status: 200, field: paused, equals: true }`. Absent: any 2xx status.'),
}).describe('An HTTP request to an admin API, e.g. `POST {{node.url}}/admin/pause`; the plan shows the exact request (secrets masked), the step fails on an unexpected status or field.');

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
  checks: [httpCheck],
  steps: [httpStep, memberCountStep],
} as const satisfies IntegrationSchema;

export type HttpCheck = z.infer<typeof httpCheck>;
export type HttpStep = z.infer<typeof httpStep>;
export type MemberCountStep = z.infer<typeof memberCountStep>;
