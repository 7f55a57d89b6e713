// The control API (/api/v1/), as the UI calls it. Every call goes to this
// server with the sign-in cookie; a 401 anywhere sends the UI back to the
// sign-in page.

export interface Identity {
  kind: string;
  name: string;
}

export interface MessageSummary {
  id: string;
  received_at: string;
  client_ip: string;
  port: number;
  tls: boolean;
  identity: Identity;
  sandbox: boolean;
  envelope_from: string;
  envelope_to: string[];
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  size: number;
  read: boolean;
  tags: string[];
  from_name?: string;
  attachments?: number;
  inlines?: number;
  snippet?: string;
  message_id?: string;
}

export interface NamedAddress {
  name: string;
  address: string;
}

export interface Part {
  name: string;
  type: string;
  size: number;
  part_id: string;
  content_id: string | null;
  inline: boolean;
}

export interface MessageDetail extends Omit<MessageSummary, 'attachments'> {
  headers: [string, string][];
  text: string | null;
  html: string | null;
  attachments: Part[];  // every part that is not a body (inline images too)
  attachment_count?: number;
  from_address?: NamedAddress;
  to_addresses?: NamedAddress[];
  cc_addresses?: NamedAddress[];
  bcc_addresses?: NamedAddress[];
  reply_to?: NamedAddress[];
  return_path?: string;
  date?: string | null;
  session_id: string;
  helo: string;
}

export interface Check {
  name: string;
  result: 'pass' | 'fail' | 'not_reached' | 'skipped';
  compared?: string;
  detail?: string;
  fix?: string | null;
}

export interface RelayEvent {
  seq: number;
  time: string;
  session_id: string;
  client_ip: string;
  port: number;
  stage: string;
  rule: string;
  identity: Identity | null;
  reply: string;
  detail: string;
  message_id?: string;
  sender: string | null;
  recipients: string[];
  checks?: Check[];
}

// An outcome rule as GET /api/v1/outcomes lists it (README "After the 250").
export interface OutcomeRule {
  name: string;
  match: Record<string, unknown>;
  outcome: string;
  reply?: string | string[];
  host?: string;
  after?: string;
  retries?: number;
  retry_every?: string;
  then?: string;
}

// One POST to a webhook (GET /api/v1/webhooks/deliveries, README "Webhooks").
export interface WebhookAttempt {
  delivery: number;
  hook: number;
  url: string;
  event: string;
  rcpt: string;
  email_id: string;
  attempt: number;
  time: string;
  status: number;
  latency_ms: number;
  response: string;
  error: string;
  result: 'delivered' | 'retrying' | 'failed';
  next_attempt?: string;
}

// POST /api/v1/explain (README "Explain a decision").
export interface ExplainRequest {
  from: string;
  to: string[];
  ip?: string;
  port?: number;
  user?: string;
  api_key?: string;
  header_from?: string;
}

export interface ExplainedDecision {
  rule: string;
  accept: boolean;
  detail: string;
  checks: Check[];
}

export interface ExplainLimit {
  name: string;
  limit: number;
  used: number;
  in_open_transactions: number;
  this_send: number;
  left: number;
  reached: boolean;
  frees_at: string | null;
  per?: string;
}

export interface Explanation {
  profile: string;
  door: 'smtp' | 'api';
  identity: (Identity & { status: string }) | null;
  auth: ExplainedDecision | null;
  mail: ExplainedDecision | null;
  recipients: (ExplainedDecision & { recipient: string; reply: string })[];
  content: ExplainedDecision | null;
  outcome: { accepted: boolean; stage: string; rule: string; reply: string; accepted_recipients: number; api_reply?: string };
  limits: ExplainLimit[];
  first_failure: { name: string; compared: string; fix: string } | null;
}

export interface RateLimit {
  count: number;
  per: string;
}

// A change the provider's account API made over the config file.
export interface AccountOverride {
  endpoint: string;
  fields: Record<string, unknown>;
  at: string;
  by: string;
}

export interface AccountConfig {
  account: {
    status: string;
    verified_domains: string[];
    unverified_domains: string[];
    verified_senders: string[];
    allow_blank_sender: boolean;
    restrict_senders: { mode: string; entries: string[] };
    quota: { monthly: number | null; cycle_day: number };
  };
  smtp_users: { username: string; status: string; rate_limit: RateLimit | null }[];
  ip_auth: { ip: string; status: string; rate_limit: RateLimit | null }[];
  api_keys: { name: string; status: string; rate_limit: RateLimit | null }[];
  server: { hostname: string; listeners: Listener[] };
  source: string;
  overrides: AccountOverride[];
}

export interface Usage {
  cycle_start: string;
  cycle_end: string;
  cycle_used: number;
  cycle_remaining: number | null;
  cycle_max: number | null;
  rate_limits: {
    kind: string;
    name: string;
    count: number;
    per: string;
    used: number;
    in_open_transactions: number;
    resets_at: string | null;
  }[];
}

export type Fault = string | { slow_greeting: string } | { throttle: number };

export interface Listener {
  address: string;
  port: number;
  tls: string;
  fault: Fault;
}

export interface Scenario {
  name: string;
  stage: string;
  match: Record<string, unknown>;
  times?: number;
  every?: number;
  probability?: number;
  seed?: number;
  reply?: string;
  delay?: string;
  disconnect?: boolean;
  matched: number;
  fired: number;
  retired: boolean;
}

export interface Clock {
  now: string;
  offset_seconds: number;
}

export interface TranscriptLine {
  time: string;
  dir: 'client' | 'server';
  text: string;
}

export class ApiError extends Error {
  constructor(
    public status: number,
    message: string,
  ) {
    super(message);
  }
}

type Listener401 = () => void;
const unauthorizedListeners = new Set<Listener401>();
export function onUnauthorized(f: Listener401): () => void {
  unauthorizedListeners.add(f);
  return () => unauthorizedListeners.delete(f);
}

export async function call<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    (init.headers as Record<string, string>)['Content-Type'] = contentType;
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!res.ok) {
    if (res.status === 401 && !path.startsWith('/api/v1/signin')) unauthorizedListeners.forEach((f) => f());
    const message =
      data && typeof data === 'object' && 'error' in data ? String((data as { error: unknown }).error) : `HTTP ${res.status}`;
    throw new ApiError(res.status, message);
  }
  return data as T;
}

export const get = <T>(path: string) => call<T>('GET', path);

export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const enc = encodeURIComponent;
