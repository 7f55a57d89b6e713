// One decision, in full: the reply exactly as the client got it, the rule,
// the stage, what was compared, the structured checks when the event has
// them, and the session's transcript beside it.
import { RelayEvent } from '../api';
import { dateTime, replyLines, visible } from '../format';
import { href } from '../router';
import { ChecksTable } from './checks_table';
import { Transcript } from './transcript';

// What an event says of its send, for the explain view.
function explainPrefill(e: RelayEvent) {
  return {
    ip: e.client_ip,
    port: e.identity?.kind === 'api_key' ? undefined : e.port,
    user: e.identity?.kind === 'user' ? e.identity.name : undefined,
    api_key: e.identity?.kind === 'api_key' ? e.identity.name : undefined,
    from: e.sender ?? '',
    to: e.recipients,
  };
}

export function EventDetail({ event, showTranscript = true }: { event: RelayEvent; showTranscript?: boolean }) {
  const refused = /^[45]/.test(event.reply);
  return (
    <div class="event-detail">
      <div class="event-facts">
        <h3>
          <span class={`pill ${refused ? 'bad' : 'good'}`}>{refused ? 'refused' : 'accepted'}</span> {event.rule}
        </h3>
        <p class="label">Reply, as the client got it</p>
        <pre class="reply" data-testid="reply">
          {replyLines(event.reply).join('\n') || '(no reply)'}
        </pre>
        <dl class="facts">
          <dt>Rule</dt>
          <dd>
            <code>{event.rule}</code>
          </dd>
          <dt>Stage</dt>
          <dd>{event.stage}</dd>
          <dt>Why</dt>
          <dd data-testid="detail">{visible(event.detail)}</dd>
          <dt>Identity</dt>
          <dd>{event.identity ? `${event.identity.kind}: ${event.identity.name}` : 'none'}</dd>
          <dt>Sender</dt>
          <dd>{event.sender === null ? '—' : visible(event.sender) || '<> (blank)'}</dd>
          <dt>Recipients</dt>
          <dd>{event.recipients.length ? visible(event.recipients.join(', ')) : '—'}</dd>
          <dt>Client</dt>
          <dd>
            {event.client_ip} → port {event.port}
          </dd>
          <dt>Session</dt>
          <dd>
            <code>{event.session_id}</code>
          </dd>
          <dt>Time</dt>
          <dd>{dateTime(event.time)}</dd>
          {event.message_id ? (
            <>
              <dt>Message</dt>
              <dd>
                <a href={href('inbox', event.message_id)}>{event.message_id}</a>
              </dd>
            </>
          ) : null}
        </dl>
        {event.checks && event.checks.length ? (
          <>
            <ChecksTable checks={event.checks} />
            <p>
              <a href={href('explain', JSON.stringify(explainPrefill(event)))}>Explain again</a>, changing what you
              like: nothing is sent.
            </p>
          </>
        ) : null}
      </div>
      {showTranscript && event.session_id ? (
        <div class="event-transcript">
          <h3>Transcript</h3>
          <Transcript session={event.session_id} />
        </div>
      ) : null}
    </div>
  );
}
