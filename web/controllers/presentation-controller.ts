import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { PresentationChange, PresentationState } from '../../server/presentation.ts';
import type { PresentationUrls } from '../../server/presentation-router.ts';
import { callApi } from '../api.ts';

export interface PresentationControllerOptions {
  /** The audience member this page is (`guest-7`): counted as attending while connected. */
  member?: string;
  /** Called with each new state (after `state` is set), and the one before it. */
  onChange?(state: PresentationState, previous: PresentationState | undefined): void;
  /** The stream ended for good (the server forgot this member, e.g. after a restart). */
  onLost?(): void;
}

/**
 * Follows the class's presentation: which lesson and step the presenter shows, the pause, the
 * timer and the audience count, pushed by the workbench over Server-Sent Events (an EventSource
 * reconnects by itself). Knows this tab's role, and steers when it is the presenter's.
 */
export class PresentationController implements ReactiveController {
  /** The newest state, once the stream has sent one. */
  state?: PresentationState;
  /** Whether this tab may steer (this machine, or the presenter token). */
  role?: 'presenter' | 'audience';
  /** Where the audience joins (and, for the presenter, the presenter window's URL with the token). */
  urls?: Partial<PresentationUrls>;
  status: 'connecting' | 'open' | 'closed' = 'connecting';

  private _source?: EventSource;

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
    const member = this.options.member === undefined ? '' : `?member=${encodeURIComponent(this.options.member)}`;
    const source = new EventSource(`/api/presentation/events${member}`);
    this._source = source;
    source.addEventListener('open', () => {
      this.status = 'open';
      this.host.requestUpdate();
    });
    source.addEventListener('presentation', (e) => {
      const previous = this.state;
      this.state = JSON.parse((e as MessageEvent<string>).data) as PresentationState;
      this.options.onChange?.(this.state, previous);
      this.host.requestUpdate();
    });
    source.addEventListener('error', () => {
      this.status = source.readyState === EventSource.CLOSED ? 'closed' : 'connecting';
      this.host.requestUpdate();
      if (source.readyState === EventSource.CLOSED && this._source === source) this.options.onLost?.();
    });
  }

  hostDisconnected(): void {
    this._source?.close();
    this._source = undefined;
  }
}
