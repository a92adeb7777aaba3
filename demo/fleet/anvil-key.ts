/** anvil's first dev account (from its well-known test mnemonic): a throwaway key for a local chain only. Apart from demo-chain.ts, which loads ethers. */
export const ANVIL_DEV_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
