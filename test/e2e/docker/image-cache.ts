// Docker's layer cache for the image test, kept between runs on this machine. The test's Docker
// Engine is new every run (a scratch data root), so every `docker build` started from nothing: two
// `npm ci` from the registry and `npm run build` were 104 s of a 184 s file in a clean-clone run at
// load ~10. Here the images a build made (the local base, the build stage, the image) are saved after
// it and loaded into the next run's engine, and the build is given them as --cache-from: `docker build`
// still runs every time, and Docker reuses a step only when its inputs are unchanged (the same base,
// the same package.json and package-lock.json for the `npm ci` steps; a changed source file rebuilds
// from its COPY on). The saved file is keyed by the base image's inputs and replaced after each build.
// KT_IMAGE_CACHE=off starts from nothing; KT_IMAGE_CACHE=<dir> keeps it there (default ~/.cache/keyturn-tests).
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';

export interface LayerCache {
  /** Where the images are kept; null when the cache is off. */
  file: string | null;
  /** True when this run's engine got the saved images. */
  loaded: boolean;
  /** Saves the images for the next run (replacing older files), unless they are exactly the ones loaded. */
  save(): Promise<void>;
}

export function imageCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.KT_IMAGE_CACHE === 'off') return null;
  return env.KT_IMAGE_CACHE || join(homedir(), '.cache', 'keyturn-tests');
}

/** Loads the images saved for `baseInputs` (what the local base image is made of) into the engine, if any; `images` are the ones saved. */
export async function loadLayerCache(docker: Docker, baseInputs: string, images: string[]): Promise<LayerCache> {
  const dir = imageCacheDir();
  const prefix = 'docker-image-test-';
  const file = dir ? join(dir, `${prefix}${createHash('sha256').update(baseInputs).digest('hex').slice(0, 20)}.tar`) : null;
  const ids = async () => (await Promise.all(images.map((i) => docker.getImage(i).inspect().then((x) => x.Id, () => '-')))).join(' ');
  let loaded = false;
  let loadedIds = '';
  if (file && existsSync(file)) {
    try {
      await follow(docker, await docker.loadImage(createReadStream(file), { quiet: true }));
      loaded = true;
      loadedIds = await ids();
    } catch {
      rmSync(file, { force: true }); // unreadable or incomplete: the next build saves a new one
    }
  }
  return {
    file,
    loaded,
    async save() {
      if (!dir || !file || (loaded && (await ids()) === loadedIds)) return;
      try {
        mkdirSync(dir, { recursive: true });
        const part = `${file}.${process.pid}.part`;
        // `docker save IMAGE...`: one tar, the layers they share stored once.
        const tar = await (docker as unknown as { getImages(o: { names: string[] }): Promise<NodeJS.ReadableStream> }).getImages({ names: images });
        await pipeline(tar, createWriteStream(part));
        for (const old of readdirSync(dir)) if (old.startsWith(prefix) && !old.endsWith('.part') && join(dir, old) !== file) rmSync(join(dir, old), { force: true });
        renameSync(part, file);
      } catch {
        /* not saved: the next run builds from nothing */
      }
    },
  };
}

function follow(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((ok, ko) =>
    docker.modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string }>) => {
      const bad = err?.message ?? out.find((o) => o.error)?.error;
      return bad ? ko(new Error(bad)) : ok();
    }),
  );
}
