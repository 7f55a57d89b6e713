// relaymock's Mailpit door driven by mailpit-api (the npm client Mailpit's
// users call), nodemailer for SMTP and ws for the event socket: every
// client call, the shapes Mailpit answers with, and the failures it reports.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { MailpitClient } from 'mailpit-api';
import WebSocket from 'ws';
import { startRelay, transport, png, fakeSpamd, freePort } from './harness.mjs';

const html = `<html><body><p>Hello <b>there</b></p>
<img src="cid:logo@relay.test"><a href="https://shop.example/buy?x=1">buy</a></body></html>`;

async function sendSample(relay, extra = {}) {
  return transport(relay).sendMail({
    from: '"Shop" <shop@store.example>',
    to: 'Ann <ann@customer.example>, bob@customer.example',
    cc: 'carol@customer.example',
    bcc: 'audit@store.example',
    replyTo: 'help@store.example',
    subject: 'Your order 42',
    text: 'Thanks. Track it at https://track.example/42',
    html,
    headers: { 'X-Tags': 'orders, Receipts', 'List-Unsubscribe': '<mailto:u@store.example>, <https://store.example/u>' },
    attachments: [
      { filename: 'invoice.pdf', content: Buffer.from('%PDF-1.4 fake invoice'), contentType: 'application/pdf' },
      { filename: 'logo.png', content: png(), cid: 'logo@relay.test' },
      { filename: 'photo.png', content: png(300, 200) },
    ],
    ...extra,
  });
}

describe('Mailpit API through mailpit-api', () => {
  let relay, mp;
  before(async () => {
    relay = await startRelay();
    mp = new MailpitClient(relay.mailpit);
  });
  after(async () => relay && (await relay.stop()));

  it('lists, reads and shapes a captured message as Mailpit does', async () => {
    await sendSample(relay);
    const list = await mp.waitForMessages({ count: 1 }, { timeout: 5000, interval: 50 });
    assert.equal(list.total, 1);
    assert.equal(list.unread, 1);
    assert.equal(list.messages_count, 1);
    assert.deepEqual(Object.keys(list), ['total', 'unread', 'count', 'messages_count', 'messages_unread', 'start', 'tags', 'messages']);
    const item = list.messages[0];
    assert.match(item.ID, /^[2-9A-HJ-NP-Za-km-z]{22}$/);
    assert.deepEqual(item.From, { Name: 'Shop', Address: 'shop@store.example' });
    assert.deepEqual(item.To.map((a) => a.Address), ['ann@customer.example', 'bob@customer.example']);
    assert.equal(item.To[0].Name, 'Ann');
    // The envelope-only recipient shows as Bcc, as Mailpit stores it.
    assert.deepEqual(item.Bcc, [{ Name: '', Address: 'audit@store.example' }]);
    assert.deepEqual(item.ReplyTo, [{ Name: '', Address: 'help@store.example' }]);
    assert.equal(item.Subject, 'Your order 42');
    // Sorted as Mailpit's SQLite sorts them (bytes: capitals first).
    assert.deepEqual(item.Tags, ['Receipts', 'orders']);
    assert.deepEqual(list.tags, ['Receipts', 'orders']);
    assert.equal(item.Attachments, 2);
    assert.equal(item.Read, false);
    assert.match(item.Created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    // From the HTML when there is one, as Mailpit makes it.
    assert.ok(item.Snippet.startsWith('Hello there'), item.Snippet);

    const msg = await mp.getMessageSummary(item.ID);
    assert.deepEqual(Object.keys(msg), ['ID', 'MessageID', 'From', 'To', 'Cc', 'Bcc', 'ReplyTo', 'ReturnPath', 'Subject',
      'ListUnsubscribe', 'Date', 'Tags', 'Username', 'Text', 'HTML', 'Size', 'Inline', 'Attachments']);
    assert.equal(msg.ReturnPath, 'shop@store.example');
    assert.deepEqual(msg.Cc, [{ Name: '', Address: 'carol@customer.example' }]);
    assert.equal(msg.HTML.includes('<b>there</b>'), true);
    assert.equal(msg.Text.trim(), 'Thanks. Track it at https://track.example/42');
    assert.deepEqual(msg.ListUnsubscribe.Links, ['mailto:u@store.example', 'https://store.example/u']);
    assert.deepEqual(msg.Inline.map((a) => [a.FileName, a.ContentID]), [['logo.png', 'logo@relay.test']]);
    assert.deepEqual(msg.Attachments.map((a) => a.FileName), ['invoice.pdf', 'photo.png']);
    const pdf = msg.Attachments[0];
    assert.equal(pdf.ContentType, 'application/pdf');
    assert.equal(pdf.Size, 21);
    assert.equal(pdf.Checksums.SHA256.length, 64);
    // Reading a message marks it read.
    assert.equal((await mp.listMessages()).unread, 0);

    const headers = await mp.getMessageHeaders(item.ID);
    assert.deepEqual(headers.Subject, ['Your order 42']);
    assert.deepEqual(headers['Return-Path'], ['<shop@store.example>']);
    assert.ok(headers['Message-Id'][0].length > 4);

    const source = await mp.getMessageSource(item.ID);
    assert.match(source, /^Return-Path: <shop@store\.example>\r?\n/);
    assert.match(source, /Subject: Your order 42/);

    const blob = await mp.getMessageAttachment(item.ID, pdf.PartID);
    assert.equal(Buffer.from(await blob.arrayBuffer()).toString(), '%PDF-1.4 fake invoice');

    const photo = msg.Attachments[1];
    const thumb = Buffer.from(await (await mp.getAttachmentThumbnail(item.ID, photo.PartID)).arrayBuffer());
    assert.deepEqual([...thumb.subarray(0, 3)], [0xff, 0xd8, 0xff], 'a JPEG');

    const page = await mp.renderMessageHTML(item.ID);
    assert.ok(page.includes(`/api/v1/message/${item.ID}/part/`), 'cid: images point at the API');
    assert.equal((await mp.renderMessageText(item.ID)).trim(), 'Thanks. Track it at https://track.example/42');
    const check = await mp.htmlCheck(item.ID);
    assert.deepEqual(Object.keys(check), ['Warnings', 'Platforms', 'Total']);
    assert.ok(check.Total.Nodes > 0 && check.Total.Tests > 100, JSON.stringify(check.Total));
    const body = check.Warnings.find((w) => w.Slug === 'html-body');
    assert.equal(body.Score.Found, 1);
    assert.match(body.URL, /^https:\/\/www\.caniemail\.com\/features\//);
    assert.ok(body.Results.some((r) => r.Name.startsWith('Gmail ')), 'one result per client and version');
    assert.ok(check.Platforms.ios.includes('Apple Mail'));
    // "latest" names the newest message.
    assert.equal((await mp.getMessageSummary()).ID, item.ID);
  });

  it('searches with Mailpit terms and deletes by search', async () => {
    await transport(relay).sendMail({ from: 'alerts@ops.example', to: 'oncall@ops.example', subject: 'Disk full on db1', text: 'disk at 99%' });
    const found = await mp.searchMessages({ query: 'subject:"disk full" from:ops.example' });
    assert.equal(found.messages_count, 1);
    assert.equal(found.total, 2);
    assert.equal(found.messages[0].Subject, 'Disk full on db1');
    const waited = await mp.waitForMessage({ query: 'to:oncall@ops.example' }, { timeout: 3000, interval: 50 });
    assert.equal(waited.Subject, 'Disk full on db1');
    assert.equal((await mp.searchMessages({ query: 'tag:orders' })).messages_count, 1);
    assert.equal((await mp.searchMessages({ query: 'has:attachment' })).messages_count, 1);
    assert.equal(await mp.deleteMessagesBySearch({ query: 'from:alerts@ops.example' }), 'ok');
    assert.equal((await mp.listMessages()).total, 1);
  });

  it('marks read, tags, renames and deletes tags', async () => {
    const { messages } = await mp.listMessages();
    const id = messages[0].ID;
    assert.equal(await mp.setReadStatus({ IDs: [id], Read: false }), 'ok');
    assert.equal((await mp.listMessages()).unread, 1);
    assert.equal(await mp.setReadStatus({ Read: true }), 'ok');
    assert.equal((await mp.listMessages()).unread, 0);
    assert.equal(await mp.setTags({ IDs: [id], Tags: ['alpha', 'beta'] }), 'ok');
    assert.deepEqual(await mp.getTags(), ['alpha', 'beta']);
    assert.equal(await mp.renameTag('alpha', 'gamma'), 'ok');
    assert.deepEqual(await mp.getTags(), ['beta', 'gamma']);
    assert.equal(await mp.deleteTag('beta'), 'ok');
    assert.deepEqual((await mp.getMessageSummary(id)).Tags, ['gamma']);
    const info = await mp.getInfo();
    assert.equal(info.Messages, 1);
    assert.deepEqual(info.Tags, { gamma: 1 });
    assert.equal(typeof info.RuntimeStats.Uptime, 'number');
    const ui = await mp.getConfiguration();
    assert.equal(ui.MessageRelay.Enabled, false);
    assert.equal(ui.SpamAssassin, false);
  });

  it('answers the HTML check of a text-only message as Mailpit does', async () => {
    await transport(relay).sendMail({ from: 'plain@t.example', to: 'r@t.example', subject: 'plain only', text: 'no html here' });
    await assert.rejects(mp.htmlCheck(), /400 .*message does not contain HTML/);
    await mp.deleteMessagesBySearch({ query: 'subject:"plain only"' });
  });

  it('sends through /api/v1/send under relaymock\'s rules', async () => {
    const sent = await mp.sendMessage({
      From: { Email: 'api@store.example', Name: 'API' },
      To: [{ Email: 'dan@customer.example' }],
      Bcc: ['hidden@customer.example'],
      Subject: 'Sent by API',
      Text: 'plain',
      HTML: '<p>rich</p>',
      Tags: ['api'],
      Headers: { 'X-Campaign': 'c1' },
      Attachments: [{ Filename: 'a.txt', Content: Buffer.from('hello').toString('base64') }],
    });
    assert.match(sent.ID, /^[2-9A-HJ-NP-Za-km-z]{22}$/);
    const msg = await mp.getMessageSummary(sent.ID);
    assert.equal(msg.Subject, 'Sent by API');
    assert.deepEqual(msg.Bcc, [{ Name: '', Address: 'hidden@customer.example' }]);
    assert.deepEqual(msg.Tags, ['api']);
    assert.equal(msg.Attachments[0].FileName, 'a.txt');
    assert.deepEqual((await mp.getMessageHeaders(sent.ID))['X-Campaign'], ['c1']);
    // Its decision is in relaymock's own log, like an SMTP send's.
    const events = await (await fetch(`${relay.control}/api/v1/events?rule=accepted&order=newest&limit=1`)).json();
    assert.equal(events.events[0].recipients.includes('dan@customer.example'), true);
    await assert.rejects(mp.sendMessage({ From: { Email: 'x@y.example' }, To: [], Subject: 's' }), /400 .*no recipients/);
    await assert.rejects(mp.sendMessage({ From: { Email: 'not an address' }, To: [{ Email: 'a@b.example' }], Subject: 's' }), /400/);
  });

  it('deletes by id and everything', async () => {
    const before = await mp.listMessages();
    assert.equal(await mp.deleteMessages({ IDs: [before.messages[0].ID] }), 'ok');
    assert.equal((await mp.listMessages()).total, before.total - 1);
    assert.equal(await mp.deleteMessages(), 'ok');
    assert.equal((await mp.listMessages()).total, 0);
    await assert.rejects(mp.getMessageSummary(), /404/);
    await assert.rejects(mp.getMessageSummary('nosuchid'), /404/);
  });

  it('pushes new, update, delete and stats on /api/events', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${relay.mailpitPort}/api/events`);
    const frames = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
    await new Promise((res, rej) => (ws.once('open', res), ws.once('error', rej)));
    const waitFor = async (pred) => {
      for (let i = 0; i < 200; i++) {
        const f = frames.find(pred);
        if (f) return f;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error('no frame; got ' + JSON.stringify(frames));
    };
    await transport(relay).sendMail({ from: 'ws@t.example', to: 'r@t.example', subject: 'live one', text: 'x' });
    const created = await waitFor((f) => f.Type === 'new');
    assert.equal(created.Data.Subject, 'live one');
    assert.equal((await waitFor((f) => f.Type === 'stats')).Data.Total, 1);
    await mp.setReadStatus({ IDs: [created.Data.ID], Read: true });
    assert.equal((await waitFor((f) => f.Type === 'update')).Data.Read, true);
    await mp.deleteMessages({ IDs: [created.Data.ID] });
    assert.equal((await waitFor((f) => f.Type === 'delete')).Data.ID, created.Data.ID);
    ws.close();
  });
});

describe('Mailpit checks, relay, chaos and sign-in', () => {
  let relay, mp, web, spamd, webPort, target;
  before(async () => {
    webPort = await freePort();
    web = createServer((req, res) => {
      if (req.url === '/ok') res.writeHead(200).end();
      else if (req.url === '/moved') res.writeHead(301, { Location: '/ok' }).end();
      else res.writeHead(404).end();
    });
    await new Promise((r) => web.listen(webPort, '127.0.0.1', r));
    spamd = await fakeSpamd(
      'Spam detection software has identified this incoming email as possible spam.\r\n\r\n' +
        'Content analysis details:   (6.5 points, 5.0 required)\r\n\r\n' +
        ' pts rule name              description\r\n' +
        '---- ---------------------- --------------------------------------------------\r\n' +
        ' 3.5 MISSING_DATE           Missing Date: header\r\n' +
        ' 1.0 MISSING_MID            Missing Message-Id: header\r\n' +
        '-0.1 DKIM_VALID             Message has at least one valid DKIM or DK signature\r\n' +
        ' 2.1 LONG_RULE              A description that goes on and\r\n' +
        '                            continues on the next line\r\n',
    );
    // Released mail goes to a second relaymock, as it would to a real SMTP server.
    target = await startRelay();
    relay = await startRelay({
      mailpit: `    chaos: true
    allow_internal_http_requests: true
    spamassassin: "127.0.0.1:${spamd.port}"
    label: CI
    ui_auth: ["tester:s3cret"]
    relay:
      host: 127.0.0.1
      port: ${target.smtpPort}
      blocked_recipients: "@blocked\\\\.example$"
      return_path: bounces@store.example`,
    });
    mp = new MailpitClient(relay.mailpit, { auth: { username: 'tester', password: 's3cret' } });
  });
  after(async () => {
    await relay?.stop();
    await target?.stop();
    await spamd?.close();
    await new Promise((r) => web?.close(r));
  });

  it('asks for a password, as --ui-auth-file does', async () => {
    const res = await fetch(`${relay.mailpit}/api/v1/messages`);
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Basic realm="Login"');
    const wrong = new MailpitClient(relay.mailpit, { auth: { username: 'tester', password: 'nope' } });
    await assert.rejects(wrong.getInfo(), /401/);
    assert.equal((await mp.getConfiguration()).Label, 'CI');
  });

  it('checks links, following redirects when asked', async () => {
    await sendSample(relay, {
      html: `<a href="http://127.0.0.1:${webPort}/ok">ok</a> <a href="http://127.0.0.1:${webPort}/missing">gone</a>
             <img src="http://127.0.0.1:${webPort}/moved"> <a href="mailto:x@y.example">mail</a>`,
      text: `plain http://127.0.0.1:${webPort}/ok`,
      attachments: [],
    });
    const r = await mp.linkCheck();
    const by = Object.fromEntries(r.Links.map((l) => [new URL(l.URL).pathname, l]));
    assert.equal(r.Links.length, 3, 'each link once; mailto: is not checked');
    assert.equal(by['/ok'].StatusCode, 200);
    assert.equal(by['/ok'].Status, 'OK');
    assert.equal(by['/missing'].StatusCode, 404);
    assert.equal(by['/moved'].StatusCode, 301);
    assert.equal(r.Errors, 1);
    const followed = await mp.linkCheck('latest', true);
    assert.equal(followed.Links.find((l) => l.URL.endsWith('/moved')).StatusCode, 200);
  });

  it('asks SpamAssassin and reads its report as Mailpit does', async () => {
    const r = await mp.spamAssassinCheck();
    assert.equal(r.IsSpam, true);
    assert.equal(r.Score, 6.5);
    assert.equal(r.Error, '');
    assert.deepEqual(r.Rules.map((x) => x.Name), ['MISSING_DATE', 'MISSING_MID', 'DKIM_VALID', 'LONG_RULE']);
    assert.equal(r.Rules[0].Score, 3.5);
    // Mailpit reads points as float32 and rounds down: -0.1 shows as -0.2.
    assert.equal(r.Rules[2].Score, -0.2);
    assert.equal(r.Rules[3].Description, 'A description that goes on and continues on the next line');
    assert.match(spamd.requests.at(-1), /^REPORT SPAMC\/1\.5\r\nContent-length: \d+\r\n\r\nReturn-Path: /);
  });

  it('releases through the configured relay with Mailpit\'s edits', async () => {
    const latest = await mp.getMessageSummary();
    await assert.rejects(mp.releaseMessage(latest.ID, { To: ['x@blocked.example'] }), /400 .*found on blocklist: x@blocked\.example/);
    await assert.rejects(mp.releaseMessage(latest.ID, { To: ['not an address'] }), /400 .*Invalid email address/);
    assert.equal(await mp.releaseMessage(latest.ID, { To: ['final@dest.example'] }), 'ok');
    const other = new MailpitClient(target.mailpit);
    const got = await other.waitForMessages({ count: 1 }, { timeout: 5000, interval: 50 });
    const released = await other.getMessageSummary(got.messages[0].ID);
    assert.equal(released.Subject, 'Your order 42');
    assert.equal(released.ReturnPath, 'bounces@store.example');
    assert.notEqual(released.MessageID, latest.MessageID);
    assert.deepEqual(released.Bcc, [{ Name: '', Address: 'final@dest.example' }]);
    // The Bcc header Mailpit's stored form carried is gone from what was sent.
    const kept = await (await fetch(`${target.control}/api/v1/messages?limit=1`)).json();
    const sentRaw = await (await fetch(`${target.control}/api/v1/messages/${kept.messages[0].id}/raw`)).text();
    assert.doesNotMatch(sentRaw, /^Bcc:/m);
    assert.match(sentRaw, /^Return-Path: <bounces@store\.example>/m);
    assert.equal(kept.messages[0].envelope_from ?? kept.messages[0].sender, 'bounces@store.example');
  });

  it('plays Chaos as relaymock scenarios that SMTP clients feel', async () => {
    const t = await mp.setChaosTriggers({ Recipient: { ErrorCode: 451, Probability: 100 } });
    assert.deepEqual(t.Recipient, { ErrorCode: 451, Probability: 100 });
    assert.deepEqual(t.Sender, { ErrorCode: 451, Probability: 0 });
    await assert.rejects(
      transport(relay).sendMail({ from: 'a@b.example', to: 'c@d.example', subject: 's', text: 't' }),
      (e) => e.responseCode === 451 && /Chaos recipient error/.test(e.response),
    );
    const scenarios = await (await fetch(`${relay.control}/api/v1/scenarios`)).json();
    assert.ok(scenarios.scenarios.some((s) => s.name === 'mailpit-chaos-recipient'));
    await assert.rejects(mp.setChaosTriggers({ Sender: { ErrorCode: 200, Probability: 5 } }), /400 .*between 400 and 599/);
    await mp.setChaosTriggers({});
    await transport(relay).sendMail({ from: 'a@b.example', to: 'c@d.example', subject: 's', text: 't' });
    assert.deepEqual((await mp.getChaosTriggers()).Recipient, { ErrorCode: 451, Probability: 0 });
  });
});
