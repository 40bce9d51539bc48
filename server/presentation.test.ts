import { describe, expect, it } from 'vitest';
import { createPresentation, MAX_AUDIENCE, type PresentationState } from './presentation.ts';

describe('createPresentation', () => {
  it('starts at step 1 of no lesson, and tells listeners of every change with one more revision', () => {
    let now = 1_000;
    const presentation = createPresentation({ now: () => now });
    const heard: PresentationState[] = [];
    presentation.subscribe((state) => heard.push(state));
    expect(presentation.state()).toEqual({ step: 1, paused: false, stage: 'both', startedAt: 1_000, revision: 0, audience: 0, at: 1_000 });

    now = 2_000;
    presentation.change({ lesson: 'long-polling', step: 3 });
    presentation.change({ paused: true });
    expect(heard.map(({ lesson, step, paused, revision, at }) => ({ lesson, step, paused, revision, at }))).toEqual([
      { lesson: 'long-polling', step: 3, paused: false, revision: 1, at: 2_000 },
      { lesson: 'long-polling', step: 3, paused: true, revision: 2, at: 2_000 },
    ]);
  });

  it('starts a new lesson at its first step unless told which, and restarts the timer on request', () => {
    let now = 0;
    const presentation = createPresentation({ now: () => now });
    presentation.change({ lesson: 'a', step: 4 });
    expect(presentation.change({ lesson: 'b' }).step).toBe(1);
    expect(presentation.change({ lesson: 'b' }).step).toBe(1);
    expect(presentation.change({ lesson: 'c', step: 2 }).step).toBe(2);
    now = 60_000;
    expect(presentation.change({ step: 3 }).startedAt).toBe(0);
    expect(presentation.change({ restartTimer: true }).startedAt).toBe(60_000);
  });

  it('keeps the stage the presenter picked through steps, and shows both again on a new lesson', () => {
    const presentation = createPresentation();
    presentation.change({ lesson: 'choosing' });
    expect(presentation.change({ stage: 'code' }).stage).toBe('code');
    expect(presentation.change({ step: 2 }).stage).toBe('code');
    expect(presentation.change({ lesson: 'choosing', step: 3 }).stage).toBe('code');
    expect(presentation.change({ lesson: 'websocket' }).stage).toBe('both');
    expect(presentation.change({ lesson: 'choosing', stage: 'timeline' }).stage).toBe('timeline');
  });

  it('numbers audience members and counts those connected, once each however many connections they hold', () => {
    const presentation = createPresentation();
    const ada = presentation.join()!;
    const bob = presentation.join()!;
    expect([ada, bob]).toEqual([
      { id: 'guest-1', label: 'Guest 1' },
      { id: 'guest-2', label: 'Guest 2' },
    ]);
    const leaveAda = presentation.attend(ada.id);
    const leaveAdaAgain = presentation.attend(ada.id);
    const leaveBob = presentation.attend(bob.id);
    expect(presentation.state().audience).toBe(2);
    leaveAda();
    leaveAda(); // twice is once
    expect(presentation.state().audience).toBe(2);
    leaveAdaAgain();
    leaveBob();
    expect(presentation.state().audience).toBe(0);
    expect(presentation.member('guest-2')).toEqual(bob);
    expect(presentation.member('guest-9')).toBeUndefined();
    presentation.attend('guest-9')(); // an unknown member changes nothing
    expect(presentation.state().audience).toBe(0);
  });

  it('turns joiners away when the room is full of connected members, after forgetting the ones who left', () => {
    const presentation = createPresentation();
    const leave = Array.from({ length: MAX_AUDIENCE }, () => presentation.attend(presentation.join()!.id));
    expect(presentation.join()).toBeUndefined();
    leave[0]!();
    expect(presentation.join()).toEqual({ id: `guest-${MAX_AUDIENCE + 1}`, label: `Guest ${MAX_AUDIENCE + 1}` });
    expect(presentation.state().audience).toBe(MAX_AUDIENCE - 1);
  });
});
