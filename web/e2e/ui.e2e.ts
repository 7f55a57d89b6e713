// The UI in a real browser (Debian's Chromium through playwright-core)
// against a real relaymock, driven as a user would: mail sent with smtplib
// appears without a reload, a hostile message runs nothing and reaches no
// network, a refusal explains itself beside its transcript, the clock frees
// a rate limit, a port's fault is switched live.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { Browser, Page } from 'playwright-core';
import {
  baseConfig,
  launch,
  mail,
  newPage,
  Relay,
  shoot,
  smtplibConnect,
  smtplibSend,
  startRelay,
  tripwire,
} from './harness';

// The provider API key the account tests call /v3/ with.
const ADMIN_KEY = 'api-' + 'E'.repeat(32);

let browser: Browser;
let relay: Relay;
let page: Page | undefined;

beforeAll(async () => {
  browser = await launch();
  relay = await startRelay(`${baseConfig}
  - { ip: 127.0.0.2, rate_limit: { count: 1, per: 1h } }
api_keys:
  - { key: ${ADMIN_KEY}, name: e2e-admin }
`);
});

afterAll(async () => {
  await browser?.close();
  await relay?.stop();
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await shoot(page, ctx.task.name);
  await page?.context().close();
  page = undefined;
});

async function open(path = '/', opts: { width?: number; dark?: boolean } = {}) {
  const p = await newPage(browser, opts);
  page = p.page;
  await page.goto(relay.url + path);
  return p;
}

describe('inbox', () => {
  test('a message sent with smtplib appears without a reload, and opens in every view', async () => {
    const { errors } = await open('/#/inbox');
    await page!.getByTestId('counts').waitFor();
    const reply = smtplibSend(relay.smtpPort, {
      message: mail(
        {
          From: 'Ann Example <me@example.com>',
          To: 'you@example.org',
          Subject: 'Live one',
          'MIME-Version': '1.0',
          'Content-Type': 'multipart/mixed; boundary=b1',
        },
        [
          '--b1',
          'Content-Type: multipart/alternative; boundary=b2',
          '',
          '--b2',
          'Content-Type: text/plain; charset=utf-8',
          '',
          'Plain words here.',
          '--b2',
          'Content-Type: text/html; charset=utf-8',
          '',
          '<p id="greeting">Hello <b>HTML</b> world</p>',
          '--b2--',
          '--b1',
          'Content-Type: text/csv; name="figures.csv"',
          'Content-Disposition: attachment; filename="figures.csv"',
          '',
          'a,b\n1,2',
          '--b1--',
        ].join('\n'),
      ),
    });
    expect(reply.code).toBe(250);
    // No reload: the live stream brings it.
    const row = page!.getByTestId('message-list').locator('li', { hasText: 'Live one' });
    await row.waitFor({ timeout: 5000 });
    await expect(row.locator('.from').textContent()).resolves.toBe('Ann Example');
    await row.locator('a').click();
    await page!.getByRole('heading', { name: 'Live one' }).waitFor();
    // HTML, in its sandboxed frame.
    const frame = page!.frameLocator('iframe.html-frame');
    await expect(frame.locator('#greeting').textContent()).resolves.toBe('Hello HTML world');
    await page!.getByRole('tab', { name: 'Text' }).click();
    await expect(page!.locator('.body-text').textContent()).resolves.toContain('Plain words here.');
    await page!.getByRole('tab', { name: 'Headers' }).click();
    await expect(page!.locator('table.headers').textContent()).resolves.toContain('Live one');
    await page!.getByRole('tab', { name: 'Source' }).click();
    await expect(page!.locator('pre.source').textContent()).resolves.toContain('Content-Disposition: attachment');
    // The .eml and the attachment download.
    const [eml] = await Promise.all([page!.waitForEvent('download'), page!.getByText('Download .eml').click()]);
    expect(eml.suggestedFilename()).toMatch(/\.eml$/);
    await page!.getByRole('tab', { name: /Attachments/ }).click();
    const [csv] = await Promise.all([page!.waitForEvent('download'), page!.getByText('figures.csv').click()]);
    expect(csv.suggestedFilename()).toBe('figures.csv');
    const path = await csv.path();
    expect(readFileSync(path!, 'utf-8').replace(/\r\n/g, '\n').trim()).toBe('a,b\n1,2');
    // Opened: read, everywhere.
    await expect(row.getAttribute('class')).resolves.toContain('read');
    const listed = await (await fetch(`${relay.url}/api/v1/messages?q=subject:"Live one"`)).json();
    expect(listed.messages[0].read).toBe(true);
    expect(errors).toEqual([]);
  });

  test('after the 250: a message shows its delivery, bounce, open and click as the clock plays them', async () => {
    const { errors } = await open('/#/inbox');
    await page!.getByTestId('counts').waitFor();
    // A webhook receiver for the bounces, added through the provider's API v3.
    const receiver = await tripwire();
    const added = await fetch(`${relay.url}/v3/webhook/add`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Smtp2go-Api-Key': ADMIN_KEY },
      body: JSON.stringify({ url: `${receiver.url}/hooks`, events: ['bounce'] }),
    });
    expect(added.status).toBe(200);
    const hookId = (await added.json()).data.id;
    const reply = smtplibSend(relay.smtpPort, {
      to: ['click@readers.example', 'bounce@gone.example'],
      message: mail({ From: 'me@example.com', To: 'click@readers.example', Subject: 'Outcomes one' }, 'Read https://shop.example/p/1 now'),
    });
    expect(reply.code).toBe(250);
    await page!.getByTestId('message-list').locator('li', { hasText: 'Outcomes one' }).locator('a').click();
    await page!.getByRole('heading', { name: 'Outcomes one' }).waitFor();
    await page!.getByRole('tab', { name: 'Delivery' }).click();
    const table = page!.getByTestId('deliveries');
    await table.getByText('hard_bounce').waitFor();
    await expect(table.textContent()).resolves.toContain('550 5.1.1 <bounce@gone.example>');
    await expect(table.getByText('delivered').count()).resolves.toBe(1);
    // The open and the click come a minute and two later: the clock, moved, plays them live.
    await fetch(`${relay.url}/api/v1/clock`, { method: 'POST', body: '{"advance": "5m"}' });
    await table.getByText('click', { exact: true }).waitFor();
    await expect(table.textContent()).resolves.toContain('url https://shop.example/p/1');
    await expect(table.getByText('open', { exact: true }).count()).resolves.toBe(1);
    // The bounce went to the webhook: its POST is listed with the receiver's answer.
    const posts = page!.getByTestId('webhook-posts');
    await posts.getByText('bounce@gone.example').waitFor();
    await expect(posts.textContent()).resolves.toMatch(/200\s*delivered/);
    expect(receiver.hits).toEqual(['/hooks']);
    // The Account view lists the hook and its latest post.
    await open('/#/account');
    const hooks = page!.getByTestId('webhooks');
    await hooks.getByText(`${receiver.url}/hooks`).waitFor();
    await hooks.getByText('200 delivered').waitFor();
    await receiver.close();
    const removed = await fetch(`${relay.url}/v3/webhook/remove`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Smtp2go-Api-Key': ADMIN_KEY },
      body: JSON.stringify({ id: hookId }),
    });
    expect(removed.status).toBe(200);
    // The account as the file says again, for the tests after this one.
    await fetch(`${relay.url}/api/v1/config/reload`, { method: 'POST', body: '{"keep_overrides": false}' });
    await fetch(`${relay.url}/api/v1/clock`, { method: 'POST', body: '{"reset": true}' });
    expect(errors).toEqual([]);
  });

  test('search, keys j/k, /, and Delete', async () => {
    for (const s of ['Alpha report', 'Beta report', 'Gamma note'])
      smtplibSend(relay.smtpPort, { message: mail({ From: 'me@example.com', To: 'team@example.org', Subject: s }, 'x') });
    await open('/#/inbox');
    await page!.getByTestId('message-list').locator('li', { hasText: 'Gamma note' }).waitFor();
    await page!.keyboard.press('/');
    await page!.keyboard.type('subject:report');
    await page!.keyboard.press('Enter');
    await page!.waitForFunction(() => document.querySelectorAll('[data-testid=message-list] li').length === 2);
    await page!.locator('body').click({ position: { x: 5, y: 300 } });
    await page!.keyboard.press('j');
    await page!.getByRole('heading', { name: 'Beta report' }).waitFor();
    await page!.keyboard.press('j');
    await page!.getByRole('heading', { name: 'Alpha report' }).waitFor();
    await page!.keyboard.press('k');
    await page!.getByRole('heading', { name: 'Beta report' }).waitFor();
    await page!.keyboard.press('Delete');
    await page!.waitForFunction(() => document.querySelectorAll('[data-testid=message-list] li').length === 1);
    const left = await (await fetch(`${relay.url}/api/v1/messages?q=subject:report`)).json();
    expect(left.messages.map((m: { subject: string }) => m.subject)).toEqual(['Alpha report']);
  });

  test('a message written to attack the page runs nothing and reaches no network until images are allowed', async () => {
    const trap = await tripwire();
    try {
      const html = [
        '<html><head><meta http-equiv="refresh" content="0;url=' + trap.url + '/refresh">',
        `<link rel="stylesheet" href="${trap.url}/css"><style>@import url(${trap.url}/import); body{background:url(${trap.url}/bg)}</style></head>`,
        '<body><p id="x">safe text</p>',
        '<script>parent.document.title="owned"; fetch("' + trap.url + '/script")</script>',
        `<img src="nope" onerror="fetch('${trap.url}/onerror')">`,
        `<img id="pixel" src="${trap.url}/pixel.gif">`,
        '<a id="js" href="javascript:parent.document.title=\'owned2\'">click me</a>',
        `<form action="${trap.url}/form"><input name="q" value="v"><button id="submit">go</button></form>`,
        '</body></html>',
      ].join('\n');
      smtplibSend(relay.smtpPort, {
        message: mail(
          {
            From: '"<img src=x onerror=alert(1)>" <me@example.com>',
            To: 'you@example.org',
            Subject: '<script>alert("subject")</script> \u202Egnp.exe',
            'MIME-Version': '1.0',
            'Content-Type': 'multipart/mixed; boundary=z',
          },
          [
            '--z',
            'Content-Type: text/html; charset=utf-8',
            '',
            html,
            '--z',
            'Content-Type: text/html; name="<img src=x onerror=alert(2)>.html"',
            'Content-Disposition: attachment; filename="<img src=x onerror=alert(2)>.html"',
            '',
            '<script>alert(3)</script>',
            '--z--',
          ].join('\n'),
        ),
      });
      const { errors } = await open('/#/inbox');
      const row = page!.getByTestId('message-list').locator('li', { hasText: 'gnp.exe' });
      await row.waitFor();
      // Written as text, the right-to-left override made visible.
      await expect(row.locator('.subject').textContent()).resolves.toContain('<script>alert("subject")</script>');
      await expect(row.locator('.subject').textContent()).resolves.toContain('U+202E');
      await row.locator('a').click();
      const frame = page!.frameLocator('iframe.html-frame');
      await expect(frame.locator('#x').textContent()).resolves.toBe('safe text');
      await page!.getByTestId('remote-blocked').waitFor();
      await frame.locator('#js').click();
      await frame.locator('#submit').click().catch(() => {});
      await page!.waitForTimeout(1500);
      expect(trap.hits).toEqual([]);
      expect(await page!.title()).toBe('relaymock');
      // The attachment's hostile name is text too, and it downloads rather than renders.
      await page!.getByRole('tab', { name: /Attachments/ }).click();
      await expect(page!.locator('.attachments').textContent()).resolves.toContain('<img src=x onerror=alert(2)>.html');
      // Allowing images loads the remote image, and still no script runs.
      await page!.getByRole('tab', { name: 'HTML' }).click();
      await page!.getByRole('button', { name: 'Show remote images' }).click();
      await expect(frame.locator('#pixel')).toBeDefined();
      await page!.waitForFunction(() => true);
      // Loaded as soon as the frame reloads; a loaded machine (the suite runs in parallel, under
      // ThreadSanitizer too) has taken over 20 s.
      for (let i = 0; i < 600 && !trap.hits.includes('/pixel.gif'); i++) await page!.waitForTimeout(100);
      expect(trap.hits).toContain('/pixel.gif');
      expect(trap.hits.filter((h) => ['/script', '/onerror', '/refresh', '/form'].some((x) => h.startsWith(x)))).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await trap.close();
    }
  }, 120_000);

  test('at 360 px one pane at a time', async () => {
    smtplibSend(relay.smtpPort, { message: mail({ From: 'me@example.com', To: 'a@example.org', Subject: 'Narrow one' }, 'x') });
    await open('/#/inbox', { width: 360 });
    const row = page!.getByTestId('message-list').locator('li', { hasText: 'Narrow one' });
    await row.locator('a').click();
    await page!.getByRole('heading', { name: 'Narrow one' }).waitFor();
    expect(await page!.getByTestId('message-list').isVisible()).toBe(false);
    await page!.getByRole('link', { name: '← Inbox' }).click();
    await page!.getByTestId('message-list').waitFor({ state: 'visible' });
    const overflow = await page!.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });
});

describe('decisions', () => {
  test('a refused send shows its exact reply, rule, reason and transcript', async () => {
    await open('/#/decisions');
    await page!.getByTestId('event-list').waitFor();
    const reply = smtplibSend(relay.smtpPort, {
      message: mail({ From: 'me@shop.example', To: 'you@example.org', Subject: 'unverified' }, 'x'),
    });
    expect(reply.code).toBe(550);
    const row = page!.getByTestId('event-list').locator('li', { hasText: 'from_header_unverified' }).first();
    await row.waitFor({ timeout: 5000 });
    await row.locator('a').click();
    await expect(page!.getByTestId('reply').textContent()).resolves.toBe(
      '550-From header sender domain not verified (shop.example)\n' +
        '550-On your Sending > Verified Senders page\n' +
        '550 verify the sender domain or email to be allowed to send.',
    );
    await expect(page!.getByTestId('detail').textContent()).resolves.toContain('shop.example');
    // Every check in order: the From rule failed, with the nearest fix.
    const failed = page!.locator('table.checks tr.fail');
    await expect(failed.textContent()).resolves.toContain('from_header');
    await expect(failed.locator('.fix').textContent()).resolves.toContain('to account.verified_domains');
    await expect(page!.locator('table.checks tbody tr').count()).resolves.toBe(8);
    const transcript = page!.locator('.transcript pre');
    await expect(transcript.textContent()).resolves.toContain('C: mail FROM:<me@example.com>');
    await expect(transcript.textContent()).resolves.toContain('S: 550-From header sender domain not verified');
    // Explained again from the event: the same reply, nothing sent; then with
    // a verified From: header the same send would be accepted.
    await page!.getByRole('link', { name: 'Explain again' }).click();
    await expect(page!.getByLabel('Envelope sender').inputValue()).resolves.toBe('me@example.com');
    await page!.getByLabel('From: header').fill('me@shop.example');
    await page!.getByRole('button', { name: 'Explain' }).click();
    await expect(page!.getByTestId('explain-reply').textContent()).resolves.toBe(
      '550-From header sender domain not verified (shop.example)\n' +
        '550-On your Sending > Verified Senders page\n' +
        '550 verify the sender domain or email to be allowed to send.',
    );
    await expect(page!.getByTestId('explain-fix').textContent()).resolves.toContain('add shop.example to account.verified_domains');
    await page!.getByLabel('From: header').fill('me@example.com');
    await page!.getByRole('button', { name: 'Explain' }).click();
    await page!.getByTestId('explain-result').locator('.pill.good', { hasText: 'accepted' }).waitFor();
    await page!.goBack();
    await page!.getByTestId('event-list').waitFor();
    // Filtered by rule, only that rule.
    await page!.getByLabel('Rule').fill('from_header_*');
    await page!.getByRole('button', { name: 'Filter' }).click();
    await page!.waitForFunction(() =>
      [...document.querySelectorAll('[data-testid=event-list] .rule')].every((e) => e.textContent!.startsWith('from_header')),
    );
  });
});

describe('account and controls', () => {
  test('advancing the clock frees a rate gauge', async () => {
    // 127.0.0.2 may send one recipient an hour.
    const first = await fetch(`${relay.url}/api/v1/usage`).then((r) => r.json());
    expect(first.rate_limits[0].used).toBe(0);
    const sent = spawnSend('127.0.0.2');
    expect(sent).toContain('250');
    await open('/#/account');
    const gauge = page!.getByTestId('gauge-ip:127.0.0.2');
    await expect(gauge.textContent()).resolves.toContain('1 / 1');
    await page!.goto(`${relay.url}/#/controls`);
    await page!.getByLabel('Advance by').fill('61m');
    await page!.getByRole('button', { name: 'Advance' }).click();
    await page!.getByText('Advanced by 61m.').waitFor();
    await page!.goto(`${relay.url}/#/account`);
    await expect(page!.getByTestId('gauge-ip:127.0.0.2').textContent()).resolves.toContain('0 / 1');
    await fetch(`${relay.url}/api/v1/clock`, { method: 'POST', body: '{"reset": true}' });
  });

  test("a user the provider's API adds shows at once with its change; the YAML holds it; dropping the changes restores the file", async () => {
    await open('/#/account');
    await page!.getByText('None: the account is as the file says.').waitFor();
    const added = await fetch(`${relay.url}/v3/users/smtp/add`, {
      method: 'POST',
      headers: { 'X-Smtp2go-Api-Key': ADMIN_KEY, 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'tenant-ui', email_password: 'pw-ui' }),
    });
    expect(added.status).toBe(200);
    // No reload: the change's event brings the view up to date.
    await page!.getByRole('cell', { name: 'tenant-ui', exact: true }).waitFor();
    await page!.getByRole('cell', { name: '/v3/users/smtp/add' }).waitFor();
    await expect(page!.getByRole('cell', { name: 'e2e-admin', exact: true }).count()).resolves.toBeGreaterThan(0);
    const download = page!.waitForEvent('download');
    await page!.getByRole('link', { name: 'Download the running config as YAML' }).click();
    const yaml = readFileSync((await (await download).path())!, 'utf-8');
    expect(yaml).toContain('username: tenant-ui');
    expect(yaml).toContain('password: pw-ui');
    await page!.getByRole('button', { name: 'Drop them: the file alone' }).click();
    await page!.getByText('None: the account is as the file says.').waitFor();
    await expect(page!.getByRole('cell', { name: 'tenant-ui', exact: true }).count()).resolves.toBe(0);
  });

  test("switching a port's fault refuses clients, and restoring it lets them in", async () => {
    await open('/#/controls');
    const select = page!.getByLabel(`Fault for port ${relay.smtpPort}`);
    await select.selectOption('refuse');
    await page!.getByRole('form', { name: `Fault of port ${relay.smtpPort}` }).getByRole('button', { name: 'Apply' }).click();
    await page!.getByText(`Port ${relay.smtpPort}: refuse.`).waitFor();
    expect(smtplibConnect(relay.smtpPort)).toBe('ConnectionRefusedError');
    await select.selectOption('none');
    await page!.getByRole('form', { name: `Fault of port ${relay.smtpPort}` }).getByRole('button', { name: 'Apply' }).click();
    await page!.getByText(`Port ${relay.smtpPort}: none.`).waitFor();
    expect(smtplibConnect(relay.smtpPort)).toBe('connected 250');
  });

  test('a scenario pasted as YAML is listed, fires, and is removed', async () => {
    await open('/#/controls');
    await page!.getByText('Paste a scenario as YAML').click();
    await page!.getByLabel('Scenario (the config').fill('name: full-box\nstage: rcpt\nmatch: { recipient: "*@full.example" }\nreply: "552 Mailbox full"');
    await page!.locator('form:has(#scenario-yaml)').getByRole('button', { name: 'Add' }).click();
    await page!.getByRole('cell', { name: 'full-box', exact: true }).waitFor();
    const r = smtplibSend(relay.smtpPort, { to: ['x@full.example'], message: mail({ From: 'me@example.com', Subject: 's' }, 'x') });
    expect(r).toEqual({ code: 552, text: 'Mailbox full' });
    await page!.getByRole('button', { name: 'Remove scenario full-box' }).click();
    await page!.getByText('No scenarios.').waitFor();
    // A bad one is refused with its reason.
    await page!.getByLabel('Scenario (the config').fill('name: bad\nstage: nowhere');
    await page!.locator('form:has(#scenario-yaml)').getByRole('button', { name: 'Add' }).click();
    await page!.getByRole('alert').waitFor();
    await expect(page!.getByRole('alert').textContent()).resolves.toContain('stage');
  });

  test('an outcome rule added in the form decides what happens after the 250, until removed', async () => {
    await open('/#/controls');
    await page!.getByText('Add an outcome rule').click();
    const card = page!.locator('section', { has: page!.getByRole('heading', { name: 'Outcome rules' }) });
    await card.getByLabel('Name', { exact: true }).fill('vip-bounces');
    await card.getByLabel('Recipient (glob)').fill('*@vip.example');
    await card.locator('form.grid-form select').selectOption('hard_bounce');
    await card.getByLabel('Remote reply').fill('550 5.1.1 <{rcpt}>: no such VIP');
    await card.locator('form.grid-form').getByRole('button', { name: 'Add' }).click();
    await card.getByRole('cell', { name: 'vip-bounces', exact: true }).waitFor();
    const sent = smtplibSend(relay.smtpPort, { to: ['anna@vip.example'], message: mail({ From: 'me@example.com', Subject: 'vip' }, 'x') });
    expect(sent.code).toBe(250);
    const evs = await (await fetch(`${relay.url}/api/v1/events?stage=delivery&rule=hard_bounce&recipient=anna@vip.example&wait=10s&min=1`)).json();
    expect(evs.events[0].reply).toBe('550 5.1.1 <anna@vip.example>: no such VIP');
    expect(evs.events[0].detail).toContain('by rule vip-bounces');
    await card.getByRole('button', { name: 'Remove outcome rule vip-bounces' }).click();
    await card.getByText('No outcome rules').waitFor();
    const left = await (await fetch(`${relay.url}/api/v1/outcomes`)).json();
    expect(left.added_rules).toEqual([]);
    // A bad one is refused with the config's reason.
    await page!.getByText('Paste an outcome rule as YAML').click();
    await page!.getByLabel('Outcome rule (an outcomes.rules entry)').fill('name: bad\noutcome: explode');
    await page!.locator('form:has(#outcome-yaml)').getByRole('button', { name: 'Add' }).click();
    await card.getByRole('alert').waitFor();
    await expect(card.getByRole('alert').textContent()).resolves.toContain('outcome');
  });

  test('reloading a broken config shows its FILE:LINE:COL errors and keeps the old one', async () => {
    const good = readFileSync(relay.configPath, 'utf-8');
    writeFileSync(relay.configPath, good + '\nnot_a_key: 1\n');
    try {
      await open('/#/controls');
      await page!.getByRole('button', { name: 'Reload the config' }).click();
      const errs = page!.getByTestId('config-errors');
      await errs.waitFor();
      await expect(errs.textContent()).resolves.toMatch(new RegExp(`${relay.configPath}:\\d+:\\d+: .*not_a_key`));
    } finally {
      writeFileSync(relay.configPath, good);
    }
  });
});

// The same send from another loopback address (127.0.0.2), which the
// config gives a rate limit of 1 an hour.
function spawnSend(source: string): string {
  const r = spawnSync(
    'python3',
    [
      '-c',
      `import smtplib\ns = smtplib.SMTP("127.0.0.1", ${relay.smtpPort}, source_address=("${source}", 0), timeout=10)\n` +
        `s.sendmail("me@example.com", ["r@example.org"], b"From: me@example.com\\r\\nSubject: limited\\r\\n\\r\\nx\\r\\n")\nprint("250")\ns.quit()`,
    ],
    { encoding: 'utf-8' },
  );
  return r.stdout + r.stderr;
}
