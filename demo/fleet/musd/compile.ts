// The mUSD simulator contracts' ABIs and bytecode. The compiled artifacts are
// committed (artifacts.json, keyed by a hash of the sources): the demo and the
// fleet start without solc. When the sources change, solc-js (a dev
// dependency) compiles them again, cached under build/; `npm run
// musd:artifacts` rewrites artifacts.json, and a test keeps it in step.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CompiledContract {
  abi: unknown[];
  bytecode: string;
}

export type CompiledContracts = Record<string, CompiledContract>;

export interface CompileOptions {
  contractsDir?: string;
  buildDir?: string;
  /** Ignore the cache and recompile. */
  force?: boolean;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const CONTRACTS_DIR = path.join(HERE, 'contracts');
export const BUILD_DIR = path.join(HERE, 'build');
export const ARTIFACTS_FILE = path.join(HERE, 'artifacts.json');

interface Artifacts {
  /** sha256 of the sources (names and contents), which these artifacts were compiled from. */
  sources: string;
  solc: string;
  contracts: CompiledContracts;
}

export function sourcesHash(sources: Record<string, { content: string }>): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(SETTINGS));
  for (const [name, { content }] of Object.entries(sources)) h.update(`${name}\n${content}\n\0`);
  return h.digest('hex');
}

/** The committed artifacts when they were built from these sources, else null. */
async function committedArtifacts(sources: Record<string, { content: string }>): Promise<CompiledContracts | null> {
  try {
    const a = JSON.parse(await readFile(ARTIFACTS_FILE, 'utf8')) as Artifacts;
    return a.sources === sourcesHash(sources) ? a.contracts : null;
  } catch {
    return null;
  }
}

/** Compiles with solc and writes artifacts.json (npm run musd:artifacts). */
export async function writeMusdArtifacts(): Promise<string> {
  const sources = await readSources(CONTRACTS_DIR);
  const contracts = await runSolc(sources);
  const a: Artifacts = { sources: sourcesHash(sources), solc: solcVersion(), contracts };
  await writeFile(ARTIFACTS_FILE, JSON.stringify(a) + '\n');
  return ARTIFACTS_FILE;
}

const SETTINGS = {
  // The optimizer triples compile time (4.4 s vs 1.2 s) and gas does not matter here.
  optimizer: { enabled: false },
  evmVersion: 'cancun',
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
} as const;

interface SolcError {
  severity: 'error' | 'warning' | 'info';
  formattedMessage: string;
}

interface SolcOutput {
  errors?: SolcError[];
  contracts?: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
}

function solcVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('solc/package.json') as { version: string }).version;
}

export async function readSources(dir: string): Promise<Record<string, { content: string }>> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sol')).sort();
  if (files.length === 0) throw new Error(`no .sol files in ${dir}`);
  const sources: Record<string, { content: string }> = {};
  for (const f of files) sources[f] = { content: await readFile(path.join(dir, f), 'utf8') };
  return sources;
}

function cacheKey(sources: Record<string, { content: string }>): string {
  const h = createHash('sha256');
  h.update(`solc ${solcVersion()}\n${JSON.stringify(SETTINGS)}\n`);
  for (const [name, { content }] of Object.entries(sources)) h.update(`${name}\n${content}\n\0`);
  return h.digest('hex').slice(0, 16);
}

async function runSolc(sources: Record<string, { content: string }>): Promise<CompiledContracts> {
  // Loaded only on a cache miss: requiring soljson takes about a second.
  const solc = (await import('solc')).default;
  const input = { language: 'Solidity', sources, settings: SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input)) as string) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) {
    throw new Error(`solc failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  }
  const result: CompiledContracts = {};
  for (const byName of Object.values(output.contracts ?? {})) {
    for (const [name, c] of Object.entries(byName)) {
      // Abstract contracts and interfaces have no bytecode: nothing to deploy.
      if (c.evm.bytecode.object.length === 0) continue;
      result[name] = { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
    }
  }
  return result;
}

export async function compileMusdContracts(options: CompileOptions = {}): Promise<CompiledContracts> {
  const sources = await readSources(options.contractsDir ?? CONTRACTS_DIR);
  if (!options.force && !options.contractsDir) {
    const committed = await committedArtifacts(sources);
    if (committed) return committed;
  }
  const buildDir = options.buildDir ?? BUILD_DIR;
  const cacheFile = path.join(buildDir, `contracts-${cacheKey(sources)}.json`);
  if (!options.force) {
    try {
      return JSON.parse(await readFile(cacheFile, 'utf8')) as CompiledContracts;
    } catch {
      // Missing or unreadable cache: compile below.
    }
  }
  const compiled = await runSolc(sources);
  await mkdir(buildDir, { recursive: true });
  // Write then rename, so parallel test workers never read half a file.
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(compiled));
  await rename(tmp, cacheFile);
  // Builds of older sources are never read again.
  for (const f of await readdir(buildDir)) {
    if (/^contracts-[0-9a-f]{16}\.json$/.test(f) && path.join(buildDir, f) !== cacheFile) {
      await unlink(path.join(buildDir, f)).catch(() => undefined);
    }
  }
  return compiled;
}
