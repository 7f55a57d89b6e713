// relaymock's MailHog door driven by the `mailhog` npm client (and fetch
// and ws for what it does not wrap): MailHog's message shape and quirks,
// search, release, Jim, the event stream and the WebSocket.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mailhog from 'mailhog';
import WebSocket from 'ws';
import { startRelay, transport } from './harness.mjs';

// "hog-pass", bcrypt at cost 4 (MailHog's -auth-file holds user:bcrypt lines).
const authLine = 'hogger:$2b$04$UsIKYXf8cXl32xvGBCMUl.pVllKJLfZT6xbbcPjLta5UTQNPcS95G';

describe('MailHog API through the mailhog client', () => {
  let relay, target, mh, dir;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'relaymock-hog-'));
    writeFileSync(join(dir, 'auth'), authLine + '\n');
    target = await startRelay();
    relay = await startRelay({ mailhog: `    auth_file: "${join(dir, 'auth')}"` });
    mh = mailhog({ host: '127.0.0.1', port: relay.mailhogPort, auth: 'hogger:hog-pass' });
  });
  after(async () => {
    await relay?.stop();
    await target?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks for a password from -auth-file', async () => {
    const res = await fetch(`${relay.mailhog}/api/v2/messages`);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate'), /^Basic realm=/);
    const bad = await fetch(`${relay.mailhog}/api/v2/messages`, {
      headers: { Authorization: 'Basic ' + Buffer.from('hogger:wrong').toString('base64') },
    });
    assert.equal(bad.status, 401);
  });

  it('lists messages in MailHog\'s shape, with its getters working', async () => {
    await transport(relay).sendMail({
      from: '"Shop" <shop@store.example>',
      to: 'ann@customer.example',
      cc: 'carol@customer.example',
      subject: 'Greetings from MailHog land',
      text: 'plain body',
      html: '<p>html body</p>',
      attachments: [{ filename: 'notes.txt', content: 'attached words', contentType: 'text/plain' }],
    });
    const result = await mh.messages();
    assert.equal(result.total, 1);
    assert.equal(result.count, 1);
    assert.equal(result.start, 0);
    const m = result.items[0];
    assert.match(m.ID, /^[A-Za-z0-9_-]{43}=@mailhog\.example$/);
    assert.deepEqual(Object.keys(m), ['ID', 'From', 'To', 'Content', 'Created', 'MIME', 'Raw']);
    assert.deepEqual(m.From, { Relays: null, Mailbox: 'shop', Domain: 'store.example', Params: '' });
    assert.deepEqual(m.To.map((p) => `${p.Mailbox}@${p.Domain}`), ['ann@customer.example', 'carol@customer.example']);
    assert.equal(m.subject, 'Greetings from MailHog land');
    assert.equal(m.from, 'Shop <shop@store.example>'); // as nodemailer wrote the header
    assert.equal(m.to, 'ann@customer.example');
    assert.equal(m.cc, 'carol@customer.example');
    // The text and HTML sit in a nested multipart/alternative, which MailHog
    // parses into the part's own MIME; the client's getters read the top
    // level only (its first text/plain there is the attachment), as they do
    // against MailHog.
    const alt = m.MIME.Parts[0];
    assert.match(alt.Headers['Content-Type'][0], /^multipart\/alternative/);
    assert.equal(alt.MIME.Parts[0].Body.trim(), 'plain body');
    assert.equal(alt.MIME.Parts[1].Body.trim(), '<p>html body</p>');
    assert.equal(m.text, 'attached words');
    assert.deepEqual(m.attachments.map((a) => a.name), ['notes.txt']);
    assert.ok(m.deliveryDate instanceof Date && !isNaN(m.deliveryDate));
    // The headers MailHog adds to what it stores.
    const h = m.Content.Headers;
    assert.deepEqual(h['Return-Path'], ['<shop@store.example>']);
    assert.match(h.Received[0], new RegExp(`^from \\S+ by mailhog\\.example \\(MailHog\\)\\r\\n {10}id ${m.ID.replace(/[.+]/g, '\\$&')}; `));
    assert.equal(m.Content.MIME, null);
    assert.equal(m.Raw.From, 'shop@store.example');
    assert.deepEqual(m.Raw.To, ['ann@customer.example', 'carol@customer.example']);
    assert.equal(m.Raw.Data.endsWith('\r\n.\r\n'), false);
    assert.equal(m.Content.Size, m.Raw.Data.length);
    // Parts split at the boundary; the closing "--" is a part of its own, as in MailHog.
    assert.equal(m.MIME.Parts.at(-1).Body, '--');
  });

  it('searches from, to and containing, newest first', async () => {
    await transport(relay).sendMail({ from: 'ops@ops.example', to: 'pager@ops.example', subject: 'second', text: 'needle here' });
    assert.equal((await mh.search('OPS.example', 'from')).total, 1);
    assert.equal((await mh.search('customer.example', 'to')).total, 1);
    assert.equal((await mh.search('needle')).total, 1);
    assert.equal((await mh.search('nothing-like-this')).total, 0);
    assert.equal((await mh.latestTo('pager@ops.example')).subject, 'second');
    assert.equal((await mh.latestFrom('shop@store.example')).subject, 'Greetings from MailHog land');
    assert.equal((await mh.latestContaining('needle')).subject, 'second');
    const page = await mh.messages(1, 1);
    assert.equal(page.count, 1);
    assert.equal(page.total, 2);
    assert.equal(page.items[0].subject, 'Greetings from MailHog land');
    const bad = await fetch(`${relay.mailhog}/api/v2/search?kind=subject&query=x`, {
      headers: { Authorization: 'Basic ' + Buffer.from('hogger:hog-pass').toString('base64') },
    });
    assert.equal(bad.status, 400);
  });

  it('serves API v1: one message, downloads, a part, null for an unknown id', async () => {
    const auth = { Authorization: 'Basic ' + Buffer.from('hogger:hog-pass').toString('base64') };
    const { items } = await mh.search('shop@store.example', 'from');
    const id = encodeURIComponent(items[0].ID);
    const one = await (await fetch(`${relay.mailhog}/api/v1/messages/${id}`, { headers: auth })).json();
    assert.equal(one.ID, items[0].ID);
    assert.equal(await (await fetch(`${relay.mailhog}/api/v1/messages/nope`, { headers: auth })).text(), 'null');
    const all = await (await fetch(`${relay.mailhog}/api/v1/messages`, { headers: auth })).json();
    assert.equal(all.length, 2);
    const dl = await fetch(`${relay.mailhog}/api/v1/messages/${id}/download`, { headers: auth });
    assert.equal(dl.headers.get('content-type'), 'message/rfc822');
    assert.equal(dl.headers.get('content-disposition'), `attachment; filename="${items[0].ID}.eml"`);
    assert.match(await dl.text(), /\r\nSubject: /);
    const n = items[0].MIME.Parts.findIndex((p) => (p.Headers['Content-Disposition'] || [''])[0].startsWith('attachment'));
    const part = await fetch(`${relay.mailhog}/api/v1/messages/${id}/mime/part/${n}/download`, { headers: auth });
    assert.equal(part.status, 200);
    assert.equal(await part.text(), 'attached words');
    assert.equal((await fetch(`${relay.mailhog}/api/v1/messages/${id}/mime/part/99/download`, { headers: auth })).status, 404);
  });

  it('releases to the SMTP server the request names, from nobody@hostname', async () => {
    const { items } = await mh.search('second', 'containing');
    const res = await mh.releaseMessage(items[0].ID, { Host: '127.0.0.1', Port: String(target.smtpPort), Email: 'out@dest.example' });
    assert.equal(res.statusCode, 200);
    const kept = await (await fetch(`${target.control}/api/v1/messages?limit=1`)).json();
    assert.equal(kept.total, 1);
    const raw = await (await fetch(`${target.control}/api/v1/messages/${kept.messages[0].id}/raw`)).text();
    assert.match(raw, /Subject: second/);
    assert.match(raw, /\(MailHog\)/);
    const events = await (await fetch(`${target.control}/api/v1/events?rule=accepted&limit=1&order=newest`)).json();
    assert.equal(events.events[0].sender, 'nobody@mailhog.example');
    const refused = await mh.releaseMessage(items[0].ID, { Host: '127.0.0.1', Port: '1', Email: 'out@dest.example' });
    assert.equal(refused.statusCode, 500);
    const badMech = await mh.releaseMessage(items[0].ID, { Host: '127.0.0.1', Port: '25', Email: 'a@b.example', Username: 'u', Mechanism: 'XOAUTH' });
    assert.equal(badMech.statusCode, 400);
  });

  it('deletes one and all', async () => {
    const { items } = await mh.messages();
    const res = await mh.deleteMessage(items[0].ID);
    assert.equal(res.statusCode, 200);
    assert.equal((await mh.messages()).total, 1);
    assert.equal((await mh.deleteMessage('nope@mailhog.example')).statusCode, 500);
    assert.equal((await mh.deleteAll()).statusCode, 200);
    assert.equal((await mh.messages()).total, 0);
  });
});

describe('MailHog Jim and live feeds', () => {
  let relay;
  const call = (path, init = {}) => fetch(`${relay.mailhog}${path}`, init);
  before(async () => {
    relay = await startRelay();
  });
  after(async () => relay?.stop());

  it('invites Jim, who refuses senders through relaymock scenarios', async () => {
    assert.equal((await call('/api/v2/jim')).status, 404);
    assert.equal((await call('/api/v2/jim', { method: 'POST' })).status, 201);
    assert.equal((await call('/api/v2/jim', { method: 'POST' })).status, 400);
    const jim = await (await call('/api/v2/jim')).json();
    assert.deepEqual(jim, { DisconnectChance: 0.005, AcceptChance: 0.99, LinkSpeedAffect: 0.1, LinkSpeedMin: 1024,
      LinkSpeedMax: 10240, RejectSenderChance: 0.05, RejectRecipientChance: 0.05, RejectAuthChance: 0.05 });
    // The link speed: every SMTP listener without a fault of its own is throttled by chance.
    const listeners = await (await fetch(`${relay.control}/api/v1/listeners`)).json();
    const smtp = listeners.listeners.find((l) => l.port === relay.smtpPort);
    assert.deepEqual(smtp.fault, { throttle: 1024, up_to: 10240, chance: 0.1 });
    const put = await call('/api/v2/jim', { method: 'PUT', body: JSON.stringify({ AcceptChance: 1, RejectSenderChance: 1 }) });
    assert.equal(put.status, 200);
    await assert.rejects(
      transport(relay).sendMail({ from: 'a@b.example', to: 'c@d.example', subject: 's', text: 't' }),
      (e) => e.responseCode === 550 && /Invalid sender a@b\.example/.test(e.response),
    );
    assert.equal((await call('/api/v2/jim', { method: 'PUT', body: '{"AcceptChance": "x"}' })).status, 400);
    assert.equal((await call('/api/v2/jim', { method: 'DELETE' })).status, 200);
    const after = await (await fetch(`${relay.control}/api/v1/listeners`)).json();
    assert.equal(after.listeners.find((l) => l.port === relay.smtpPort).fault, 'none');
    assert.equal((await call('/api/v2/jim', { method: 'DELETE' })).status, 404);
    await transport(relay).sendMail({ from: 'a@b.example', to: 'c@d.example', subject: 's', text: 't' });
  });

  it('streams new messages on /api/v1/events and /api/v2/websocket', async () => {
    const ctrl = new AbortController();
    const sse = await call('/api/v1/events', { signal: ctrl.signal });
    assert.equal(sse.headers.get('content-type'), 'text/event-stream');
    const reader = sse.body.getReader();
    const ws = new WebSocket(`ws://127.0.0.1:${relay.mailhogPort}/api/v2/websocket`);
    const frames = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
    await new Promise((res, rej) => (ws.once('open', res), ws.once('error', rej)));
    await transport(relay).sendMail({ from: 'live@t.example', to: 'r@t.example', subject: 'live', text: 'x' });
    let text = '';
    for (let i = 0; i < 50 && !text.includes('\n\n'); i++) {
      const { value } = await reader.read();
      text += Buffer.from(value).toString();
    }
    assert.match(text, /^event: data\ndata: \{/);
    const data = JSON.parse(text.split('\n')[1].slice('data: '.length));
    assert.equal(data.Content.Headers.Subject[0], 'live');
    for (let i = 0; i < 100 && frames.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(frames[0].ID, data.ID);
    ws.close();
    ctrl.abort();
  });
});
