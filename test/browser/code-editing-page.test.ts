import { describe, expect, it } from 'vitest';
import type { CodeFile } from '../../web/code-api.ts';
import type { CodeEditor } from '../../web/components/code-editor.ts';
import { launchChromium, textNow } from '../setup/chromium.ts';
import { editorText, openEditor, replaceInEditor } from '../setup/lesson-page.ts';
import { startWorkbench, traceOf, waitFor } from '../setup/workbench.ts';

async function readData(url: string): Promise<Record<string, unknown>> {
  return (await (await fetch(`${url}/lessons/short-polling/api/data`)).json()) as Record<string, unknown>;
}

describe('editing server.ts in the lesson page', () => {
  it('runs an edit saved with Ctrl-S, draws a compile error at its line while the last good code serves, and resets to the original', async () => {
    const { url, page, panel, original, pageErrors } = await openEditor('server.ts');
    const status = panel.locator('.edit-status');
    const badge = panel.locator('[role=tab][data-tab="server.ts"] .badge');
    expect(await badge.count()).toBe(0);

    await replaceInEditor(page, 'changedAt })', 'changedAt, editedBy: "the page" })');
    await page.keyboard.press('Control+s');
    await waitFor(async () => (await textNow(status)) === 'Saved: running your code', { what: 'the saved status' });
    await waitFor(async () => (await traceOf(url, 'short-polling')).some((e) => e.kind === 'reload' && e.reason === 'edited'), {
      what: 'a reload event for the edit',
    });
    expect((await readData(url)).editedBy).toBe('the page');
    await badge.waitFor();
    expect(await badge.textContent()).toBe('edited');
    // The pushed lesson (edited: true) leaves the editor alone.
    expect(await editorText(page)).toContain('editedBy: "the page"');

    await replaceInEditor(page, 'const etag =', 'const etag = =');
    await page.keyboard.press('Control+s');
    const etagLine = original.split('\n').findIndex((line) => line.includes('const etag =')) + 1;
    await waitFor(async () => (await textNow(status))?.startsWith('1 error: the last good code keeps serving'), { what: 'the error status' });
    expect(await status.textContent()).toContain(`line ${etagLine}:`);
    const marked = panel.locator('code-editor .cm-line', { has: page.locator('.cm-lintRange-error') });
    await marked.waitFor();
    expect(await marked.textContent()).toContain('const etag = =');
    // The gutter marker sits on the row of that line's number.
    const number = panel.locator('code-editor .cm-lineNumbers .cm-gutterElement', { hasText: new RegExp(`^${etagLine}$`) });
    const marker = panel.locator('code-editor .cm-lint-marker-error');
    expect(await marker.count()).toBe(1);
    expect(Math.abs((await marker.boundingBox())!.y - (await number.boundingBox())!.y)).toBeLessThan(8);
    expect((await readData(url)).editedBy).toBe('the page');

    await panel.locator('button.reset').click();
    await waitFor(async () => (await textNow(status)) === 'Reset: the original runs again', { what: 'the reset status' });
    await waitFor(async () => !('editedBy' in (await readData(url))), { what: 'the original serving /data' });
    await badge.waitFor({ state: 'detached' });
    expect(await editorText(page)).toBe(original);
    expect(await panel.locator('code-editor .cm-lintRange-error').count()).toBe(0);
    expect((await traceOf(url, 'short-polling')).some((e) => e.kind === 'reload' && e.reason === 'reset')).toBe(true);

    await panel.locator('button.done').click();
    await panel.locator('.panel[data-tab="server.ts"] .line[data-line="1"]').waitFor();
    expect(await panel.locator('code-editor').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('keeps unsaved text when the lesson is pushed again, shows it against the original, and asks before dropping it', async () => {
    const { url, page, panel, pageErrors } = await openEditor('server.ts');
    await replaceInEditor(page, 'changedAt })', 'changedAt, draft: true })');

    // Any change to the lesson pushes its detail (and code) to the page again: here the scenario.
    const scenario = page.getByLabel('Data changes');
    const before = await scenario.evaluate((select: HTMLSelectElement) => select.selectedOptions[0]?.textContent);
    await fetch(`${url}/api/lessons/short-polling/scenario`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"kind":"manual"}' });
    await waitFor(async () => (await scenario.evaluate((select: HTMLSelectElement) => select.selectedOptions[0]?.textContent)) !== before, {
      what: 'the pushed scenario',
    });
    expect(await editorText(page)).toContain('draft: true');

    // Escape is the editor's (search, completion): it does not leave the edit mode.
    await page.locator('code-panel code-editor .cm-content').press('Escape');
    expect(await panel.locator('code-editor').count()).toBe(1);

    await panel.locator('button.diff').click();
    const added = panel.locator('code-diff .cm-changedLine');
    await added.first().waitFor();
    expect(await added.allTextContents()).toEqual([expect.stringContaining('changedAt, draft: true })')]);
    expect(await panel.locator('code-diff .cm-deletedChunk').textContent()).toContain('res.json({ version, value, changedAt });');
    await panel.locator('button.diff').click();
    await panel.locator('code-diff').waitFor({ state: 'detached' });
    expect(await editorText(page)).toContain('draft: true');

    const done = panel.locator('button.done');
    await done.click();
    expect(await done.textContent()).toContain('Drop changes');
    expect(await panel.locator('.edit-status').textContent()).toMatch(/^Unsaved changes/);
    await done.click();
    await panel.locator('.panel[data-tab="server.ts"] .line[data-line="1"]').waitFor();
    expect('draft' in (await readData(url))).toBe(false);
    expect(await panel.locator('[role=tab][data-tab="server.ts"] .badge').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('lights the line of the hovered timeline event in the editor, scrolling only to bring it into sight, and leaves the cursor where it was', async () => {
    const { page, panel, original, pageErrors } = await openEditor('server.ts');
    const lines = original.split('\n');
    const lit = panel.locator('code-editor .cm-line.cm-timeline-line');
    const scroller = panel.locator('code-editor .cm-scroller');
    // What lesson-view hears when the pointer moves onto a timeline shape whose code is at `source` (or off all of them).
    const hover = (source?: { file: string; line: number }) =>
      page.locator('event-timeline').evaluate((timeline, source) => {
        timeline.dispatchEvent(Object.assign(new Event('timeline-hover', { bubbles: true, composed: true }), { traceEvent: undefined, source }));
      }, source);

    const far = lines.length - 2;
    expect(await scroller.evaluate((el) => el.scrollTop)).toBe(0);
    await hover({ file: 'server.ts', line: far });
    await lit.waitFor();
    expect(await scroller.evaluate((el) => el.scrollTop)).toBeGreaterThan(0);
    expect(await lit.textContent()).toBe(lines[far - 1]);
    expect(await panel.locator('code-editor .cm-lineNumbers .cm-timeline-gutter').textContent()).toBe(String(far));
    const box = (await scroller.boundingBox())!;
    const litBox = (await lit.boundingBox())!;
    expect(litBox.y).toBeGreaterThanOrEqual(box.y);
    expect(litBox.y + litBox.height).toBeLessThanOrEqual(box.y + box.height);
    expect(await lit.evaluate((line) => getComputedStyle(line).backgroundColor)).toBe('rgba(227, 179, 65, 0.3)');

    // A line in sight is lit where it is.
    const scrollTop = await scroller.evaluate((el) => el.scrollTop);
    await hover({ file: 'server.ts', line: far - 1 });
    await waitFor(async () => (await textNow(lit)) === lines[far - 2], { what: 'the line above lit' });
    expect(await scroller.evaluate((el) => el.scrollTop)).toBe(scrollTop);

    // Off the timeline, or on a client.ts line: nothing lit.
    await hover(undefined);
    await lit.waitFor({ state: 'detached' });
    await hover({ file: 'client.ts', line: 3 });
    expect(await lit.count()).toBe(0);

    // The cursor stayed at the start, where the editor opened it.
    await page.keyboard.insertText('// typed at the cursor\n');
    await waitFor(async () => (await editorText(page)).startsWith('// typed at the cursor\n/**'), { what: 'text typed at the start' });
    expect(pageErrors).toEqual([]);
  });

  it('marks the line that threw while running, in the read view and in the editor, until the code is reloaded', async () => {
    const [{ url }, browser] = await Promise.all([startWorkbench({ hmr: true }), launchChromium()]);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${url}/lessons/short-polling/`);
    const { original } = (await (await fetch(`${url}/api/lessons/short-polling/code/server.ts`)).json()) as CodeFile;
    const throwing = original.replace("  router.get('/data', (req, res) => {", "  router.get('/data', (req, res) => {\n    if (req.query.boom) throw new Error('boom on request');");
    const line = throwing.split('\n').findIndex((l) => l.includes('boom on request')) + 1;
    const put = await fetch(`${url}/api/lessons/short-polling/code/server.ts`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: throwing }) });
    expect(put.status).toBe(200);
    expect((await fetch(`${url}/lessons/short-polling/api/data?boom=1`)).status).toBe(500);

    const panel = page.locator('code-panel');
    const marked = panel.locator(`.panel[data-tab="server.ts"] .line.runtime-error[data-line="${line}"]`);
    await marked.waitFor({ state: 'attached' });
    expect(await marked.getAttribute('title')).toBe('Thrown while running: Error: boom on request');
    expect(await panel.locator('.panel[data-tab="server.ts"] .line.runtime-error').count()).toBe(1);

    await panel.locator('button.edit').click();
    await panel.locator('code-editor .cm-lint-marker-error').first().waitFor();
    const diagnosticLines = await panel.locator('code-editor').evaluate((editor: CodeEditor) => editor.errors.map((e) => [e.line, e.message]));
    expect(diagnosticLines).toEqual([[line, 'Thrown while running: Error: boom on request']]);

    // Reset reloads the original: the mark goes with the code that threw.
    await panel.locator('button.reset').click();
    await waitFor(async () => (await panel.locator('code-editor').evaluate((editor: CodeEditor) => editor.errors.length)) === 0, { what: 'the mark gone after the reset' });
    expect(pageErrors).toEqual([]);
  });
});
