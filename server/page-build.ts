import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { build } from 'vite';

export interface PageBuildOptions {
  /** The project folder (holds web/ and vite.config.ts). */
  root: string;
  outDir: string;
  /** `static`: the site with no server (see static-site.ts). @default 'production' */
  mode?: 'production' | 'static';
  /** The path the page is served under. @default '/' */
  base?: string;
  /** Empty `outDir` first. @default true */
  emptyOutDir?: boolean;
}

/** Builds the page with Vite (a production build, whatever NODE_ENV a dev server in this process set). */
export async function buildPage({ root, outDir, mode = 'production', base = '/', emptyOutDir = true }: PageBuildOptions): Promise<void> {
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: join(root, 'vite.config.ts'), mode, base, logLevel: 'warn', build: { outDir, emptyOutDir } });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
}

/**
 * Whether the built page in `distDir` is newer than everything it is built from: the page's sources
 * (web/), the lesson modules it bundles (every lessons/ .ts but server.ts, which the workbench runs
 * itself, and tests) and the Vite config. Says why not. (Installed packages are not compared: `npm install`
 * builds the page again after installing.)
 */
export async function pageBuildState(root: string, distDir: string): Promise<{ fresh: true } | { fresh: false; reason: string }> {
  const built = await stat(join(distDir, 'index.html')).catch(() => undefined);
  if (!built) return { fresh: false, reason: 'no build in dist/ yet' };
  const sources = [
    ...(await filesUnder(join(root, 'web'), (name) => name !== 'node_modules')),
    ...(await filesUnder(join(root, 'lessons'), () => true)).filter((file) => file.endsWith('.ts') && !file.endsWith('/server.ts') && !file.endsWith('.test.ts')),
    join(root, 'vite.config.ts'),
  ];
  for (const file of sources) {
    const changed = await stat(file).catch(() => undefined);
    if (changed && changed.mtimeMs > built.mtimeMs) return { fresh: false, reason: `${relative(root, file)} changed since the last build` };
  }
  return { fresh: true };
}

/** Every file under `dir`, into folders that `enter` lets in. */
async function filesUnder(dir: string, enter: (name: string) => boolean): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const files = await Promise.all(
    entries.map(async (entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return enter(entry.name) ? filesUnder(path, enter) : [];
      return [path];
    }),
  );
  return files.flat();
}
