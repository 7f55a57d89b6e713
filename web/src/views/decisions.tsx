// The decision log, live: every acceptance, refusal and protocol reply,
// filtered by rule, identity, sender, recipient, session and time. A
// refusal opens with the reply exactly as the client got it, the rule, the
// stage, what was compared, and the session's transcript beside it.
import { useEffect, useRef, useState } from 'preact/hooks';
import { enc, get, query, RelayEvent } from '../api';
import { EventDetail } from '../components/event_detail';
import { shortTime, visible } from '../format';
import { useDebounced, useKeys } from '../hooks';
import { onLive } from '../live';
import { go, href } from '../router';

interface Filters {
  rule: string;
  identity: string;
  sender: string;
  recipient: string;
  session: string;
  after: string;
  before: string;
}

const empty: Filters = { rule: '', identity: '', sender: '', recipient: '', session: '', after: '', before: '' };
const LIMIT = 200;

// datetime-local gives a local time without a zone: the API takes RFC 3339.
function toRfc3339(local: string): string {
  if (!local) return '';
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

export function Decisions({ seq }: { seq: string | null }) {
  const [draft, setDraft] = useState<Filters>(empty);
  const [filters, setFilters] = useState<Filters>(empty);
  const [events, setEvents] = useState<RelayEvent[]>([]);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState('');
  const [chosen, setChosen] = useState<RelayEvent | null>(null);
  const state = useRef({ filters, events });
  state.current = { filters, events };

  const load = async () => {
    const f = state.current.filters;
    try {
      const r = await get<{ total: number; events: RelayEvent[] }>(
        `/api/v1/events${query({
          order: 'newest',
          limit: LIMIT,
          rule: f.rule,
          identity: f.identity,
          sender: f.sender,
          recipient: f.recipient,
          session: f.session,
          after: toRfc3339(f.after),
          before: toRfc3339(f.before),
        })}`,
      );
      setEvents(r.events);
      setTotal(r.total);
      setError('');
    } catch (e) {
      setError(String((e as Error).message || e));
    }
  };
  const reload = useDebounced(load, 250);

  useEffect(() => {
    load();
  }, [filters]);

  useEffect(() => {
    const offs = [
      onLive('event', (e: RelayEvent) => {
        const f = state.current.filters;
        if (Object.values(f).every((v) => !v)) {
          // Nothing filtered: the event goes on top at once.
          if (state.current.events.some((x) => x.seq === e.seq)) return;
          setEvents([e, ...state.current.events].slice(0, LIMIT));
          setTotal((t) => t + 1);
        } else {
          reload();
        }
      }),
      onLive('events_cleared', () => load()),
      onLive('resync', () => load()),
    ];
    return () => offs.forEach((f) => f());
  }, []);

  useEffect(() => {
    if (!seq) return setChosen(null);
    const hit = events.find((e) => String(e.seq) === seq);
    if (hit) return setChosen(hit);
    get<RelayEvent>(`/api/v1/events/${enc(seq)}`)
      .then(setChosen)
      .catch(() => setChosen(null));
  }, [seq, events]);

  const index = chosen ? events.findIndex((e) => e.seq === chosen.seq) : -1;
  useKeys({
    j: () => events[index + 1] && go('decisions', String(events[index + 1].seq)),
    k: () => index > 0 && go('decisions', String(events[index - 1].seq)),
  });

  const field = (k: keyof Filters, label: string, placeholder: string, type = 'text') => (
    <label>
      {label}
      <input
        type={type}
        value={draft[k]}
        placeholder={placeholder}
        onInput={(e) => setDraft({ ...draft, [k]: (e.target as HTMLInputElement).value })}
      />
    </label>
  );

  return (
    <div class={`decisions ${chosen ? 'has-message' : ''}`}>
      <section class="list-pane" aria-label="Events">
        <form
          class="filters"
          aria-label="Filter the events"
          onSubmit={(e) => {
            e.preventDefault();
            setFilters({ ...draft });
          }}
        >
          {field('rule', 'Rule', 'relay_denied, sender_*')}
          {field('identity', 'Identity', 'app or user:app')}
          {field('sender', 'Sender', 'a@example.com or *@example.com')}
          {field('recipient', 'Recipient', '*@example.org')}
          {field('session', 'Session', 'tp6c8a-3')}
          {field('after', 'After', '', 'datetime-local')}
          {field('before', 'Before', '', 'datetime-local')}
          <div class="filter-buttons">
            <button type="submit">Filter</button>
            <button
              type="button"
              class="ghost"
              onClick={() => {
                setDraft(empty);
                setFilters(empty);
              }}
            >
              Clear
            </button>
          </div>
        </form>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        <p class="muted small">
          {total.toLocaleString()} event{total === 1 ? '' : 's'}
          {total > LIMIT ? `, the newest ${LIMIT} shown` : ''}
        </p>
        <ul class="events" data-testid="event-list">
          {events.map((e) => {
            const refused = /^[45]/.test(e.reply);
            return (
              <li key={e.seq} class={`${refused ? 'refused' : 'ok'} ${chosen?.seq === e.seq ? 'current' : ''}`}>
                <a href={href('decisions', String(e.seq))} aria-current={chosen?.seq === e.seq ? 'true' : undefined}>
                  <span class="row1">
                    <span class={`pill ${refused ? 'bad' : 'good'}`}>{e.reply.slice(0, 3) || '—'}</span>
                    <code class="rule">{e.rule}</code>
                    <span class="muted">{e.stage}</span>
                    <time dateTime={e.time}>{shortTime(e.time)}</time>
                  </span>
                  <span class="snippet">
                    {e.identity ? `${e.identity.name} · ` : ''}
                    {visible(e.sender ?? '')}
                    {e.recipients.length ? ` → ${visible(e.recipients.join(', '))}` : ''}
                  </span>
                  <span class="snippet muted">{visible(e.reply.split('\n').pop() || e.detail)}</span>
                </a>
              </li>
            );
          })}
        </ul>
      </section>
      <section class="message-pane" aria-label="The decision">
        {chosen ? (
          <>
            <a class="back" href={href('decisions')}>
              ← Events
            </a>
            <EventDetail event={chosen} />
          </>
        ) : (
          <p class="muted empty">Pick an event to see its reply, its reason and the session's transcript.</p>
        )}
      </section>
    </div>
  );
}
