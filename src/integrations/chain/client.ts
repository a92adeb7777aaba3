/**
 * Ethereum executor (ethers 6): a JSON-RPC provider per use, view calls from
 * human-readable ABI fragments, and the signer (a private key or an
 * encrypted JSON keystore) whose key is registered as a secret the moment
 * it is known. No NonceManager: it bumps its counter before estimateGas, so
 * one reverting call would leave a nonce gap; nonces are read per send.
 */
import { displayUrl } from '../../core/url-display.js';
import { formatDeadline } from '../../config/duration.js';
import { readFile, stat } from 'node:fs/promises';
import { FetchRequest, FunctionFragment, Interface, JsonRpcProvider, Network, Wallet, isError } from 'ethers';
import type { ChainConnection } from './schema.js';
import type { ChainCall } from './schema.js';
import { maskSecrets, registerSecret } from '../../core/secrets.js';

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

export function needChain(conn: ChainConnection | undefined): ChainConnection {
  if (!conn) throw new Error('this system has no chain settings (chain: { rpcUrl, contracts })');
  return conn;
}

/** A contract name from chain.contracts (or an address) to its address. */
export function contractAddress(conn: ChainConnection, ref: string): string {
  if (ADDRESS.test(ref)) return ref;
  const a = conn.contracts[ref];
  if (!a) throw new Error(`unknown contract "${ref}" (chain.contracts: ${Object.keys(conn.contracts).join(', ') || 'none'})`);
  return a;
}

/** The name people know a contract by. */
export function contractLabel(conn: ChainConnection, ref: string): string {
  if (!ADDRESS.test(ref)) return ref;
  return Object.entries(conn.contracts).find(([, a]) => a.toLowerCase() === ref.toLowerCase())?.[0] ?? ref;
}


/**
 * The node did not answer, or answered with something that is not JSON:
 * said in words people act on. ethers' own messages carry "(code=...,
 * version=...)" dumps, and a stalled node reads as "request timeout" without
 * saying which node or for how long. Null for anything else (a revert, an
 * ABI mismatch), which callers word themselves.
 */
export function transportProblem(conn: ChainConnection, err: unknown, timeoutMs = conn.timeout): string | null {
  const at = `RPC ${maskSecrets(displayUrl(conn.rpcUrl))}`;
  if (isError(err, 'TIMEOUT')) return `${at} did not answer within ${formatDeadline(timeoutMs)}`;
  if (isError(err, 'UNSUPPORTED_OPERATION') && err.operation === 'bodyJson') return `${at} answered with something that is not JSON`;
  return null;
}

/** Any failure of a request the node itself answers (chain id, latest block): transport, a malformed answer, or no connection. */
export function rpcProblem(conn: ChainConnection, err: unknown, timeoutMs = conn.timeout): string {
  const transport = transportProblem(conn, err, timeoutMs);
  if (transport) return transport;
  const at = `RPC ${maskSecrets(displayUrl(conn.rpcUrl))}`;
  // shortMessage nests the inner error's dump after " (": the first clause names the field.
  if (isError(err, 'BAD_DATA')) return `${at} sent an answer that is not valid JSON-RPC (${maskSecrets(err.shortMessage.split(' (')[0]!)})`;
  const e = err as { shortMessage?: string; message?: string };
  return `${at} unreachable: ${maskSecrets(e.shortMessage ?? e.message ?? String(err))}`;
}

/**
 * Opens a provider pinned to the node's chain id (checked against chainId
 * when configured). cacheTimeout -1: ethers otherwise replays identical
 * calls (nonce reads included) for 250 ms, which reuses nonces against a
 * node that mines at once. The caller destroys it. `timeoutMs` is per
 * request (a check's own timeout, else the connection's).
 */
export async function openProvider(conn: ChainConnection, timeoutMs = conn.timeout): Promise<JsonRpcProvider> {
  const req = new FetchRequest(conn.rpcUrl);
  req.timeout = timeoutMs;
  req.body = { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] };
  req.setHeader('content-type', 'application/json');
  let chainId: number;
  try {
    const res = await req.send();
    const json = res.bodyJson as { result?: string; error?: { message?: string } };
    if (!json.result) throw new Error(json.error?.message ?? `HTTP ${res.statusCode}`);
    chainId = Number(json.result);
  } catch (err) {
    throw new Error(rpcProblem(conn, err, timeoutMs));
  }
  if (conn.chainId !== undefined && conn.chainId !== chainId) throw new Error(`RPC is on chain ${chainId}, expected chain ${conn.chainId}`);
  const rpc = new FetchRequest(conn.rpcUrl);
  rpc.timeout = timeoutMs;
  return new JsonRpcProvider(rpc, Network.from(chainId), { cacheTimeout: -1, staticNetwork: true, batchMaxCount: 1, pollingInterval: 250 });
}

const keystores = new Map<string, { mtimeMs: number; wallet: Wallet }>();

/** The configured signer, connected to the provider. A keystore is decrypted once per file version (scrypt is slow). */
export async function openSigner(conn: ChainConnection, provider: JsonRpcProvider): Promise<Wallet> {
  const s = conn.signer;
  if (!s) throw new Error('no chain.signer configured (privateKey or keystore + password)');
  if (s.privateKey) {
    registerSecret(s.privateKey);
    return new Wallet(s.privateKey.startsWith('0x') ? s.privateKey : `0x${s.privateKey}`, provider);
  }
  const file = s.keystore!;
  registerSecret(s.password);
  let info;
  try {
    info = await stat(file);
  } catch {
    throw new Error(`keystore ${file} cannot be read`);
  }
  const cached = keystores.get(file);
  if (cached && cached.mtimeMs === info.mtimeMs) return cached.wallet.connect(provider);
  let wallet: Wallet;
  try {
    const w = await Wallet.fromEncryptedJson(await readFile(file, 'utf8'), s.password!);
    wallet = new Wallet(w.privateKey);
  } catch (err) {
    // ethers says "incorrect password" or names the JSON problem; neither contains the key or password.
    throw new Error(`keystore ${file} could not be decrypted: ${maskSecrets((err as Error).message.split(' (')[0]!)}`);
  }
  registerSecret(wallet.privateKey);
  registerSecret(wallet.privateKey.slice(2));
  keystores.set(file, { mtimeMs: info.mtimeMs, wallet });
  return wallet.connect(provider);
}

export function fragmentOf(fn: string): { frag: FunctionFragment; iface: Interface } {
  const frag = FunctionFragment.from(fn);
  return { frag, iface: new Interface([frag]) };
}

/** `name(args)` for messages. */
export function callText(frag: FunctionFragment, args: readonly unknown[]): string {
  return `${frag.name}(${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)))).join(', ')})`;
}

/** A view call: encode, eth_call, decode, pick the output (index or name). */
export async function readCall(provider: JsonRpcProvider, conn: ChainConnection, call: Pick<ChainCall, 'contract' | 'fn' | 'args' | 'output'>, blockTag?: number): Promise<unknown> {
  const { frag, iface } = fragmentOf(call.fn);
  const data = iface.encodeFunctionData(frag, call.args);
  const raw = await provider.call({ to: contractAddress(conn, call.contract), data, blockTag });
  const result = iface.decodeFunctionResult(frag, raw);
  const index = typeof call.output === 'number' ? call.output : frag.outputs.findIndex((o) => o.name === call.output);
  if (index < 0 || index >= frag.outputs.length) throw new Error(`${frag.name} has no output ${JSON.stringify(call.output)}`);
  return result[index];
}

/** The revert reason a person can act on ("Pausable: paused"), from ethers' CALL_EXCEPTION or the node's message. */
export function revertReason(err: unknown): string {
  if (isError(err, 'CALL_EXCEPTION')) {
    if (err.reason) return err.reason;
    if (err.revert) return `${err.revert.name}(${err.revert.args.join(', ')})`;
    return 'reverted without a reason';
  }
  const e = err as { shortMessage?: string; message?: string };
  return maskSecrets(e.shortMessage ?? e.message ?? String(err));
}
