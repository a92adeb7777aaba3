/**
 * The etcd integration's config: the system's `etcd` connection (the v3
 * HTTP/JSON gateway), the `etcd-key` and `etcd-health` checks and the `etcd`
 * step.
 */
import { z } from 'zod';
import { duration } from '../../config/duration.js';
import { checkBase as base, stepBase } from '../../config/check-base.js';
import { level } from '../common-schema.js';
import type { IntegrationSchema } from '../schema-types.js';
import { crossCheckEtcd } from './crosscheck.js';

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

export const etcdConnection = z
  .strictObject({
    endpoints: z.array(httpUrl).min(1).describe('Client URLs of the v3 HTTP/JSON gateway, e.g. http://etcd-1:2379; tried in order until one answers.'),
    timeout: duration.default(5_000).describe('Per request to one endpoint.'),
  })
  .describe('The etcd cluster of this system (`etcd-key` / `etcd-health` checks, `etcd` and `etcd-snapshot` steps).');
export type EtcdConnection = z.infer<typeof etcdConnection>;

export const etcdKeyCheck = z
  .strictObject({
    ...base,
    kind: z.literal('etcd-key').describe('Keys present or absent in etcd.'),
    key: z.string().min(1).describe('A key, or a prefix with `prefix: true`, e.g. /bans/. `{{node.name}}` in it checks the key once per node (/bans/{{node.name}}).'),
    prefix: z.boolean().default(false).describe('Treat `key` as a prefix: every key under it.'),
    expect: z.enum(['absent', 'present']).default('absent').describe('What is healthy: `absent` (e.g. no bans: any key found is a finding) or `present` (each key must exist).'),
    status: level.default('warn').describe('Status when the keys are not as `expect` says.'),
    maxRows: z.number().int().positive().max(200).default(20).describe('Keys shown in the table.'),
  })
  .describe('Whether keys exist in etcd (bans, locks, leader keys), listed with their values.');

export const etcdHealthCheck = z
  .strictObject({
    ...base,
    kind: z.literal('etcd-health').describe('etcd endpoint health and members.'),
    members: z.number().int().positive().optional().describe('Expected member count; fewer warns. Default: not judged.'),
  })
  .describe('Each endpoint answers its health and status, with the cluster\'s members and leader: one down warns, all down is critical.');

export const etcdStep = z
  .strictObject({
    ...stepBase,
    kind: z.literal('etcd').describe('Put or delete an etcd key.'),
    op: z.enum(['put', 'delete']).describe('Write `value` to `key`, or delete it.'),
    key: z.string().min(1).describe('The key; may use placeholders, e.g. /bans/{{params.node}}.'),
    prefix: z.boolean().default(false).describe('delete: every key under `key`.'),
    value: z.union([z.string(), z.record(z.string(), z.unknown())]).optional().describe('put: a string, or an object stored as JSON (placeholders rendered inside it).'),
    mustExist: z.boolean().default(false).describe('Refuse before approval when the key does not exist (e.g. /unban of a node that is not banned).'),
  })
  .superRefine((s, ctx) => {
    if (s.op === 'put' && s.value === undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: 'put needs a value' });
    if (s.op === 'delete' && s.value !== undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: 'delete takes no value' });
    if (s.op === 'put' && s.prefix) ctx.addIssue({ code: 'custom', path: ['prefix'], message: 'prefix only applies to delete' });
  })
  .describe('Puts or deletes a key in the system\'s etcd; the plan shows the value it replaces.');

export const etcdSchema = {
  name: 'etcd',
  crossCheck: crossCheckEtcd,
  connection: { etcd: etcdConnection.optional() },
  checks: [etcdKeyCheck, etcdHealthCheck],
  steps: [etcdStep],
} as const satisfies IntegrationSchema;

export type EtcdKeyCheck = z.infer<typeof etcdKeyCheck>;
export type EtcdHealthCheck = z.infer<typeof etcdHealthCheck>;
export type EtcdStep = z.infer<typeof etcdStep>;
