import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { LessonFile } from '../../lessons/trace-event.ts';
import type { CodeFile } from '../../web/code-api.ts';
import type { CodeEditor } from '../../web/components/code-editor.ts';
import { launchChromium } from './chromium.ts';
import { startWorkbench, waitFor } from './workbench.ts';

/** A real workbench with the long-polling lesson open in Chromium (step 2), data changing only on demand, both clients polling. */
export async function openLongPollPage(thinkMs: number) {
  const [{ url }, browser] = await Promise.all([startWorkbench({ hmr: true }), launchChromium()]);
  const put = (path: string, body: unknown) =>
    fetch(`${url}/api/lessons/long-polling/${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect((await put('scenario', { kind: 'manual' })).status).toBe(200);
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${url}/lessons/long-polling/#step-2`);
  const think = page.locator('lesson-controls label', { hasText: 'Think time' }).locator('input');
  await think.fill(String(thinkMs));
  await think.dispatchEvent('change');
  // Both clients are holding a poll on the server lane.
  await page.locator('event-timeline .hold.held').nth(1).waitFor({ state: 'attached', timeout: 15_000 });
  return { url, page, errors };
}

/** A real workbench (edits kept in a temporary workspace) and the short-polling page, with `file` open in the editor. */
export async function openEditor(file: LessonFile) {
  const [{ url }, browser] = await Promise.all([startWorkbench({ hmr: true }), launchChromium()]);
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${url}/lessons/short-polling/`);
  const { original } = (await (await fetch(`${url}/api/lessons/short-polling/code/${file}`)).json()) as CodeFile;

  const panel = page.locator('code-panel');
  await panel.locator(`[role=tab][data-tab="${file}"]`).click();
  await panel.locator('button.edit').click();
  await panel.locator('code-editor .cm-content').waitFor();
  await waitFor(async () => (await editorText(page)) === original, { what: `${file} in the editor` });
  return { url, page, panel, original, pageErrors };
}

/** The text in the code panel's editor, unsaved changes included. */
export function editorText(page: Page): Promise<string> {
  return page.locator('code-panel code-editor').evaluate((editor: CodeEditor) => editor.text);
}

/** Finds `search` with the editor's own search panel (Ctrl-F), then types `replacement` over the match. */
export async function replaceInEditor(page: Page, search: string, replacement: string): Promise<void> {
  await page.locator('code-panel code-editor .cm-content').click();
  await page.keyboard.press('Control+f');
  await page.keyboard.press('Control+a'); // the field may still hold the previous search
  await page.keyboard.type(search);
  await page.keyboard.press('Enter'); // selects the next match
  await page.keyboard.press('Escape'); // closes the search panel, back in the text with the match selected
  await page.keyboard.insertText(replacement);
  await waitFor(async () => (await editorText(page)).includes(replacement), { what: `"${replacement}" typed in the editor` });
}
