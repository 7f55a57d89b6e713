#!/usr/bin/env python3
"""Soak benchmark (not a test): a long run of SMTP mail (smtp-source) while
long-polls, config reloads and clock moves go on against the same server.
Prints RSS, open descriptors and the counters' drift as it goes and at the
end. Every accepted recipient must be counted exactly once: the drift (quota
count, rate-limit count and accepted recipients against what smtp-source
sent) must be 0, and nothing may stay reserved.

  tests/bench/soak.py [--messages 1000000] [--durable] [--polls 20]

Needs smtp-source (Debian package postfix) and a built relaymock
(RELAYMOCK_BIN, default build/relaymock).
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BIN = os.environ.get("RELAYMOCK_BIN", os.path.join(ROOT, "build", "relaymock"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config(smtp, http, store, quota):
    text = f"""
server:
  listeners: [{{ address: 127.0.0.1, port: {smtp} }}]
  max_connections_per_ip: 1000
http: {{ listen: 127.0.0.1:{http} }}
account:
  verified_domains: [example.com]
  quota: {{ monthly: {quota} }}
ip_auth: [{{ ip: 127.0.0.1, rate_limit: {{ count: 100000000, per: 1h }} }}]
storage:
  max_messages: 20000
log: {{ level: warning }}
"""
    if store:
        text += f"  path: {store}\n"
    return text


def api(port, method, path, body=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"null")


def status(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--durable", action="store_true")
    ap.add_argument("--polls", type=int, default=20)
    ap.add_argument("--sessions", type=int, default=20)
    args = ap.parse_args()
    smtp, http = free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="relaymock-soak-") as tmp:
        store = os.path.join(tmp, "data") if args.durable else ""
        path = os.path.join(tmp, "soak.yaml")
        configs = [config(smtp, http, store, 50_000_000), config(smtp, http, store, 60_000_000)]
        with open(path, "w") as f:
            f.write(configs[0])
        log = open(os.path.join(tmp, "out.log"), "w")
        proc = subprocess.Popen([BIN, "--config", path], stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 10
            while time.time() < deadline:
                try:
                    api(http, "GET", "/readyz")
                    break
                except OSError:
                    time.sleep(0.05)
            # Mid-cycle, so that the clock moves below stay in one quota cycle
            # and well inside the rate limit's hour.
            api(http, "POST", "/api/v1/clock", {"set": "2026-12-15T00:00:00Z"})
            start_rss, start_fds = status(proc.pid, "VmRSS"), fds(proc.pid)
            print(f"start: RSS {start_rss} KiB, {start_fds} descriptors", flush=True)
            stop = threading.Event()
            counts = {"polls": 0, "reloads": 0, "clock_moves": 0, "errors": 0}
            lock = threading.Lock()

            def bump(k):
                with lock:
                    counts[k] += 1

            def poller(i):
                path = ("/api/v1/messages?subject=never-sent&wait=2s" if i % 2 else
                        "/api/v1/events?rule=never&wait=2s")
                while not stop.is_set():
                    try:
                        api(http, "GET", path)
                        bump("polls")
                    except OSError:
                        bump("errors")

            def reloader():
                n = 0
                while not stop.wait(2):
                    n += 1
                    with open(path, "w") as f:
                        f.write(configs[n % 2])
                    try:
                        api(http, "POST", "/api/v1/config/reload")
                        bump("reloads")
                    except OSError:
                        bump("errors")

            def clock_mover():
                # 10 s forward each second, 300 times at most: 50 minutes,
                # inside the rate limit's hour, so nothing leaves its window.
                moved = 0
                while not stop.wait(1) and moved < 300:
                    try:
                        api(http, "POST", "/api/v1/clock", {"advance": "10s"})
                        moved += 1
                        bump("clock_moves")
                    except OSError:
                        bump("errors")

            threads = [threading.Thread(target=poller, args=(i,)) for i in range(args.polls)]
            threads += [threading.Thread(target=reloader), threading.Thread(target=clock_mover)]
            for t in threads:
                t.start()
            sent, t0 = 0, time.time()
            chunk = 50_000
            try:
                while sent < args.messages:
                    n = min(chunk, args.messages - sent)
                    p = subprocess.run(["smtp-source", "-s", str(args.sessions), "-l", "512", "-m", str(n), "-d",
                                        "-f", "soak@example.com", "-t", "sink@example.org", "-S", "soak",
                                        f"127.0.0.1:{smtp}"], capture_output=True, text=True, timeout=3600)
                    if p.returncode != 0:
                        sys.exit(f"smtp-source failed: {p.stderr.strip()[:300]}")
                    sent += n
                    elapsed = time.time() - t0
                    print(f"{sent:>9} sent, {sent / elapsed:7.0f} msg/s, RSS {status(proc.pid, 'VmRSS')} KiB, "
                          f"{fds(proc.pid)} descriptors", flush=True)
            finally:
                stop.set()
                for t in threads:
                    t.join()
            elapsed = time.time() - t0
            usage = api(http, "GET", "/api/v1/usage")
            metrics = urllib.request.urlopen(f"http://127.0.0.1:{http}/metrics", timeout=30).read().decode()
            accepted = next(int(line.split()[1]) for line in metrics.splitlines()
                            if line.startswith("relaymock_recipients_accepted_total "))
            rate = usage["rate_limits"][0]
            print()
            print(f"{sent} messages in {elapsed:.0f} s ({sent / elapsed:.0f} msg/s), "
                  f"{'durable' if args.durable else 'memory'} mode")
            print(f"alongside: {counts['polls']} long-polls, {counts['reloads']} reloads, "
                  f"{counts['clock_moves']} clock moves, {counts['errors']} HTTP errors")
            print(f"RSS {start_rss} -> {status(proc.pid, 'VmRSS')} KiB (peak {status(proc.pid, 'VmHWM')} KiB); "
                  f"descriptors {start_fds} -> {fds(proc.pid)}")
            print(f"drift: quota {usage['cycle_used'] - sent}, rate limit {rate['used'] - sent}, "
                  f"accepted {accepted - sent}, still reserved {rate['in_open_transactions']}")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            log.close()


if __name__ == "__main__":
    main()
