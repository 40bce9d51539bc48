import type { AudienceMember } from '../server/presentation.ts';
import { callApi } from './api.ts';

const KEY = 'rww-audience-member';

/**
 * Who this tab is in the audience: the member it joined as (kept for the tab, so a reload stays
 * the same guest), or a new one. `fresh` forgets the old one first (the server no longer knows it).
 */
export async function joinAudience({ fresh = false } = {}): Promise<AudienceMember> {
  try {
    if (fresh) sessionStorage.removeItem(KEY);
    const kept = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as AudienceMember | null;
    if (kept && typeof kept.id === 'string' && typeof kept.label === 'string') return kept;
  } catch {
    // no storage, or a value that is not ours: join anew
  }
  const member = await callApi<AudienceMember>('POST', '/api/presentation/join', {});
  try {
    sessionStorage.setItem(KEY, JSON.stringify(member));
  } catch {
    // a private window: this page stays the member until it is reloaded
  }
  return member;
}
