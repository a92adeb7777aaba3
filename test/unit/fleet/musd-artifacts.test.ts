// The demo and the fleet deploy mUSD from the committed artifacts (no solc at start): they must be the
// compile of the committed sources. After changing a contract: npm run musd:artifacts.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ARTIFACTS_FILE, CONTRACTS_DIR, compileMusdContracts, readSources, sourcesHash } from '../../../demo/fleet/musd/compile.js';

describe('mUSD precompiled artifacts', () => {
  it('when the contracts are loaded, then they come from artifacts.json built from the current sources', async () => {
    const committed = JSON.parse(readFileSync(ARTIFACTS_FILE, 'utf8')) as { sources: string; contracts: Record<string, { bytecode: string }> };
    expect(committed.sources, 'artifacts.json is stale: run npm run musd:artifacts').toBe(sourcesHash(await readSources(CONTRACTS_DIR)));
    const loaded = await compileMusdContracts();
    expect(Object.keys(loaded).sort()).toEqual(Object.keys(committed.contracts).sort());
    for (const name of ['MUSD', 'SMUSD', 'BorrowModule', 'DirectMintV2', 'BLEBridgeV9', 'Treasury', 'PriceOracle', 'MockERC20']) {
      expect(loaded[name]?.bytecode).toMatch(/^0x[0-9a-f]{100,}$/);
    }
  });
});
