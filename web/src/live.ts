// The server's live stream (/api/v1/live, server-sent events fed by the
// bus): one connection for every view. EventSource reconnects by itself;
// after a reconnect every view reads its state again (`resync`).

export type LiveEvent =
  | 'hello'
  | 'message'
  | 'message_updated'
  | 'message_deleted'
  | 'messages_changed'
  | 'event'
  | 'events_cleared'
  | 'clock'
  | 'config'
  | 'faults'
  | 'scenarios'
  | 'counters'
  | 'resync';

type Handler = (data: any) => void;

const handlers = new Map<LiveEvent, Set<Handler>>();
const statusHandlers = new Set<(connected: boolean) => void>();
let source: EventSource | null = null;
let connected = false;
let everConnected = false;

const kinds: LiveEvent[] = [
  'hello',
  'message',
  'message_updated',
  'message_deleted',
  'messages_changed',
  'event',
  'events_cleared',
  'clock',
  'config',
  'faults',
  'scenarios',
  'counters',
  'resync',
];

function dispatch(kind: LiveEvent, data: unknown) {
  handlers.get(kind)?.forEach((h) => h(data));
}

function setConnected(c: boolean) {
  connected = c;
  statusHandlers.forEach((h) => h(c));
}

export function startLive(): void {
  if (source || typeof EventSource === 'undefined') return;
  source = new EventSource('/api/v1/live');
  for (const k of kinds) {
    source.addEventListener(k, (e) => {
      let data: unknown = {};
      try {
        data = JSON.parse((e as MessageEvent).data);
      } catch {
        return;
      }
      if (k === 'hello') {
        // A reconnect may have missed outcomes: every view reads again.
        if (everConnected) dispatch('resync', {});
        everConnected = true;
      }
      dispatch(k, data);
    });
  }
  source.onopen = () => setConnected(true);
  source.onerror = () => setConnected(false);
}

export function stopLive(): void {
  source?.close();
  source = null;
  setConnected(false);
}

export function onLive(kind: LiveEvent, h: Handler): () => void {
  if (!handlers.has(kind)) handlers.set(kind, new Set());
  handlers.get(kind)!.add(h);
  return () => handlers.get(kind)!.delete(h);
}

export function onLiveStatus(h: (connected: boolean) => void): () => void {
  statusHandlers.add(h);
  h(connected);
  return () => statusHandlers.delete(h);
}
