/** Check kind `chain-call`: view calls with thresholds (bool equals, a value vs another call, ratio bands, timestamp age). */
import type { JsonRpcProvider } from 'ethers';
import type { SystemConfig } from '../config/index.js';
import type { ChainCall, ChainCallCheck, ChainRead } from '../config/executor-checks-schema.js';
import type { ChainConnection } from '../config/connections-schema.js';
import { formatDuration } from '../config/duration.js';
import { worst, type Status } from '../core/message.js';
import { judge } from '../checks/prometheus.js';
import type { CheckResult } from '../checks/types.js';
import type { CheckContext } from '../checks/check-kind.js';
import type { SampleStore } from '../checks/sample-store.js';
import { contractLabel, fragmentOf, needChain, openProvider, readCall, revertReason, rpcProblem, transportProblem } from './chain.js';
import { compareBig, display, formatNumber, judgeAge, judgeBands, ratio, sameValue, scaled, to18, toBigInt } from './chain-eval.js';

type Decimals = number | ChainCall;

/** Reads within one check run share results (decimals() is asked once) and one block, so values are consistent. */
class Reader {
  private memo = new Map<string, Promise<unknown>>();
  constructor(
    private readonly provider: JsonRpcProvider,
    private readonly conn: ChainConnection,
    private readonly block: number,
  ) {}
  read(c: ChainCall): Promise<unknown> {
    const key = JSON.stringify([c.contract, c.fn, c.args, c.output]);
    let p = this.memo.get(key);
    if (!p) this.memo.set(key, (p = readCall(this.provider, this.conn, c, this.block)));
    return p;
  }
  async decimals(d: Decimals): Promise<number> {
    return typeof d === 'number' ? d : Number(toBigInt(await this.read(d)));
  }
}

const callName = (conn: ChainConnection, c: ChainCall) => `${contractLabel(conn, c.contract)}.${fragmentOf(c.fn).frag.name}()`;

async function evaluate(r: Reader, conn: ChainConnection, def: ChainRead, blockTime: number, history?: ReadHistory): Promise<{ status: Status; value: string; note: string; raw?: unknown }> {
  switch (def.type) {
    case 'equals': {
      const got = await r.read(def.call);
      const ok = sameValue(got, def.equals);
      return { status: ok ? 'ok' : def.status, value: display(got), note: ok ? '' : `expected ${display(def.equals)}`, raw: typeof got === 'bigint' ? got.toString() : got };
    }
    case 'compare': {
      const [a, b, da, db] = await Promise.all([r.read(def.call), r.read(def.than), r.decimals(def.call.decimals), r.decimals(def.than.decimals)]);
      const [x, y] = [to18(toBigInt(a), da), to18(toBigInt(b), db)];
      const holds = compareBig(x, def.op, y);
      const shown = `${formatNumber(scaled(toBigInt(a), da))} ${def.op} ${formatNumber(scaled(toBigInt(b), db))}`;
      return { status: holds ? 'ok' : def.status, raw: holds, value: shown, note: holds ? '' : `${callName(conn, def.call)} ${def.op} ${callName(conn, def.than)} does not hold` };
    }
    case 'value': {
      const v = scaled(toBigInt(await r.read(def.call)), await r.decimals(def.call.decimals));
      const status = judge(v, def);
      const shown = `${formatNumber(v, 6)}${def.unit ?? ''}`;
      if (!def.decrease || !history) return { status, value: shown, note: '', raw: v };
      const d = await history.decrease(def.label, v, blockTime, def.decrease);
      if (!d) return { status, value: shown, note: '', raw: v };
      return { status: worst([status, def.decrease.status]), value: shown, note: `down ${formatNumber(d.percent)} % from ${formatNumber(d.peak, 6)}${def.unit ?? ''} (block time ${new Date(d.at * 1000).toISOString().slice(11, 16)} UTC, within ${formatDuration(def.decrease.within)})`, raw: v };
    }
    case 'ratio': {
      const [n, d, dn, dd] = await Promise.all([r.read(def.numerator), r.read(def.denominator), r.decimals(def.numerator.decimals), r.decimals(def.denominator.decimals)]);
      const q = ratio(toBigInt(n), dn, toBigInt(d), dd);
      if (q === null) return { status: 'unknown', value: 'n/a', note: `${callName(conn, def.denominator)} is 0` };
      const v = def.percent ? q * 100 : q;
      const band = judgeBands(v, def.bands);
      return { status: band.status, raw: v, value: def.percent ? `${formatNumber(v)} %` : formatNumber(v, 6), note: band.label ?? '' };
    }
    case 'age': {
      const { ageMs, status } = judgeAge(toBigInt(await r.read(def.call)), blockTime, def.warn, def.critical);
      return { status, raw: ageMs, value: ageMs < 0 ? 'in the future' : formatDuration(ageMs), note: status === 'ok' ? '' : `older than ${formatDuration((status === 'critical' ? def.critical : def.warn)!)}` };
    }
  }
}

/**
 * Earlier readings of `value` reads with `decrease`, in the store's metric_samples table (one row per
 * read, target `read:<label>`): the readings of the last `within` of block time, so a decrease shows
 * on every run of the window, on any replica, not only on the first run after it.
 */
class ReadHistory {
  constructor(
    private readonly store: SampleStore,
    private readonly system: string,
    private readonly check: string,
  ) {}

  /** Records this reading; returns the decrease from the window's highest reading, or null. */
  async decrease(label: string, value: number, blockTime: number, d: { within: number; percent: number }): Promise<{ peak: number; at: number; percent: number } | null> {
    const target = `read:${label}`;
    const prev = await this.store.load(this.system, this.check, target);
    const since = blockTime - d.within / 1000;
    const kept = (prev?.samples ?? []).filter((x) => Number(x.labels.at) >= since && Number(x.labels.at) <= blockTime);
    const peak = kept.reduce<{ value: number; at: number } | null>((best, x) => (!best || x.value > best.value ? { value: x.value, at: Number(x.labels.at) } : best), null);
    // At most one reading per block time, the highest (a peak and the drop after it can share a second); the newest MAX_READINGS are kept.
    const same = kept.find((x) => Number(x.labels.at) === blockTime);
    const next = [...kept.filter((x) => x !== same), { name: 'reading', labels: { at: String(blockTime) }, value: Math.max(value, same?.value ?? value) }].slice(-MAX_READINGS);
    await this.store.save(this.system, this.check, target, { at: Date.now(), samples: next, rates: {} });
    if (!peak || peak.value <= 0 || value >= peak.value) return null;
    const percent = ((peak.value - value) / peak.value) * 100;
    return percent > d.percent ? { peak: peak.value, at: peak.at, percent } : null;
  }
}
const MAX_READINGS = 500;

export async function runChainCallCheck(systemName: string, sys: SystemConfig, def: ChainCallCheck, ctx: CheckContext = {}): Promise<CheckResult> {
  const started = performance.now();
  const conn = needChain(sys.chain);
  // The check's timeout, else the connection's: per JSON-RPC request, like a docker check's per Engine call.
  const timeoutMs = def.timeout ?? conn.timeout;
  const provider = await openProvider(conn, timeoutMs);
  try {
    const block = await provider.getBlock('latest').catch((err: unknown) => {
      throw new Error(`latest block: ${rpcProblem(conn, err, timeoutMs)}`);
    });
    if (!block) throw new Error('the node returned no latest block');
    const reader = new Reader(provider, conn, block.number);
    const history = ctx.samples ? new ReadHistory(ctx.samples, systemName, def.name) : undefined;
    const results = await Promise.all(
      def.reads.map(async (read) => {
        try {
          const e = await evaluate(reader, conn, read, block.timestamp, history);
          if ((e.status === 'warn' || e.status === 'critical') && read.advice) e.note = e.note ? `${e.note}: ${read.advice}` : read.advice;
          return { read, ...e };
        } catch (err) {
          return { read, status: 'unknown' as Status, value: '-', raw: undefined, note: `call failed: ${transportProblem(conn, err, timeoutMs) ?? revertReason(err)}` };
        }
      }),
    );
    const bad = results.filter((x) => x.status !== 'ok');
    return {
      system: systemName,
      check: def.name,
      status: worst(results.map((x) => x.status)),
      summary: bad.length ? bad.map((x) => `${x.read.label}: ${x.value}${x.note ? ` (${x.note})` : ''}`).join('; ') : `${results.length} reading${results.length === 1 ? '' : 's'} within limits at block ${block.number}`,
      table: { columns: ['reading', 'value', 'status', 'note'], rows: results.map((x) => [x.read.label, x.value, x.status, x.note]) },
      values: Object.fromEntries(results.map((x) => [x.read.label, x.raw])),
      durationMs: performance.now() - started,
    };
  } finally {
    provider.destroy();
  }
}
