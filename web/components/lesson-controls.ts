import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { DEFAULT_SETTINGS, type ClientOptions, type LessonControl, type LessonSettings, type Scenario, type SettingValue } from '../../lessons/lesson.ts';
import { callApi } from '../api.ts';
import { ClientOptionsChangeEvent, ControlErrorEvent } from '../events.ts';
import { theme } from '../theme.ts';

const SCENARIOS: { label: string; scenario: Scenario }[] = [
  { label: 'Only when I say', scenario: { kind: 'manual' } },
  { label: 'Every 1 s', scenario: { kind: 'interval', everyMs: 1000 } },
  { label: 'Every 2 s', scenario: { kind: 'interval', everyMs: 2000 } },
  { label: 'Every 5 s', scenario: { kind: 'interval', everyMs: 5000 } },
  { label: 'Every 10 s', scenario: { kind: 'interval', everyMs: 10000 } },
  { label: 'Bursts of 3 every 6 s', scenario: { kind: 'burst', count: 3, gapMs: 150, everyMs: 6000 } },
  { label: 'Two in the same ms, every 4 s', scenario: { kind: 'burst', count: 2, gapMs: 0, everyMs: 4000 } },
  { label: '50 a second', scenario: { kind: 'interval', everyMs: 20 } },
];

/** Slow motion: the label says the speed, the setting stores how much longer everything takes. */
const SPEEDS = [1, 0.5, 0.25, 0.1];

/**
 * The lesson's knobs: the client options and server parameters the lesson declares, the server
 * delay, slow motion, how the data changes, and buttons to change it now (or between two polls
 * of a client). Server-side knobs call the workbench API directly.
 * @fires client-options-change - The client options changed.
 * @fires control-error - A call to the workbench failed.
 */
@customElement('lesson-controls')
export class LessonControls extends LitElement {
  static override styles = [
    theme,
    css`
      :host {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.5rem 1.25rem;
        font-size: 0.95rem;
      }
      label {
        display: inline-flex;
        align-items: center;
        gap: 0.4rem;
        color: var(--wb-muted);
      }
      input[type='number'] {
        width: 5.5rem;
      }
      .unit {
        color: var(--wb-muted);
      }
      .change {
        border-color: var(--wb-feed);
        color: var(--wb-feed);
        font-weight: 600;
      }
      .race,
      .drop {
        border-color: var(--wb-error);
        color: var(--wb-error);
        font-weight: 600;
      }
      .race[aria-busy='true'] {
        opacity: 0.6;
      }
    `,
  ];

  /** Lesson slug (for the API calls). */
  @property() slug = '';
  /** The controls the lesson declares. */
  @property({ attribute: false }) controls: readonly LessonControl[] = [];
  /** Current client options. */
  @property({ attribute: false }) options: ClientOptions = {};
  /** Current server settings. */
  @property({ attribute: false }) settings: LessonSettings = DEFAULT_SETTINGS;
  /** Current scenario. */
  @property({ attribute: false }) scenario: Scenario = { kind: 'manual' };

  /** Whether the lesson uses the feed: without it, no "Change the data now" and no "Data changes". */
  @property({ attribute: false }) usesFeed = true;

  /** A race button waiting for its change to land. */
  @state() private _racing = false;

  override render() {
    const scenarioIndex = SCENARIOS.findIndex((s) => JSON.stringify(s.scenario) === JSON.stringify(this.scenario));
    return html`
      ${this.usesFeed ? html`<button class="change" @click=${() => this._call('POST', `feed/next`)}>Change the data now</button>` : nothing}
      ${this.controls.filter(isAction).map((control) => this._renderControl(control))}
      ${this.controls.filter((c) => !isAction(c)).map((control) => this._renderControl(control))}
      <label
        >Server delay
        <input
          type="number"
          min="0"
          max="10000"
          step="250"
          .value=${String(this.settings.latencyMs)}
          @change=${(e: Event) => this._put('settings', { latencyMs: clamp((e.target as HTMLInputElement).valueAsNumber, 0, 10_000) })}
        /><span class="unit">ms</span></label
      >
      <label
        >Speed
        <select @change=${(e: Event) => this._put('settings', { timeScale: 1 / SPEEDS[(e.target as HTMLSelectElement).selectedIndex]! })}>
          ${SPEEDS.map((speed) => html`<option ?selected=${Math.abs(1 / speed - this.settings.timeScale) < 1e-9}>${speed}×</option>`)}
        </select></label
      >
      ${this.usesFeed
        ? html`<label
            >Data changes
            <select @change=${(e: Event) => this._put('scenario', SCENARIOS[(e.target as HTMLSelectElement).selectedIndex - (scenarioIndex === -1 ? 1 : 0)]?.scenario)}>
              ${scenarioIndex === -1 ? html`<option selected>${describeScenario(this.scenario)}</option>` : nothing}
              ${SCENARIOS.map((s, i) => html`<option ?selected=${i === scenarioIndex}>${s.label}</option>`)}
            </select></label
          >`
        : nothing}
    `;
  }

  private _renderControl(control: LessonControl) {
    if (control.kind === 'race') {
      return html`<button class="race" aria-busy=${this._racing} ?disabled=${this._racing} @click=${() => this._race(control.client)}>${control.label}</button>`;
    }
    if (control.kind === 'drop') {
      return html`<button class="drop" data-client=${control.client} @click=${() => this._call('POST', 'drop', { client: control.client })}>${control.label}</button>`;
    }
    const value = control.option !== undefined ? this.options[control.option] : this.settings.params[control.param];
    const set = (v: SettingValue) => (control.option !== undefined ? this._setOption(control.option, v) : this._put('settings', { params: { [control.param]: v } }));
    switch (control.kind) {
      case 'number':
        return html`<label
          >${control.label}
          <input
            type="number"
            min=${control.min}
            max=${control.max}
            step=${control.step}
            .value=${String(value ?? control.min)}
            @change=${(e: Event) => set(clamp((e.target as HTMLInputElement).valueAsNumber, control.min, control.max))}
          />${control.unit ? html`<span class="unit">${control.unit}</span>` : nothing}</label
        >`;
      case 'toggle':
        return html`<label><input type="checkbox" .checked=${Boolean(value)} @change=${(e: Event) => set((e.target as HTMLInputElement).checked)} /> ${control.label}</label>`;
      case 'choice':
        return html`<label
          >${control.label}
          <select @change=${(e: Event) => set((e.target as HTMLSelectElement).value)}>
            ${control.choices.map((c) => html`<option value=${c.value} ?selected=${c.value === value}>${c.label}</option>`)}
          </select></label
        >`;
    }
  }

  private async _race(client: string) {
    this._racing = true;
    try {
      await callApi('POST', `/api/lessons/${this.slug}/race`, { client });
    } catch (error) {
      this.dispatchEvent(new ControlErrorEvent((error as Error).message));
    } finally {
      this._racing = false;
    }
  }

  private _setOption(option: string, value: SettingValue) {
    this.dispatchEvent(new ClientOptionsChangeEvent({ ...this.options, [option]: value }));
  }

  private _put(what: 'settings' | 'scenario', body: unknown) {
    if (body !== undefined) this._call('PUT', what, body);
  }

  private _call(method: string, path: string, body?: unknown) {
    callApi(method, `/api/lessons/${this.slug}/${path}`, body).catch((error: Error) => this.dispatchEvent(new ControlErrorEvent(error.message)));
  }
}

/** Buttons that do something now (shown first), as opposed to values that stay set. */
function isAction(control: LessonControl): control is Extract<LessonControl, { kind: 'race' | 'drop' }> {
  return control.kind === 'race' || control.kind === 'drop';
}

function clamp(value: number, min: number, max: number): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : min;
}

function describeScenario(scenario: Scenario): string {
  if (scenario.kind === 'interval') return `Every ${scenario.everyMs / 1000} s`;
  if (scenario.kind === 'burst') return `Bursts of ${scenario.count} every ${scenario.everyMs / 1000} s`;
  return 'Only when I say';
}

declare global {
  interface HTMLElementTagNameMap {
    'lesson-controls': LessonControls;
  }
}
