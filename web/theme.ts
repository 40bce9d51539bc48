import { css } from 'lit';

/**
 * Shared design tokens. Components combine it as `static styles = [theme, css`…`]` and
 * read the custom properties; a page can override any of them on an ancestor.
 */
export const theme = css`
  :host {
    --wb-bg: #0d1117;
    --wb-surface: #161b22;
    --wb-surface-2: #1f2630;
    --wb-border: #30363d;
    --wb-text: #e6edf3;
    --wb-muted: #8b949e;
    --wb-accent: #58a6ff;
    --wb-feed: #d2a8ff;
    --wb-server: #7ee787;
    --wb-client: #79c0ff;
    --wb-held: #e3b341;
    --wb-stream: #56d4dd;
    --wb-error: #ff7b72;
    --wb-reload: #f0883e;
    --wb-radius: 6px;
    --wb-font: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
    --wb-mono: ui-monospace, 'SFMono-Regular', 'DejaVu Sans Mono', Menlo, Consolas, monospace;
    color: var(--wb-text);
    font-family: var(--wb-font);
  }
  button,
  select,
  input {
    font: inherit;
    color: inherit;
    background: var(--wb-surface-2);
    border: 1px solid var(--wb-border);
    border-radius: var(--wb-radius);
    padding: 0.25rem 0.6rem;
  }
  button {
    cursor: pointer;
  }
  button:hover {
    border-color: var(--wb-accent);
  }
  button[aria-pressed='true'] {
    background: var(--wb-accent);
    color: var(--wb-bg);
  }
  :focus-visible {
    outline: 2px solid var(--wb-accent);
    outline-offset: 2px;
  }
`;

/** Lesson prose as rendered from lesson.md (inline code, highlighted snippets), for whatever shows a step. */
export const proseStyles = css`
  .step code {
    font-family: var(--wb-mono);
    font-size: 0.9em;
    background: var(--wb-surface-2);
    padding: 0.1em 0.3em;
    border-radius: 4px;
  }
  .step pre {
    overflow: auto;
    padding: 0.75rem;
    border-radius: var(--wb-radius);
    font-size: 0.85rem;
  }
  .step pre code {
    background: none;
    padding: 0;
  }
`;
