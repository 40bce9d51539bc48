import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildPage } from '../server/page-build.ts';
import { round1 } from './stats.ts';

export interface InitialJsFigures {
  /** Gzipped size of the JS the workbench page loads before it runs, KB (1024 bytes), one decimal. */
  kbGzip: number;
  /** The same JS uncompressed, KB. */
  kbRaw: number;
  /** Those files, relative to the build's output folder (`assets/main-….js`, …). */
  files: string[];
}

/**
 * Runs the production build (the repository's `vite.config.ts`, into a temporary folder so `dist/`
 * stays as it is) and adds up the JS that `index.html` loads up front: its module script, its
 * `<link rel="modulepreload">`s and, transitively, every chunk those import statically. Chunks
 * reached only through `import()` are left out: they load when needed. Each file is gzipped on
 * its own at level 9, as a server compressing static files would.
 */
export async function measureInitialJs(root: string): Promise<InitialJsFigures> {
  const outDir = await mkdtemp(join(tmpdir(), 'bench-build-'));
  try {
    await buildPage({ root, outDir });
    const html = await readFile(join(outDir, 'index.html'), 'utf8');
    const queue = [...entryScripts(html)];
    const files = new Set<string>();
    let raw = 0;
    let gzip = 0;
    while (queue.length > 0) {
      const file = queue.shift()!;
      if (files.has(file)) continue;
      files.add(file);
      const code = await readFile(join(outDir, file));
      raw += code.length;
      gzip += gzipSync(code, { level: 9 }).length;
      for (const imported of staticImports(code.toString('utf8'))) queue.push(posix.join(file, '..', imported));
    }
    return { kbGzip: round1(gzip / 1024), kbRaw: round1(raw / 1024), files: [...files] };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

/** The `src` of module scripts and the `href` of modulepreload links, relative to the output folder. */
function entryScripts(html: string): string[] {
  const urls: string[] = [];
  for (const [tag] of html.matchAll(/<script\b[^>]*>|<link\b[^>]*>/g)) {
    const isModule = /^<script/.test(tag) && /\btype=["']?module\b/.test(tag);
    const isPreload = /^<link/.test(tag) && /\brel=["']?modulepreload\b/.test(tag);
    const url = /\b(?:src|href)=["']?([^"'\s>]+)/.exec(tag)?.[1];
    if ((isModule || isPreload) && url) urls.push(url.replace(/^\//, ''));
  }
  return urls;
}

/**
 * Relative specifiers of a built chunk's static `import … from "./x.js"`, `import "./x.js"` and
 * `export … from "./x.js"`; a dynamic `import("./x.js")` has a parenthesis after `import` and is
 * not matched.
 */
function staticImports(code: string): string[] {
  const specifiers: string[] = [];
  for (const match of code.matchAll(/(?:^|[;\n}])\s*(?:import|export)\s*(?:[\w$*{}\s,]*?\s*from\s*)?["'](\.\.?\/[^"']+)["']/g)) {
    specifiers.push(match[1]!);
  }
  return specifiers;
}
