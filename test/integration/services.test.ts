// Proves each service started by global setup really works end to end.
import { describe, expect, it } from 'vitest';
import Docker from 'dockerode';
import { JsonRpcProvider, Wallet } from 'ethers';
import pg from 'pg';
import { need } from '../support/need.js';
import { freshDatabase } from '../support/pg.js';

const postgres = need('postgres');
const etcd = need('etcd');
const docker = need('docker');
const anvil = need('anvil');

describe.skipIf(!postgres)('postgres', () => {
  it('answers SELECT 1 in a fresh database', async () => {
    const url = await freshDatabase(postgres!.url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT 1 AS one, current_database() AS db');
      expect(rows[0]).toEqual({ one: 1, db: new URL(url).pathname.slice(1) });
    } finally {
      await client.end();
    }
  });
});

describe.skipIf(!etcd)('etcd', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const call = async (path: string, body: unknown) => {
    const r = await fetch(`${etcd!.url}/v3/kv/${path}`, { method: 'POST', body: JSON.stringify(body) });
    expect(r.status).toBe(200);
    return (await r.json()) as { kvs?: Array<{ key: string; value: string }> };
  };

  it('puts and ranges a key over the JSON gateway', async () => {
    await call('put', { key: b64('/kt/hello'), value: b64('world') });
    const got = await call('range', { key: b64('/kt/hello') });
    expect(got.kvs?.map((kv) => Buffer.from(kv.value, 'base64').toString())).toEqual(['world']);
    expect((await call('range', { key: b64('/kt/absent') })).kvs).toBeUndefined();
  });
});

describe.skipIf(!docker)('docker', () => {
  it('runs a container from the imported image and reads logs and exit code', async () => {
    const api = new Docker({ socketPath: docker!.socketPath });
    const c = await api.createContainer({
      Image: docker!.image,
      Cmd: ['sh', '-c', 'echo hello from $(uname -s); exit 3'],
      HostConfig: { NetworkMode: 'none' },
    });
    try {
      await c.start();
      const { StatusCode } = (await c.wait()) as { StatusCode: number };
      const logs = await c.logs({ stdout: true, stderr: true });
      expect(StatusCode).toBe(3);
      // Non-TTY logs are multiplexed: 8-byte frame headers precede each chunk.
      expect(logs.subarray(8).toString()).toBe('hello from Linux\n');
    } finally {
      await c.remove({ force: true });
    }
  });
});

describe.skipIf(!anvil)('anvil', () => {
  it('answers eth_blockNumber and knows the dev accounts', async () => {
    // cacheTimeout -1: ethers' 250 ms call cache reuses nonces against instant mining.
    const provider = new JsonRpcProvider(anvil!.rpcUrl, anvil!.chainId, { cacheTimeout: -1, staticNetwork: true });
    try {
      expect(await provider.getBlockNumber()).toBeGreaterThanOrEqual(0);
      expect(anvil!.privateKeys).toHaveLength(10);
      const accounts = (await provider.send('eth_accounts', [])) as string[];
      expect(accounts[0]?.toLowerCase()).toBe(new Wallet(anvil!.privateKeys[0]!).address.toLowerCase());
    } finally {
      provider.destroy();
    }
  });
});
