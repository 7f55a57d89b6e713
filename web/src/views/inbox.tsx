// The inbox: newest first, paged by the server, searched with the one
// grammar (to:, from:, subject:, has:attachment, before:/after:, user:,
// is:sandbox, free text...), live (a message shows as its 250 goes out),
// with read marks, selection, deletion and the keys j/k, Enter, Delete, /.
import { useEffect, useRef, useState } from 'preact/hooks';
import { call, get, MessageSummary, query } from '../api';
import { bytes, plural, shortTime, visible } from '../format';
import { useDebounced, useKeys } from '../hooks';
import { onLive } from '../live';
import { go, href } from '../router';
import { MessagePane } from './message';

const PAGE = 50;

interface Page {
  total: number;
  unread: number;
  messages: MessageSummary[];
}

export function Inbox({ id, onUnread }: { id: string | null; onUnread: (n: number) => void }) {
  const [draft, setDraft] = useState('');
  const [q, setQ] = useState('');
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<Page | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');
  const searchRef = useRef<HTMLInputElement>(null);
  const state = useRef({ q, offset, page });
  state.current = { q, offset, page };

  const load = async () => {
    try {
      const p = await get<Page>(`/api/v1/messages${query({ q: state.current.q, limit: PAGE, offset: state.current.offset })}`);
      setPage(p);
      setError('');
      if (!state.current.q) onUnread(p.unread);
    } catch (e) {
      setError(String((e as Error).message || e));
    }
  };
  const reload = useDebounced(load, 250);

  useEffect(() => {
    load();
  }, [q, offset]);

  useEffect(() => {
    const offs = [
      onLive('message', (m: MessageSummary) => {
        const { q, offset, page } = state.current;
        if (!q && offset === 0 && page) {
          // The first page of everything: the new message goes on top now.
          if (page.messages.some((x) => x.id === m.id)) return;
          const next = {
            total: page.total + 1,
            unread: page.unread + (m.read ? 0 : 1),
            messages: [m, ...page.messages].slice(0, PAGE),
          };
          setPage(next);
          onUnread(next.unread);
        } else {
          reload();
        }
      }),
      onLive('message_updated', (u: { id: string; read: boolean; tags: string[] }) => {
        const page = state.current.page;
        if (!page) return;
        const hit = page.messages.find((m) => m.id === u.id);
        if (!hit) return reload();
        const unread = page.unread + (hit.read && !u.read ? 1 : !hit.read && u.read ? -1 : 0);
        setPage({ ...page, unread, messages: page.messages.map((m) => (m.id === u.id ? { ...m, read: u.read, tags: u.tags } : m)) });
        if (!state.current.q) onUnread(unread);
      }),
      onLive('message_deleted', () => reload()),
      onLive('messages_changed', () => reload()),
      onLive('resync', () => reload()),
    ];
    return () => offs.forEach((f) => f());
  }, []);

  const messages = page?.messages ?? [];
  const index = id ? messages.findIndex((m) => m.id === id) : -1;

  const open = (i: number) => {
    if (i >= 0 && i < messages.length) go('inbox', messages[i].id);
  };
  const targets = () => (selected.size ? [...selected] : id ? [id] : []);
  const remove = async (ids: string[]) => {
    if (!ids.length) return;
    const next = index >= 0 && index + 1 < messages.length ? messages[index + 1].id : null;
    await call('DELETE', '/api/v1/messages', { ids });
    setSelected(new Set());
    setStatus(`Deleted ${plural(ids.length, 'message')}.`);
    if (id && ids.includes(id)) go('inbox', next);
    load();
  };
  const mark = async (ids: string[], read: boolean) => {
    if (!ids.length) return;
    await call('PUT', '/api/v1/messages', { ids, read });
    setStatus(`Marked ${plural(ids.length, 'message')} ${read ? 'read' : 'unread'}.`);
    load();
  };

  useKeys({
    j: () => open(index < 0 ? 0 : index + 1),
    k: () => open(index <= 0 ? 0 : index - 1),
    Enter: () => open(index < 0 ? 0 : index),
    Delete: () => remove(targets()),
    '#': () => remove(targets()),
    '/': () => searchRef.current?.focus(),
  });

  const allChecked = messages.length > 0 && messages.every((m) => selected.has(m.id));
  const toggle = (mid: string) => {
    const s = new Set(selected);
    if (s.has(mid)) s.delete(mid);
    else s.add(mid);
    setSelected(s);
  };

  return (
    <div class={`inbox ${id ? 'has-message' : ''}`}>
      <section class="list-pane" aria-label="Messages">
        <form
          class="search"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            setOffset(0);
            setQ(draft.trim());
          }}
        >
          <label for="search" class="sr-only">
            Search messages
          </label>
          <input
            id="search"
            ref={searchRef}
            type="search"
            placeholder="Search: to:, from:, subject:, has:attachment, after:2026-12-01, user:, is:sandbox…"
            value={draft}
            onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
          />
          <button type="submit">Search</button>
          {q ? (
            <button
              type="button"
              class="ghost"
              onClick={() => {
                setDraft('');
                setQ('');
                setOffset(0);
              }}
            >
              Clear
            </button>
          ) : null}
        </form>
        <div class="toolbar" role="toolbar" aria-label="Message actions">
          <input
            type="checkbox"
            aria-label="Select every message on this page"
            checked={allChecked}
            onChange={() => setSelected(allChecked ? new Set() : new Set(messages.map((m) => m.id)))}
          />
          <button type="button" disabled={!selected.size} onClick={() => mark([...selected], true)}>
            Mark read
          </button>
          <button type="button" disabled={!selected.size} onClick={() => mark([...selected], false)}>
            Mark unread
          </button>
          <button type="button" class="danger" disabled={!selected.size} onClick={() => remove([...selected])}>
            Delete
          </button>
          <span class="spacer" />
          <button
            type="button"
            onClick={async () => {
              await call('PUT', '/api/v1/messages', { read: true });
              load();
            }}
          >
            Mark all read
          </button>
          <button
            type="button"
            class="danger"
            onClick={async () => {
              if (!confirm('Delete every message?')) return;
              await call('DELETE', '/api/v1/messages');
              setSelected(new Set());
              go('inbox');
              load();
            }}
          >
            Delete all
          </button>
        </div>
        <p class="sr-only" role="status">
          {status}
        </p>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        {page ? (
          <p class="muted small counts" data-testid="counts">
            {page.total
              ? `${(offset + 1).toLocaleString()}–${Math.min(offset + PAGE, page.total).toLocaleString()} of ${plural(page.total, 'message')}, ${page.unread.toLocaleString()} unread`
              : q
                ? 'Nothing matches.'
                : 'No messages yet. Send one to an SMTP port and it shows here.'}
          </p>
        ) : (
          <p class="muted" role="status">
            Loading…
          </p>
        )}
        <ul class="messages" data-testid="message-list">
          {messages.map((m) => (
            <li key={m.id} class={`${m.read ? 'read' : 'unread'} ${m.id === id ? 'current' : ''}`} data-id={m.id}>
              <input
                type="checkbox"
                aria-label={`Select “${m.subject || '(no subject)'}”`}
                checked={selected.has(m.id)}
                onChange={() => toggle(m.id)}
              />
              <a href={href('inbox', m.id)} aria-current={m.id === id ? 'true' : undefined}>
                <span class="row1">
                  <span class="from">{visible(m.from_name || m.from || m.envelope_from || '(no sender)')}</span>
                  <time dateTime={m.received_at}>{shortTime(m.received_at)}</time>
                </span>
                <span class="subject">
                  {!m.read ? <span class="sr-only">Unread: </span> : null}
                  {visible(m.subject) || '(no subject)'}
                </span>
                <span class="snippet">{visible(m.snippet || '')}</span>
                <span class="badges">
                  {m.sandbox ? <span class="pill warn">sandbox</span> : null}
                  {m.attachments ? <span class="pill">📎 {m.attachments}</span> : null}
                  {m.tags.map((t) => (
                    <span key={t} class="pill tag">
                      {t}
                    </span>
                  ))}
                  <span class="pill muted-pill">{bytes(m.size)}</span>
                </span>
              </a>
            </li>
          ))}
        </ul>
        {page && page.total > PAGE ? (
          <nav class="pager" aria-label="Pages">
            <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
              Newer
            </button>
            <button type="button" disabled={offset + PAGE >= page.total} onClick={() => setOffset(offset + PAGE)}>
              Older
            </button>
          </nav>
        ) : null}
      </section>
      <section class="message-pane" aria-label="Message">
        {id ? (
          <MessagePane key={id} id={id} onDelete={() => remove([id])} />
        ) : (
          <p class="muted empty">Pick a message (j/k to move, / to search).</p>
        )}
      </section>
    </div>
  );
}
