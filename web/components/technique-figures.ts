import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { AloneMeasurement, LessonFigures, TechniqueFigures, TechniqueKind, VirtualClientsRequest } from '../../lessons/lesson.ts';
import { callApi } from '../api.ts';
import { ControlErrorEvent } from '../events.ts';
import { theme } from '../theme.ts';

/** Quick settings of the virtual clients, per technique. */
const PRESETS = [0, 100, 1_000, 5_000];
/** Virtual clients per technique when each is measured alone (fewer where this machine allows fewer). */
const ALONE_CLIENTS = 1_000;

/**
 * The choosing lesson's live figures: one row per technique (requests/s, bytes per update,
 * latency p50/p99, open connections, clients) with its virtual clients, and the lesson server's
 * CPU. The figures come from the server once a second; changing a count asks it to start or
 * stop virtual clients. One process serves every technique, so its CPU is per technique only when
 * each is measured alone: "Measure each alone" does that, one technique after the other.
 * @fires control-error - Starting or stopping virtual clients failed (e.g. more than allowed).
 */
@customElement('technique-figures')
export class TechniqueFiguresView extends LitElement {
  static override styles = [
    theme,
    css`
      :host {
        display: block;
        font-size: 0.9rem;
        flex: none;
        max-width: 100%;
        overflow-x: auto;
      }
      table {
        border-collapse: collapse;
        font-variant-numeric: tabular-nums;
      }
      th,
      td {
        padding: 0.15rem 0.6rem;
        border-bottom: 1px solid var(--wb-border);
        text-align: right;
        white-space: nowrap;
      }
      th:first-child,
      td:first-child {
        text-align: left;
      }
      thead th {
        color: var(--wb-muted);
        font-weight: 500;
        font-size: 0.85rem;
      }
      td.none {
        color: var(--wb-muted);
      }
      input {
        width: 4.5em;
        padding: 0.1rem 0.3rem;
        text-align: right;
      }
      .footer {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.4rem 1rem;
        margin-top: 0.4rem;
        color: var(--wb-muted);
      }
      .cpu {
        color: var(--wb-text);
      }
      .error {
        color: var(--wb-error);
      }
    `,
  ];

  @property() slug = '';
  @property({ attribute: false }) figures?: LessonFigures;
  /** How often this page's short-polling client polls, ms: the virtual ones poll as often. */
  @property({ type: Number, attribute: 'interval-ms' }) intervalMs?: number;
  /** Counts typed but not yet applied, per technique. */
  @state() private _draft: Partial<Record<TechniqueKind, number>> = {};

  override render() {
    const figures = this.figures;
    if (!figures) return html`<p class="footer">Measuring…</p>`;
    const endsIn = figures.virtual.endsAt ? Math.max(0, Math.round((figures.virtual.endsAt - figures.at) / 1000)) : undefined;
    return html`
      <table aria-label="Live figures per technique">
        <thead>
          <tr>
            <th scope="col">technique</th>
            <th scope="col" title="HTTP requests the server received per second">req/s</th>
            <th scope="col" title="Bytes on the wire per client per change, both ways, headers and framing included">B / update</th>
            <th scope="col" title="Latency: data changed → a client had it, median">p50</th>
            <th scope="col" title="Latency: data changed → a client had it, 99th percentile">p99</th>
            <th scope="col" title="The most connections open on the route at once in the last second: held polls, streams, sockets">open</th>
            <th scope="col" title="Clients that used the route in the window">clients</th>
            <th scope="col" title="Headless clients in a separate process (0 to ${figures.virtual.max})">virtual</th>
            <th scope="col" title="The lesson server's CPU (% of one core) while only this technique had virtual clients: Measure each alone">CPU alone</th>
          </tr>
        </thead>
        <tbody>
          ${figures.techniques.map((t) => this._row(t, figures.virtual.max, figures.alone))}
        </tbody>
      </table>
      <div class="footer">
        <span class="cpu" title="The lesson server's process: all four techniques together">server CPU ${figures.serverCpuPercent === undefined ? '—' : `${Math.round(figures.serverCpuPercent)} %`}</span>
        <span>${figures.changes} ${figures.changes === 1 ? 'change' : 'changes'} in the last ${figures.windowMs / 1000} s</span>
        <span>
          virtual clients, each:
          ${PRESETS.filter((n) => n <= figures.virtual.max && n * figures.techniques.length <= figures.virtual.maxTotal).map(
            (n) => html`<button @click=${() => this._apply(Object.fromEntries(figures.techniques.map((t) => [t.kind, n])))}>${n.toLocaleString('en')}</button>`,
          )}
        </span>
        ${endsIn !== undefined ? html`<span>stop by themselves in ${Math.floor(endsIn / 60)}:${String(endsIn % 60).padStart(2, '0')}</span>` : nothing}
        ${figures.virtual.error ? html`<span class="error" role="status">${figures.virtual.error}</span>` : nothing}
        ${this._renderAlone(figures)}
      </div>
    `;
  }

  private _renderAlone({ alone, virtual, techniques }: LessonFigures) {
    const clients = Math.min(ALONE_CLIENTS, virtual.max, virtual.maxTotal);
    const running = techniques.findIndex((t) => t.kind === alone?.running);
    return html`<span class="alone">
      <button
        class="measure-alone"
        ?disabled=${running >= 0}
        title="Runs ${clients.toLocaleString('en')} virtual clients of one technique at a time, none of the others, and measures the server's CPU with each; then puts the virtual clients back"
        @click=${() => this._measureAlone(clients)}
      >
        ${running >= 0 ? `Measuring ${techniques[running]!.label} alone… ${running + 1}/${techniques.length}` : `Measure each alone (${clients.toLocaleString('en')} clients)`}
      </button>
      ${alone?.error ? html`<span class="error" role="status">${alone.error}</span>` : nothing}
    </span>`;
  }

  private _row(t: TechniqueFigures, max: number, alone: AloneMeasurement | undefined) {
    const value = (n: number | undefined, unit = '') => (n === undefined ? html`<td class="none">—</td>` : html`<td>${formatFigure(n)}${unit}</td>`);
    return html`<tr data-kind=${t.kind}>
      <th scope="row">${t.label}</th>
      ${value(t.requestsPerSec)} ${value(t.bytesPerUpdate)} ${value(t.latencyP50Ms, ' ms')} ${value(t.latencyP99Ms, ' ms')} ${value(t.open)} ${value(t.clients)}
      <td>
        <input
          type="number"
          min="0"
          max=${max}
          step="100"
          aria-label="Virtual ${t.label} clients"
          .value=${String(this._draft[t.kind] ?? t.virtual)}
          @input=${(e: Event) => (this._draft = { ...this._draft, [t.kind]: (e.target as HTMLInputElement).valueAsNumber })}
          @change=${(e: Event) => this._apply({ [t.kind]: (e.target as HTMLInputElement).valueAsNumber })}
        />
      </td>
      ${this._aloneCell(t.kind, alone)}
    </tr>`;
  }

  private _aloneCell(kind: TechniqueKind, alone: AloneMeasurement | undefined) {
    if (alone?.running === kind) return html`<td class="none alone-cpu">measuring…</td>`;
    const figures = alone?.results[kind];
    if (figures?.serverCpuPercent === undefined) return html`<td class="none alone-cpu">—</td>`;
    const latency = figures.latencyP99Ms === undefined ? '' : `, latency p50 ${formatFigure(figures.latencyP50Ms!)} ms, p99 ${formatFigure(figures.latencyP99Ms)} ms`;
    return html`<td class="alone-cpu" title="With ${alone!.clients.toLocaleString('en')} virtual clients of this technique only, over ${alone!.seconds} s${latency}">
      ${formatFigure(figures.serverCpuPercent)} %
    </td>`;
  }

  private async _measureAlone(clients: number) {
    try {
      const alone = await callApi<AloneMeasurement>('POST', `/api/lessons/${this.slug}/measure-alone`, { clients });
      if (this.figures) this.figures = { ...this.figures, alone };
    } catch (error) {
      this.dispatchEvent(new ControlErrorEvent(error instanceof Error ? error.message : String(error)));
    }
  }

  protected override updated(changed: PropertyValues<this>): void {
    // Changed on the page: the virtual clients follow, running or not yet (a start may be on its way with the old one).
    if (changed.has('intervalMs') && this.intervalMs !== undefined && this.figures && this.figures.virtual.intervalMs !== this.intervalMs) void this._apply({});
  }

  private async _apply(counts: VirtualClientsRequest) {
    try {
      const request = this.intervalMs === undefined ? counts : { ...counts, intervalMs: this.intervalMs };
      const virtual = await callApi<LessonFigures['virtual']>('PUT', `/api/lessons/${this.slug}/virtual-clients`, request);
      this._draft = {};
      if (this.figures) this.figures = { ...this.figures, virtual };
    } catch (error) {
      this._draft = {};
      this.dispatchEvent(new ControlErrorEvent(error instanceof Error ? error.message : String(error)));
    }
  }
}

/** A live figure as the table shows it: one decimal below 10, none above, thousands separated. */
export function formatFigure(n: number): string {
  return n.toLocaleString('en', { maximumFractionDigits: n < 10 ? 1 : 0 });
}

declare global {
  interface HTMLElementTagNameMap {
    'technique-figures': TechniqueFiguresView;
  }
}
