/**
 * `npm start`: the workbench on http://127.0.0.1:5173. Options: `--port N`, `--host H`
 * (or PORT / HOST; `--host 0.0.0.0` lets a class join), `--require-token` to make even this machine
 * show the presenter token (a shared machine). The page is the production build in dist/ when it is
 * newer than its sources (`npm install` makes one), else Vite serves it from web/; `--prod` or `--dev`
 * insist on one.
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pageBuildState } from './page-build.ts';
import { createWorkbench } from './workbench.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '5173' },
    host: { type: 'string', default: process.env.HOST ?? '127.0.0.1' },
    prod: { type: 'boolean', default: false },
    dev: { type: 'boolean', default: false },
    'require-token': { type: 'boolean', default: false },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`--port must be a number from 0 to 65535, got "${values.port}"`);
  process.exit(2);
}

const startedAt = performance.now();
const root = fileURLToPath(new URL('..', import.meta.url));
// The built page starts in a fraction of the time Vite takes to serve web/ module by module; a build
// older than a source it comes from (an edited client.ts, a pull) would show old code, so Vite then.
const build = values.prod || values.dev ? undefined : await pageBuildState(root, join(root, 'dist'));
const mode = values.prod || build?.fresh ? 'prod' : 'dev';
const workbench = await createWorkbench({ root, mode, trustLoopback: !values['require-token'] });
const url = await workbench.listen(port, values.host!).catch((error: NodeJS.ErrnoException) => {
  console.error(error.code === 'EADDRINUSE' ? `Port ${port} is in use: try --port ${port + 1}` : error.message);
  process.exit(1);
});
console.log(`Realtime Web Workbench ready in ${Math.round(performance.now() - startedAt)} ms: ${url}/`);
if (build && !build.fresh) console.log(`Serving the page through Vite (${build.reason}; \`npm run build\` makes it start faster).`);
const urls = workbench.urls();
console.log(`Presenter token (steering the demo or editing code from another machine needs it): ${workbench.presenterToken}`);
console.log(`Presenter window, e.g. on your phone (holds the token): ${urls.presenter}`);
console.log(
  urls.reachable
    ? `Audience URL (students open it, or scan the QR code in presenter mode): ${urls.audience}`
    : `Audience URL: ${urls.audience} (only this machine can open it: start with --host 0.0.0.0 to let a class join)`,
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(130); // a second Ctrl-C: stop waiting
    stopping = true;
    console.log('\nStopping…');
    void workbench.close().then(() => process.exit(0));
  });
}
