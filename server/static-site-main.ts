/**
 * `npm run build:static`: the static site in dist-static/, every lesson replaying a recording made
 * just now against a real workbench (see static-site.ts). Options: `--out DIR`, `--base /path/`
 * (where it will be served), `--lessons a,b` (some lessons only), `--step-seconds N` (per step).
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { buildStaticSite } from './static-site.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'dist-static' },
    base: { type: 'string', default: '/' },
    lessons: { type: 'string' },
    'step-seconds': { type: 'string', default: '3' },
  },
});
const stepSeconds = Number(values['step-seconds']);
if (!(stepSeconds > 0 && stepSeconds <= 60)) {
  console.error(`--step-seconds must be a number of seconds from 0 to 60, got "${values['step-seconds']}"`);
  process.exit(2);
}
const base = values.base!.endsWith('/') ? values.base! : `${values.base}/`;
if (!base.startsWith('/')) {
  console.error(`--base must be a path starting with /, got "${values.base}"`);
  process.exit(2);
}

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = resolve(values.out!);
try {
  const lessons = await buildStaticSite({ root, outDir, base, lessons: values.lessons?.split(','), stepMs: stepSeconds * 1000, log: (line) => console.log(line) });
  console.log(`${lessons.length} lessons recorded. Serve ${outDir} at ${base} from any static host${base === '/' ? `, e.g. python3 -m http.server 8080 -d ${values.out}` : ''}`);
  process.exit(0);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
