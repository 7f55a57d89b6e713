// The provider's account API and email API driven by the provider's own Node
// client (npm smtp2go-nodejs), pointed at relaymock by its public apiUrl, with
// nodemailer sending over SMTP as the app's other half would: a user made
// through the API sends at once, is blocked, and gets the provider's refusal;
// a domain added and verified lets the From rule pass; a key made through
// the API has the provider's default permission only.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import smtp2go from 'smtp2go-nodejs';
import { freePort, runRelay } from './harness.mjs';

// A CommonJS bundle: its exports hang off the default import.
const { Service, default: SMTP2GOApi } = smtp2go;
const ADMIN = 'api-' + 'N'.repeat(32);

// relaymock with the provider's account rules (no ip_auth, From rule on).
async function startProviderRelay() {
  const smtpPort = await freePort();
  const httpPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'relaymock-smtp2go-'));
  const configPath = join(dir, 'relaymock.yaml');
  writeFileSync(
    configPath,
    `server:
  hostname: relay.test
  listeners: [{ address: 127.0.0.1, port: ${smtpPort}, tls: none }]
account:
  verified_domains: [example.com]
smtp_users: [{ username: app-user, password: secret }]
api_keys: [{ key: ${ADMIN}, name: admin }]
http:
  listen: "127.0.0.1:${httpPort}"
`,
  );
  const control = `http://127.0.0.1:${httpPort}`;
  const { stop } = await runRelay(dir, configPath, control);
  return { smtpPort, control, stop };
}

// The provider's client for one key, aimed at relaymock.
function clientFor(relay, key) {
  const api = SMTP2GOApi(key);
  const client = api.client();
  client.apiUrl = `${relay.control}/v3/`;
  return { api, client };
}

const call = (client, endpoint, fields = {}) => client.consume(new Service(endpoint, new Map(Object.entries(fields))));

function smtpSend(relay, user, pass, from) {
  return nodemailer
    .createTransport({ host: '127.0.0.1', port: relay.smtpPort, secure: false, ignoreTLS: true, auth: { user, pass } })
    .sendMail({ from, to: 'bob@dest.test', subject: 'hello', text: 'hi' });
}

describe('the account through smtp2go-nodejs', () => {
  let relay, admin;
  before(async () => {
    relay = await startProviderRelay();
    admin = clientFor(relay, ADMIN);
  });
  after(async () => relay && (await relay.stop()));

  it('creates a user that sends at once, then blocks it', async () => {
    const added = await call(admin.client, 'users/smtp/add', { username: 'tenant-node', email_password: 'pw-node-1' });
    assert.equal(added.data.results[0].username, 'tenant-node');
    assert.equal(added.data.results[0].sending_allowed, true);
    const info = await smtpSend(relay, 'tenant-node', 'pw-node-1', 'app@example.com');
    assert.match(info.response, /^250 OK id=/);

    const edited = await call(admin.client, 'users/smtp/edit', { username: 'tenant-node', status: 'blocked' });
    assert.equal(edited.data.results[0].status, 'blocked');
    await assert.rejects(smtpSend(relay, 'tenant-node', 'pw-node-1', 'app@example.com'), (e) => {
      assert.equal(e.responseCode, 550);
      assert.match(e.response, /^550 That smtp username is not allowed to send/);
      return true;
    });
    const view = await call(admin.client, 'users/smtp/view');
    assert.deepEqual(
      view.data.results.map((u) => [u.username, u.status]),
      [['app-user', 'allowed'], ['tenant-node', 'blocked']],
    );
  });

  it('adds a sender domain the From rule accepts once verified', async () => {
    const send = () =>
      admin.client.consume(
        admin.api.mail().from({ email: 'news@shop.example' }).to({ email: 'bob@dest.test' }).subject('s').text('t'),
      );
    const before = await send();
    assert.equal(before.data.succeeded, 0);
    assert.match(before.data.failures[0], /^An error occurred during the SMTP request: /);

    const added = await call(admin.client, 'domain/add', { domain: 'shop.example' });
    assert.equal(added.data.domains[0].domain.dkim_status, 'pending');
    assert.equal((await send()).data.succeeded, 0);
    const verified = await call(admin.client, 'domain/verify', { domain: 'shop.example' });
    assert.equal(verified.data.domains[0].domain.dkim_verified, true);
    const after = await send();
    assert.equal(after.data.succeeded, 1);
    assert.ok(after.data.email_id);
  });

  it('makes a key with the default permission, and widens it', async () => {
    const made = await call(admin.client, 'api_keys/add', { description: 'tenant key' });
    const key = made.data.results[0];
    assert.match(key.api_key, /^api-[A-Za-z0-9]{32}$/);
    assert.deepEqual(key.endpoints, ['/email/send']);
    const tenant = clientFor(relay, key.api_key);
    const denied = await call(tenant.client, 'users/smtp/view');
    assert.equal(denied.status, 400);
    assert.equal(denied.data.data.error_code, 'E_ApiResponseCodes.ENDPOINT_PERMISSION_DENIED');

    await call(admin.client, 'api_keys/edit', { id: key.id, endpoints: ['/email/send', '/users/smtp/view'] });
    const allowed = await call(tenant.client, 'users/smtp/view');
    assert.equal(allowed.data.results.length, 2);
  });

  it('calls every other account endpoint as the provider documents it', async () => {
    const senders = await call(admin.client, 'single_sender_emails/add', { email_address: 'ceo@partner.example' });
    assert.deepEqual(senders.data.senders, [{ email_address: 'ceo@partner.example', verified: true }]);
    assert.equal((await call(admin.client, 'single_sender_emails/view')).data.senders.length, 1);
    assert.equal((await smtpSend(relay, 'app-user', 'secret', 'ceo@partner.example')).accepted.length, 1);
    assert.deepEqual((await call(admin.client, 'single_sender_emails/remove', { email_address: 'ceo@partner.example' })).data.senders, []);

    const mode = await call(admin.client, 'allowed_senders/update', { mode: 'blacklist', allowed_senders: ['spam.example'] });
    assert.deepEqual(mode.data, { mode: 'blacklist', allowed_senders: ['spam.example'] });
    await call(admin.client, 'allowed_senders/add', { allowed_senders: ['bad@example.com'] });
    await assert.rejects(smtpSend(relay, 'app-user', 'secret', 'bad@example.com'), (e) => e.responseCode === 550);
    await call(admin.client, 'allowed_senders/remove', { allowed_senders: ['bad@example.com', 'spam.example'] });
    assert.deepEqual((await call(admin.client, 'allowed_senders/update', { mode: 'disabled' })).data.allowed_senders, []);
    assert.equal((await call(admin.client, 'allowed_senders/view')).data.mode, 'disabled');

    const ip = await call(admin.client, 'ip_auth/edit', { ip_address: '192.0.2.0/24', description: 'office', status: 'allowed' });
    assert.equal(ip.data.results[0].ip_address, '192.0.2.0/24');
    assert.equal((await call(admin.client, 'ip_auth/view')).data.results.length, 1);
    assert.deepEqual((await call(admin.client, 'ip_auth/remove', { ip_address: '192.0.2.0/24' })).data.results, []);

    const domains = (await call(admin.client, 'domain/view')).data.domains.map((d) => d.domain.fulldomain);
    assert.deepEqual(domains, ['example.com', 'shop.example']);
    assert.equal((await call(admin.client, 'domain/remove', { domain: 'shop.example' })).data.domains.length, 1);
    assert.deepEqual(
      (await call(admin.client, 'users/smtp/remove', { username: 'tenant-node' })).data.results.map((u) => u.username),
      ['app-user'],
    );
    const keys = (await call(admin.client, 'api_keys/view')).data.results;
    const tenantKey = keys.find((k) => k.description === 'tenant key');
    assert.match(tenantKey.api_key, /^api-.{4}\.\.\..{4}$/);
    assert.deepEqual(
      (await call(admin.client, 'api_keys/remove', { id: tenantKey.id })).data.results.map((k) => k.description),
      ['admin'],
    );
  });

  it('gets the provider payload error for a bad field', async () => {
    const bad = await call(admin.client, 'users/smtp/add', { username: 'abc' });
    assert.equal(bad.status, 400);
    assert.equal(bad.data.data.error_code, 'E_ApiResponseCodes.NON_VALIDATING_IN_PAYLOAD');
    assert.equal(bad.data.data.field_validation_errors.fieldname, 'username');
    const config = await (await fetch(`${relay.control}/api/v1/config`)).json();
    assert.deepEqual(
      config.overrides.map((o) => o.endpoint),
      [
        'users/smtp/add', 'users/smtp/edit', 'domain/add', 'domain/verify', 'api_keys/add', 'api_keys/edit',
        'single_sender_emails/add', 'single_sender_emails/remove', 'allowed_senders/update', 'allowed_senders/add',
        'allowed_senders/remove', 'allowed_senders/update', 'ip_auth/edit', 'ip_auth/remove', 'domain/remove',
        'users/smtp/remove', 'api_keys/remove',
      ],
    );
  });
  it('suppresses an address by hand and after a bounce; a send to it is accepted and rejected', async () => {
    const added = await call(admin.client, 'suppression/add', { email_address: 'held@dest.test', block_description: 'test' });
    assert.deepEqual(added.data, { added: true, email_address: 'held@dest.test', block_description: 'test' });
    const transport = nodemailer.createTransport({
      host: '127.0.0.1', port: relay.smtpPort, secure: false, ignoreTLS: true, auth: { user: 'app-user', pass: 'secret' },
    });
    const info = await transport.sendMail({
      from: 'app@example.com', to: ['held@dest.test', 'bounce@dest.test'], subject: 'suppressed', text: 'hi',
    });
    assert.match(info.response, /^250 OK id=/);
    const id = info.response.match(/id=(\S+)/)[1];
    const evs = await (await fetch(`${relay.control}/api/v1/events?message=${id}&wait=10s&min=4`)).json();
    const rules = evs.events.filter((e) => e.stage === 'delivery').map((e) => `${e.rule} ${e.recipients.join()}`);
    assert.deepEqual(rules, ['processed held@dest.test,bounce@dest.test', 'reject held@dest.test', 'hard_bounce bounce@dest.test']);
    const view = await call(admin.client, 'suppression/view', {});
    assert.deepEqual(view.data.results.map((r) => `${r.email_address} ${r.reason}`), ['held@dest.test manual', 'bounce@dest.test bounce']);
    const removed = await call(admin.client, 'suppression/remove', { email_address: 'held@dest.test' });
    assert.equal(removed.data.removed, true);
    assert.equal((await call(admin.client, 'suppression/view', {})).data.total_results, 1);
  });
  it('adds a webhook that gets the bounce as JSON with its bearer token, then removes it', async () => {
    const posts = [];
    let arrived;
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        posts.push({ auth: req.headers.authorization, type: req.headers['content-type'], body: JSON.parse(body) });
        res.end('ok');
        if (arrived) arrived();
      });
    });
    await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${receiver.address().port}/smtp2go`;
      const added = await call(admin.client, 'webhook/add', {
        url, events: ['bounce'], output_format: 'json', auth_header_type: 'bearer', auth_header_value: 'node-token',
      });
      assert.equal(added.data.url, url);
      assert.deepEqual(added.data.events, ['bounce']);
      const got = new Promise((r) => (arrived = r));
      const info = await nodemailer
        .createTransport({ host: '127.0.0.1', port: relay.smtpPort, secure: false, ignoreTLS: true, auth: { user: 'app-user', pass: 'secret' } })
        .sendMail({ from: 'app@example.com', to: ['ok@dest.test', 'bounce+hook@dest.test'], subject: 'hooked', text: 'hi' });
      const id = info.response.match(/id=(\S+)/)[1];
      let timer;
      await Promise.race([got, new Promise((_, no) => (timer = setTimeout(() => no(new Error('no webhook POST in 15 s')), 15000)))]);
      clearTimeout(timer);
      assert.equal(posts.length, 1);
      assert.equal(posts[0].auth, 'Bearer node-token');
      assert.equal(posts[0].type, 'application/json');
      assert.equal(posts[0].body.event, 'bounce');
      assert.equal(posts[0].body.bounce, 'hard');
      assert.equal(posts[0].body.rcpt, 'bounce+hook@dest.test');
      assert.equal(posts[0].body.email_id, id);
      assert.equal(posts[0].body.subject, 'hooked');
      const viewed = await call(admin.client, 'webhook/view', {});
      assert.deepEqual(viewed.data.webhooks.map((w) => w.id), [added.data.id]);
      const removed = await call(admin.client, 'webhook/remove', { id: added.data.id });
      assert.deepEqual(removed.data.webhooks, []);
    } finally {
      receiver.close();
      receiver.closeAllConnections();  // relaymock keeps its connection for the next POST
    }
  });
  it('reads the bounces back through activity/search and the stats', async () => {
    const found = await call(admin.client, 'activity/search', { event_types: ['hard-bounced'], search_subject: 'hooked' });
    assert.equal(found.data.total_events, 1);
    assert.equal(found.data.events[0].recipient, 'bounce+hook@dest.test');
    assert.equal(found.data.events[0].username, 'app-user');
    assert.match(found.data.events[0].smtp_response, /^550 5\.1\.1 /);
    assert.equal(found.data.continue_token, null);
    const stats = await call(admin.client, 'stats/email_bounces', { username: 'app-user' });
    assert.ok(stats.data.hardbounces >= 2, JSON.stringify(stats.data));  // bounce@ earlier, bounce+hook@ here
    assert.match(stats.data.bounce_percent, /^\d+\.\d\d$/);
  });
});
