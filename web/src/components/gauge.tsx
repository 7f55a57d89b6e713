// A limit as a bar: used, held by open transactions, and what is left.
export function Gauge({
  label,
  used,
  held = 0,
  max,
  note,
}: {
  label: string;
  used: number;
  held?: number;
  max: number | null;
  note?: string;
}) {
  const pct = (n: number) => (max ? Math.min(100, (n / max) * 100) : 0);
  const full = max !== null && used + held >= max;
  return (
    <div class={`gauge ${full ? 'full' : ''}`}>
      <div class="gauge-head">
        <span class="gauge-label">{label}</span>
        <span class="gauge-value" data-testid={`gauge-${label}`}>
          {used.toLocaleString()}
          {held ? ` + ${held} held` : ''} / {max === null ? '∞' : max.toLocaleString()}
        </span>
      </div>
      <div
        class="bar"
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={max ?? 0}
        aria-valuenow={used + held}
      >
        <span class="used" style={{ width: `${pct(used)}%` }} />
        <span class="held" style={{ width: `${pct(held)}%` }} />
      </div>
      {note ? <p class="muted small">{note}</p> : null}
    </div>
  );
}
