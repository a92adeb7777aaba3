/**
 * `chain-tx` action steps: one function call sent to a list of contracts in
 * order, from the configured signer. Ordered, idempotent and resumable:
 *
 * - `readBack` is the target state. It is read on every contract before
 *   approval (the plan shows each contract's current state) and again just
 *   before its transaction: a contract already there is skipped, said in the
 *   thread and kept in the audit row. So `/pause musd` after
 *   `/pause musd mints`, or after a partial pause, finishes the rest, and
 *   `/unpause musd` works from any mixed state.
 * - Each call is simulated (eth_call from the signer's address) in plan() and
 *   again just before it is sent.
 * - `onFailure: stop` (default) stops at the first failure; `continue` is best
 *   effort: every contract is tried in order and each result reported (an
 *   emergency pause must not leave three contracts running because the
 *   second one reverts). Either way the step fails if one contract did not
 *   reach the target state, so `finally` steps can say so.
 *
 * What an approval binds (src/approvals/binding.ts) is the step as configured
 * (function, arguments, contracts in order, target state, onFailure), never
 * the current state shown in the plan: the state moves on its own (someone
 * pauses a contract by hand, a block is mined), and binding it would
 * invalidate every approval of an emergency pause exactly when it matters. It
 * is re-read at run time instead, which is what makes the step safe to
 * approve on a state that has since changed.
 */
import { isError, type JsonRpcProvider, type Wallet } from 'ethers';
import type { ChainTxStep } from './schema.js';
import { maskDeep, maskSecrets } from '../../core/secrets.js';
import { renderJson } from '../../runbooks/template.js';
import type { StepContext, StepExecutor, StepOutcome } from '../contracts.js';
import { callText, contractAddress, contractLabel, fragmentOf, needChain, openProvider, openSigner, readCall, revertReason } from './client.js';
import { display, sameValue } from './eval.js';
import { STOPPED, unlessStopped } from '../../core/run-stop.js';

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

/** The run was stopped while a receipt was awaited: the transaction is out, its outcome unknown. */
class StoppedAwaitingReceipt extends Error {
  constructor(readonly hash: string) {
    super(`sent as ${hash}, its receipt not awaited: ${STOPPED} (it may still be mined)`);
  }
}

async function send(wallet: Wallet, provider: JsonRpcProvider, to: string, data: string, receiptTimeoutMs: number, signal: AbortSignal) {
  const gasLimit = gasLimitFor(await wallet.estimateGas({ to, data }));
  for (let attempt = 1; ; attempt++) {
    // The pending count right before each send: another process may have used the key in between.
    const nonce = await provider.getTransactionCount(wallet.address, 'pending');
    try {
      const tx = await wallet.sendTransaction({ to, data, gasLimit, nonce });
      const waited = await unlessStopped(tx.wait(1, receiptTimeoutMs), signal);
      if (waited.stopped) throw new StoppedAwaitingReceipt(tx.hash);
      return { hash: tx.hash, receipt: waited.value };
    } catch (err) {
      if (isError(err, 'NONCE_EXPIRED') && attempt < NONCE_RETRIES) continue;
      throw err;
    }
  }
}

/** The target state read on one contract: the decoded value, or why it could not be read. */
async function readState(o: Opened, t: Target): Promise<{ value: unknown } | { error: string }> {
  try {
    return { value: await readCall(o.provider, o.conn, { contract: t.address, fn: o.readBack!.fn, args: [], output: 0 }) };
  } catch (err) {
    return { error: revertReason(err) };
  }
}

type Opened = Awaited<ReturnType<typeof open>> & { readBack?: ChainTxStep['readBack'] };

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

export const chainTxStepExecutor: StepExecutor<ChainTxStep> = {
  kind: 'chain-tx',
  async plan(step, ctx) {
    const o: Opened = { ...(await open(step, ctx)), readBack: step.readBack };
    try {
      const lines: string[] = [];
      const reader = step.readBack ? fragmentOf(step.readBack.fn).frag.name : '';
      for (const [i, t] of o.targets.entries()) {
        let now = '';
        if (step.readBack) {
          const st = await readState(o, t);
          if ('value' in st && sameValue(st.value, o.expect)) {
            lines.push(`${i + 1}. ${t.label} (${t.address}) ${reader}() reads ${display(st.value)} already: skipped`);
            continue;
          }
          now = 'value' in st ? `, ${reader}() reads ${display(st.value)}` : `, ${reader}() unreadable: ${st.error}`;
        }
        const reason = await simulate(o.wallet, t.address, o.data);
        if (reason !== null && step.onFailure === 'stop') throw new Error(`${t.label}.${o.call} would revert: ${reason}`);
        // Best effort: a call that would revert now is shown, and tried in its turn; it does not hold up the others.
        lines.push(`${i + 1}. ${t.label} (${t.address}${now}) ${o.call}: ${reason === null ? 'simulated ok' : `would revert now (${reason}), tried in its turn anyway`}`);
      }
      const back = step.readBack ? `; after each, ${reader}() must read ${display(o.expect)}` : '';
      const mode = step.onFailure === 'continue' ? ', best effort (a failing contract does not stop the others)' : '';
      return maskSecrets(`from ${o.wallet.address}, in this order, waiting for each receipt${mode}${back}: ${lines.join('; ')}`);
    } finally {
      o.provider.destroy();
    }
  },
  async run(step, ctx): Promise<StepOutcome> {
    const o: Opened = { ...(await open(step, ctx)), readBack: step.readBack };
    const done: Array<{ contract: string; address: string; tx: string; block: number; gasUsed: string }> = [];
    const skipped: Array<{ contract: string; address: string; reads: string }> = [];
    const failures: Array<{ contract: string; reason: string; tx?: string }> = [];
    const reader = step.readBack ? fragmentOf(step.readBack.fn).frag.name : '';
    const skippedText = () => (skipped.length ? ` Skipped (${reader}() already read ${display(o.expect)}): ${skipped.map((x) => x.contract).join(', ')}.` : '');
    const outcome = (notDone: string[]): StepOutcome => ({
      ok: false,
      summary: maskSecrets(
        `${failures.map((f) => `${o.call} on ${f.contract} failed: ${f.reason}`).join('; ')}. Done: ${done.map((d) => d.contract).join(', ') || 'nothing'}.${skippedText()} Not done: ${notDone.join(', ') || 'nothing'}.`,
      ),
      detail: maskDeep({ fn: o.call, from: o.wallet.address, onFailure: step.onFailure, done, skipped, failed: failures[0] ?? null, failures, notDone }),
    });
    try {
      for (const [i, t] of o.targets.entries()) {
        // One failure: `stop` ends the run here (this contract and every later one are not done); `continue` notes it and goes on.
        const fail = (reason: string, tx?: string): StepOutcome | null => {
          failures.push({ contract: t.label, reason, tx });
          if (step.onFailure === 'stop') return outcome([t.label, ...o.targets.slice(i + 1).map((x) => x.label)]);
          return null;
        };
        // The process is stopping: no further transaction is sent (this contract and the later ones are not done).
        if (ctx.signal.aborted) {
          failures.push({ contract: t.label, reason: STOPPED });
          return outcome(o.targets.slice(i).map((x) => x.label));
        }
        if (step.readBack) {
          // Re-read now, not at approval: what someone did by hand since then counts.
          const st = await readState(o, t);
          if ('value' in st && sameValue(st.value, o.expect)) {
            skipped.push({ contract: t.label, address: t.address, reads: display(st.value) });
            continue;
          }
        }
        const reason = await simulate(o.wallet, t.address, o.data);
        if (reason !== null) {
          const stop = fail(`simulation reverted: ${reason}`);
          if (stop) return stop;
          continue;
        }
        let sent;
        try {
          sent = await send(o.wallet, o.provider, t.address, o.data, o.conn.receiptTimeout, ctx.signal);
        } catch (err) {
          if (err instanceof StoppedAwaitingReceipt) {
            failures.push({ contract: t.label, reason: err.message, tx: err.hash });
            return outcome(o.targets.slice(i + 1).map((x) => x.label));
          }
          const timeout = isError(err, 'TIMEOUT');
          const stop = fail(timeout ? `no receipt within ${Math.round(o.conn.receiptTimeout / 1000)} s (it may still be mined)` : revertReason(err), (err as { receipt?: { hash?: string } }).receipt?.hash);
          if (stop) return stop;
          continue;
        }
        const r = sent.receipt;
        if (!r || r.status !== 1) {
          const stop = fail(`transaction ${sent.hash} failed on chain (status ${r?.status ?? 'unknown'})`, sent.hash);
          if (stop) return stop;
          continue;
        }
        done.push({ contract: t.label, address: t.address, tx: sent.hash, block: r.blockNumber, gasUsed: r.gasUsed.toString() });
        if (step.readBack) {
          const got = await readCall(o.provider, o.conn, { contract: t.address, fn: step.readBack.fn, args: [], output: 0 });
          // Mined, so done, but what it should have changed did not change.
          if (!sameValue(got, o.expect)) {
            const stop = fail(`mined (${sent.hash}) but ${reader}() reads ${display(got)}, expected ${display(o.expect)}`, sent.hash);
            if (stop) return stop;
          }
        }
      }
      if (failures.length) return outcome(failures.map((f) => f.contract));
      const sentText = done.length
        ? `${o.call} sent to ${plural(done.length, 'contract')} in order: ${done.map((d) => `${d.contract} (block ${d.block})`).join(', ')}`
        : `${o.call} sent to no contract: every one was already in the target state`;
      const skipText = skipped.length ? `; skipped, ${reader}() already read ${display(o.expect)}: ${skipped.map((x) => x.contract).join(', ')}` : '';
      return {
        ok: true,
        summary: `${sentText}${skipText}${step.readBack && done.length ? `; ${reader}() reads ${display(o.expect)} on each` : ''}`,
        detail: maskDeep({ fn: o.call, from: o.wallet.address, onFailure: step.onFailure, done, skipped, failed: null, failures: [], notDone: [] }),
      };
    } finally {
      o.provider.destroy();
    }
  },
};
