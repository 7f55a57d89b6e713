// The README's screenshots of each main view, on a relay filled the way a
// staging team's would be: a few messages, a refusal, a rate limit in use.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, test } from 'vitest';
import { Browser } from 'playwright-core';
import { baseConfig, launch, mail, newPage, Relay, smtplibSend, startRelay } from './harness';

const out = resolve(new URL('.', import.meta.url).pathname, '../../docs/screenshots');
let browser: Browser;
let relay: Relay;

beforeAll(async () => {
  mkdirSync(out, { recursive: true });
  browser = await launch();
  relay = await startRelay(`${baseConfig}
  - { ip: 127.0.0.2, rate_limit: { count: 50, per: 1h } }
smtp_users:
  - { username: app, password: app-password, rate_limit: { count: 100, per: 1d } }
account:
  verified_domains: [example.com]
  quota: { monthly: 10000, cycle_day: 1 }
scenarios:
  - { name: mailbox-full, stage: rcpt, match: { recipient: "*@full.example" }, times: 3, reply: "552 Mailbox full" }
`.replace('account:\n  verified_domains: [example.com]\nip_auth', 'ip_auth'));
  const html = (title: string, body: string) =>
    mail(
      { From: 'Shop <orders@example.com>', To: 'Ann Lee <ann@example.org>', Subject: title, 'MIME-Version': '1.0', 'Content-Type': 'text/html; charset=utf-8' },
      `<h2 style="font-family:sans-serif">${title}</h2><p style="font-family:sans-serif">${body}</p>`,
    );
  smtplibSend(relay.smtpPort, { message: html('Your order #1042 has shipped', 'It arrives on Tuesday. Track it any time from your account.') });
  smtplibSend(relay.smtpPort, { message: mail({ From: 'billing@example.com', To: 'finance+q4@example.org', Subject: 'Invoice 2026-118', 'X-Tags': 'billing' }, 'Please find the invoice attached.') });
  smtplibSend(relay.smtpPort, { message: html('Reset your password', 'Someone asked to reset your password. The link works for one hour.') });
  smtplibSend(relay.smtpPort, { message: mail({ From: 'me@shop.example', To: 'you@example.org', Subject: 'From an unverified domain' }, 'x') });
  smtplibSend(relay.smtpPort, { to: ['x@full.example'], message: mail({ From: 'me@example.com', Subject: 'To a full box' }, 'x') });
});

afterAll(async () => {
  await browser?.close();
  await relay?.stop();
});

test('screenshots', async () => {
  const { page } = await newPage(browser, { width: 1280, height: 760 });
  await page.goto(`${relay.url}/#/inbox`);
  await page.getByTestId('message-list').locator('li').nth(2).waitFor();
  await page.screenshot({ path: `${out}/inbox.png` });
  await page.getByTestId('message-list').locator('li', { hasText: 'shipped' }).locator('a').click();
  await page.frameLocator('iframe.html-frame').locator('h2').waitFor();
  await page.screenshot({ path: `${out}/message.png` });
  await page.goto(`${relay.url}/#/decisions`);
  await page.getByTestId('event-list').locator('li', { hasText: 'from_header_unverified' }).first().locator('a').click();
  await page.locator('.transcript pre').waitFor();
  await page.screenshot({ path: `${out}/decisions.png` });
  await page.goto(`${relay.url}/#/account`);
  await page.getByRole('heading', { name: 'Rate limits' }).waitFor();
  await page.screenshot({ path: `${out}/account.png` });
  await page.goto(`${relay.url}/#/controls`);
  await page.getByRole('heading', { name: 'Scenarios' }).waitFor();
  await page.screenshot({ path: `${out}/controls.png` });
  const phone = await newPage(browser, { width: 360, height: 720, dark: true });
  await phone.page.goto(`${relay.url}/#/inbox`);
  await phone.page.getByTestId('message-list').locator('li').nth(2).waitFor();
  await phone.page.screenshot({ path: `${out}/inbox-phone-dark.png` });
});
