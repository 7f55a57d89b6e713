// Hash routes (#/inbox/<id>, #/decisions/<seq>, #/explain/<prefill>, #/account, #/controls):
// the server serves one page and never needs to know the UI's paths.
import { useEffect, useState } from 'preact/hooks';

export type View = 'inbox' | 'decisions' | 'explain' | 'account' | 'controls';

export interface Route {
  view: View;
  id: string | null;
}

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/');
  const view = (['inbox', 'decisions', 'explain', 'account', 'controls'] as View[]).includes(parts[0] as View)
    ? (parts[0] as View)
    : 'inbox';
  const id = parts[1] ? decodeURIComponent(parts[1]) : null;
  return { view, id };
}

export function href(view: View, id?: string | null): string {
  return `#/${view}${id ? `/${encodeURIComponent(id)}` : ''}`;
}

export function go(view: View, id?: string | null): void {
  const h = href(view, id);
  if (location.hash !== h) location.hash = h;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
