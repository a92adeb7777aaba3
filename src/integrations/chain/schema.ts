/**
 * Per-system connection settings for the executors: the Docker Engine,
 * Postgres databases by name, etcd endpoints, and an Ethereum RPC with
 * named contracts and a signer. Checks and steps refer to these by name, so
 * a URL or key is written once per system and never in a step.
 */
import { z } from 'zod';
import { duration } from './duration.js';
import { registerSecret } from '../core/secrets.js';
import { sshConnection } from '../integrations/ssh/schema.js';

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

export const dockerConnection = z
  .strictObject({
    /** Unix socket of the Docker Engine, e.g. /var/run/docker.sock. */
    socket: z.string().startsWith('/', 'expected an absolute socket path').optional(),
    /** DOCKER_HOST style address: unix:///path or tcp://host:port (plain HTTP). */
    host: z.string().regex(/^(unix:\/\/\/|tcp:\/\/[^/]+:\d+\/?$)/, 'expected unix:///path or tcp://host:port').optional(),
    /** Per Docker API call, except long streams (exec, dumps, archives) which use the step's timeout. */
    timeout: duration.default(30_000),
  })
  .refine((c) => !(c.socket && c.host), { message: 'give socket or host, not both' });
export type DockerConnection = z.infer<typeof dockerConnection>;

/** postgres:// URL; a password in it is registered as a secret so it is masked wherever it could appear. */
export const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\/\S+$/, 'expected a postgres:// URL')
  .transform((u) => {
    try {
      registerSecret(decodeURIComponent(new URL(u).password));
    } catch {
      // An unparsable URL is reported by pg when used; nothing to register.
    }
    return u;
  });

export const etcdConnection = z.strictObject({
  /** Client URLs of the v3 HTTP/JSON gateway; tried in order until one answers. */
  endpoints: z.array(httpUrl).min(1),
  timeout: duration.default(5_000),
});
export type EtcdConnection = z.infer<typeof etcdConnection>;

export const contractName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'expected a contract name (letters, digits, _ . -)');
export const evmAddress = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 0x-prefixed 20-byte address');

const secret = (v: string) => {
  registerSecret(v);
  registerSecret(v.replace(/^0x/, ''));
  return v;
};

export const chainSigner = z
  .strictObject({
    /** Hex private key; always as ${env:NAME}. Never shown, logged or audited. */
    privateKey: z.string().regex(/^(0x)?[0-9a-fA-F]{64}$/, 'expected a 32-byte hex private key (give it as ${env:NAME})').transform(secret).optional(),
    /** Path of an encrypted JSON keystore (geth / ethers format). */
    keystore: z.string().min(1).optional(),
    /** Keystore password; always as ${env:NAME}. */
    password: z.string().min(1).transform(secret).optional(),
  })
  .superRefine((s, ctx) => {
    if (!!s.privateKey === !!s.keystore) ctx.addIssue({ code: 'custom', message: 'give either privateKey or keystore (with password)' });
    if (s.keystore && !s.password) ctx.addIssue({ code: 'custom', path: ['password'], message: 'a keystore needs its password (give it as ${env:NAME})' });
  });
export type ChainSigner = z.infer<typeof chainSigner>;

/**
 * An RPC provider's key usually sits in the URL's path or query (`/v2/<key>`, `/v3/<key>`, `?apikey=`),
 * even when the URL itself was given as public configuration: that part is registered as a secret.
 */
const rpcUrl = httpUrl.transform((u) => {
  const url = new URL(u);
  const tail = `${url.pathname.replace(/^\/+|\/+$/g, '')}${url.search}`;
  for (const part of [tail, ...tail.split(/[/?&=]/)]) if (part.length >= 16) registerSecret(part);
  registerSecret(decodeURIComponent(url.password));
  return u;
});

export const chainConnection = z.strictObject({
  rpcUrl: rpcUrl.describe('JSON-RPC endpoint; a key in its path or query is masked like a secret.'),
  /** Expected chain id; when set, the provider does not ask the node and refuses a node on another chain. */
  chainId: z.number().int().positive().optional(),
  /** Contract addresses by name; checks and steps use the names. */
  contracts: z.record(contractName, evmAddress).default({}),
  signer: chainSigner.optional(),
  /** Per JSON-RPC request. */
  timeout: duration.default(10_000),
  /** How long to wait for each transaction's receipt. */
  receiptTimeout: duration.default(120_000),
});
export type ChainConnection = z.infer<typeof chainConnection>;

/** The fields added to a system: all optional, so configs without executors stay valid. */
export const systemConnections = {
  docker: dockerConnection.optional(),
  databases: z.record(z.string().regex(/^[a-z0-9][a-z0-9-_.]*$/, 'expected a lower-case name (letters, digits, - _ .)'), postgresUrl).default({}),
  etcd: etcdConnection.optional(),
  chain: chainConnection.optional(),
  ssh: sshConnection.optional(),
};
