// Steering the relay live: its clock, each listener's fault, scenarios,
// outcome rules (what happens after the 250), resets, and reloading the config (its FILE:LINE:COL errors shown when the
// file is refused).
import { useEffect, useState } from 'preact/hooks';
import { call, Clock, Fault, get, Listener, OutcomeRule, Scenario } from '../api';
import { dateTime } from '../format';
import { onLive } from '../live';

export function Controls() {
  return (
    <div class="controls page" tabIndex={0} role="region" aria-label="Controls">
      <h1>Controls</h1>
      <ClockCard />
      <FaultsCard />
      <ScenariosCard />
      <OutcomeRulesCard />
      <ResetCard />
      <ReloadCard />
    </div>
  );
}

function useResult() {
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const run = async (f: () => Promise<unknown>, ok: string) => {
    try {
      await f();
      setMsg({ ok: true, text: ok });
    } catch (e) {
      setMsg({ ok: false, text: String((e as Error).message || e) });
    }
  };
  const view = msg ? (
    <p class={msg.ok ? 'ok-text' : 'error'} role={msg.ok ? 'status' : 'alert'}>
      {msg.text}
    </p>
  ) : null;
  return { run, view };
}

function ClockCard() {
  const [clock, setClock] = useState<Clock | null>(null);
  const [advance, setAdvance] = useState('1h');
  const [set, setSet] = useState('');
  const { run, view } = useResult();
  useEffect(() => {
    get<Clock>('/api/v1/clock').then(setClock).catch(() => {});
    return onLive('clock', setClock);
  }, []);
  const move = (body: unknown, ok: string) =>
    run(async () => setClock(await call<Clock>('POST', '/api/v1/clock', body)), ok);
  return (
    <section class="card" aria-labelledby="clock-h">
      <h2 id="clock-h">Clock</h2>
      <p>
        The relay reads <strong data-testid="clock-now">{clock ? dateTime(clock.now) : '…'}</strong>
        {clock && clock.offset_seconds ? ` (${clock.offset_seconds > 0 ? '+' : ''}${clock.offset_seconds} s from this machine's)` : ''}.
        Rate windows, quota cycles and dates follow it.
      </p>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          move({ advance }, `Advanced by ${advance}.`);
        }}
      >
        <label>
          Advance by
          <input value={advance} onInput={(e) => setAdvance((e.target as HTMLInputElement).value)} placeholder="90m" />
        </label>
        <button type="submit">Advance</button>
      </form>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          const d = new Date(set);
          if (Number.isNaN(d.getTime())) return;
          move({ set: d.toISOString() }, `Set to ${d.toISOString()}.`);
        }}
      >
        <label>
          Set to
          <input type="datetime-local" step="1" value={set} onInput={(e) => setSet((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit">Set</button>
        <button type="button" onClick={() => move({ reset: true }, 'Back to this machine’s time.')}>
          Reset
        </button>
      </form>
      {view}
    </section>
  );
}

const faultKinds = ['none', 'refuse', 'reset', 'blackhole', 'close_after_greeting', 'tls_handshake_fail', 'slow_greeting', 'throttle'];

function faultKind(f: Fault): string {
  if (typeof f === 'string') return f;
  return 'slow_greeting' in f ? 'slow_greeting' : 'throttle';
}

function FaultsCard() {
  const [listeners, setListeners] = useState<Listener[]>([]);
  const load = () =>
    get<{ listeners: Listener[] }>('/api/v1/listeners')
      .then((r) => setListeners(r.listeners))
      .catch(() => {});
  useEffect(() => {
    load();
    const offs = [onLive('faults', load), onLive('config', load)];
    return () => offs.forEach((f) => f());
  }, []);
  return (
    <section class="card" aria-labelledby="faults-h">
      <h2 id="faults-h">Listener faults</h2>
      <p class="muted">A change applies to new connections; open ones keep theirs.</p>
      <table class="grid">
        <thead>
          <tr>
            <th scope="col">Port</th>
            <th scope="col">TLS</th>
            <th scope="col">Fault</th>
          </tr>
        </thead>
        <tbody>
          {listeners.map((l) => (
            <FaultRow key={l.port} listener={l} />
          ))}
        </tbody>
      </table>
    </section>
  );
}

function FaultRow({ listener }: { listener: Listener }) {
  const [kind, setKind] = useState(faultKind(listener.fault));
  const [arg, setArg] = useState(
    typeof listener.fault === 'object' ? String(Object.values(listener.fault)[0]) : '',
  );
  const { run, view } = useResult();
  useEffect(() => setKind(faultKind(listener.fault)), [listener.fault]);
  const apply = (e: Event) => {
    e.preventDefault();
    const fault = kind === 'slow_greeting' ? { slow_greeting: arg || '5s' } : kind === 'throttle' ? { throttle: Number(arg) || 100 } : kind;
    run(() => call('PUT', `/api/v1/listeners/${listener.port}/fault`, { fault }), `Port ${listener.port}: ${kind}.`);
  };
  return (
    <tr>
      <td>
        {listener.address}:{listener.port}
      </td>
      <td>{listener.tls}</td>
      <td>
        <form class="inline" onSubmit={apply} aria-label={`Fault of port ${listener.port}`}>
          <select
            aria-label={`Fault for port ${listener.port}`}
            value={kind}
            onChange={(e) => setKind((e.target as HTMLSelectElement).value)}
          >
            {faultKinds.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
          {kind === 'slow_greeting' || kind === 'throttle' ? (
            <input
              aria-label={kind === 'throttle' ? 'bytes per second' : 'delay'}
              value={arg}
              placeholder={kind === 'throttle' ? '100' : '5s'}
              onInput={(e) => setArg((e.target as HTMLInputElement).value)}
            />
          ) : null}
          <button type="submit">Apply</button>
        </form>
        {view}
      </td>
    </tr>
  );
}

const stages = ['connect', 'ehlo', 'auth', 'mail', 'rcpt', 'data', 'end_of_data'];

function ScenariosCard() {
  const [list, setList] = useState<Scenario[]>([]);
  const [form, setForm] = useState({
    name: '',
    stage: 'rcpt',
    sender: '',
    recipient: '',
    user: '',
    ip: '',
    firing: 'always',
    n: '1',
    reply: '',
    delay: '',
    disconnect: false,
  });
  const { run, view } = useResult();
  const load = () =>
    get<{ scenarios: Scenario[] }>('/api/v1/scenarios')
      .then((r) => setList(r.scenarios))
      .catch(() => {});
  useEffect(() => {
    load();
    const offs = [onLive('scenarios', load), onLive('event', load)];
    return () => offs.forEach((f) => f());
  }, []);
  const set = (k: string, v: string | boolean) => setForm({ ...form, [k]: v });
  const add = (e: Event) => {
    e.preventDefault();
    const match: Record<string, string> = {};
    for (const k of ['sender', 'recipient', 'user', 'ip'] as const) if (form[k]) match[k] = form[k];
    const body: Record<string, unknown> = { name: form.name, stage: form.stage, match };
    if (form.firing === 'times') body.times = Number(form.n);
    if (form.firing === 'every') body.every = Number(form.n);
    if (form.reply) body.reply = form.reply;
    if (form.delay) body.delay = form.delay;
    if (form.disconnect) body.disconnect = true;
    run(async () => {
      await call('POST', '/api/v1/scenarios', body);
      load();
    }, `Scenario ${form.name} added.`);
  };
  const text = (k: string, label: string, placeholder = '') => (
    <label>
      {label}
      <input value={(form as Record<string, unknown>)[k] as string} placeholder={placeholder} onInput={(e) => set(k, (e.target as HTMLInputElement).value)} />
    </label>
  );
  return (
    <section class="card" aria-labelledby="scen-h">
      <h2 id="scen-h">Scenarios</h2>
      {list.length ? (
        <table class="grid">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Stage</th>
              <th scope="col">Match</th>
              <th scope="col">Does</th>
              <th scope="col">Matched</th>
              <th scope="col">Fired</th>
              <th scope="col">
                <span class="sr-only">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((s) => (
              <tr key={s.name} class={s.retired ? 'retired' : ''}>
                <td>
                  {s.name}
                  {s.retired ? <span class="pill muted-pill">retired</span> : null}
                </td>
                <td>{s.stage}</td>
                <td>
                  <code>{JSON.stringify(s.match)}</code>
                </td>
                <td>
                  {[s.reply && `reply ${s.reply.split('\n')[0]}`, s.delay && `delay ${s.delay}`, s.disconnect && 'disconnect']
                    .filter(Boolean)
                    .join(', ')}
                  {s.times ? ` (first ${s.times})` : s.every ? ` (every ${s.every})` : s.probability ? ` (p=${s.probability})` : ''}
                </td>
                <td>{s.matched}</td>
                <td>{s.fired}</td>
                <td>
                  <button
                    type="button"
                    class="danger"
                    aria-label={`Remove scenario ${s.name}`}
                    onClick={() =>
                      run(async () => {
                        await call('DELETE', `/api/v1/scenarios/${encodeURIComponent(s.name)}`);
                        load();
                      }, `Scenario ${s.name} removed.`)
                    }
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="muted">No scenarios.</p>
      )}
      <details>
        <summary>Add a scenario</summary>
        <form class="grid-form" onSubmit={add}>
          {text('name', 'Name', 'mailbox-full')}
          <label>
            Stage
            <select value={form.stage} onChange={(e) => set('stage', (e.target as HTMLSelectElement).value)}>
              {stages.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
          {text('sender', 'Sender (glob)', '*@example.com')}
          {text('recipient', 'Recipient (glob)', '*@full.example')}
          {text('user', 'SMTP user', 'app')}
          {text('ip', 'Client address or range', '10.0.0.0/8')}
          <label>
            Fires
            <select value={form.firing} onChange={(e) => set('firing', (e.target as HTMLSelectElement).value)}>
              <option value="always">always</option>
              <option value="times">the first n times</option>
              <option value="every">every n-th time</option>
            </select>
          </label>
          {form.firing !== 'always' ? text('n', 'n', '3') : null}
          <label class="wide">
            Reply (one line per line)
            <textarea rows={2} value={form.reply} placeholder="552 Mailbox full" onInput={(e) => set('reply', (e.target as HTMLTextAreaElement).value)} />
          </label>
          {text('delay', 'Delay', '5s')}
          <label class="check">
            <input type="checkbox" checked={form.disconnect} onChange={(e) => set('disconnect', (e.target as HTMLInputElement).checked)} />
            Disconnect
          </label>
          <button type="submit">Add</button>
        </form>
      </details>
      <PasteYaml
        what="a scenario"
        id="scenario-yaml"
        label="Scenario (the config's YAML)"
        path="/api/v1/scenarios"
        added="Scenario added."
        placeholder={'name: third-fails\nstage: end_of_data\nevery: 3\nreply: "451 Temporary local problem - please try later"'}
        run={run}
        done={() => load()}
      />
      {view}
    </section>
  );
}

// A config entry pasted as YAML and posted as it is (scenarios, outcome rules).
function PasteYaml(p: {
  what: string;
  id: string;
  label: string;
  path: string;
  placeholder: string;
  added: string;  // what the card says once it is in
  run: (f: () => Promise<unknown>, ok: string) => void;
  done: () => void;
}) {
  const [yaml, setYaml] = useState('');
  return (
    <details>
      <summary>Paste {p.what} as YAML</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          p.run(async () => {
            await call('POST', p.path, yaml, 'application/yaml');
            setYaml('');
            p.done();
          }, p.added);
        }}
      >
        <label for={p.id}>{p.label}</label>
        <textarea id={p.id} rows={6} value={yaml} placeholder={p.placeholder} onInput={(e) => setYaml((e.target as HTMLTextAreaElement).value)} />
        <button type="submit">Add</button>
      </form>
    </details>
  );
}

const outcomes = ['delivered', 'hard_bounce', 'soft_bounce', 'spam', 'open', 'click', 'unsubscribe'];

// Outcome rules (README "After the 250"): the config's, and those added
// here, which are tried first.
function OutcomeRulesCard() {
  const [rules, setRules] = useState<{ config: OutcomeRule[]; added: OutcomeRule[] }>({ config: [], added: [] });
  const [form, setForm] = useState({ name: '', recipient: '', outcome: 'hard_bounce', after: '', reply: '' });
  const { run, view } = useResult();
  const load = () =>
    get<{ rules: OutcomeRule[]; added_rules: OutcomeRule[] }>('/api/v1/outcomes?limit=1')
      .then((r) => setRules({ config: r.rules, added: r.added_rules }))
      .catch(() => {});
  useEffect(() => {
    load();
  }, []);
  const set = (k: string, v: string) => setForm({ ...form, [k]: v });
  const add = (e: Event) => {
    e.preventDefault();
    const body: Record<string, unknown> = { name: form.name, outcome: form.outcome, match: form.recipient ? { recipient: form.recipient } : {} };
    if (form.after) body.after = form.after;
    if (form.reply) body.reply = form.reply;
    run(async () => {
      await call('POST', '/api/v1/outcomes/rules', body);
      load();
    }, `Outcome rule ${form.name} added.`);
  };
  const row = (r: OutcomeRule, added: boolean) => (
    <tr key={`${added}-${r.name}`}>
      <td>
        {r.name}
        {added ? null : <span class="pill muted-pill">config</span>}
      </td>
      <td>
        <code>{JSON.stringify(r.match)}</code>
      </td>
      <td>
        {r.outcome}
        {r.after ? ` after ${r.after}` : ''}
        {r.reply ? ` (${String(r.reply).split('\n')[0]})` : ''}
      </td>
      <td>
        {added ? (
          <button
            type="button"
            class="danger"
            aria-label={`Remove outcome rule ${r.name}`}
            onClick={() =>
              run(async () => {
                await call('DELETE', `/api/v1/outcomes/rules/${encodeURIComponent(r.name)}`);
                load();
              }, `Outcome rule ${r.name} removed.`)
            }
          >
            Remove
          </button>
        ) : null}
      </td>
    </tr>
  );
  return (
    <section class="card" aria-labelledby="outcomes-h">
      <h2 id="outcomes-h">Outcome rules</h2>
      <p class="muted">What happens to a recipient after the 250. Rules added here are tried before the config's, then the magic addresses.</p>
      {rules.added.length || rules.config.length ? (
        <table class="grid" data-testid="outcome-rules">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Match</th>
              <th scope="col">Outcome</th>
              <th scope="col">
                <span class="sr-only">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rules.added.map((r) => row(r, true))}
            {rules.config.map((r) => row(r, false))}
          </tbody>
        </table>
      ) : (
        <p class="muted">No outcome rules: every recipient is delivered, but for the magic addresses.</p>
      )}
      <details>
        <summary>Add an outcome rule</summary>
        <form class="grid-form" onSubmit={add}>
          <label>
            Name
            <input value={form.name} placeholder="gone-mailboxes" onInput={(e) => set('name', (e.target as HTMLInputElement).value)} />
          </label>
          <label>
            Recipient (glob)
            <input value={form.recipient} placeholder="*@gone.example" onInput={(e) => set('recipient', (e.target as HTMLInputElement).value)} />
          </label>
          <label>
            Outcome
            <select value={form.outcome} onChange={(e) => set('outcome', (e.target as HTMLSelectElement).value)}>
              {outcomes.map((o) => (
                <option key={o}>{o}</option>
              ))}
            </select>
          </label>
          <label>
            After
            <input value={form.after} placeholder="10m" onInput={(e) => set('after', (e.target as HTMLInputElement).value)} />
          </label>
          <label class="wide">
            Remote reply
            <input value={form.reply} placeholder="550 5.1.1 <{rcpt}>: user unknown" onInput={(e) => set('reply', (e.target as HTMLInputElement).value)} />
          </label>
          <button type="submit">Add</button>
        </form>
      </details>
      <PasteYaml
        what="an outcome rule"
        id="outcome-yaml"
        label="Outcome rule (an outcomes.rules entry)"
        path="/api/v1/outcomes/rules"
        added="Outcome rule added."
        placeholder={'name: full-boxes\nmatch: { recipient: "*@full.example" }\noutcome: soft_bounce\nretries: 2\nthen: hard_bounce'}
        run={run}
        done={() => load()}
      />
      {view}
    </section>
  );
}

function ResetCard() {
  const { run, view } = useResult();
  const reset = (body: unknown, what: string) => run(() => call('POST', '/api/v1/reset', body), `${what} reset.`);
  return (
    <section class="card" aria-labelledby="reset-h">
      <h2 id="reset-h">Reset</h2>
      <div class="buttons">
        <button type="button" onClick={() => reset({ messages: true }, 'Messages')}>
          Messages
        </button>
        <button type="button" onClick={() => reset({ counters: true }, 'Counters (quota, rate limits)')}>
          Counters
        </button>
        <button type="button" onClick={() => reset({ events: true }, 'Events and transcripts')}>
          Events
        </button>
        <button type="button" class="danger" onClick={() => confirm('Reset messages, counters and events?') && reset(undefined, 'Everything')}>
          Everything
        </button>
      </div>
      {view}
    </section>
  );
}

function ReloadCard() {
  const [errors, setErrors] = useState('');
  const [ok, setOk] = useState('');
  const reload = async () => {
    setErrors('');
    setOk('');
    try {
      await call('POST', '/api/v1/config/reload');
      setOk('The config file was read again; it applies now.');
    } catch (e) {
      setErrors(String((e as Error).message || e));
    }
  };
  return (
    <section class="card" aria-labelledby="reload-h">
      <h2 id="reload-h">Config</h2>
      <p class="muted">Reads the config file again, as SIGHUP does. Listeners, storage and the HTTP address keep their values.</p>
      <button type="button" onClick={reload}>
        Reload the config
      </button>
      {ok ? (
        <p class="ok-text" role="status">
          {ok}
        </p>
      ) : null}
      {errors ? (
        <>
          <p class="error" role="alert">
            The file was refused; the old config stays.
          </p>
          <pre class="config-errors" data-testid="config-errors">
            {errors}
          </pre>
        </>
      ) : null}
    </section>
  );
}
