/**
 * `chain-tx` action steps: one function call sent to a list of contracts in
 * order, from the configured signer. Each call is simulated (eth_call from
 * the signer's address) in plan(), so a revert refuses the request before
 * anyone is asked to approve it, and again just before its transaction is
 * sent. Stops at the first failure and says what was and was not done.
 */
import { isError, type JsonRpcProvider, type Wallet } from 'ethers';
import type { ChainTxStep } from '../config/executor-steps-schema.js';
import type { ChainConnection } from '../config/connections-schema.js';
import { maskDeep, maskSecrets } from '../core/secrets.js';
import { renderJson } from '../runbooks/template.js';
import type { StepContext, StepExecutor, StepOutcome } from '../runbooks/step-kinds.js';
import { callText, contractAddress, contractLabel, fragmentOf, needChain, openProvider, openSigner, readCall, revertReason } from './chain.js';
import { display, sameValue } from './chain-eval.js';

const NONCE_RETRIES = 3;

interface Target {
  label: string;
  address: string;
}

async function open(step: ChainTxStep, ctx: StepContext) {
  const conn = needChain(ctx.sys.chain);
  const { frag, iface } = fragmentOf(step.fn);
  const args = renderJson(step.args, ctx.vars) as unknown[];
  const data = iface.encodeFunctionData(frag, args);
  const targets: Target[] = step.contracts.map((c) => ({ label: contractLabel(conn, c), address: contractAddress(conn, c) }));
  const provider = await openProvider(conn);
  try {
    const wallet = await openSigner(conn, provider);
    // readBack.equals may be a placeholder, e.g. relayer() must read {{params.address}}.
    const expect = step.readBack ? renderJson(step.readBack.equals, ctx.vars) : undefined;
    return { conn, frag, args, data, targets, provider, wallet, call: callText(frag, args), expect };
  } catch (err) {
    provider.destroy();
    throw err;
  }
}

/** eth_call from the signer: null when it would succeed, else the revert reason. */
async function simulate(wallet: Wallet, to: string, data: string): Promise<string | null> {
  try {
    await wallet.call({ to, data });
    return null;
  } catch (err) {
    return revertReason(err);
  }
}

/** Gas estimate plus 25 % and 10,000: a bare estimate can be a no-op write that costs more when mined (see musd README). */
export function gasLimitFor(estimate: bigint): bigint {
  return (estimate * 5n) / 4n + 10_000n;
}

async function send(wallet: Wallet, provider: JsonRpcProvider, to: string, data: string, receiptTimeoutMs: number) {
  const gasLimit = gasLimitFor(await wallet.estimateGas({ to, data }));
  for (let attempt = 1; ; attempt++) {
    // The pending count right before each send: another process may have used the key in between.
    const nonce = await provider.getTransactionCount(wallet.address, 'pending');
    try {
      const tx = await wallet.sendTransaction({ to, data, gasLimit, nonce });
      const receipt = await tx.wait(1, receiptTimeoutMs);
      return { hash: tx.hash, receipt };
    } catch (err) {
      if (isError(err, 'NONCE_EXPIRED') && attempt < NONCE_RETRIES) continue;
      throw err;
    }
  }
}

export const chainTxStepExecutor: StepExecutor<ChainTxStep> = {
  kind: 'chain-tx',
  async plan(step, ctx) {
    const o = await open(step, ctx);
    try {
      const lines: string[] = [];
      for (const [i, t] of o.targets.entries()) {
        const reason = await simulate(o.wallet, t.address, o.data);
        if (reason !== null) throw new Error(`${t.label}.${o.call} would revert: ${reason}`);
        lines.push(`${i + 1}. ${t.label} (${t.address}) ${o.call}: simulated ok`);
      }
      const back = step.readBack ? `; after each, ${fragmentOf(step.readBack.fn).frag.name}() must read ${display(o.expect)}` : '';
      return maskSecrets(`from ${o.wallet.address}, in this order, waiting for each receipt${back}: ${lines.join('; ')}`);
    } finally {
      o.provider.destroy();
    }
  },
  async run(step, ctx): Promise<StepOutcome> {
    const o = await open(step, ctx);
    const done: Array<{ contract: string; address: string; tx: string; block: number; gasUsed: string }> = [];
    const names = (ts: Target[]) => ts.map((t) => t.label);
    const outcome = (failed: { contract: string; reason: string; tx?: string }, notDone: string[]): StepOutcome => ({
      ok: false,
      summary: maskSecrets(`${o.call} on ${failed.contract} failed: ${failed.reason}. Done: ${done.map((d) => d.contract).join(', ') || 'nothing'}. Not done: ${notDone.join(', ') || 'nothing'}.`),
      detail: maskDeep({ fn: o.call, from: o.wallet.address, done, failed, notDone }),
    });
    // Not sent: this contract and every later one are not done.
    const fail = (t: Target, reason: string, tx?: string) => outcome({ contract: t.label, reason, tx }, names(o.targets.slice(done.length)));
    try {
      for (const t of o.targets) {
        const reason = await simulate(o.wallet, t.address, o.data);
        if (reason !== null) return fail(t, `simulation reverted: ${reason}`);
        let sent;
        try {
          sent = await send(o.wallet, o.provider, t.address, o.data, o.conn.receiptTimeout);
        } catch (err) {
          const timeout = isError(err, 'TIMEOUT');
          return fail(t, timeout ? `no receipt within ${Math.round(o.conn.receiptTimeout / 1000)} s (it may still be mined)` : revertReason(err), (err as { receipt?: { hash?: string } }).receipt?.hash);
        }
        const r = sent.receipt;
        if (!r || r.status !== 1) return fail(t, `transaction ${sent.hash} failed on chain (status ${r?.status ?? 'unknown'})`, sent.hash);
        done.push({ contract: t.label, address: t.address, tx: sent.hash, block: r.blockNumber, gasUsed: r.gasUsed.toString() });
        if (step.readBack) {
          const got = await readCall(o.provider, o.conn, { contract: t.address, fn: step.readBack.fn, args: [], output: 0 });
          // Mined, so done, but what it should have changed did not change: stop before the next one.
          if (!sameValue(got, o.expect))
            return outcome({ contract: t.label, reason: `mined (${sent.hash}) but ${fragmentOf(step.readBack.fn).frag.name}() reads ${display(got)}, expected ${display(o.expect)}`, tx: sent.hash }, names(o.targets.slice(done.length)));
        }
      }
      return {
        ok: true,
        summary: `${o.call} sent to ${done.length} contract${done.length === 1 ? '' : 's'} in order: ${done.map((d) => `${d.contract} (block ${d.block})`).join(', ')}${step.readBack ? `; ${fragmentOf(step.readBack.fn).frag.name}() reads ${display(o.expect)} on each` : ''}`,
        detail: maskDeep({ fn: o.call, from: o.wallet.address, done, failed: null, notDone: [] }),
      };
    } finally {
      o.provider.destroy();
    }
  },
};
