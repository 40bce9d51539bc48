import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const projectRoot = fileURLToPath(new URL('.', import.meta.url));

/** One config: the page (served by the workbench in middleware mode, built by `vite build`) and the tests. */
export default defineConfig({
  root: fileURLToPath(new URL('./web', import.meta.url)),
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Maps let the page point trace events at the lines of client.ts people read.
    sourcemap: true,
    // Two pages: the workbench, and the light page a class opens to join a presentation.
    rollupOptions: {
      input: {
        main: fileURLToPath(new URL('./web/index.html', import.meta.url)),
        audience: fileURLToPath(new URL('./web/audience.html', import.meta.url)),
      },
    },
  },
  server: {
    // Transform the page's modules at start-up, not when the first browser asks for them.
    // (Not under vitest: its own Vite server, rooted elsewhere, has no page to warm up.)
    warmup: process.env.VITEST ? undefined : { clientFiles: ['./main.ts', './audience.ts'] },
    // Lesson folders are watched by the workbench itself (a change reloads the lesson server, not the page).
    watch: { ignored: ['**/lessons/*/server.ts', '**/.workbench/**'] },
  },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          sequence: { groupOrder: 1 },
          root: projectRoot,
          include: ['server/**/*.test.ts', 'web/**/*.test.ts', 'lessons/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          sequence: { groupOrder: 1 },
          root: projectRoot,
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          sequence: { groupOrder: 1 },
          root: projectRoot,
          include: ['test/browser/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          // Tests that load the machine on purpose (thousands of virtual clients): alone, after
          // everything else, so that no other test's timing shares two cores with them. (Every project
          // names its group: vitest runs a project without one, or with 0, after all the numbered groups.)
          name: 'load',
          root: projectRoot,
          include: ['test/load/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
