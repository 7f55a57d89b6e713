#!/usr/bin/python3
"""What the outcomes after the 250 cost (not a test: prints figures). Sends M
messages of R recipients with smtplib over one connection, first to plain
addresses (delivered at once: nothing waits), then to click@ addresses (an
open and a click wait for the clock), and reports the SMTP rate of each,
how many events wait, the server's RSS before and after, and how long one
clock move takes to play everything that waits, and the rate it records.

    /usr/bin/python3 tests/bench/outcomes_bench.py [--messages 5000] [--rcpts 10] [--bin build/relaymock]
"""
import argparse
import contextlib
import http.client
import json
import os
import smtplib
import socket
import subprocess
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(port, method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    c.request(method, path, body=json.dumps(body) if body is not None else None)
    r = c.getresponse()
    return json.loads(r.read())


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024


def wait_idle(port, want_events, timeout=300):
    """Until the events log holds want_events (the scheduler caught up)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if api(port, "GET", "/api/v1/events?limit=1")["last_seq"] >= want_events:
            return time.monotonic() - t0
        time.sleep(0.05)
    raise RuntimeError("the scheduler did not catch up")


@contextlib.contextmanager
def relay_running(binary, body):
    """A relay on one plain listener and the HTTP API, with `body` added to its
    config, ready: yields (smtp port, http port, process); stopped after."""
    with tempfile.TemporaryDirectory() as d:
        smtp, http_port = free_port(), free_port()
        cfg = os.path.join(d, "relaymock.yaml")
        with open(cfg, "w") as f:
            f.write(f"""server:
  listeners: [{{ address: 127.0.0.1, port: {smtp}, tls: none }}]
http: {{ listen: "127.0.0.1:{http_port}" }}
log: {{ level: warning }}
""" + body)
        proc = subprocess.Popen([binary, "--config", cfg], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(200):
                try:
                    api(http_port, "GET", "/readyz")
                    break
                except OSError:
                    time.sleep(0.05)
            yield smtp, http_port, proc
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def send(smtp, messages, rcpts, local):
    t0 = time.monotonic()
    with smtplib.SMTP("127.0.0.1", smtp, timeout=60) as s:
        for i in range(messages):
            to = [f"{local}+{i}-{j}@r{j}.example" for j in range(rcpts)]
            s.sendmail("bench@example.com", to, b"From: bench@example.com\r\nSubject: b\r\n\r\nsee https://x.example/a\r\n")
    return messages / (time.monotonic() - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=5000)
    ap.add_argument("--rcpts", type=int, default=10)
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "..", "build", "relaymock"))
    a = ap.parse_args()
    body = """account: { verified_domains: [example.com] }
ip_auth: [{ ip: 127.0.0.1 }]
storage: { max_events: 10000000, max_event_bytes: 4000000000, max_messages: 100000 }
"""
    with relay_running(a.bin, body) as (smtp, http_port, proc):
        m, r = a.messages, a.rcpts
        rss0 = rss_mb(proc.pid)
        rate = send(smtp, m, r, "plain")
        events = m * (2 + r)  # accepted + processed + one delivered each
        lag = wait_idle(http_port, events)
        print(f"plain recipients: {m} messages x {r} rcpts at {rate:,.0f} msg/s; every event recorded "
              f"{lag:.2f} s after the last 250; waiting {api(http_port, 'GET', '/api/v1/outcomes?limit=1')['waiting_total']}")
        rss1 = rss_mb(proc.pid)
        rate = send(smtp, m, r, "click")
        events += m * (2 + r)
        wait_idle(http_port, events)
        waiting = api(http_port, "GET", "/api/v1/outcomes?limit=1")["waiting_total"]
        rss2 = rss_mb(proc.pid)
        print(f"click@ recipients: {rate:,.0f} msg/s; {waiting:,} events waiting for the clock; "
              f"RSS {rss0:.1f} -> {rss1:.1f} MB (plain) -> {rss2:.1f} MB (click); the second round grew "
              f"{rss2 - rss1 - (rss1 - rss0):.1f} MB more than the first: "
              f"{(rss2 - rss1 - (rss1 - rss0)) * 1024 * 1024 / max(waiting, 1):,.0f} B per waiting event")
        t0 = time.monotonic()
        api(http_port, "POST", "/api/v1/clock", {"advance": "1h"})
        wait_idle(http_port, events + waiting)
        took = time.monotonic() - t0
        print(f"one clock move played {waiting:,} events in {took:.2f} s ({waiting / took:,.0f} events/s); "
              f"waiting now {api(http_port, 'GET', '/api/v1/outcomes?limit=1')['waiting_total']}; RSS {rss_mb(proc.pid):.1f} MB")


if __name__ == "__main__":
    main()
