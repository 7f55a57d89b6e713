// Small hooks the views share.
import { useEffect, useRef, useState } from 'preact/hooks';
import { Clock, get } from './api';
import { onLive } from './live';

// The relay's clock, ticking: read once, then on every move.
export function useRelayClock(): Date | null {
  const [skew, setSkew] = useState<number | null>(null);
  const [, tick] = useState(0);
  useEffect(() => {
    const read = (c: Clock) => setSkew(new Date(c.now).getTime() - Date.now());
    get<Clock>('/api/v1/clock').then(read).catch(() => {});
    const offs = [onLive('clock', read), onLive('hello', (h: { now: string }) => setSkew(new Date(h.now).getTime() - Date.now()))];
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => {
      offs.forEach((f) => f());
      clearInterval(t);
    };
  }, []);
  return skew === null ? null : new Date(Date.now() + skew);
}

// Calls `f` at most once per `ms`, after the last call.
export function useDebounced(f: () => void, ms: number): () => void {
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const latest = useRef(f);
  latest.current = f;
  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);
  return () => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => latest.current(), ms);
  };
}

// Runs `read` now, every `ms` while the view is shown, and again when `deps`
// change; `alive()` says whether the view is still there when an answer comes.
export function usePolling(read: (alive: () => boolean) => void, ms: number, deps: unknown[]): void {
  useEffect(() => {
    let alive = true;
    const run = () => read(() => alive);
    run();
    const t = setInterval(run, ms);
    return () => {
      alive = false;
      clearInterval(t);
    };
  }, deps);
}

// Keys a view answers (j/k, Enter, Delete, /), never while typing.
export function useKeys(map: Record<string, (e: KeyboardEvent) => void>): void {
  const latest = useRef(map);
  latest.current = map;
  useEffect(() => {
    const on = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)) {
        if (e.key === 'Escape') t.blur();
        return;
      }
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const f = latest.current[e.key];
      if (f) {
        e.preventDefault();
        f(e);
      }
    };
    window.addEventListener('keydown', on);
    return () => window.removeEventListener('keydown', on);
  }, []);
}
