// Human-readable ABI fragments for what Keyturn calls on the mUSD contracts:
// the views behind the runbook's checks and the transactions behind its
// actions. The integration test checks every one against the compiled ABI.

/** The four contracts the runbook pauses, in its pause order. */
export const PAUSE_ORDER = ['BorrowModule', 'SMUSD', 'DirectMintV2', 'BLEBridgeV9'] as const;
/** The runbook's unpause order: the pause order reversed. */
export const UNPAUSE_ORDER = [...PAUSE_ORDER].reverse() as Array<(typeof PAUSE_ORDER)[number]>;

export type PausableName = (typeof PAUSE_ORDER)[number];

export const PAUSABLE_ABI = [
  'function paused() view returns (bool)',
  'function pause()',
  'function unpause()',
  'function PAUSER_ROLE() view returns (bytes32)',
  'function hasRole(bytes32 role, address account) view returns (bool)',
  'event Paused(address account)',
  'event Unpaused(address account)',
] as const;

export const MUSD_ABI = [
  'function totalSupply() view returns (uint256)',
  'function supplyCap() view returns (uint256)',
  'function decimals() view returns (uint8)',
] as const;

export const DIRECT_MINT_ABI = [...PAUSABLE_ABI, 'function supplyCap() view returns (uint256)'] as const;

export const TREASURY_ABI = [
  'function totalAssets() view returns (uint256)',
  'function decimals() view returns (uint8)',
  'function reserveBalance() view returns (uint256)',
  'function strategyCount() view returns (uint256)',
  'function strategyAt(uint256 index) view returns (address)',
  'function getStrategyReport(address strategy) view returns (uint256 principal, uint256 currentValue, int256 pnl, uint256 lastReport)',
] as const;

export const SMUSD_ABI = [
  ...PAUSABLE_ABI,
  'function convertToAssets(uint256 shares) view returns (uint256)',
  'function totalAssets() view returns (uint256)',
] as const;

export const PRICE_ORACLE_ABI = [
  'function getLatestPrice(address token) view returns (uint256 price, uint256 updatedAt)',
  'function maxStaleness() view returns (uint256)',
] as const;

export const BLE_BRIDGE_ABI = [
  ...PAUSABLE_ABI,
  'function relayer() view returns (address)',
  'function updateRelayer(address newRelayer)',
  'function validators(uint256 index) view returns (address)',
  'function validatorCount() view returns (uint256)',
  'function minSignatures() view returns (uint256)',
  'function updateValidator(uint256 index, address newValidator)',
  'function lastAttestationTime() view returns (uint256)',
  'event RelayerUpdated(address indexed oldRelayer, address indexed newRelayer)',
] as const;

export const BORROW_MODULE_ABI = [...PAUSABLE_ABI] as const;

/** Per contract, the fragments the bot's musd system pack uses. */
export const MUSD_BOT_ABI = {
  MUSD: MUSD_ABI,
  SMUSD: SMUSD_ABI,
  BorrowModule: BORROW_MODULE_ABI,
  DirectMintV2: DIRECT_MINT_ABI,
  BLEBridgeV9: BLE_BRIDGE_ABI,
  Treasury: TREASURY_ABI,
  PriceOracle: PRICE_ORACLE_ABI,
} as const;
