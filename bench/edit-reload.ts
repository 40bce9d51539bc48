/**
 * From saving an edit to the first answer served by the new code: the workbench (`PUT
 * …/code/server.ts`: compile, load into the warm spare runner, swap) side by side with the usual
 * developer loop (`tsx watch` restarting a plain Express server when the file is saved). Both run
 * the short-polling lesson's server.ts; each round changes one field of its answer, and the time
 * runs until an answer carries the new value. Rounds alternate between the two.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWorkbench } from '../server/workbench.ts';
import { median } from './stats.ts';

const SLUG = 'short-polling';
/** A round that takes longer than this failed. */
const ROUND_TIMEOUT_MS = 20_000;

export interface EditReloadFigures {
  rounds: number;
  /** Save → first answer from the new code, through the workbench, ms (each round). */
  workbenchMs: number[];
  /** Save on disk → first answer from the restarted `tsx watch` process, ms (each round). */
  tsxWatchMs: number[];
  workbenchMedianMs: number;
  tsxWatchMedianMs: number;
  /** workbench ÷ tsx watch, from the medians. */
  ratio: number;
}

export async function measureEditReload({ root, rounds }: { root: string; rounds: number }): Promise<EditReloadFigures> {
  const port = await freePort();
  const original = await readFile(join(root, 'lessons', '01-short-polling', 'server.ts'), 'utf8');
  const marked = (n: number) => original.replace('res.json({ version, value, changedAt });', `res.json({ version, value, changedAt, round: ${n} });`);
  // The baseline's copy, with the project's node_modules linked in so that its imports resolve
  // (not under a dot-folder: tsx watch does not watch those).
  const work = await mkdtemp(join(tmpdir(), 'bench-edit-'));
  await symlink(join(root, 'node_modules'), join(work, 'node_modules'), 'dir');
  const workspaceDir = await mkdtemp(join(tmpdir(), 'bench-edit-workspace-'));
  await cp(join(root, 'lessons', 'lesson.ts'), join(work, 'lesson.ts'));
  const copyPath = join(work, 'lesson', 'server.ts');
  await cp(join(root, 'lessons', '01-short-polling'), join(work, 'lesson'), { recursive: true });

  const workbench = await createWorkbench({ root, hmr: false, watch: false, workspaceDir });
  const url = await workbench.listen(0, '127.0.0.1');
  const watcher = spawn(process.execPath, ['--import', 'tsx', join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'watch', '--clear-screen=false', join(root, 'bench', 'fixtures', 'plain-lesson-server.ts'), copyPath, SLUG, String(port)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await waitForLine(watcher, 'ready');
    const plainUrl = `http://127.0.0.1:${port}/lessons/${SLUG}/api/data`;
    const lessonUrl = `${url}/lessons/${SLUG}/api/data`;
    await untilRound(lessonUrl, undefined); // the runner is warm before the first timed round
    const workbenchMs: number[] = [];
    const tsxWatchMs: number[] = [];
    for (let n = 1; n <= rounds; n++) {
      let started = performance.now();
      const res = await fetch(`${url}/api/lessons/${SLUG}/code/server.ts`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: marked(n) }) });
      if (!res.ok) throw new Error(`edit bench: PUT answered ${res.status} ${await res.text()}`);
      await untilRound(lessonUrl, n);
      workbenchMs.push(performance.now() - started);

      started = performance.now();
      await writeFile(copyPath, marked(n));
      await untilRound(plainUrl, n);
      tsxWatchMs.push(performance.now() - started);
      // Let both settle (the spare runner starts, tsx's watcher re-arms) before the next round.
      await new Promise((resolve) => setTimeout(resolve, 700));
    }
    const workbenchMedianMs = median(workbenchMs);
    const tsxWatchMedianMs = median(tsxWatchMs);
    return { rounds, workbenchMs, tsxWatchMs, workbenchMedianMs, tsxWatchMedianMs, ratio: workbenchMedianMs / tsxWatchMedianMs };
  } finally {
    watcher.kill('SIGTERM');
    await workbench.close();
    await rm(work, { recursive: true, force: true });
    await rm(workspaceDir, { recursive: true, force: true });
  }
}

/** Polls `url` until its JSON answer carries `round: n` (or no `round` when `n` is undefined). */
async function untilRound(url: string, n: number | undefined): Promise<void> {
  const deadline = Date.now() + ROUND_TIMEOUT_MS;
  for (;;) {
    try {
      const body = (await (await fetch(url)).json()) as { round?: number };
      if (body.round === n) return;
    } catch {
      // restarting: nothing listens for a moment
    }
    if (Date.now() > deadline) throw new Error(`edit bench: ${url} did not serve round ${n} within ${ROUND_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** A loopback port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function waitForLine(child: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk;
      if (out.includes(line)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`tsx watch exited with ${code}: ${out}`)));
  });
}
