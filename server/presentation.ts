/**
 * The class's shared state: which lesson and step the presenter shows, whether the demo is paused,
 * when the talk started, and who in the audience is connected. Every window that follows the
 * presentation (the presenter's own, the presenter window on a phone, each student's page) reads
 * it from the server, so they stay in step across devices.
 */

import { audienceMember } from '../lessons/trace-event.ts';

/** What every window of a presentation shows. */
export interface PresentationState {
  /** The lesson on the projector; absent until a presenter opens one. */
  lesson?: string;
  /** The step shown, 1-based. */
  step: number;
  /** The demo is paused: the scenario stops changing the feed and the timelines hold still. */
  paused: boolean;
  /** What the projector's stage shows: the timeline and the code, or one of them alone (a short screen). Back to both on a new lesson. */
  stage: PresenterStage;
  /** When the talk's timer started, server epoch ms (restarted from the presenter window). */
  startedAt: number;
  /** One more on every change. */
  revision: number;
  /** Audience pages connected now. */
  audience: number;
  /** When this state was made, server epoch ms (a follower measures how late it is). */
  at: number;
}

/** The projector's stage in presenter mode. */
export const PRESENTER_STAGES = ['both', 'timeline', 'code'] as const;
export type PresenterStage = (typeof PRESENTER_STAGES)[number];

/** What the presenter may change. */
export type PresentationChange = Partial<Pick<PresentationState, 'lesson' | 'step' | 'paused' | 'stage'>> & { restartTimer?: boolean };

/** A student's page, known by the id it runs its demo client under. */
export interface AudienceMember {
  /** The client id of its demo client, e.g. `guest-7`. */
  id: string;
  /** Its name on the timeline and in the chat, e.g. `Guest 7`. */
  label: string;
}

export interface Presentation {
  state(): PresentationState;
  /** Applies a change from the presenter; returns the new state. Listeners hear of it. */
  change(change: PresentationChange): PresentationState;
  /** Calls `listener` with every new state; returns the function that stops listening. */
  subscribe(listener: (state: PresentationState) => void): () => void;
  /** A new audience member (a page that opened the audience URL). Undefined when the room is full. */
  join(): AudienceMember | undefined;
  /** The member with this id, if it joined. */
  member(id: string): AudienceMember | undefined;
  /** Counts `id` as connected until the returned function is called (a page may connect more than once). */
  attend(id: string): () => void;
}

/** At most this many audience ids are handed out; past it, joining answers 503. */
export const MAX_AUDIENCE = 2_000;

/** Creates the presentation; `now` is the server clock. */
export function createPresentation({ now = Date.now }: { now?: () => number } = {}): Presentation {
  let state: PresentationState = { step: 1, paused: false, stage: 'both', startedAt: now(), revision: 0, audience: 0, at: now() };
  const listeners = new Set<(state: PresentationState) => void>();
  const members = new Map<string, AudienceMember & { connections: number }>();
  let joined = 0;

  const publish = (next: Omit<PresentationState, 'revision' | 'at'>) => {
    state = { ...next, revision: state.revision + 1, at: now() };
    for (const listener of listeners) listener(state);
    return state;
  };
  const attending = () => [...members.values()].filter((m) => m.connections > 0).length;

  return {
    state: () => state,
    change({ restartTimer, ...change }) {
      const lessonChanged = change.lesson !== undefined && change.lesson !== state.lesson;
      return publish({
        ...state,
        ...change,
        // A new lesson starts at its first step unless the change says which.
        step: change.step ?? (lessonChanged ? 1 : state.step),
        stage: change.stage ?? (lessonChanged ? 'both' : state.stage),
        startedAt: restartTimer ? now() : state.startedAt,
      });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    join() {
      if (members.size >= MAX_AUDIENCE) {
        // Forget members that are gone before turning anyone away.
        for (const [id, m] of members) if (m.connections === 0) members.delete(id);
        if (members.size >= MAX_AUDIENCE) return undefined;
      }
      const n = ++joined;
      const member = { ...audienceMember(n), connections: 0 };
      members.set(member.id, member);
      return { id: member.id, label: member.label };
    },
    member(id) {
      const m = members.get(id);
      return m && { id: m.id, label: m.label };
    },
    attend(id) {
      const m = members.get(id);
      if (!m) return () => {};
      m.connections++;
      if (m.connections === 1) publish({ ...state, audience: attending() });
      let left = false;
      return () => {
        if (left) return;
        left = true;
        m.connections--;
        if (m.connections === 0) publish({ ...state, audience: attending() });
      };
    },
  };
}
