/**
 * The EVM chain integration's config: the system's `chain` connection (RPC,
 * named contracts, a signer), the `chain-call` check (view calls judged) and
 * the `chain-tx` step (one transaction per contract, read back).
 */
import { z } from 'zod';
import { duration } from '../../config/duration.js';
import { checkBase as base, comparison, stepBase } from '../../config/check-base.js';
import { registerSecret } from '../../core/secrets.js';
import { level, scalar } from '../common-schema.js';
import type { IntegrationSchema } from '../schema-types.js';
import { crossCheckChain } from './crosscheck.js';
import { isFunctionFragment } from './abi-fragment.js';

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

export const contractName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'expected a contract name (letters, digits, _ . -)');
export const evmAddress = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 0x-prefixed 20-byte address');

const secret = (v: string) => {
  registerSecret(v);
  registerSecret(v.replace(/^0x/, ''));
  return v;
};

export const chainSigner = z
  .strictObject({
    privateKey: z
      .string()
      .regex(/^(0x)?[0-9a-fA-F]{64}$/, 'expected a 32-byte hex private key (give it as ${env:NAME})')
      .transform(secret)
      .optional()
      .describe('Hex private key of the sending account; always as ${env:NAME}. Never shown, logged or audited.'),
    keystore: z.string().min(1).optional().describe('Instead of `privateKey`: path of an encrypted JSON keystore (geth / ethers format).'),
    password: z.string().min(1).transform(secret).optional().describe('Password of the keystore; always as ${env:NAME}.'),
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

export const chainConnection = z
  .strictObject({
    rpcUrl: rpcUrl.describe('JSON-RPC endpoint; a key in its path or query is masked like a secret.'),
    chainId: z.number().int().positive().optional().describe('Expected chain id (1: Ethereum mainnet); when set, the node is not asked and a node on another chain is refused.'),
    contracts: z.record(contractName, evmAddress).default({}).describe('Contract addresses by name (e.g. Treasury: 0x...); checks and steps use the names.'),
    signer: chainSigner.optional().describe('The account that signs `chain-tx` transactions; checks need none.'),
    timeout: duration.default(10_000).describe('Per JSON-RPC request.'),
    receiptTimeout: duration.default(120_000).describe('How long to wait for each transaction\'s receipt.'),
  })
  .describe('An EVM chain: JSON-RPC endpoint, named contracts and (for `chain-tx`) a signer.');
export type ChainConnection = z.infer<typeof chainConnection>;

// Checked without ethers (./abi-fragment.ts): loading the config must not load the chain client's library.
export const abiFragment = z.string().refine((s) => isFunctionFragment(s), 'expected a human-readable ABI function fragment like "function paused() view returns (bool)"');

export const chainCall = z.strictObject({
  contract: z.union([evmAddress, contractName]).describe('A name from the system\'s `chain.contracts`, or an address.'),
  fn: abiFragment.describe('The view function as a human-readable ABI fragment, e.g. "function paused() view returns (bool)".'),
  args: z.array(z.union([z.string(), z.number(), z.boolean()])).default([]).describe('Arguments of `fn`, in order (big numbers as strings, e.g. "1000000000000000000").'),
  output: z.union([z.number().int().min(0), z.string().min(1)]).default(0).describe('Which return value: its index (0: the first) or its name in `fn`.'),
});
export type ChainCall = z.infer<typeof chainCall>;

const decimals = z
  .union([z.number().int().min(0).max(77), chainCall])
  .default(0)
  .describe('Decimals of the number: fixed (18), or read from the chain with a call (e.g. Treasury `function decimals() view returns (uint8)`).');
const scaledCall = chainCall.extend({ decimals });

const readBase = {
  label: z.string().min(1).describe('Name of the reading in the result; a verify step\'s `until.field` refers to it.'),
  advice: z.string().min(1).optional().describe('What the runbook says to do, shown with the reading whenever it is warn or critical.'),
};
const readStatus = level.default('critical').describe('Status when the reading is off.');

export const chainRead = z.discriminatedUnion('type', [
  z
    .strictObject({
      ...readBase,
      type: z.literal('equals').describe('The call must return exactly `equals`, e.g. paused() == false.'),
      call: chainCall.describe('The view call.'),
      equals: scalar.describe('The healthy value (addresses compare case-insensitively, numbers as integers).'),
      status: readStatus,
    })
    .describe('paused() == false'),
  z
    .strictObject({
      ...readBase,
      type: z.literal('compare').describe('A relation between two calls that must hold, e.g. totalSupply() <= supplyCap(); both are scaled to 18 decimals first.'),
      call: scaledCall.describe('The left side.'),
      op: comparison.describe('The relation that must hold: call op than.'),
      than: scaledCall.describe('The right side.'),
      status: readStatus,
    })
    .describe('totalSupply() <= supplyCap()'),
  z
    .strictObject({
      ...readBase,
      type: z.literal('value').describe('A number judged by thresholds, e.g. convertToAssets(1e18) with decimals 18, critical below 0.99.'),
      call: scaledCall.describe('The view call returning the number.'),
      op: comparison.default('>').describe('How the value is compared with warn / critical: `<` with critical 0.99 means "critical when value < 0.99".'),
      warn: z.number().optional().describe('Warn when the value compares true against this.'),
      critical: z.number().optional().describe('Critical when the value compares true against this.'),
      unit: z.string().optional().describe('Shown after the value.'),
      decrease: z
        .strictObject({
          within: duration.default(60 * 60_000).describe('Readings (by block time) kept and compared against: a value below the highest of this window is a decrease.'),
          percent: z.number().min(0).max(100).default(0).describe('Only a decrease larger than this (percent of the highest reading) counts; 0: any decrease.'),
          status: level.default('critical').describe('Status of a decrease.'),
        })
        .optional()
        .describe('Flag a decrease from earlier readings, whatever the level (mUSD SharePriceDecreaseAnomaly: 1.05 -> 1.02 is still above 1). Earlier readings are kept in the store, so any replica compares with the same history.'),
    })
    .describe('convertToAssets(1e18) < 0.99'),
  z
    .strictObject({
      ...readBase,
      type: z.literal('ratio').describe('numerator / denominator, each scaled by its decimals; in percent by default; judged by bands.'),
      numerator: scaledCall.describe('The call above the line.'),
      denominator: scaledCall.describe('The call below the line (0: the reading is unknown).'),
      percent: z.boolean().default(true).describe('Show and judge the ratio times 100.'),
      bands: z
        .array(
          z.strictObject({
            below: z.number().optional().describe('The band holds when the ratio is below this.'),
            above: z.number().optional().describe('The band holds when the ratio is above this.'),
            status: level.describe('Status inside the band.'),
            label: z.string().optional().describe('Shown with the reading inside the band, e.g. "below the 110 % collateral floor".'),
          }),
        )
        .default([])
        .describe('Listed from mild to severe, e.g. [{ below: 120, status: warn }, { below: 110, status: critical }]; the worst band that holds wins.'),
    })
    .describe('collateral / supply in percent'),
  z
    .strictObject({
      ...readBase,
      type: z.literal('age').describe('A unix timestamp in seconds (e.g. an oracle\'s updatedAt) compared with the latest block\'s time.'),
      call: chainCall.describe('The view call returning the timestamp.'),
      warn: duration.optional().describe('Warn when the timestamp is older than this.'),
      critical: duration.optional().describe('Critical when the timestamp is older than this.'),
    })
    .describe('oracle updatedAt older than 1h'),
]);
export type ChainRead = z.infer<typeof chainRead>;

export const chainCallCheck = z
  .strictObject({
    ...base,
    kind: z.literal('chain-call').describe('View calls on contracts, judged.'),
    reads: z.array(chainRead).min(1).describe('Readings, all at one block; each has a `type`: equals, compare, value, ratio or age.'),
  })
  .describe('View calls on the system\'s contracts, read at one block and judged: flags, relations, values, ratios and ages.');

export const chainTxStep = z
  .strictObject({
    ...stepBase,
    kind: z.literal('chain-tx').describe('One transaction per contract.'),
    fn: abiFragment.describe('The function to call on every contract, e.g. "function pause()" (human-readable ABI fragment).'),
    args: z.array(z.unknown()).default([]).describe('Arguments of `fn`; may be {{params.x}} placeholders.'),
    contracts: z.array(z.union([evmAddress, contractName])).min(1).describe('Sent in this order, one transaction each (names from chain.contracts, or addresses).'),
    readBack: z
      .strictObject({
        fn: abiFragment.describe('A view function read on each contract, e.g. "function paused() view returns (bool)".'),
        equals: z.union([z.boolean(), z.string(), z.number()]).describe('The target state it must read; may be a placeholder ({{params.address}}).'),
      })
      .optional()
      .describe('The target state: read before each call (the plan shows it; a contract already there is skipped, said in the thread and audited) and after each transaction (it must then read `equals`).'),
    onFailure: z
      .enum(['stop', 'continue'])
      .default('stop')
      .describe('stop: the first failing contract stops the rest (unpause: a later contract must not run before an earlier one). continue: best effort, every contract is tried in order and each result reported (an emergency pause: one reverting contract must not leave the others running); a call that would revert is then shown in the plan instead of refusing the request.'),
  })
  .describe('Sends one transaction per contract with the system\'s signer, each simulated in the plan and read back after.');

export const chainSchema = {
  name: 'chain',
  crossCheck: crossCheckChain,
  connection: { chain: chainConnection.optional() },
  checks: [chainCallCheck],
  steps: [chainTxStep],
} as const satisfies IntegrationSchema;

export type ChainCallCheck = z.infer<typeof chainCallCheck>;
export type ChainTxStep = z.infer<typeof chainTxStep>;
