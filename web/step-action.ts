import type { StepAction } from '../lessons/lesson.ts';
import { callApi } from './api.ts';

/**
 * Runs a step's action again (the presenter's R, or the presenter window's button): the race on
 * cue, a drop, or a change of the data. `clientId` points the action at this tab's own clients.
 */
export function runStepAction(slug: string, action: StepAction, clientId: (id: string) => string = (id) => id): Promise<unknown> {
  if (action.kind === 'change') return callApi('POST', `/api/lessons/${slug}/feed/next`);
  return callApi('POST', `/api/lessons/${slug}/${action.kind}`, { client: clientId(action.client) });
}
