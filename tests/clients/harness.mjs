// What the client tests stand on: a real relaymock on free loopback ports
// with its Mailpit and MailHog doors open, mail sent with nodemailer, and
// small loopback servers (a web server for link checks, a spamd).
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { deflateSync } from 'node:zlib';
import nodemailer from 'nodemailer';

const here = new URL('.', import.meta.url).pathname;
export const bin = process.env.RELAYMOCK_BIN || resolve(here, '../../build/relaymock');

const handedOut = new Set();

// A loopback port below Linux's ephemeral range (32768-60999), so that the
// outgoing connections of tests running beside this one cannot take it
// between this check and the server's bind.
export async function freePort() {
  for (let i = 0; i < 2000; i++) {
    const port = 20000 + Math.floor(Math.random() * 12768);
    if (handedOut.has(port)) continue;
    const ok = await new Promise((res) => {
      const s = createNetServer();
      s.once('error', () => res(false));
      s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
    });
    if (ok) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port');
}

// relaymock with the Mailpit profile's account rules (any sender, any
// client), its Mailpit and MailHog doors with `mailpit` and `mailhog` (YAML
// lines under compat.mailpit / compat.mailhog, indented four spaces), and
// `extra` (top-level YAML).
export async function startRelay({ mailpit = '', mailhog = '', extra = '', ports = {} } = {}) {
  const smtpPort = await freePort();
  const httpPort = await freePort();
  const mailpitPort = ports.mailpit ?? (await freePort());
  const mailhogPort = ports.mailhog ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'relaymock-clients-'));
  const configPath = join(dir, 'relaymock.yaml');
  const text = `server:
  hostname: relay.test
  listeners: [{ address: 127.0.0.1, port: ${smtpPort}, tls: none }]
account:
  restrict_senders: { mode: blocklist, entries: [] }
  allow_blank_sender: true
ip_auth:
  - { ip: 127.0.0.1, status: allowed }
http:
  listen: "127.0.0.1:${httpPort}"
compat:
  mailpit:
    listen: "127.0.0.1:${mailpitPort}"
${mailpit}
  mailhog:
    listen: "127.0.0.1:${mailhogPort}"
${mailhog}
${extra}
`;
  writeFileSync(configPath, text);
  const control = `http://127.0.0.1:${httpPort}`;
  const { log, stop } = await runRelay(dir, configPath, control);
  return {
    smtpPort,
    httpPort,
    control,
    mailpit: `http://127.0.0.1:${mailpitPort}`,
    mailpitPort,
    mailhog: `http://127.0.0.1:${mailhogPort}`,
    mailhogPort,
    log,
    stop,
  };
}

// Starts relaymock on a config file in `dir` and waits until `control`
// answers /readyz; stop() ends it and removes `dir`.
export async function runRelay(dir, configPath, control) {
  let out = '';
  const proc = spawn(bin, ['--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`relaymock exited ${proc.exitCode}: ${out}`);
    try {
      const r = await fetch(`${control}/readyz`);
      if (r.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`relaymock did not become ready: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const stop = async () => {
    if (proc.exitCode === null) {
      proc.kill('SIGTERM');
      await new Promise((r) => {
        const t = setTimeout(() => (proc.kill('SIGKILL'), r()), 10_000);
        proc.once('exit', () => (clearTimeout(t), r()));
      });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { log: () => out, stop };
}

export function transport(relay) {
  return nodemailer.createTransport({ host: '127.0.0.1', port: relay.smtpPort, secure: false, ignoreTLS: true });
}

// A small real PNG (an RGB gradient), for thumbnails.
export function png(width = 64, height = 48) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const rows = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) {
      row[1 + x * 3] = (x * 255) / width;
      row[2 + x * 3] = (y * 255) / height;
      row[3 + x * 3] = 128;
    }
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// A spamd that answers every REPORT with `report` (SPAMC/1.5 framing).
export async function fakeSpamd(report, { spam = true, score = '6.5', threshold = '5.0' } = {}) {
  const port = await freePort();
  const requests = [];
  const server = createNetServer((sock) => {
    let got = Buffer.alloc(0);
    sock.on('data', (d) => (got = Buffer.concat([got, d])));
    sock.on('end', () => {
      requests.push(got.toString('latin1'));
      const body = Buffer.from(report);
      sock.end(
        `SPAMD/1.1 0 EX_OK\r\nContent-length: ${body.length}\r\nSpam: ${spam ? 'True' : 'False'} ; ${score} / ${threshold}\r\n\r\n` +
          report,
      );
    });
    sock.on('error', () => {});
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return { port, requests, close: () => new Promise((r) => server.close(r)) };
}
