import { render, screen, fireEvent, waitFor } from '@testing-library/preact';
import { Gauge } from './gauge';
import { EventDetail } from './event_detail';
import { SignIn } from '../views/signin';
import type { RelayEvent } from '../api';

const refusal: RelayEvent = {
  seq: 7,
  time: '2026-12-05T10:00:00Z',
  session_id: 's-1',
  client_ip: '127.0.0.1',
  port: 2525,
  stage: 'data',
  rule: 'from_header_unverified',
  identity: { kind: 'ip', name: '127.0.0.1' },
  reply: '550-From header sender domain not verified (shop.example)\n550 verify the sender domain',
  detail: 'From: me@shop.example; <script>x</script>',
  sender: 'me@shop.example',
  recipients: ['you@example.org'],
  checks: [
    { name: 'relay', result: 'pass', compared: 'ip 127.0.0.1' },
    { name: 'from_header', result: 'fail', compared: 'shop.example', fix: 'verify shop.example' },
  ],
};

test('a gauge says used, held and the limit, and is full at the limit', () => {
  const { container } = render(<Gauge label="ip:1" used={2} held={1} max={3} />);
  expect(screen.getByTestId('gauge-ip:1').textContent).toBe('2 + 1 held / 3');
  expect(container.querySelector('.gauge')!.className).toContain('full');
  expect(screen.getByRole('meter').getAttribute('aria-valuenow')).toBe('3');
  render(<Gauge label="q" used={5} max={null} />);
  expect(screen.getByTestId('gauge-q').textContent).toBe('5 / ∞');
});

test('a refusal shows its reply line by line, its rule and its checks, as text', () => {
  render(<EventDetail event={refusal} showTranscript={false} />);
  expect(screen.getByTestId('reply').textContent).toBe(refusal.reply);
  expect(screen.getByTestId('detail').textContent).toContain('<script>x</script>');
  expect(document.querySelector('script')).toBeNull();
  expect(screen.getByText('refused')).toBeTruthy();
  const rows = document.querySelectorAll('table.checks tbody tr');
  expect(rows).toHaveLength(2);
  expect(rows[1].className).toBe('fail');
  expect(rows[1].textContent).toContain('verify shop.example');
});

test('sign-in posts the token and reports a wrong one', async () => {
  const calls: { url: string; body: string }[] = [];
  let status = 401;
  globalThis.fetch = (async (url: string, init: RequestInit) => {
    calls.push({ url, body: String(init.body) });
    return new Response(JSON.stringify(status === 200 ? { signed_in: true } : { error: 'wrong admin token' }), { status });
  }) as typeof fetch;
  let signedIn = false;
  render(<SignIn onSignedIn={() => (signedIn = true)} />);
  fireEvent.input(screen.getByLabelText('Admin token'), { target: { value: 'nope' } });
  fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
  await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('not the admin token'));
  expect(calls[0]).toEqual({ url: '/api/v1/signin', body: '{"token":"nope"}' });
  status = 200;
  fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
  await waitFor(() => expect(signedIn).toBe(true));
});

test('explain posts the form and shows the reply, the first fix and the checks, failures marked', async () => {
  const { ExplainView } = await import('../views/explain');
  const posted: unknown[] = [];
  globalThis.fetch = (async (url: string, init?: RequestInit) => {
    if (url === '/api/v1/listeners') return new Response(JSON.stringify({ listeners: [] }), { status: 200 });
    posted.push(JSON.parse(String(init!.body)));
    return new Response(
      JSON.stringify({
        profile: 'smtp2go',
        door: 'smtp',
        identity: { kind: 'user', name: 'app', status: 'allowed' },
        auth: null,
        mail: null,
        recipients: [
          {
            recipient: 'r@d.test',
            reply: '550 That SMTP sender is not on your allowed list',
            rule: 'sender_not_allowed',
            accept: false,
            detail: 'x',
            checks: [
              { name: 'identity', result: 'pass', compared: 'user app', fix: null },
              { name: 'restrict_senders', result: 'fail', compared: 'not in allowlist', fix: 'local parts compare with case' },
              { name: 'from_header', result: 'not_reached', compared: '', fix: null },
            ],
          },
        ],
        content: null,
        outcome: { accepted: false, stage: 'rcpt', rule: 'sender_not_allowed', reply: '550 That SMTP sender is not on your allowed list', accepted_recipients: 0 },
        limits: [],
        first_failure: { name: 'restrict_senders', compared: 'not in allowlist', fix: 'local parts compare with case' },
      }),
      { status: 200 },
    );
  }) as typeof fetch;
  render(<ExplainView prefill={{ user: 'app', from: 'Sales@example.com', to: ['r@d.test'] }} />);
  fireEvent.click(screen.getByRole('button', { name: 'Explain' }));
  await waitFor(() => expect(screen.getByTestId('explain-reply').textContent).toBe('550 That SMTP sender is not on your allowed list'));
  expect(posted[0]).toEqual({ from: 'Sales@example.com', to: ['r@d.test'], ip: '127.0.0.1', user: 'app' });
  expect(screen.getByTestId('explain-fix').textContent).toContain('local parts compare with case');
  const rows = document.querySelectorAll('table.checks tbody tr');
  expect([...rows].map((r) => r.className)).toEqual(['pass', 'fail', 'not_reached']);
});
