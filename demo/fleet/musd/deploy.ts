// Deploys the mUSD simulator to a local node (anvil), wires the roles and
// seeds a healthy protocol; set(state) then pushes it into the runbook's
// failure states.
import { Contract, type ContractRunner, type InterfaceAbi, JsonRpcProvider, Wallet, getAddress, id, parseUnits } from 'ethers';
import { PAUSE_ORDER } from './abi.js';
import { compileMusdContracts } from './compile.js';
import { HEALTHY, applyState, readMusd, type MusdReadings, type MusdState, type StateContext } from './states.js';
import { TxSender } from './tx-sender.js';

export { MUSD_STATES, type MusdReadings, type MusdState } from './states.js';
export * from './abi.js';

export const MUSD_CONTRACTS = [
  'MUSD',
  'SMUSD',
  'BorrowModule',
  'DirectMintV2',
  'BLEBridgeV9',
  'Treasury',
  'PriceOracle',
] as const;
export type MusdContractName = (typeof MUSD_CONTRACTS)[number];

export interface MusdAddresses extends Record<MusdContractName, string> {
  /** Mock USDC held by the Treasury (6 decimals unless reserveDecimals says otherwise). */
  USDC: string;
  /** Mock WETH: BorrowModule collateral, priced by PriceOracle. $COLLATERAL_TOKEN in the runbook. */
  Collateral: string;
  /** The address the Treasury deploys 90 % of its USDC to (no code). $STRATEGY_ADDRESS. */
  Strategy: string;
}

export interface DeployMusdOptions {
  rpcUrl: string;
  deployerKey: string;
  /** Granted PAUSER_ROLE on the four pausable contracts, besides the deployer. */
  pauserAddress?: string;
  /** BLEBridgeV9.relayer(); defaults to the deployer. */
  relayerAddress?: string;
  /** Decimals of the mock USDC in the Treasury; 6 like real USDC. */
  reserveDecimals?: number;
}

export interface MusdValidator {
  address: string;
  /** Test-only key, derived from a fixed label: never use it anywhere real. */
  privateKey: string;
}

export interface MusdFleet {
  addresses: MusdAddresses;
  /** Full JSON ABIs from solc, by contract name. */
  abis: Record<MusdContractName | 'MockERC20', InterfaceAbi>;
  rpcUrl: string;
  chainId: bigint;
  provider: JsonRpcProvider;
  deployer: string;
  pauser: string | undefined;
  validators: MusdValidator[];
  /** The state last applied by set() ('healthy' after deploy). */
  readonly state: readonly MusdState[];
  /** A contract bound to the provider, or to a signer given as runner. */
  contract(name: Exclude<keyof MusdAddresses, 'Strategy'>, runner?: ContractRunner): Contract;
  /** Resets to healthy, then applies the given failure state(s). */
  set(state: MusdState | readonly MusdState[]): Promise<void>;
  /** Every value the runbook's checks look at, read through view calls. */
  read(): Promise<MusdReadings>;
  /** Releases the provider. Does not stop the node. */
  close(): Promise<void>;
}

const STRATEGY = getAddress(`0x${id('keyturn.musd.strategy').slice(26)}`);

export async function deployMusd(options: DeployMusdOptions): Promise<MusdFleet> {
  const compiled = await compileMusdContracts();
  const artifact = (name: string) => {
    const c = compiled[name];
    if (!c) throw new Error(`contract ${name} missing from the compiler output`);
    return c;
  };
  // cacheTimeout -1: ethers otherwise replays identical calls (nonce reads
  // included) for 250 ms; batchMaxCount 1 skips the 10 ms batching stall.
  const provider = new JsonRpcProvider(options.rpcUrl, undefined, {
    cacheTimeout: -1,
    staticNetwork: true,
    batchMaxCount: 1,
    pollingInterval: 100,
  });
  try {
    const { chainId } = await provider.getNetwork();
    const wallet = new Wallet(options.deployerKey, provider);
    const tx = new TxSender(wallet);
    const deployer = wallet.address;
    const decimals = options.reserveDecimals ?? 6;
    if (!Number.isInteger(decimals) || decimals < 0 || decimals > 18) throw new Error('reserveDecimals must be 0..18');
    const validators = [0, 1, 2].map((i) => {
      const w = new Wallet(id(`keyturn.musd.validator.${i}`));
      return { address: w.address, privateKey: w.privateKey };
    });

    const deploy = (name: string, args: unknown[]) => tx.deploy(artifact(name).abi as InterfaceAbi, artifact(name).bytecode, args);
    const USDC = await deploy('MockERC20', ['USD Coin', 'USDC', decimals]);
    const Collateral = await deploy('MockERC20', ['Wrapped Ether', 'WETH', 18]);
    const MUSD = await deploy('MUSD', [HEALTHY.supplyCap]);
    const PriceOracle = await deploy('PriceOracle', []);
    const Treasury = await deploy('Treasury', [USDC]);
    const DirectMintV2 = await deploy('DirectMintV2', [MUSD, USDC, Treasury]);
    const BorrowModule = await deploy('BorrowModule', [MUSD, Collateral, PriceOracle]);
    const SMUSD = await deploy('SMUSD', [MUSD]);
    const BLEBridgeV9 = await deploy('BLEBridgeV9', [
      MUSD,
      options.relayerAddress ?? deployer,
      validators.map((v) => v.address),
      2,
    ]);
    const addresses: MusdAddresses = {
      MUSD, SMUSD, BorrowModule, DirectMintV2, BLEBridgeV9, Treasury, PriceOracle, USDC, Collateral, Strategy: STRATEGY,
    };
    const contract = (name: Exclude<keyof MusdAddresses, 'Strategy'>, runner?: ContractRunner) => {
      const artifactName = name === 'USDC' || name === 'Collateral' ? 'MockERC20' : name;
      return new Contract(addresses[name], artifact(artifactName).abi as InterfaceAbi, runner ?? provider);
    };
    const c = (name: Exclude<keyof MusdAddresses, 'Strategy'>) => contract(name);

    // Roles (role ids are keccak256 of their names).
    await tx.send(c('MUSD'), 'grantRole', [id('MINTER_ROLE'), DirectMintV2]);
    await tx.send(c('MUSD'), 'grantRole', [id('MINTER_ROLE'), BorrowModule]);
    await tx.send(c('MUSD'), 'grantRole', [id('CAP_MANAGER_ROLE'), BLEBridgeV9]);
    await tx.send(c('Treasury'), 'grantRole', [id('VAULT_ROLE'), DirectMintV2]);
    if (options.pauserAddress) {
      for (const name of PAUSE_ORDER) await tx.send(c(name), 'grantRole', [id('PAUSER_ROLE'), options.pauserAddress]);
    }

    // Seed: 1M USDC minted into 1M mUSD through DirectMintV2, 90 % of the
    // USDC deployed to the strategy, 100k mUSD staked, a fresh WETH price.
    const usdc = (n: number) => parseUnits(String(n), decimals);
    await tx.send(c('USDC'), 'mint', [deployer, usdc(HEALTHY.seedUsdc)]);
    await tx.send(c('USDC'), 'approve', [DirectMintV2, usdc(HEALTHY.seedUsdc)]);
    await tx.send(c('DirectMintV2'), 'mint', [usdc(HEALTHY.seedUsdc)]);
    await tx.send(c('Treasury'), 'addStrategy', [STRATEGY]);
    await tx.send(c('Treasury'), 'allocate', [STRATEGY, usdc((HEALTHY.seedUsdc * 9) / 10)]);
    await tx.send(c('MUSD'), 'approve', [SMUSD, HEALTHY.stakedMusd]);
    await tx.send(c('SMUSD'), 'deposit', [HEALTHY.stakedMusd, deployer]);
    await tx.send(c('Collateral'), 'mint', [deployer, parseUnits('100', 18)]);
    await tx.send(c('PriceOracle'), 'setPrice', [Collateral, HEALTHY.collateralPrice]);

    const ctx: StateContext = { tx, provider, contract: c, addresses, reserveDecimals: decimals };
    let current: readonly MusdState[] = ['healthy'];
    return {
      addresses,
      abis: Object.fromEntries(
        [...MUSD_CONTRACTS, 'MockERC20'].map((n) => [n, artifact(n).abi as InterfaceAbi]),
      ) as MusdFleet['abis'],
      rpcUrl: options.rpcUrl,
      chainId,
      provider,
      deployer,
      pauser: options.pauserAddress,
      validators,
      get state() {
        return current;
      },
      contract,
      async set(state) {
        const states = typeof state === 'string' ? [state] : [...state];
        await applyState(ctx, states);
        current = states;
      },
      read: () => readMusd(ctx),
      async close() {
        provider.destroy();
      },
    };
  } catch (err) {
    provider.destroy();
    throw err;
  }
}
