/** The header the workbench reads the presenter token from (server/presenter-guard.ts `TOKEN_HEADER`). */
const TOKEN_HEADER = 'x-presenter-token';
const KEY = 'rww-presenter-token';

let token: string | undefined;
let read = false;

/**
 * The presenter token this tab steers with, if any: taken once from the URL (`?token=…`, as the
 * presenter window's QR code carries it), kept for the tab in sessionStorage, and removed from
 * the address bar so that it is not shared by a screenshot or a copied link.
 */
export function presenterToken(): string | undefined {
  if (read) return token;
  read = true;
  if (typeof location === 'undefined') return undefined; // not in a page
  const url = new URL(location.href);
  const given = url.searchParams.get('token');
  try {
    if (given) sessionStorage.setItem(KEY, given);
    token = given ?? sessionStorage.getItem(KEY) ?? undefined;
  } catch {
    token = given ?? undefined; // no storage (a private window): the token lives as long as the page
  }
  if (given) {
    // Only the token goes: `?present` stays as it was written (URLSearchParams would make it `?present=`).
    const search = url.search.replace(/[?&]token=[^&]*/, '').replace(/^&/, '?');
    history.replaceState(history.state, '', `${url.pathname}${search}${url.hash}`);
  }
  return token;
}

/** Headers that prove the presenter (none on the presenter's own machine, where none are needed). */
export function presenterHeaders(): Record<string, string> {
  const value = presenterToken();
  return value ? { [TOKEN_HEADER]: value } : {};
}
