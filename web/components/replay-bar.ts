import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { ReplayTraceController } from '../controllers/replay-trace-controller.ts';
import { REPLAY_SPEEDS } from '../replay-clock.ts';
import { theme } from '../theme.ts';
import { formatDuration } from '../timeline-format.ts';

/** Play / pause, speed and position of a replayed recording; steers its controller. */
@customElement('replay-bar')
export class ReplayBar extends LitElement {
  static override styles = [
    theme,
    css`
      :host {
        display: flex;
        align-items: center;
        gap: 0.6rem;
        padding: 0.35rem 0.75rem;
        border: 1px solid var(--wb-border);
        border-left: 4px solid var(--wb-accent);
        border-radius: var(--wb-radius);
        background: var(--wb-surface);
        font-size: 0.9rem;
      }
      .what {
        font-weight: 600;
        white-space: nowrap;
      }
      input[type='range'] {
        flex: 1;
        min-width: 6rem;
      }
      .time {
        font-family: var(--wb-mono);
        white-space: nowrap;
        color: var(--wb-muted);
      }
    `,
  ];

  @property({ attribute: false }) replay?: ReplayTraceController;
  /** The replay's position, playing state and speed, as last drawn (the controller is one object throughout). */
  @property({ type: Number }) time = 0;
  @property({ type: Boolean }) playing = false;
  @property({ type: Number }) speed = 1;

  override render() {
    const replay = this.replay;
    if (!replay) return html``;
    const { start, end } = replay.clock;
    const recorded = new Date(replay.recording.recordedAt);
    return html`
      <span class="what" title=${`Recorded ${recorded.toLocaleString()}: no server runs, the timeline plays the recorded events`}>Replay</span>
      <button class="play" @click=${() => replay.control((c) => (c.playing ? c.pause() : c.play()))} aria-label=${this.playing ? 'Pause the replay' : 'Play the replay'}>
        ${this.playing ? '❚❚ Pause' : '▶ Play'}
      </button>
      <input
        type="range"
        aria-label="Replay position"
        min="0"
        max=${Math.max(1, end - start)}
        step="100"
        list="replay-steps"
        .value=${String(this.time - start)}
        @input=${(e: Event) => replay.control((c) => c.seek(start + Number((e.target as HTMLInputElement).value)))}
      />
      <datalist id="replay-steps">${(replay.recording.steps ?? []).map((turn) => html`<option value=${turn.at - start} label=${`Step ${turn.step}`}></option>`)}</datalist>
      <span class="time">${formatDuration(this.time - start)} / ${formatDuration(end - start)}</span>
      <label
        >Speed
        <select aria-label="Replay speed" @change=${(e: Event) => replay.control((c) => c.setSpeed(Number((e.target as HTMLSelectElement).value)))}>
          ${REPLAY_SPEEDS.map((s) => html`<option value=${s} ?selected=${s === this.speed}>${s}×</option>`)}
        </select></label
      >
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'replay-bar': ReplayBar;
  }
}
