#!/usr/bin/env python3
"""Figures for the Mailpit and MailHog doors (not a test: it prints).

Starts relaymock (build/relaymock, or $RELAYMOCK_BIN) with both doors on
loopback, fills the store with N messages over SMTP (a newsletter-sized HTML
body, an attachment every tenth), then times each read a suite makes: the
median of 7 requests after one warm-up.

    python3 tests/bench/compat_bench.py [N]     (default 10000)
"""
import http.client
import json
import os
import resource
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("RELAYMOCK_BIN", os.path.join(os.path.dirname(__file__), "../../build/relaymock"))
N = int(sys.argv[1]) if len(sys.argv) > 1 else 10000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def newsletter(i):
    rows = "".join(f'<tr><td style="padding:8px;font-family:Arial">Item {j} of issue {i}</td>'
                   f'<td><a href="https://shop.example/p/{j}">buy</a></td></tr>' for j in range(60))
    return (f'<html><head><style>.h{{color:#333;margin:0 1rem}} td a{{color:blue}} @media (max-width:600px)'
            f'{{.h{{display:none}}}}</style></head><body><h1 class="h">Issue {i}</h1><table width="600">{rows}'
            f'</table><img src="https://cdn.example/logo.png"></body></html>')


def get(port, path, method="GET"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    t = time.perf_counter()
    c.request(method, path)
    r = c.getresponse()
    body = r.read()
    took = (time.perf_counter() - t) * 1000
    c.close()
    assert r.status == 200, (path, r.status, body[:200])
    return took, body


def timed(port, path):
    get(port, path)
    samples = [get(port, path)[0] for _ in range(7)]
    return statistics.median(samples)


def main():
    smtp, http_port, mailpit, mailhog = free_port(), free_port(), free_port(), free_port()
    with tempfile.TemporaryDirectory() as d:
        cfg = os.path.join(d, "c.yaml")
        with open(cfg, "w") as f:
            f.write(f"""server:
  listeners: [{{ address: 127.0.0.1, port: {smtp}, tls: none }}]
account:
  restrict_senders: {{ mode: blocklist, entries: [] }}
ip_auth: [{{ ip: 127.0.0.1, status: allowed }}]
http: {{ listen: "127.0.0.1:{http_port}" }}
storage: {{ max_messages: {N + 10}, max_bytes: 10737418240 }}
log: {{ level: warning }}
compat:
  mailpit: {{ listen: "127.0.0.1:{mailpit}" }}
  mailhog: {{ listen: "127.0.0.1:{mailhog}" }}
""")
        proc = subprocess.Popen([BIN, "--config", cfg], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        try:
            for _ in range(200):
                try:
                    socket.create_connection(("127.0.0.1", smtp), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.05)
            t = time.time()
            with smtplib.SMTP("127.0.0.1", smtp) as s:
                for i in range(N):
                    html = newsletter(i)
                    att = ""
                    if i % 10 == 0:
                        att = ("--b\r\nContent-Type: application/pdf; name=r.pdf\r\nContent-Disposition: attachment; "
                               "filename=r.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n")
                    msg = (f"From: news{i % 50}@sender.example\r\nTo: reader{i}@rcpt.example\r\nSubject: Issue {i}\r\n"
                           f"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                           f"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n{att}--b--\r\n")
                    s.sendmail(f"news{i % 50}@sender.example", [f"reader{i}@rcpt.example"], msg.encode())
            print(f"{N} messages sent in {time.time() - t:.1f} s (each ~{len(newsletter(0)) // 1024} KB of HTML)")
            # The indexer reads each message once; wait until Mailpit's list shows all.
            for _ in range(600):
                _, body = get(mailpit, "/api/v1/messages?limit=1")
                if json.loads(body)["total"] == N:
                    break
                time.sleep(0.1)
            figures = [
                ("Mailpit GET /api/v1/messages (50)", mailpit, "/api/v1/messages"),
                ("Mailpit GET /api/v1/search subject:\"Issue 4242\"", mailpit, "/api/v1/search?query=subject%3A%22Issue%204242%22"),
                ("Mailpit GET /api/v1/search free text", mailpit, "/api/v1/search?query=reader777"),
                ("Mailpit GET /api/v1/message/latest", mailpit, "/api/v1/message/latest"),
                ("Mailpit GET .../html-check", mailpit, "/api/v1/message/latest/html-check"),
                ("MailHog GET /api/v2/messages (50)", mailhog, "/api/v2/messages"),
                ("MailHog GET /api/v2/search containing", mailhog, "/api/v2/search?kind=containing&query=reader777"),
                ("MailHog GET /api/v1/messages (1000)", mailhog, "/api/v1/messages"),
            ]
            for name, port, path in figures:
                print(f"{name}: {timed(port, path):.1f} ms")
            with open(f"/proc/{proc.pid}/status") as f:
                rss = next(l for l in f if l.startswith("VmRSS")).split()[1]
            print(f"server RSS: {int(rss) // 1024} MB")
        finally:
            proc.terminate()
            proc.wait(timeout=20)


main()
