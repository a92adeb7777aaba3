// `npm run musd:artifacts`: compiles the mUSD contracts with solc and writes artifacts.json, which the
// demo and the fleet deploy from (no compiler at start). Run it after changing a contract.
import { writeMusdArtifacts } from './compile.js';

console.log(`wrote ${await writeMusdArtifacts()}`);
