// What the end-to-end tests stand on: a real relaymock on free loopback
// ports, Debian's Chromium driven by playwright-core, mail sent with
// Python's smtplib, and a screenshot under the build folder when a test
// fails.
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, Browser, BrowserContext, Page } from 'playwright-core';

const here = new URL('.', import.meta.url).pathname;
export const bin = process.env.RELAYMOCK_BIN || resolve(here, '../../build/relaymock');
export const artifacts = process.env.RELAYMOCK_E2E_ARTIFACTS || resolve(here, '../../build/e2e-artifacts');
export const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createNetServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => ok(port));
    });
  });
}

export interface Relay {
  url: string;
  smtpPort: number;
  httpPort: number;
  configPath: string;
  dir: string;
  proc: ChildProcess;
  log: () => string;
  stop: () => Promise<void>;
}

// Starts relaymock on `yaml` (its listeners and http.listen are added here:
// one plain SMTP port and the HTTP port, both on loopback).
export async function startRelay(yaml = '', opts: { listeners?: string; adminToken?: string } = {}): Promise<Relay> {
  const smtpPort = await freePort();
  const httpPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'relaymock-e2e-'));
  const configPath = join(dir, 'relaymock.yaml');
  const listeners = opts.listeners ?? `[{ address: 127.0.0.1, port: ${smtpPort}, tls: none }]`;
  const token = opts.adminToken ? `  admin_token: "${opts.adminToken}"\n` : '';
  const text = `server:\n  hostname: relay.test\n  listeners: ${listeners}\nhttp:\n  listen: "127.0.0.1:${httpPort}"\n${token}${yaml}\n`;
  writeFileSync(configPath, text);
  let out = '';
  const proc = spawn(bin, ['--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`relaymock exited ${proc.exitCode}: ${out}`);
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`relaymock did not become ready: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const stop = async () => {
    if (proc.exitCode === null) {
      proc.kill('SIGTERM');
      await new Promise<void>((r) => {
        const t = setTimeout(() => (proc.kill('SIGKILL'), r()), 10_000);
        proc.once('exit', () => (clearTimeout(t), r()));
      });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { url, smtpPort, httpPort, configPath, dir, proc, log: () => out, stop };
}

// One message through smtplib, as an app would send it. Returns the
// server's reply to the whole transaction ("250 ..." or the refusal).
export function smtplibSend(
  port: number,
  opts: { from?: string; to?: string[]; message: string; login?: [string, string] },
): { code: number; text: string } {
  const script = `
import json, smtplib, sys
a = json.loads(sys.stdin.read())
s = smtplib.SMTP("127.0.0.1", a["port"], timeout=10)
try:
    if a.get("login"):
        s.login(*a["login"])
    refused = s.sendmail(a["from"], a["to"], a["message"].encode("utf-8"))
    print(json.dumps({"code": 250, "text": "accepted"}))
except smtplib.SMTPRecipientsRefused as e:
    code, text = list(e.recipients.values())[0]
    print(json.dumps({"code": code, "text": text.decode()}))
except smtplib.SMTPResponseException as e:
    print(json.dumps({"code": e.smtp_code, "text": e.smtp_error.decode()}))
finally:
    try:
        s.quit()
    except Exception:
        pass
`;
  const r = spawnSync('python3', ['-c', script], {
    input: JSON.stringify({
      port,
      from: opts.from ?? 'me@example.com',
      to: opts.to ?? ['you@example.org'],
      message: opts.message,
      login: opts.login,
    }),
    encoding: 'utf-8',
    timeout: 20_000,
  });
  if (r.status !== 0) throw new Error(`smtplib failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

// Whether a TCP connection to the port is refused.
export function smtplibConnect(port: number): string {
  const r = spawnSync(
    'python3',
    ['-c', `import smtplib\ntry:\n  s = smtplib.SMTP("127.0.0.1", ${port}, timeout=5); print("connected " + str(s.noop()[0])); s.quit()\nexcept Exception as e:\n  print(type(e).__name__)`],
    { encoding: 'utf-8', timeout: 20_000 },
  );
  return r.stdout.trim();
}

export function mail(headers: Record<string, string>, body: string): string {
  const h = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n');
  return `${h}\r\n\r\n${body.replace(/\r?\n/g, '\r\n')}\r\n`;
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

export async function newPage(browser: Browser, opts: { width?: number; height?: number; dark?: boolean } = {}) {
  const context: BrowserContext = await browser.newContext({
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 860 },
    colorScheme: opts.dark ? 'dark' : 'light',
    acceptDownloads: true,
  });
  const page: Page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  return { context, page, errors };
}

export async function shoot(page: Page | undefined, name: string): Promise<string | null> {
  if (!page) return null;
  mkdirSync(artifacts, { recursive: true });
  const file = join(artifacts, `${name.replace(/[^a-z0-9_-]+/gi, '_')}.png`);
  try {
    await page.screenshot({ path: file, fullPage: true });
    return file;
  } catch {
    return null;
  }
}

// A little HTTP server on loopback that counts what reaches it: where a
// message's remote images and scripts would go.
export async function tripwire(): Promise<{ url: string; hits: string[]; close: () => Promise<void> }> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url || '');
    res.writeHead(200, { 'Content-Type': 'image/gif', 'Access-Control-Allow-Origin': '*' });
    res.end(Buffer.from('R0lGODlhAQABAAAAACw=', 'base64'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    // Chromium keeps idle and preconnected sockets open; close() alone waits
    // for them (a minute, measured), so they are cut first.
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

export const baseConfig = `
account:
  verified_domains: [example.com]
ip_auth:
  - { ip: 127.0.0.1 }
`;
