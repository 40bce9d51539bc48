import { describe, expect, it } from 'vitest';
import type { HttpRequestEvent, ReloadEvent } from '../../lessons/trace-event.ts';
import type { CodeEditor } from '../../web/components/code-editor.ts';
import { textNow } from '../setup/chromium.ts';
import { editorText, openEditor, replaceInEditor } from '../setup/lesson-page.ts';
import { traceOf, waitFor } from '../setup/workbench.ts';

/** The polls that reached the lesson server after the trace event `afterSeq`. */
async function pollsAfter(url: string, afterSeq: number): Promise<HttpRequestEvent[]> {
  return (await traceOf(url, 'short-polling')).filter((e): e is HttpRequestEvent => e.kind === 'http-request' && e.seq > afterSeq);
}

/** The reloads of client.ts on the trace. */
async function clientReloads(url: string): Promise<ReloadEvent[]> {
  return (await traceOf(url, 'short-polling')).filter((e): e is ReloadEvent => e.kind === 'reload' && e.file === 'client.ts');
}

describe('editing client.ts in the lesson page', () => {
  it('restarts the clients on an edit saved with Ctrl-S, keeps the last good client on a syntax error, marks a throw in the edit at its line, says when the clients cannot start, and resets', { timeout: 60_000 }, async () => {
    const { url, page, panel, original, pageErrors } = await openEditor('client.ts');
    const lineOf = (text: string, needle: string) => text.split('\n').findIndex((line) => line.includes(needle)) + 1;
    const status = panel.locator('.edit-status');
    const badge = panel.locator('[role=tab][data-tab="client.ts"] .badge');
    expect(await panel.locator('.panel.editing').getAttribute('data-tab')).toBe('client.ts');
    expect(await badge.count()).toBe(0);

    // An edit the server sees: the polls carry a marker.
    await replaceInEditor(page, "url('/data')", "url('/data?from=edit')");
    await page.keyboard.press('Control+s');
    await waitFor(async () => (await textNow(status)) === 'Saved: the clients restart on your code', { what: 'the saved status' });
    const edited = await waitFor(async () => (await clientReloads(url))[0], { what: 'a reload of client.ts' });
    expect(edited.reason).toBe('edited');
    await waitFor(async () => (await pollsAfter(url, edited.seq)).some((e) => e.url.includes('from=edit')), { what: 'a poll from the edited client' });
    await badge.waitFor();
    expect(await badge.textContent()).toBe('edited');

    // A syntax error: shown at its line, while the edited client keeps polling.
    await replaceInEditor(page, 'let etag: string | null = null;', 'let etag: string | null = = null;');
    const broken = await editorText(page);
    await page.keyboard.press('Control+s');
    await waitFor(async () => (await textNow(status))?.startsWith('1 error: the last good client keeps running'), { what: 'the error status' });
    const etagLine = lineOf(broken, '= = null');
    expect(await status.textContent()).toContain(`line ${etagLine}:`);
    const marked = panel.locator('code-editor .cm-line', { has: page.locator('.cm-lintRange-error') });
    await marked.waitFor();
    expect(await marked.textContent()).toContain('= = null');
    const lastSeq = (await traceOf(url, 'short-polling')).at(-1)!.seq;
    await waitFor(async () => (await pollsAfter(url, lastSeq)).some((e) => e.url.includes('from=edit')), { what: 'polls going on after the syntax error' });
    expect(await clientReloads(url)).toHaveLength(1);

    // A throw in the edit, reported at its client.ts line and marked there in the editor.
    await replaceInEditor(page, '= = null', '= null');
    await replaceInEditor(page, 'async function poll() {', "async function poll() {\n    throw new Error('client broke');");
    const throwLine = lineOf(await editorText(page), 'client broke');
    await page.keyboard.press('Control+s');
    await waitFor(async () => (await textNow(status)) === 'Saved: the clients restart on your code', { what: 'the saved status' });
    const thrown = await waitFor(async () => (await traceOf(url, 'short-polling')).find((e) => e.kind === 'client-error' && e.message === 'client broke'), {
      what: 'the client error',
    });
    expect(thrown.source).toEqual({ file: 'client.ts', line: throwLine });
    await waitFor(
      async () => {
        const errors = await panel.locator('code-editor').evaluate((editor: CodeEditor) => editor.errors.map((e) => [e.line, e.message]));
        return JSON.stringify(errors) === JSON.stringify([[throwLine, 'Thrown while running: client broke']]);
      },
      { what: 'the throw marked in the editor' },
    );

    // In the read view too.
    await panel.locator('button.done').click();
    const markedLine = panel.locator(`.panel[data-tab="client.ts"] .line.runtime-error[data-line="${throwLine}"]`);
    await markedLine.waitFor({ state: 'attached' });
    expect(await markedLine.getAttribute('title')).toBe('Thrown while running: client broke');

    // A module without a default export: each client's card and lane say so.
    const put = await fetch(`${url}/api/lessons/short-polling/code/client.ts`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: 'export function start() {}\n' }),
    });
    expect(put.status).toBe(200);
    const failed = page.locator('lesson-view .client .failed');
    await waitFor(async () => (await failed.count()) === 2, { what: 'both cards saying their client is not running' });
    expect(await failed.allTextContents()).toEqual(Array(2).fill('Not running: Your client.ts must default-export a function (context) => void'));
    const notStarted = async () => (await traceOf(url, 'short-polling')).filter((e) => e.kind === 'client-error' && e.message.startsWith('Your client.ts must'));
    await waitFor(async () => (await notStarted()).length === 2, { what: 'a client error on each lane' });

    // Reset: the original client polls again, without the marker.
    await panel.locator('button.edit').click();
    await waitFor(async () => (await editorText(page)) === 'export function start() {}\n', { what: 'the edit in the editor' });
    await panel.locator('button.reset').click();
    await waitFor(async () => (await textNow(status)) === 'Reset: the original client runs again', { what: 'the reset status' });
    const reset = (await clientReloads(url)).at(-1)!;
    expect(reset.reason).toBe('reset');
    const polls = await waitFor(async () => {
      const after = await pollsAfter(url, reset.seq);
      return after.length > 0 && after;
    }, { what: 'a poll from the original client' });
    expect(polls.filter((e) => e.url.includes('from=edit'))).toEqual([]);
    await badge.waitFor({ state: 'detached' });
    expect(await editorText(page)).toBe(original);
    await waitFor(async () => (await panel.locator('code-editor').evaluate((editor: CodeEditor) => editor.errors.length)) === 0, { what: 'the mark gone after the reset' });
    await failed.first().waitFor({ state: 'detached' });
    expect(pageErrors).toEqual([]);
  });
});
