// How values are written on screen.

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

export function shortTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const now = new Date();
  if (d.toDateString() === now.toDateString())
    return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

// The reply as the client got it: one line per line, each with its code
// ("550-a" / "550 b"); the events store "550-a\n550 b" already.
export function replyLines(reply: string): string[] {
  return reply ? reply.split('\n') : [];
}

// Unicode bidirectional controls (RLO and friends) shown as visible marks,
// so a subject or file name cannot reverse what follows it on screen.
const bidi = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/g;
export function visible(s: string | null | undefined): string {
  if (!s) return '';
  return s.replace(bidi, (c) => `\u27E6U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}\u27E7`);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}
