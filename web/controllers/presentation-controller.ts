import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { PresentationChange, PresentationState } from '../../server/presentation.ts';
import type { PresentationUrls } from '../../server/presentation-router.ts';
import { LIVE_PATH, type LiveServerMessage } from '../../server/live-protocol.ts';
import { callApi } from '../api.ts';

export interface PresentationControllerOptions {
  /** The audience member this page is (`guest-7`): counted as attending while connected. */
  member?: string;
  /** Called with each new state (after `state` is set), and the one before it. */
  onChange?(state: PresentationState, previous: PresentationState | undefined): void;
  /** The workbench does not know this member (it restarted): join again. */
  onLost?(): void;
}

/**
 * Follows the class's presentation: which lesson and step the presenter shows, the pause, the
 * timer and the audience count, pushed by the workbench on the live socket (reconnecting with
 * backoff). Knows this tab's role, and steers when it is the presenter's.
 */
export class PresentationController implements ReactiveController {
  /** The newest state, once the stream has sent one. */
  state?: PresentationState;
  /** Whether this tab may steer (this machine, or the presenter token). */
  role?: 'presenter' | 'audience';
  /** Where the audience joins (and, for the presenter, the presenter window's URL with the token). */
  urls?: Partial<PresentationUrls>;
  status: 'connecting' | 'open' | 'closed' = 'connecting';

  private _socket?: WebSocket;
  private _retryMs = 500;
  private _retry?: ReturnType<typeof setTimeout>;
  private _connected = false;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly options: PresentationControllerOptions = {},
  ) {
    host.addController(this);
  }

  /** Asks the workbench to change the presentation (presenter only: the audience gets a 403). */
  change(change: PresentationChange): Promise<PresentationState> {
    return callApi<PresentationState>('PUT', '/api/presentation', change);
  }

  hostConnected(): void {
    callApi<{ role: 'presenter' | 'audience'; urls: Partial<PresentationUrls> }>('GET', '/api/presentation').then(
      ({ role, urls }) => {
        this.role = role;
        this.urls = urls;
        this.host.requestUpdate();
      },
      () => {},
    );
    this._connected = true;
    this._open();
  }

  private _open(): void {
    const member = this.options.member === undefined ? '' : `&member=${encodeURIComponent(this.options.member)}`;
    const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${LIVE_PATH}?presentation${member}`);
    this._socket = socket;
    socket.addEventListener('open', () => {
      this._retryMs = 500;
      this.status = 'open';
      this.host.requestUpdate();
    });
    socket.addEventListener('message', (e) => {
      const message = JSON.parse(String(e.data)) as LiveServerMessage;
      if (message.type !== 'presentation') return;
      const previous = this.state;
      this.state = message.state;
      this.options.onChange?.(this.state, previous);
      this.host.requestUpdate();
    });
    socket.addEventListener('close', (e) => {
      if (this._socket !== socket) return;
      this.status = 'closed';
      this.host.requestUpdate();
      if (!this._connected) return;
      if (e.code === 1008) return this.options.onLost?.();
      this._retry = setTimeout(() => this._open(), (this._retryMs = Math.min(this._retryMs * 2, 10_000)));
    });
  }

  hostDisconnected(): void {
    this._connected = false;
    clearTimeout(this._retry);
    this._socket?.close(1000, 'Page left');
    this._socket = undefined;
  }
}
