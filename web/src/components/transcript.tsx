// One session's transcript (GET /api/v1/sessions/{id}): what the client
// said and what it heard, in order.
import { useEffect, useState } from 'preact/hooks';
import { enc, get, TranscriptLine } from '../api';

export function Transcript({ session }: { session: string }) {
  const [lines, setLines] = useState<TranscriptLine[] | null>(null);
  const [elided, setElided] = useState(0);
  const [error, setError] = useState('');
  useEffect(() => {
    setLines(null);
    setError('');
    get<{ lines: TranscriptLine[]; lines_elided: number }>(`/api/v1/sessions/${enc(session)}`)
      .then((t) => {
        setLines(t.lines);
        setElided(t.lines_elided);
      })
      .catch((e) => setError(String(e.message || e)));
  }, [session]);
  if (error) return <p class="muted">No transcript: {error}</p>;
  if (!lines) return <p class="muted">Loading the transcript…</p>;
  return (
    <section class="transcript" aria-label={`Transcript of session ${session}`}>
      <pre>
        {lines.map((l, i) => (
          <div key={i} class={l.dir === 'client' ? 'c' : 's'}>
            <span class="dir" aria-label={l.dir === 'client' ? 'client' : 'server'}>
              {l.dir === 'client' ? 'C: ' : 'S: '}
            </span>
            {l.text}
          </div>
        ))}
      </pre>
      {elided ? <p class="muted">{elided} more lines not kept.</p> : null}
    </section>
  );
}
