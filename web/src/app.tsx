// The shell: sign-in when the admin token is required, then the four views
// under one header (live status, the relay's clock, theme, sign out).
import { useEffect, useState } from 'preact/hooks';
import { call, get, onUnauthorized } from './api';
import { onLive, onLiveStatus, startLive, stopLive } from './live';
import { href, useRoute, View } from './router';
import { applyTheme, loadTheme, nextTheme, Theme } from './theme';
import { SignIn } from './views/signin';
import { Inbox } from './views/inbox';
import { Decisions } from './views/decisions';
import { ExplainView, readPrefill } from './views/explain';
import { Account } from './views/account';
import { Controls } from './views/controls';
import { useRelayClock } from './hooks';

interface SigninState {
  required: boolean;
  signed_in: boolean;
}

export function App() {
  const [auth, setAuth] = useState<'checking' | 'needed' | 'ok'>('checking');
  const [required, setRequired] = useState(false);

  const check = () =>
    get<SigninState>('/api/v1/signin')
      .then((s) => {
        setRequired(s.required);
        setAuth(s.signed_in ? 'ok' : 'needed');
      })
      .catch(() => setAuth('needed'));

  useEffect(() => {
    check();
    return onUnauthorized(() => {
      stopLive();
      setAuth('needed');
    });
  }, []);

  if (auth === 'checking') return <p class="loading" role="status">Loading…</p>;
  if (auth === 'needed') return <SignIn onSignedIn={() => setAuth('ok')} />;
  return (
    <Shell
      required={required}
      onSignOut={() => call('POST', '/api/v1/signout').finally(() => (stopLive(), setAuth('needed')))}
    />
  );
}

const views: { view: View; label: string }[] = [
  { view: 'inbox', label: 'Inbox' },
  { view: 'decisions', label: 'Decisions' },
  { view: 'explain', label: 'Explain' },
  { view: 'account', label: 'Account' },
  { view: 'controls', label: 'Controls' },
];

function Shell({ required, onSignOut }: { required: boolean; onSignOut: () => void }) {
  const route = useRoute();
  const [connected, setConnected] = useState(false);
  const [theme, setTheme] = useState<Theme>(loadTheme);
  const now = useRelayClock();
  const [unread, setUnread] = useState<number | null>(null);

  useEffect(() => {
    startLive();
    const offs = [
      onLiveStatus(setConnected),
      onLive('hello', (h: { unread: number }) => setUnread(h.unread)),
    ];
    return () => offs.forEach((f) => f());
  }, []);
  useEffect(() => applyTheme(theme), [theme]);

  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <span class="brand">relaymock</span>
        <nav aria-label="Views">
          {views.map((v) => (
            <a
              key={v.view}
              href={href(v.view)}
              class={route.view === v.view ? 'active' : ''}
              aria-current={route.view === v.view ? 'page' : undefined}
            >
              {v.label}
              {v.view === 'inbox' && unread ? <span class="count" aria-label={`${unread} unread`}>{unread}</span> : null}
            </a>
          ))}
        </nav>
        <span class="spacer" />
        <span class={`live ${connected ? 'on' : 'off'}`} role="status" title={connected ? 'Live' : 'Reconnecting'}>
          {connected ? 'live' : 'offline'}
        </span>
        <span class="clock" title="The relay's clock (Controls moves it)" data-testid="relay-clock">
          {now ? now.toISOString().replace('T', ' ').slice(0, 19) + 'Z' : ''}
        </span>
        <button
          type="button"
          class="ghost"
          onClick={() => setTheme(nextTheme(theme))}
          aria-label={`Theme: ${theme}; change`}
          title={`Theme: ${theme}`}
        >
          {theme === 'dark' ? '☾' : theme === 'light' ? '☀' : '◐'}
        </button>
        {required ? (
          <button type="button" class="ghost" onClick={onSignOut}>
            Sign out
          </button>
        ) : null}
      </header>
      <main id="main" tabIndex={-1}>
        {route.view === 'inbox' && <Inbox id={route.id} onUnread={setUnread} />}
        {route.view === 'decisions' && <Decisions seq={route.id} />}
        {route.view === 'explain' && <ExplainView key={route.id || ''} prefill={readPrefill(route.id)} />}
        {route.view === 'account' && <Account />}
        {route.view === 'controls' && <Controls />}
      </main>
    </div>
  );
}
