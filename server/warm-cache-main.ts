/**
 * Run by `npm install` (postinstall): highlights every lesson's code and prose into the disk cache
 * (`.workbench/highlight-cache`, see highlight.ts), so that the first `npm start` shows its first
 * lesson without waiting for Shiki. What is edited later is highlighted when it is first shown.
 */
import { fileURLToPath } from 'node:url';
import { createWorkbench } from './workbench.ts';

const startedAt = performance.now();
const root = fileURLToPath(new URL('..', import.meta.url));
const workbench = await createWorkbench({ root, mode: 'prod', hmr: false, watch: false });
try {
  for (const host of workbench.hosts.values()) await host.detail();
  console.log(`Lesson code highlighted ahead for the first start (${workbench.hosts.size} lessons, ${Math.round(performance.now() - startedAt)} ms).`);
} finally {
  await workbench.close();
}
