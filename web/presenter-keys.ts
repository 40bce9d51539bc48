import { PRESENTER_STAGES, type PresenterStage } from '../server/presentation.ts';

/** What a key does in presenter mode. */
export type PresenterCommand = 'next' | 'previous' | 'first' | 'last' | 'pause' | 'change' | 'action' | 'qr' | 'window' | 'stage' | 'exit';

/**
 * The command for a key press in presenter mode (`KeyboardEvent.key`), or undefined. Clickers send
 * PageDown/PageUp (some also `b` or `.` for their "black screen" button, which pauses here).
 */
export function presenterCommand(key: string): PresenterCommand | undefined {
  switch (key) {
    case ' ':
    case 'ArrowRight':
    case 'ArrowDown':
    case 'PageDown':
    case 'Enter':
      return 'next';
    case 'ArrowLeft':
    case 'ArrowUp':
    case 'PageUp':
    case 'Backspace':
      return 'previous';
    case 'Home':
      return 'first';
    case 'End':
      return 'last';
    case 'b':
    case 'B':
    case '.':
    case 'k':
      return 'pause';
    case 'c':
      return 'change';
    case 'r':
      return 'action';
    case 'q':
      return 'qr';
    case 'w':
      return 'window';
    case 'z':
    case 'Z':
      return 'stage';
    case 'Escape':
      return 'exit';
    default:
      return undefined;
  }
}

/** What the projector's stage shows, in words (the presenter window's button, the badge in presenter mode). */
export const STAGE_LABELS: Record<PresenterStage, string> = { both: 'Timeline + code', timeline: 'Timeline only', code: 'Code only' };

/** The stage after `stage` as Z turns them: both, the timeline alone, the code alone, both again. */
export function nextStage(stage: PresenterStage): PresenterStage {
  return PRESENTER_STAGES[(PRESENTER_STAGES.indexOf(stage) + 1) % PRESENTER_STAGES.length]!;
}

/** Whether a key press was meant for a text field, the code editor or a control, not for presenting. */
export function isTyping(event: KeyboardEvent): boolean {
  if (event.ctrlKey || event.metaKey || event.altKey) return true;
  for (const target of event.composedPath()) {
    if (!(target instanceof HTMLElement)) continue;
    if (target.isContentEditable || target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  }
  return false;
}
