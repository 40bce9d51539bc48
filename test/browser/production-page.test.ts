import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildPage } from '../../server/page-build.ts';
import { launchChromium } from '../setup/chromium.ts';
import { ROOT, startWorkbench } from '../setup/workbench.ts';

describe('the production build, as npm start serves it once built', () => {
  it('runs a lesson live and serves the audience page, with no Vite in the process', async () => {
    const distDir = await mkdtemp(join(tmpdir(), 'rww-dist-'));
    onTestFinished(() => rm(distDir, { recursive: true, force: true }));
    await buildPage({ root: ROOT, outDir: distDir });
    const [{ url }, browser] = await Promise.all([startWorkbench({ mode: 'prod', distDir }), launchChromium()]);

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    const scripts: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('request', (request) => request.resourceType() === 'script' && scripts.push(new URL(request.url()).pathname));
    await page.goto(`${url}/lessons/short-polling/`);
    await page.locator('event-timeline .response').first().waitFor({ state: 'attached', timeout: 15_000 });
    expect(await page.locator('lesson-view .status').textContent()).toBe('live');
    expect(scripts.length).toBeGreaterThan(0);
    // Built chunks, not web/ modules; the lesson's client.ts compiled from the file as it is now (a save
    // on disk reaches the clients, as Vite's hot reload does while developing).
    expect(scripts.filter((path) => !path.startsWith('/assets/'))).toEqual(['/api/lessons/short-polling/code/client.js']);

    const audience = await fetch(`${url}/audience`, { headers: { accept: 'text/html' } });
    expect(audience.status).toBe(200);
    expect(await audience.text()).toMatch(/<script type="module"[^>]* src="\/assets\/audience-[^"]+\.js"/);
    expect(errors).toEqual([]);
  }, 60_000);
});
