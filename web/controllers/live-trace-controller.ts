import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { LessonDetail, LessonFigures } from '../../lessons/lesson.ts';
import type { TraceEvent, TraceInput } from '../../lessons/trace-event.ts';
import { LIVE_PATH, type LiveClientMessage, type LiveServerMessage } from '../../server/live-protocol.ts';
import { estimateClockOffset, type ClockSample } from '../clock-offset.ts';

/** Events kept in the page; older ones are dropped (the server keeps its own bounded trace). */
const MAX_EVENTS = 20_000;
const CLOCK_PINGS = 5;
const CLOCK_RESYNC_MS = 30_000;

/**
 * The page's live connection to the workbench for one lesson: receives the trace and lesson
 * updates, sends the page's own client events, and measures the browser/server clock offset.
 * Reconnects with backoff when the connection drops. An audience page (`member`) only reports
 * its own client and syncs its clock: the server sends it no trace.
 */
export class LiveTraceController implements ReactiveController {
  /** The lesson's trace, oldest first (a new array after every change). */
  events: readonly TraceEvent[] = [];
  /** The newest lesson detail the server pushed (after a file changed), if any. */
  detail?: LessonDetail;
  /** The live figures of a lesson that compares techniques, once a second. */
  figures?: LessonFigures;
  status: 'connecting' | 'open' | 'closed' = 'connecting';
  /** Server clock minus browser clock, ms; 0 until measured. */
  offsetMs = 0;
  /** Resolves once the clock offset has first been measured. */
  readonly synced: Promise<void>;

  private _socket?: WebSocket;
  private _outbox: TraceInput[] = [];
  private _samples: ClockSample[] = [];
  private _pings = new Map<number, number>();
  private _pingId = 0;
  private _retryMs = 500;
  private _timers = new Set<ReturnType<typeof setTimeout>>();
  private _resync?: ReturnType<typeof setInterval>;
  private _connected = false;
  private _markSynced!: () => void;

  constructor(
    private readonly host: ReactiveControllerHost,
    readonly slug: string,
    private readonly options: { member?: string } = {},
  ) {
    this.synced = new Promise((resolve) => (this._markSynced = resolve));
    host.addController(this);
  }

  /** Server time now, by the measured offset. */
  serverNow(): number {
    return Date.now() + this.offsetMs;
  }

  /** Queues one of the page's own events for the server trace. */
  report(event: TraceInput): void {
    this._outbox.push(event);
    if (this._outbox.length === 1) this._later(() => this._flush(), 20);
  }

  /** Forgets the events shown (the server is told separately). */
  clear(): void {
    this.events = [];
    this.host.requestUpdate();
  }

  hostConnected(): void {
    this._connected = true;
    this._open();
    this._resync = setInterval(() => this._syncClock(), CLOCK_RESYNC_MS);
  }

  hostDisconnected(): void {
    this._connected = false;
    clearInterval(this._resync);
    for (const timer of this._timers) clearTimeout(timer);
    this._timers.clear();
    this._socket?.close(1000, 'Page left');
    this._socket = undefined;
  }

  private _open(): void {
    const member = this.options.member === undefined ? '' : `&member=${encodeURIComponent(this.options.member)}`;
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${LIVE_PATH}?lesson=${encodeURIComponent(this.slug)}${member}`;
    const socket = new WebSocket(url);
    this._socket = socket;
    this.status = 'connecting';
    socket.addEventListener('open', () => {
      this._retryMs = 500;
      this.status = 'open';
      this._syncClock();
      this._flush();
      this.host.requestUpdate();
    });
    socket.addEventListener('message', (e) => this._onMessage(JSON.parse(String(e.data)) as LiveServerMessage));
    socket.addEventListener('close', () => {
      if (this._socket !== socket) return;
      this.status = 'closed';
      this.host.requestUpdate();
      if (this._connected) this._later(() => this._open(), (this._retryMs = Math.min(this._retryMs * 2, 10_000)));
    });
  }

  private _onMessage(message: LiveServerMessage): void {
    switch (message.type) {
      case 'hello':
        this.events = message.events.slice(-MAX_EVENTS);
        break;
      case 'trace': {
        const events = this.events.concat(message.events);
        this.events = events.length > MAX_EVENTS ? events.slice(-MAX_EVENTS) : events;
        break;
      }
      case 'cleared':
        this.events = [];
        break;
      case 'lesson':
        this.detail = message.detail;
        break;
      case 'figures':
        this.figures = message.figures;
        break;
      case 'pong': {
        const sentAt = this._pings.get(message.id);
        if (sentAt === undefined) return;
        this._pings.delete(message.id);
        this._samples = [...this._samples.slice(-20), { sentAt, receivedAt: Date.now(), serverNow: message.serverNow }];
        const offset = estimateClockOffset(this._samples);
        if (offset !== undefined) this.offsetMs = offset;
        // One loopback round trip is already a good estimate; later pongs only refine it.
        this._markSynced();
        return;
      }
    }
    this.host.requestUpdate();
  }

  private _syncClock(): void {
    for (let i = 0; i < CLOCK_PINGS; i++) {
      this._later(() => {
        const id = ++this._pingId;
        this._pings.set(id, Date.now());
        this._send({ type: 'ping', id });
      }, i * 60);
    }
  }

  private _flush(): void {
    if (this._outbox.length === 0 || this._socket?.readyState !== WebSocket.OPEN) return;
    this._send({ type: 'client-events', events: this._outbox.splice(0, 1_000) });
    if (this._outbox.length > 0) this._later(() => this._flush(), 20);
  }

  private _send(message: LiveClientMessage): void {
    if (this._socket?.readyState === WebSocket.OPEN) this._socket.send(JSON.stringify(message));
  }

  private _later(fn: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this._timers.delete(timer);
      fn();
    }, ms);
    this._timers.add(timer);
  }
}
