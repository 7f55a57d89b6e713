#!/usr/bin/python3
"""What webhooks cost (not a test: prints figures). Sends M messages of R
recipients with smtplib over one connection to a relay without webhooks, then
to one with a hook that wants every event (JSON, to a keep-alive receiver on
loopback), and reports the SMTP rate of each, how fast the POSTs arrive, how
long after the last 250 the last one came, and the attempts' latency as
/api/v1/webhooks/deliveries records it. The receiver is Python's, on the
same two cores: its rate bounds what is measured.

    /usr/bin/python3 tests/bench/webhooks_bench.py [--messages 2000] [--rcpts 2] [--bin build/relaymock]
"""
import argparse
import http.server
import os
import statistics
import threading
import time

from outcomes_bench import api, relay_running, send


class Receiver:
    def __init__(self):
        self.count = 0
        self.last = 0.0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as libcurl reuses its connection
            disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
                outer.count += 1
                outer.last = time.monotonic()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.port = self.server.server_address[1]


def run(binary, hook_port, messages, rcpts):
    hooks = f"webhooks: [{{ url: \"http://127.0.0.1:{hook_port}/h\", output_format: json }}]\n" if hook_port else ""
    body = """account: { verified_domains: [example.com] }
ip_auth: [{ ip: 127.0.0.1 }]
storage: { max_events: 1000000, max_messages: 100000 }
""" + hooks
    with relay_running(binary, body) as (smtp, http_port, _):
        t0 = time.monotonic()
        rate = send(smtp, messages, rcpts, "plain")
        sent_at = time.monotonic()
        if not hook_port:
            return rate, None
        want = messages * (1 + rcpts)  # processed + delivered per recipient
        deadline = time.monotonic() + 600
        while api(http_port, "GET", "/api/v1/webhooks")["totals"]["delivered"] < want:
            if time.monotonic() > deadline:
                raise RuntimeError("the webhooks did not catch up")
            time.sleep(0.05)
        done = time.monotonic()
        lat = [d["latency_ms"] for d in api(http_port, "GET", "/api/v1/webhooks/deliveries?limit=10000")["deliveries"]]
        return rate, (want, want / (done - t0), done - sent_at, statistics.median(lat), max(lat))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--rcpts", type=int, default=2)
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "..", "build", "relaymock"))
    a = ap.parse_args()
    base, _ = run(a.bin, None, a.messages, a.rcpts)
    print(f"without webhooks: {a.messages} messages x {a.rcpts} rcpts at {base:,.0f} msg/s")
    rx = Receiver()
    rate, (posts, per_s, lag, median, worst) = run(a.bin, rx.port, a.messages, a.rcpts)
    print(f"with one hook wanting every event: {rate:,.0f} msg/s over SMTP ({rate / base:.2f}x); {posts:,} POSTs "
          f"({rx.count:,} received) at {per_s:,.0f}/s from the first send; the last {lag:.2f} s after the last 250; "
          f"attempt latency median {median} ms, worst {worst} ms")


if __name__ == "__main__":
    main()
