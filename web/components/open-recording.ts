import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { parseRecording } from '../../lessons/recording.ts';
import { RecordingOpenEvent } from '../events.ts';
import { theme } from '../theme.ts';

/**
 * "Open a recording…": picks a saved recording file, checks it, and fires `recording-open` with it
 * (the page then replays it, no server needed). Says what is wrong with a file that is not one.
 */
@customElement('open-recording')
export class OpenRecording extends LitElement {
  static override styles = [
    theme,
    css`
      :host {
        display: inline-flex;
        align-items: baseline;
        gap: 0.5rem;
      }
      input {
        display: none;
      }
      .error {
        color: var(--wb-error);
      }
    `,
  ];

  @state() private _error?: string;

  override render() {
    return html`<button @click=${() => this.renderRoot.querySelector('input')!.click()} title="Replay a recording saved from a lesson page (a .recording.json file)">
        Open a recording…
      </button>
      <input type="file" accept=".json,application/json" aria-label="Recording file" @change=${this._onChange} />
      ${this._error ? html`<span class="error" role="alert">${this._error}</span>` : nothing}`;
  }

  private readonly _onChange = async (e: Event) => {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    try {
      const recording = parseRecording(await file.text());
      this._error = undefined;
      this.dispatchEvent(new RecordingOpenEvent(recording));
    } catch (error) {
      this._error = `${file.name}: ${error instanceof Error ? error.message : String(error)}`;
    }
  };
}

declare global {
  interface HTMLElementTagNameMap {
    'open-recording': OpenRecording;
  }
}
