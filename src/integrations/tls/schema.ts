/** The TLS integration's config: the `tls` check (certificate expiry of host:port endpoints). No connection fields, no steps. */
import { z } from 'zod';
import { checkBase as base } from '../../config/check-base.js';
import type { IntegrationSchema } from '../schema-types.js';

export const tlsCheck = z.strictObject({
  ...base,
  timeout: base.timeout.describe('Deadline of the TLS handshake, per endpoint; default 5s. An endpoint that does not answer in time is critical.'),
  kind: z.literal('tls').describe('Days until the certificate of each endpoint expires.'),
  endpoints: z
    .array(z.string().regex(/^[^:\s]+:\d+$/, 'expected host:port'))
    .min(1)
    .describe('`host:port` of each TLS server, e.g. `api.example.com:443` (the host name is also sent as SNI). Each is judged on its own; the check takes the worst.'),
  warnDays: z.number().int().positive().default(30).describe('Warn when fewer than this many whole days are left before the certificate expires.'),
  criticalDays: z.number().int().positive().default(7).describe('Critical when fewer than this many whole days are left (an expired certificate has a negative count). An unreachable endpoint is critical too.'),
  // Read by no code: fetchCertificate always connects with rejectUnauthorized: false.
  insecure: z.boolean().default(true).describe('Has no effect: the certificate is always read without verifying its chain (self-signed and private CAs accepted), because the check judges expiry, not trust.'),
}).describe('TLS certificate expiry: warn / critical when fewer than `warnDays` / `criticalDays` days are left.');

export const tlsSchema = {
  name: 'tls',
  connection: {},
  checks: [tlsCheck],
  steps: [],
} as const satisfies IntegrationSchema;

export type TlsCheck = z.infer<typeof tlsCheck>;
