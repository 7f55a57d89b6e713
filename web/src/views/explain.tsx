// Explain a send before (or after) it happens: every check in order for the
// client, identity, sender and recipients given, the reply the client would
// get, and what is left of each limit. Nothing is sent, captured or counted.
// A decision's "Explain again" opens this view filled from its event.
import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { call, Check, Explanation, ExplainRequest, get, Listener } from '../api';
import { ChecksTable } from '../components/checks_table';
import { dateTime, replyLines, visible } from '../format';

export interface ExplainPrefill {
  ip?: string;
  port?: number;
  user?: string;
  api_key?: string;
  from?: string;
  to?: string[];
}

// The prefill an event carries in the route (#/explain/<json>).
export function readPrefill(id: string | null): ExplainPrefill {
  if (!id) return {};
  try {
    const v = JSON.parse(id);
    return v && typeof v === 'object' ? (v as ExplainPrefill) : {};
  } catch {
    return {};
  }
}

// The checks a reader wants: the first refused recipient's (else the
// first's), with the content check as the end of the data judged it.
export function shownChecks(x: Explanation): Check[] {
  if (x.auth) return x.auth.checks;
  if (x.mail) return x.mail.checks;
  const pick = x.recipients.find((r) => !r.accept) || x.recipients[0];
  if (!pick) return [];
  const content = x.content?.checks[0];
  return pick.checks.map((c) => (content && c.name === content.name ? content : c));
}

export function ExplainView({ prefill }: { prefill: ExplainPrefill }) {
  const [listeners, setListeners] = useState<Listener[]>([]);
  const [ip, setIp] = useState(prefill.ip || '127.0.0.1');
  const [port, setPort] = useState(prefill.port ? String(prefill.port) : '');
  const [as, setAs] = useState<'ip' | 'user' | 'api_key'>(prefill.user ? 'user' : prefill.api_key ? 'api_key' : 'ip');
  const [name, setName] = useState(prefill.user || prefill.api_key || '');
  const [from, setFrom] = useState(prefill.from ?? '');
  const [headerFrom, setHeaderFrom] = useState('');
  const [to, setTo] = useState((prefill.to || []).join('\n'));
  const [result, setResult] = useState<Explanation | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    get<{ listeners: Listener[] }>('/api/v1/listeners')
      .then((l) => setListeners(l.listeners))
      .catch(() => {});
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    const body: ExplainRequest = {
      from,
      to: to
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter(Boolean),
      ip,
    };
    if (port) body.port = Number(port);
    if (as === 'user' && name) body.user = name;
    if (as === 'api_key' && name) body.api_key = name;
    if (headerFrom) body.header_from = headerFrom;
    setBusy(true);
    try {
      setResult(await call<Explanation>('POST', '/api/v1/explain', body));
      setError('');
    } catch (err) {
      setResult(null);
      setError(String((err as Error).message || err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="explain page" tabIndex={0} role="region" aria-label="Explain">
      <h1>Explain a send</h1>
      <p class="muted">
        Every check in order, the reply the client would get and what is left of each limit. Nothing is sent,
        captured or counted.
      </p>
      <form class="card explain-form" onSubmit={submit}>
        <label>
          Client address
          <input value={ip} onInput={(e) => setIp((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Port
          <select value={port} onChange={(e) => setPort((e.target as HTMLSelectElement).value)}>
            <option value="">server profile</option>
            {listeners.map((l) => (
              <option key={l.port} value={String(l.port)}>
                {l.port} ({l.tls})
              </option>
            ))}
          </select>
        </label>
        <label>
          As
          <select value={as} onChange={(e) => setAs((e.target as HTMLSelectElement).value as typeof as)}>
            <option value="ip">its address (ip_auth)</option>
            <option value="user">SMTP user</option>
            <option value="api_key">API key (name)</option>
          </select>
        </label>
        {as !== 'ip' ? (
          <label>
            {as === 'user' ? 'Username' : 'API key name'}
            <input value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
          </label>
        ) : null}
        <label>
          Envelope sender
          <input
            value={from}
            placeholder="empty for <>"
            onInput={(e) => setFrom((e.target as HTMLInputElement).value)}
          />
        </label>
        <label>
          From: header
          <input
            value={headerFrom}
            placeholder="the envelope sender"
            onInput={(e) => setHeaderFrom((e.target as HTMLInputElement).value)}
          />
        </label>
        <label class="wide">
          Recipients
          <textarea rows={3} value={to} onInput={(e) => setTo((e.target as HTMLTextAreaElement).value)} />
        </label>
        <button type="submit" disabled={busy}>
          Explain
        </button>
      </form>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      {result ? <ExplainResult x={result} /> : null}
    </div>
  );
}

function ExplainResult({ x }: { x: Explanation }) {
  const o = x.outcome;
  return (
    <section class="card" aria-labelledby="explain-result-h" data-testid="explain-result">
      <h2 id="explain-result-h">
        <span class={`pill ${o.accepted ? 'good' : 'bad'}`}>{o.accepted ? 'accepted' : 'refused'}</span> at {o.stage}{' '}
        <code>{o.rule}</code>
      </h2>
      <p class="label">
        Reply, as the client would get it ({x.profile}
        {x.identity ? `, as ${x.identity.kind} ${x.identity.name}` : ', not authenticated'})
      </p>
      <pre class="reply" data-testid="explain-reply">
        {replyLines(o.reply).join('\n')}
      </pre>
      {o.api_reply ? <p>API v3: {visible(o.api_reply)}</p> : null}
      {x.first_failure ? (
        <p class="fix-first" data-testid="explain-fix">
          <strong>{x.first_failure.name}</strong>: {visible(x.first_failure.fix)}
        </p>
      ) : null}
      {x.recipients.length ? (
        <ul class="explain-recipients">
          {x.recipients.map((r, i) => (
            <li key={i} class={r.accept ? 'good' : 'bad'}>
              {visible(r.recipient)}: <code>{visible(r.reply.split('\n')[0])}</code>
            </li>
          ))}
        </ul>
      ) : null}
      <ChecksTable checks={shownChecks(x)} />
      {x.limits.length ? (
        <dl class="facts" data-testid="explain-limits">
          {x.limits.map((l) => (
            <Fragment key={l.name}>
              <dt>{l.name === 'quota' ? 'Monthly quota' : `Rate limit per ${l.per}`}</dt>
              <dd>
                {l.used} used + {l.in_open_transactions} held + {l.this_send} this send of {l.limit}: {l.left} left
                {l.reached ? ' (reached)' : ''}
                {l.frees_at ? `; ${l.name === 'quota' ? 'renews' : 'the oldest frees'} ${dateTime(l.frees_at)}` : ''}
              </dd>
            </Fragment>
          ))}
        </dl>
      ) : null}
    </section>
  );
}
