// The account as the relay enforces it now: identities and their status,
// every rate limit as a gauge (used, held by open transactions, when it
// frees), the monthly quota, verified domains and senders, restricted
// senders, the webhooks with their latest posts, and the changes the
// provider's account API made over the file. Read again whenever something
// can change it.
import { useEffect, useState } from 'preact/hooks';
import { AccountConfig, AccountOverride, call, get, RateLimit, Usage, WebhookAttempt } from '../api';
import { Gauge } from '../components/gauge';
import { dateTime } from '../format';
import { useDebounced, usePolling } from '../hooks';
import { onLive } from '../live';

const rate = (r: RateLimit | null) => (r ? `${r.count} per ${r.per}` : 'unlimited');

export function Account() {
  const [cfg, setCfg] = useState<AccountConfig | null>(null);
  const [usage, setUsage] = useState<Usage | null>(null);
  const [error, setError] = useState('');

  const load = async () => {
    try {
      const [c, u] = await Promise.all([get<AccountConfig>('/api/v1/config'), get<Usage>('/api/v1/usage')]);
      setCfg(c);
      setUsage(u);
      setError('');
    } catch (e) {
      setError(String((e as Error).message || e));
    }
  };
  const reload = useDebounced(load, 300);
  useEffect(() => {
    load();
    const offs = (['event', 'clock', 'config', 'counters', 'resync'] as const).map((k) => onLive(k, () => reload()));
    // Limits also free as time passes.
    const t = setInterval(load, 15_000);
    return () => {
      offs.forEach((f) => f());
      clearInterval(t);
    };
  }, []);

  if (error)
    return (
      <p class="error" role="alert">
        {error}
      </p>
    );
  if (!cfg || !usage) return <p class="muted">Loading…</p>;
  const a = cfg.account;
  const limitOf = (kind: string, name: string) => usage.rate_limits.find((r) => r.kind === kind && r.name === name);
  return (
    <div class="account page" tabIndex={0} role="region" aria-label="Account">
      <h1>Account</h1>
      <p class="muted">
        As the config <code>{cfg.source}</code> says, and as the relay counts now. Status:{' '}
        <strong class={a.status === 'active' ? 'ok-text' : 'bad-text'}>{a.status}</strong>.
      </p>
      <section aria-labelledby="quota-h" class="card">
        <h2 id="quota-h">Monthly quota</h2>
        <Gauge
          label="quota"
          used={usage.cycle_used}
          max={usage.cycle_max}
          note={`Cycle ${dateTime(usage.cycle_start)} to ${dateTime(usage.cycle_end)} (renews on day ${a.quota.cycle_day}).${
            usage.cycle_remaining !== null ? ` ${usage.cycle_remaining.toLocaleString()} left.` : ' No quota set.'
          }`}
        />
      </section>
      <section aria-labelledby="limits-h" class="card">
        <h2 id="limits-h">Rate limits</h2>
        {usage.rate_limits.length ? (
          usage.rate_limits.map((r) => (
            <Gauge
              key={`${r.kind}:${r.name}`}
              label={`${r.kind}:${r.name}`}
              used={r.used}
              held={r.in_open_transactions}
              max={r.count}
              note={`${r.count} per ${r.per}.${r.resets_at ? ` The oldest frees at ${dateTime(r.resets_at)}.` : ' Nothing counted now.'}`}
            />
          ))
        ) : (
          <p class="muted">No identity has a rate limit.</p>
        )}
      </section>
      <section aria-labelledby="users-h" class="card">
        <h2 id="users-h">SMTP users</h2>
        <Table
          head={['Username', 'Status', 'Rate limit', 'Used now']}
          rows={cfg.smtp_users.map((u) => [
            u.username,
            <Status s={u.status} />,
            rate(u.rate_limit),
            usedText(limitOf('user', u.username)),
          ])}
          empty="No SMTP users."
        />
      </section>
      <section aria-labelledby="ips-h" class="card">
        <h2 id="ips-h">IP authentication</h2>
        <Table
          head={['Address or range', 'Status', 'Rate limit', 'Used now']}
          rows={cfg.ip_auth.map((e) => [e.ip, <Status s={e.status} />, rate(e.rate_limit), usedText(limitOf('ip', e.ip))])}
          empty="No IP entries: every client must authenticate."
        />
      </section>
      <section aria-labelledby="keys-h" class="card">
        <h2 id="keys-h">API keys</h2>
        <Table
          head={['Name', 'Status', 'Rate limit', 'Used now']}
          rows={cfg.api_keys.map((k) => [k.name, <Status s={k.status} />, rate(k.rate_limit), usedText(limitOf('api_key', k.name))])}
          empty="No API keys."
        />
      </section>
      <section aria-labelledby="senders-h" class="card">
        <h2 id="senders-h">Senders</h2>
        <dl class="facts">
          <dt>Verified domains</dt>
          <dd>{a.verified_domains.length ? a.verified_domains.join(', ') : 'none'}</dd>
          <dt>Verified senders</dt>
          <dd>{a.verified_senders.length ? a.verified_senders.join(', ') : 'none'}</dd>
          <dt>Restrict senders</dt>
          <dd>
            {a.restrict_senders.mode}
            {a.restrict_senders.entries.length ? `: ${a.restrict_senders.entries.join(', ')}` : ''}
          </dd>
          <dt>Blank sender (MAIL FROM:&lt;&gt;)</dt>
          <dd>{a.allow_blank_sender ? 'allowed' : 'refused'}</dd>
          {a.unverified_domains?.length ? (
            <>
              <dt>Added, not verified yet</dt>
              <dd>{a.unverified_domains.join(', ')}</dd>
            </>
          ) : null}
        </dl>
      </section>
      <Webhooks version={cfg} />
      <ApiChanges overrides={cfg.overrides ?? []} source={cfg.source} onChange={load} />
    </div>
  );
}

interface WebhookList {
  hooks: { id: number; url: string; events: string[]; usernames: string[]; output_format: string; auth_header_type: string }[];
  totals: { deliveries: number; delivered: number; failed: number; waiting: number };
}

// The account's webhooks (README "Webhooks") and their latest POSTs, read
// again with the account and every three seconds (retries follow the clock).
function Webhooks({ version }: { version: unknown }) {
  const [list, setList] = useState<WebhookList | null>(null);
  const [posts, setPosts] = useState<WebhookAttempt[]>([]);
  usePolling(
    (alive) =>
      Promise.all([get<WebhookList>('/api/v1/webhooks?limit=1'), get<{ deliveries: WebhookAttempt[] }>('/api/v1/webhooks/deliveries?limit=20')])
        .then(([l, d]) => {
          if (!alive()) return;
          setList(l);
          setPosts(d.deliveries);
        })
        .catch(() => {}),
    3000,
    [version],
  );
  if (!list) return null;
  const t = list.totals;
  return (
    <section aria-labelledby="hooks-h" class="card" data-testid="webhooks">
      <h2 id="hooks-h">Webhooks</h2>
      <Table
        head={['Id', 'URL', 'Events', 'Users', 'Format', 'Auth']}
        rows={list.hooks.map((h) => [
          String(h.id),
          <code>{h.url}</code>,
          h.events.length ? h.events.join(', ') : 'all',
          h.usernames.length ? h.usernames.join(', ') : 'all',
          h.output_format,
          h.auth_header_type || 'none',
        ])}
        empty="No webhooks: add one in the config (webhooks:) or with /v3/webhook/add."
      />
      {list.hooks.length || t.deliveries ? (
        <>
          <p class="muted">
            {t.deliveries} deliveries: {t.delivered} delivered, {t.failed} failed, {t.waiting} waiting for a retry. Latest posts:
          </p>
          <Table
            head={['Time', 'Hook', 'Event', 'Recipient', 'Attempt', 'Answer']}
            rows={posts.map((p) => [
              dateTime(p.time),
              String(p.hook),
              p.event,
              p.rcpt || p.email_id,
              String(p.attempt),
              `${p.status || 'no answer'} ${p.result}${p.error ? ` (${p.error})` : ''}`,
            ])}
            empty="No posts yet."
          />
        </>
      ) : null}
    </section>
  );
}

// "username tenant-1, status blocked": what a change set, secrets as the
// server hid them.
function fieldsText(fields: Record<string, unknown>) {
  return Object.entries(fields)
    .map(([k, v]) => `${k} ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}

function ApiChanges({ overrides, source, onChange }: { overrides: AccountOverride[]; source: string; onChange: () => void }) {
  const [note, setNote] = useState('');
  const [error, setError] = useState('');
  const drop = async () => {
    setNote('');
    setError('');
    try {
      await call('POST', '/api/v1/config/reload', { keep_overrides: false });
      setNote(`Dropped: the account is as ${source} says.`);
      onChange();
    } catch (e) {
      setError(String((e as Error).message || e));
    }
  };
  return (
    <section aria-labelledby="changes-h" class="card">
      <h2 id="changes-h">Changes through the provider's API</h2>
      {overrides.length ? (
        <>
          <p class="muted">
            Made over <code>{source}</code> by the <code>/v3/</code> account endpoints, in force now, replayed by a reload and
            kept across restarts in durable mode.
          </p>
          <Table
            head={['When', 'Endpoint', 'By key', 'Fields']}
            rows={overrides.map((o) => [dateTime(o.at), `/v3/${o.endpoint}`, o.by, fieldsText(o.fields)])}
            empty=""
          />
          <p class="actions">
            <a href="/api/v1/config?format=yaml" download="relaymock.yaml">
              Download the running config as YAML
            </a>{' '}
            <button type="button" onClick={drop}>
              Drop them: the file alone
            </button>
          </p>
        </>
      ) : (
        <p class="muted">None: the account is as the file says.</p>
      )}
      {note ? (
        <p class="ok-text" role="status">
          {note}
        </p>
      ) : null}
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
    </section>
  );
}

function usedText(r?: Usage['rate_limits'][number]) {
  if (!r) return '—';
  return `${r.used}${r.in_open_transactions ? ` + ${r.in_open_transactions} held` : ''} of ${r.count}`;
}

function Status({ s }: { s: string }) {
  return <span class={`pill ${s === 'allowed' ? 'good' : s === 'blocked' ? 'bad' : 'warn'}`}>{s}</span>;
}

function Table({ head, rows, empty }: { head: string[]; rows: (string | preact.JSX.Element)[][]; empty: string }) {
  if (!rows.length) return <p class="muted">{empty}</p>;
  return (
    <table class="grid">
      <thead>
        <tr>
          {head.map((h) => (
            <th key={h} scope="col">
              {h}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={i}>
            {r.map((c, j) => (
              <td key={j}>{c}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
