// One message: its HTML in a sandboxed frame (no script, no forms, remote
// images only when allowed), text, headers, source, attachments, and the
// decision that let it through with the session's transcript.
import { useEffect, useState } from 'preact/hooks';
import { call, enc, get, MessageDetail, RelayEvent, WebhookAttempt } from '../api';
import { EventDetail } from '../components/event_detail';
import { Transcript } from '../components/transcript';
import { bytes, dateTime, visible } from '../format';
import { usePolling } from '../hooks';
import { onLive } from '../live';
import { go, href } from '../router';

type Tab = 'html' | 'text' | 'headers' | 'source' | 'attachments' | 'decision' | 'delivery';

// Remote images (and CSS pulling from the network) that the frame blocks
// until the user allows them.
export function hasRemoteContent(html: string): boolean {
  return /(src|background|poster)\s*=\s*["']?\s*(https?:)?\/\/|url\(\s*["']?\s*(https?:)?\/\/|@import/i.test(html);
}

export function MessagePane({ id, onDelete }: { id: string; onDelete: () => void }) {
  const [m, setM] = useState<MessageDetail | null>(null);
  const [error, setError] = useState('');
  const [tab, setTab] = useState<Tab | null>(null);
  const [remote, setRemote] = useState(false);

  useEffect(() => {
    get<MessageDetail>(`/api/v1/messages/${enc(id)}`)
      .then((d) => {
        setM(d);
        setTab(d.html !== null ? 'html' : 'text');
        if (!d.read) call('PUT', '/api/v1/messages', { ids: [id], read: true }).catch(() => {});
      })
      .catch((e) => setError(String(e.message || e)));
  }, [id]);

  if (error)
    return (
      <div class="message">
        <p class="error" role="alert">
          {error}
        </p>
        <a href={href('inbox')}>Back to the inbox</a>
      </div>
    );
  if (!m || !tab) return <p class="muted">Loading…</p>;

  const downloads = m.attachments;
  const tabs: [Tab, string][] = [
    ...(m.html !== null ? ([['html', 'HTML']] as [Tab, string][]) : []),
    ['text', 'Text'],
    ['headers', 'Headers'],
    ['source', 'Source'],
    ...(downloads.length ? ([['attachments', `Attachments (${downloads.length})`]] as [Tab, string][]) : []),
    ['decision', 'Decision'],
    ['delivery', 'Delivery'],
  ];
  const names = (v?: { name: string; address: string }[]) =>
    (v ?? []).map((a) => (a.name ? `${a.name} <${a.address}>` : a.address)).join(', ');

  return (
    <article class="message" aria-labelledby="message-subject">
      <a class="back" href={href('inbox')}>
        ← Inbox
      </a>
      <header class="message-head">
        <h2 id="message-subject">{visible(m.subject) || '(no subject)'}</h2>
        <div class="message-actions">
          <a class="button" href={`/api/v1/messages/${enc(id)}/raw?download=1`} download={`${id}.eml`}>
            Download .eml
          </a>
          <button
            type="button"
            onClick={async () => {
              await call('PUT', '/api/v1/messages', { ids: [id], read: false });
              go('inbox');
            }}
          >
            Mark unread
          </button>
          <button type="button" class="danger" onClick={onDelete}>
            Delete
          </button>
        </div>
        <dl class="facts head-facts">
          <dt>From</dt>
          <dd>{visible(m.from_address ? names([m.from_address]) : m.from)}</dd>
          <dt>To</dt>
          <dd>{visible(names(m.to_addresses) || m.to.join(', '))}</dd>
          {m.cc.length ? (
            <>
              <dt>Cc</dt>
              <dd>{visible(names(m.cc_addresses) || m.cc.join(', '))}</dd>
            </>
          ) : null}
          {m.bcc_addresses && m.bcc_addresses.length ? (
            <>
              <dt>Bcc</dt>
              <dd>{visible(names(m.bcc_addresses))}</dd>
            </>
          ) : null}
          <dt>Received</dt>
          <dd>{dateTime(m.received_at)}</dd>
          <dt>Envelope</dt>
          <dd>
            {visible(m.envelope_from || '<>')} → {visible(m.envelope_to.join(', '))}
          </dd>
          <dt>Identity</dt>
          <dd>
            {m.identity.kind}: {m.identity.name}
            {m.sandbox ? <span class="pill warn">sandbox: never delivered</span> : null}
          </dd>
          <dt>Connection</dt>
          <dd>
            {m.client_ip} → port {m.port}, {m.tls ? 'TLS' : 'no TLS'}, HELO {visible(m.helo) || '—'}
          </dd>
          <dt>Size</dt>
          <dd>
            {bytes(m.size)} · id <code>{m.id}</code>
          </dd>
          {m.tags.length ? (
            <>
              <dt>Tags</dt>
              <dd>
                {m.tags.map((t) => (
                  <span key={t} class="pill tag">
                    {t}
                  </span>
                ))}
              </dd>
            </>
          ) : null}
        </dl>
      </header>
      <div class="tabs" role="tablist" aria-label="Message parts">
        {tabs.map(([t, label]) => (
          <button
            key={t}
            type="button"
            role="tab"
            id={`tab-${t}`}
            aria-selected={tab === t}
            aria-controls={`panel-${t}`}
            class={tab === t ? 'active' : ''}
            onClick={() => setTab(t)}
          >
            {label}
          </button>
        ))}
      </div>
      <div class="tab-panel" role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'html' && m.html !== null ? (
          <>
            {!remote && hasRemoteContent(m.html) ? (
              <p class="notice" data-testid="remote-blocked">
                Remote images are blocked.{' '}
                <button type="button" onClick={() => setRemote(true)}>
                  Show remote images
                </button>
              </p>
            ) : null}
            {/* A new frame for each setting: changing a live frame's src raced
                its first load in Chromium (now and then the remote images
                never came), and added an entry to the page's history. */}
            <iframe
              key={remote ? 'remote' : 'blocked'}
              title="The message's HTML"
              class="html-frame"
              sandbox="allow-popups allow-popups-to-escape-sandbox"
              referrerpolicy="no-referrer"
              src={`/api/v1/messages/${enc(id)}/html${remote ? '?remote=1' : ''}`}
            />
          </>
        ) : null}
        {tab === 'text' ? <pre class="body-text">{m.text ?? '(no text part)'}</pre> : null}
        {tab === 'headers' ? (
          <table class="headers">
            <caption class="sr-only">Header fields</caption>
            <tbody>
              {m.headers.map(([n, v], i) => (
                <tr key={i}>
                  <th scope="row">{n}</th>
                  <td>{visible(v)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        {tab === 'source' ? <Source id={id} /> : null}
        {tab === 'attachments' ? (
          <ul class="attachments">
            {downloads.map((a) => (
              <li key={a.part_id}>
                <a href={`/api/v1/messages/${enc(id)}/part/${enc(a.part_id)}`} download={a.name || undefined}>
                  {visible(a.name) || `part ${a.part_id}`}
                </a>{' '}
                <span class="muted">
                  {a.type}, {bytes(a.size)}
                  {a.inline ? ', shown inline' : ''}
                </span>
              </li>
            ))}
          </ul>
        ) : null}
        {tab === 'decision' ? <Decision id={id} session={m.session_id} /> : null}
        {tab === 'delivery' ? <Delivery id={id} /> : null}
      </div>
    </article>
  );
}

// What happened after the 250 (README "After the 250"): the message's
// delivery events as the clock plays them, live.
function Delivery({ id }: { id: string }) {
  const [events, setEvents] = useState<RelayEvent[] | null>(null);
  useEffect(() => {
    const read = () =>
      get<{ events: RelayEvent[] }>(`/api/v1/events?message=${enc(id)}&limit=1000`)
        .then((r) => setEvents(r.events.filter((e) => e.stage === 'delivery')))
        .catch(() => setEvents([]));
    read();
    const offs = [
      onLive('event', (e: RelayEvent) => {
        if (e.message_id === id && e.stage === 'delivery') read();
      }),
      onLive('resync', read),
      onLive('events_cleared', read),
    ];
    return () => offs.forEach((off) => off());
  }, [id]);
  if (events === null) return <p class="muted">Loading…</p>;
  if (!events.length) return <p class="muted">Nothing has happened after the 250 yet (or it is no longer kept).</p>;
  return (
    <>
      <DeliveryEvents events={events} />
      <WebhookPosts id={id} />
    </>
  );
}

function DeliveryEvents({ events }: { events: RelayEvent[] }) {
  return (
    <table class="deliveries" data-testid="deliveries">
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Event</th>
          <th scope="col">Recipient</th>
          <th scope="col">Remote reply and detail</th>
        </tr>
      </thead>
      <tbody>
        {events.map((e) => (
          <tr key={e.seq}>
            <td>
              <time dateTime={e.time}>{dateTime(e.time)}</time>
            </td>
            <td>
              <span class={`pill ${/bounce|spam|reject|unsubscribe/.test(e.rule) ? 'bad' : 'good'}`}>{e.rule}</span>
            </td>
            <td>{visible(e.recipients.length === 1 ? e.recipients[0] : `${e.recipients.length} recipients`)}</td>
            <td>
              {e.reply ? <code>{visible(e.reply)}</code> : null} <span class="muted">{visible(e.detail)}</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

// Every POST to the account's webhooks for this message (README "Webhooks"),
// read again every two seconds while shown: retries follow the clock.
function WebhookPosts({ id }: { id: string }) {
  const [posts, setPosts] = useState<WebhookAttempt[] | null>(null);
  usePolling(
    (alive) =>
      get<{ deliveries: WebhookAttempt[] }>(`/api/v1/webhooks/deliveries?email_id=${enc(id)}&limit=1000`)
        .then((r) => alive() && setPosts(r.deliveries.slice().reverse()))
        .catch(() => alive() && setPosts([])),
    2000,
    [id],
  );
  if (!posts || !posts.length) return null;
  return (
    <>
      <h3>Webhook posts</h3>
      <table class="deliveries" data-testid="webhook-posts">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Event</th>
            <th scope="col">Hook</th>
            <th scope="col">Attempt</th>
            <th scope="col">Answer</th>
          </tr>
        </thead>
        <tbody>
          {posts.map((p) => (
            <tr key={`${p.delivery}-${p.attempt}`}>
              <td>
                <time dateTime={p.time}>{dateTime(p.time)}</time>
              </td>
              <td>
                {p.event}
                {p.rcpt ? <span class="muted"> {visible(p.rcpt)}</span> : null}
              </td>
              <td>
                <code>{visible(p.url)}</code>
              </td>
              <td>{p.attempt}</td>
              <td>
                <span class={`pill ${p.result === 'delivered' ? 'good' : 'bad'}`}>{p.status || 'no answer'}</span>{' '}
                {p.result} <span class="muted">{p.latency_ms} ms</span>
                {p.error ? <span class="muted"> {visible(p.error)}</span> : null}
                {p.next_attempt ? (
                  <span class="muted">
                    {' '}
                    next <time dateTime={p.next_attempt}>{dateTime(p.next_attempt)}</time>
                  </span>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function Source({ id }: { id: string }) {
  const [raw, setRaw] = useState<string | null>(null);
  useEffect(() => {
    fetch(`/api/v1/messages/${enc(id)}/raw`, { credentials: 'same-origin' })
      .then((r) => r.text())
      .then(setRaw)
      .catch(() => setRaw('(could not read the source)'));
  }, [id]);
  if (raw === null) return <p class="muted">Loading…</p>;
  const shown = raw.length > 2_000_000 ? raw.slice(0, 2_000_000) + '\n… (download the .eml for the rest)' : raw;
  return <pre class="source">{shown}</pre>;
}

// The acceptance with every check it passed, then the session's other
// events, the transcript one click away.
function Decision({ id, session }: { id: string; session: string }) {
  const [accepted, setAccepted] = useState<RelayEvent | null>(null);
  const [others, setOthers] = useState<RelayEvent[]>([]);
  const [showTranscript, setShowTranscript] = useState(false);
  useEffect(() => {
    get<{ events: RelayEvent[] }>(`/api/v1/events?message=${enc(id)}&limit=1`)
      .then((r) => setAccepted(r.events[0] ?? null))
      .catch(() => {});
    get<{ events: RelayEvent[] }>(`/api/v1/events?session=${enc(session)}&limit=200`)
      .then((r) => setOthers(r.events))
      .catch(() => {});
  }, [id, session]);
  return (
    <div class="decision">
      {accepted ? <EventDetail event={accepted} showTranscript={false} /> : <p class="muted">The decision is no longer kept.</p>}
      {others.length > 1 ? (
        <>
          <h3>Everything in session {session}</h3>
          <ol class="session-events">
            {others.map((e) => (
              <li key={e.seq}>
                <a href={href('decisions', String(e.seq))}>
                  <code>{e.rule}</code> at {e.stage}: {e.reply.split('\n')[0]}
                </a>
              </li>
            ))}
          </ol>
        </>
      ) : null}
      <button type="button" onClick={() => setShowTranscript(!showTranscript)} aria-expanded={showTranscript}>
        {showTranscript ? 'Hide' : 'Show'} the session transcript
      </button>
      {showTranscript ? <Transcript session={session} /> : null}
    </div>
  );
}
