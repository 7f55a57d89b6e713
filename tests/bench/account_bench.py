#!/usr/bin/python3
"""What the account API v3 costs as the account grows (not a test: prints
figures). Adds N SMTP users one request at a time over one keep-alive
connection and reports each thousand's latency (median, p99), then the
time a reload takes to replay all N changes, the time a durable restart
takes to replay them, the server's RSS, and an AUTH+RCPT with N users.

    /usr/bin/python3 tests/bench/account_bench.py [--users 10000] [--bin build/relaymock]
"""
import argparse
import http.client
import json
import os
import smtplib
import socket
import statistics
import subprocess
import tempfile
import time

KEY = "api-" + "B" * 32


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(binary, directory, smtp, http_port, durable):
    cfg = os.path.join(directory, "relaymock.yaml")
    storage = f"storage:\n  path: {os.path.join(directory, 'data')}\n" if durable else ""
    with open(cfg, "w") as f:
        f.write(f"""server:
  listeners: [{{ address: 127.0.0.1, port: {smtp}, tls: none }}]
account: {{ verified_domains: [example.com] }}
api_keys: [{{ key: {KEY}, name: bench }}]
http: {{ listen: "127.0.0.1:{http_port}" }}
log: {{ level: warning }}
{storage}""")
    proc = subprocess.Popen([binary, "--config", cfg], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 120:
        try:
            c = http.client.HTTPConnection("127.0.0.1", http_port, timeout=5)
            c.request("GET", "/readyz")
            if c.getresponse().status == 200:
                return proc, cfg, time.monotonic() - t0
        except OSError:
            pass
        time.sleep(0.02)
    proc.kill()
    raise RuntimeError("relaymock did not start")


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def add_users(http_port, n):
    conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=60)
    rows = []
    lat = []
    for i in range(n):
        body = json.dumps({"username": f"tenant-{i:06d}", "email_password": f"pw-{i}"})
        t0 = time.perf_counter()
        conn.request("POST", "/v3/users/smtp/add", body, {"X-Smtp2go-Api-Key": KEY, "Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        lat.append((time.perf_counter() - t0) * 1000)
        if r.status != 200:
            raise RuntimeError(f"add {i}: HTTP {r.status}")
        if (i + 1) % 1000 == 0 or i + 1 == n:
            part = sorted(lat)
            rows.append((i + 1, statistics.median(part), part[int(len(part) * 0.99) - 1]))
            lat = []
    return rows


def smtp_send(port, user, password):
    t0 = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.login(user, password)
        s.sendmail("a@example.com", ["b@dest.test"], "From: a@example.com\r\n\r\nx\r\n")
    return (time.perf_counter() - t0) * 1000


def run(binary, users, durable):
    mode = "durable" if durable else "memory"
    with tempfile.TemporaryDirectory(prefix="relaymock-account-bench-") as d:
        smtp, http_port = free_port(), free_port()
        proc, cfg, _ = start(binary, d, smtp, http_port, durable)
        try:
            rss0 = rss_mb(proc.pid)
            for done, median, p99 in add_users(http_port, users):
                print(f"{mode}: users/smtp/add up to {done:6d} users: median {median:6.2f} ms, p99 {p99:6.2f} ms")
            print(f"{mode}: RSS {rss0:.1f} MB before, {rss_mb(proc.pid):.1f} MB with {users} users added")
            print(f"{mode}: AUTH + one message as the last user: {smtp_send(smtp, f'tenant-{users - 1:06d}', f'pw-{users - 1}'):.1f} ms")
            c = http.client.HTTPConnection("127.0.0.1", http_port, timeout=60)
            c.request("POST", "/v3/domain/add", json.dumps({"domain": "one-more.test"}),
                      {"X-Smtp2go-Api-Key": KEY, "Content-Type": "application/json"})
            r = c.getresponse()
            print(f"{mode}: change {users + 1}: HTTP {r.status} {json.loads(r.read())['data'].get('error', '')[:90]}")
            c = http.client.HTTPConnection("127.0.0.1", http_port, timeout=300)
            t0 = time.perf_counter()
            c.request("POST", "/api/v1/config/reload", "{}", {"Content-Type": "application/json"})
            r = c.getresponse()
            kept = len(json.loads(r.read())["overrides"])
            print(f"{mode}: reload replaying {kept} changes: {(time.perf_counter() - t0) * 1000:.0f} ms")
            if durable:
                proc.kill()
                proc.wait()
                proc, _, took = start(binary, d, smtp, http_port, durable)
                print(f"{mode}: restart after kill -9 replaying {users} kept changes, until ready: {took * 1000:.0f} ms")
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=10000)
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "../../build/relaymock"))
    a = ap.parse_args()
    for durable in (False, True):
        run(a.bin, a.users, durable)


if __name__ == "__main__":
    main()
