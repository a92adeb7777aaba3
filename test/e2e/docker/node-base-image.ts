// A local stand-in for node:20-bookworm-slim, since no registry is reachable:
// this machine's node binary, the shared libraries it links (from ldd), npm,
// a static busybox for /bin/sh (RUN steps, npm scripts, exec), and a `node`
// user with uid 1000 like the official image, plus the CA bundle this machine
// trusts (NODE_EXTRA_CA_CERTS) so npm inside reaches the registry the same way.
// Imported once per Docker Engine (`docker import`), reused while it exists.
import { spawn, spawnSync } from 'node:child_process';
import { chmod, chown, copyFile, cp, mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type Docker from 'dockerode';

export const NODE_BASE_IMAGE = 'keyturn-test/node20-base:latest';

/** What the base image is made of, as text (for image-cache.ts's key): the node binary, npm, busybox, the CA bundle, this file. */
export function nodeBaseInputs(): string {
  const node = realpathSync(process.execPath);
  const npmCli = realpathSync(spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim());
  const npmVersion = (JSON.parse(readFileSync(join(dirname(dirname(npmCli)), 'package.json'), 'utf8')) as { version: string }).version;
  const stamp = (f: string) => (existsSync(f) ? `${statSync(f).size}@${statSync(f).mtimeMs}` : 'none');
  const ca = process.env.NODE_EXTRA_CA_CERTS && existsSync(process.env.NODE_EXTRA_CA_CERTS) ? createHash('sha256').update(readFileSync(process.env.NODE_EXTRA_CA_CERTS)).digest('hex') : 'none';
  const self = createHash('sha256').update(readFileSync(fileURLToPath(import.meta.url))).digest('hex');
  return `node ${process.version} ${node} ${stamp(node)}; npm ${npmVersion}; busybox ${stamp('/bin/busybox')}; ca ${ca}; base ${self}`;
}

export async function ensureNodeBaseImage(docker: Docker): Promise<string> {
  if (await docker.getImage(NODE_BASE_IMAGE).inspect().then(() => true, () => false)) return NODE_BASE_IMAGE;
  const root = await mkdtemp(join(tmpdir(), 'kt-node-rootfs-'));
  try {
    await buildRootfs(root);
    // This machine reaches the npm registry through a TLS-inspecting proxy its CA bundle trusts: so must the image's npm.
    const extraCa = process.env.NODE_EXTRA_CA_CERTS && existsSync(process.env.NODE_EXTRA_CA_CERTS) ? process.env.NODE_EXTRA_CA_CERTS : null;
    if (extraCa) {
      await mkdir(join(root, dirname(extraCa)), { recursive: true });
      await copyFile(extraCa, join(root, extraCa));
    }
    const tar = spawn('tar', ['-C', root, '--numeric-owner', '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [repo, tag] = NODE_BASE_IMAGE.split(':') as [string, string];
    const changes = ['ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'CMD ["node"]'];
    if (extraCa) changes.push(`ENV NODE_EXTRA_CA_CERTS=${extraCa}`);
    const progress = await docker.importImage(tar.stdout, { repo, tag, changes });
    await new Promise<void>((ok, ko) =>
      docker.modem.followProgress(progress, (err: Error | null, out: Array<{ error?: string }>) => {
        const bad = err?.message ?? out.find((o) => o.error)?.error;
        return bad ? ko(new Error(`base image import failed: ${bad}`)) : ok();
      }),
    );
    return NODE_BASE_IMAGE;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function buildRootfs(root: string): Promise<void> {
  for (const d of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'root', 'home/node', 'usr/local/bin', 'usr/local/lib/node_modules', 'usr/lib', 'var']) {
    await mkdir(join(root, d), { recursive: true });
  }
  await chmod(join(root, 'tmp'), 0o1777);
  await chown(join(root, 'home/node'), 1000, 1000);

  // busybox (static): /bin/sh and the usual tools; /usr/bin/env for npm's `#!/usr/bin/env node`.
  const list = spawnSync('/bin/busybox', ['--list'], { encoding: 'utf8' });
  if (list.status !== 0) throw new Error('/bin/busybox is not runnable (apt-get install busybox-static)');
  await copyFile('/bin/busybox', join(root, 'bin/busybox'));
  for (const applet of list.stdout.split('\n').filter((a) => a && a !== 'busybox')) await symlink('busybox', join(root, 'bin', applet));
  await symlink('bin', join(root, 'sbin'));
  for (const l of ['usr/bin', 'usr/sbin']) await symlink('../bin', join(root, l));

  // node and every library it links, at the paths the dynamic loader looks for them.
  const node = await realpath(process.execPath);
  await copyFile(node, join(root, 'usr/local/bin/node'));
  await chmod(join(root, 'usr/local/bin/node'), 0o755);
  const ldd = spawnSync('ldd', [node], { encoding: 'utf8' });
  if (ldd.status !== 0) throw new Error(`ldd ${node} failed: ${ldd.stderr}`);
  const libs = [...ldd.stdout.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((m) => m[1]!);
  if (!libs.some((l) => l.includes('ld-linux'))) throw new Error(`no dynamic loader in ldd output:\n${ldd.stdout}`);
  for (const lib of libs) {
    await mkdir(join(root, dirname(lib)), { recursive: true });
    await copyFile(lib, join(root, lib)); // follows the host's symlinks: the real file under the linked name
  }

  // npm, laid out like the official image: /usr/local/lib/node_modules/npm and bin links.
  const npmCli = await realpath(spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim());
  const npmRoot = dirname(dirname(npmCli));
  if (!existsSync(join(npmRoot, 'package.json'))) throw new Error(`cannot find npm's package next to ${npmCli}`);
  await cp(npmRoot, join(root, 'usr/local/lib/node_modules/npm'), { recursive: true, verbatimSymlinks: true });
  await symlink('../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr/local/bin/npm'));
  await symlink('../lib/node_modules/npm/bin/npx-cli.js', join(root, 'usr/local/bin/npx'));

  await writeFile(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  await writeFile(join(root, 'etc/group'), 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n');
  await writeFile(join(root, 'etc/nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files dns\n');
}
