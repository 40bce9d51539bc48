import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** tsx as a `--import` loader for child processes that run TypeScript (the runners, the virtual clients). */
export const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
