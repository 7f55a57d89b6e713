// Signing in with http.admin_token, every API call refused without it, and
// no serious accessibility violation (axe-core) in any view, light or dark.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { Browser, Page } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';
import { baseConfig, launch, mail, newPage, Relay, shoot, smtplibSend, startRelay } from './harness';

let browser: Browser;
let relay: Relay;
let page: Page | undefined;
const token = 's3cret token; with=odd chars';

beforeAll(async () => {
  browser = await launch();
  relay = await startRelay(
    `${baseConfig}
smtp_users:
  - { username: app, password: pw, rate_limit: { count: 10, per: 1h } }
`,
    { adminToken: token },
  );
  smtplibSend(relay.smtpPort, { message: mail({ From: 'me@example.com', To: 'a@example.org', Subject: 'for axe' }, 'x') });
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

async function signIn(p: Page) {
  await p.goto(relay.url + '/');
  await p.getByLabel('Admin token').fill(token);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.getByRole('navigation', { name: 'Views' }).waitFor();
}

describe('sign-in', () => {
  test('every API call is refused without the token, by header or cookie', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/messages'],
      ['GET', '/api/v1/live'],
      ['GET', '/api/v1/events'],
      ['GET', '/api/v1/config'],
      ['GET', '/api/v1/usage'],
      ['PUT', '/api/v1/messages'],
      ['DELETE', '/api/v1/messages'],
      ['POST', '/api/v1/clock'],
      ['GET', '/api/v1/messages/x/html'],
      ['GET', '/api/v1/messages/x/part/1'],
      ['POST', '/api/v1/reset'],
    ]) {
      const r = await fetch(relay.url + path, { method });
      expect(r.status, `${method} ${path}`).toBe(401);
      const forged = await fetch(relay.url + path, { method, headers: { Cookie: 'relaymock_ui=00' } });
      expect(forged.status, `${method} ${path} with a forged cookie`).toBe(401);
    }
    // The page itself and sign-in load without it.
    expect((await fetch(relay.url + '/')).status).toBe(200);
    expect(await (await fetch(relay.url + '/api/v1/signin')).json()).toEqual({ required: true, signed_in: false });
  });

  test('the page asks for the token, refuses a wrong one, and opens with the right one', async () => {
    const p = await newPage(browser);
    page = p.page;
    await page.goto(relay.url + '/');
    await page.getByLabel('Admin token').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('not the admin token');
    await page.getByLabel('Admin token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('message-list').locator('li', { hasText: 'for axe' }).waitFor();
    // The cookie holds no token, is HttpOnly and stays on this site.
    const cookies = await p.context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ name: 'relaymock_ui', httpOnly: true, sameSite: 'Strict' });
    expect(cookies[0].value).not.toContain('s3cret');
    // A cross-site page cannot use it to change anything.
    const same = await page.evaluate(async (url) => {
      const r = await fetch(url + '/api/v1/messages', { method: 'PUT', body: '{"read": false}' });
      return r.status;
    }, relay.url);
    expect(same).toBe(200);  // from the UI's own origin: allowed
    const cross = await p.context.request.put(relay.url + '/api/v1/messages', {
      headers: { Origin: 'http://evil.example' },
      data: { read: true },
    });
    expect(cross.status()).toBe(403);
    // Signing out signs out.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin token').waitFor();
    expect(await (await p.context.request.get(relay.url + '/api/v1/messages')).status()).toBe(401);
  });
});

describe('accessibility', () => {
  for (const dark of [false, true])
    test(`no serious violation in any view (${dark ? 'dark' : 'light'})`, async () => {
      const p = await newPage(browser, { dark });
      page = p.page;
      await signIn(page);
      const found: string[] = [];
      for (const view of ['inbox', 'decisions', 'explain', 'account', 'controls']) {
        await page.goto(`${relay.url}/#/${view}`);
        await page.waitForTimeout(400);
        if (view === 'explain') {
          // With an answer on the page: the reply, the fix, the checks table.
          await page.getByLabel('Envelope sender').fill('me@example.com');
          await page.getByLabel('From: header').fill('me@shop.example');
          await page.getByLabel('Recipients').fill('a@example.org');
          await page.getByRole('button', { name: 'Explain' }).click();
          await page.getByTestId('explain-fix').waitFor();
        }
        if (view === 'inbox') {
          await page.getByTestId('message-list').locator('li').first().locator('a').click();
          await page.locator('iframe.html-frame, .body-text').first().waitFor();
        }
        const r = await new AxeBuilder({ page }).exclude('iframe').analyze();
        for (const v of r.violations)
          if (v.impact === 'serious' || v.impact === 'critical')
            found.push(`${view}: ${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ') + ' ' + (n.failureSummary || '')).join(', ')}`);
      }
      expect(found).toEqual([]);
    });
});
