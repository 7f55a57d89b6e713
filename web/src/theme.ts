// Light, dark, or the system's choice; kept in this browser.
export type Theme = 'system' | 'light' | 'dark';

export function loadTheme(): Theme {
  try {
    const t = localStorage.getItem('relaymock-theme');
    return t === 'light' || t === 'dark' ? t : 'system';
  } catch {
    return 'system';
  }
}

export function applyTheme(t: Theme): void {
  const root = document.documentElement;
  if (t === 'system') root.removeAttribute('data-theme');
  else root.setAttribute('data-theme', t);
  try {
    if (t === 'system') localStorage.removeItem('relaymock-theme');
    else localStorage.setItem('relaymock-theme', t);
  } catch {
    /* storage refused: the choice lasts this page */
  }
}

export function nextTheme(t: Theme): Theme {
  return t === 'system' ? 'dark' : t === 'dark' ? 'light' : 'system';
}
