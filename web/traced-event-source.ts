import { CLIENT_PARAM, TEXT_LIMIT, versionIn, type ClientMessageEvent, type ClientStreamEvent } from '../lessons/trace-event.ts';

/** What a traced EventSource records, before the caller adds the time, lane and client. */
export type EventSourceRecord = Pick<ClientStreamEvent, 'kind' | 'url' | 'state'> | Pick<ClientMessageEvent, 'kind' | 'url' | 'type' | 'lastEventId' | 'data' | 'version'>;

export interface TracedEventSourceOptions {
  clientId: string;
  /** Resolves relative URLs (the page's location). */
  baseUrl: string;
  /** Aborted when the client stops: errors after that are the stop, not news. */
  stopped: AbortSignal;
  /** Records one state change or delivered event; `stack` is where the lesson code created the source or added the listener. */
  record(event: EventSourceRecord, stack: string | undefined): void;
}

export interface TracedEventSources {
  /** An EventSource class to hand to lesson code. */
  EventSource: typeof EventSource;
  /** Closes every source still open (the client stopped). */
  closeAll(): void;
}

/**
 * Wraps a real EventSource class (the browser's, or the `eventsource` package in Node tests): the
 * client is named in the URL (`?client=<id>`, as the API cannot send headers), and every state
 * change and every event a listener receives is recorded, before the lesson's own listener runs.
 */
export function createTracedEventSource(Base: typeof EventSource, { clientId, baseUrl, stopped, record }: TracedEventSourceOptions): TracedEventSources {
  const sources = new Set<EventSource>();

  class TracedEventSource extends Base {
    readonly #path: string;
    readonly #watched = new Set<string>();

    constructor(url: string | URL, init?: EventSourceInit) {
      const tagged = new URL(url, baseUrl);
      tagged.searchParams.set(CLIENT_PARAM, clientId);
      super(tagged, init);
      this.#path = tagged.pathname + tagged.search;
      sources.add(this);
      const stack = new Error().stack;
      this.addEventListener('open', () => record({ kind: 'client-stream', url: this.#path, state: 'open' }, stack));
      this.addEventListener('error', () => {
        const state = this.readyState === Base.CLOSED ? 'closed' : 'connecting';
        if (state === 'closed') sources.delete(this);
        if (!stopped.aborted) record({ kind: 'client-stream', url: this.#path, state }, stack);
      });
      this.#watch('message', stack);
      // Named events reach only the types someone listens to: watch each type as a listener is added.
      const addEventListener = this.addEventListener.bind(this) as EventTarget['addEventListener'];
      (this as EventTarget).addEventListener = (type, listener, options) => {
        if (type !== 'open' && type !== 'error') this.#watch(type, new Error().stack);
        addEventListener(type, listener, options);
      };
    }

    override close(): void {
      sources.delete(this);
      super.close();
    }

    #watch(type: string, stack: string | undefined): void {
      if (this.#watched.has(type)) return;
      this.#watched.add(type);
      EventTarget.prototype.addEventListener.call(this, type, (event) => {
        const { data, lastEventId } = event as MessageEvent<unknown>;
        const text = String(data);
        record({ kind: 'client-message', url: this.#path, type, lastEventId, data: text.slice(0, TEXT_LIMIT), version: versionIn(text) }, stack);
      });
    }
  }

  return {
    EventSource: TracedEventSource,
    closeAll() {
      for (const source of sources) source.close();
    },
  };
}
