#!/usr/bin/env python3
"""Throughput of relaymock against the sinks people use instead, driven by
Postfix's smtp-source (the same client for every server). Not a pass/fail
test: it prints figures and writes a markdown table.

  tests/bench/run [--rounds 5] [--messages 20000] [--out tests/bench/results.md]

Each round runs every server in turn (A B C D, A B C D, ...); for each server
and mode it reports messages/s (median, min, max), the ratio to smtp-sink in
the same round, and the server's CPU time per message.
"""
import argparse
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BIN = os.environ.get("RELAYMOCK_BIN", os.path.join(ROOT, "build", "relaymock"))
NODE_DIR = os.environ.get("RELAYMOCK_BENCH_NODE", os.path.join(ROOT, "build-bench", "node"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not listen")


def cpu_seconds(pid):
    """User + system CPU of a process and its children that were waited for."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return sum(int(x) for x in fields[11:15]) / tick


class Server:
    def __init__(self, name, argv_for_port, env=None):
        self.name, self.argv_for_port, self.env = name, argv_for_port, env
        self.proc = None

    def start(self):
        self.port = free_port()
        self.proc = subprocess.Popen(self.argv_for_port(self.port), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, env=self.env)
        wait_port(self.port, self.proc)
        time.sleep(0.2)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def relaymock_server(tmp):
    cfg = os.path.join(tmp, "relaymock.yaml")

    def argv(port):
        with open(cfg, "w") as f:
            f.write(f"""# The same role as the sinks: accept from 127.0.0.1, full policy,
# in-memory capture, events and transcripts on.
server:
  hostname: bench.test
  listeners: [{{ address: 127.0.0.1, port: {port}, tls: none }}]
  max_connections: 5000
  max_connections_per_ip: 5000
account: {{ verified_domains: [example.com] }}
ip_auth: [{{ ip: 127.0.0.1 }}]
http: {{ listen: "off" }}
log: {{ level: warning }}
""")
        return [BIN, "--config", cfg]
    return Server("relaymock", argv)


def servers(tmp, which):
    out = {
        "smtp-sink": Server("smtp-sink", lambda p: ["smtp-sink", "-u", "nobody", f"127.0.0.1:{p}", "1000"]),
        "relaymock": relaymock_server(tmp),
        "aiosmtpd": Server("aiosmtpd", lambda p: ["/usr/bin/python3", "-m", "aiosmtpd", "-n", "-c",
                                                   "aiosmtpd.handlers.Sink", "-l", f"127.0.0.1:{p}"]),
        "node smtp-server": Server("node smtp-server", lambda p: ["node", os.path.join(HERE, "node-sink.js"), str(p)],
                                   env=dict(os.environ, NODE_PATH=os.path.join(NODE_DIR, "node_modules"))),
    }
    return [out[n] for n in which]


def load(server, sessions, messages, per_connection):
    """Runs smtp-source; returns (messages/s, server CPU s per message)."""
    argv = ["smtp-source", "-s", str(sessions), "-l", "1024", "-m", str(messages), "-f", "bench@example.com",
            "-t", "sink@example.org", "-S", "bench"]
    if per_connection > 1:
        argv += ["-d"]
    argv.append(f"127.0.0.1:{server.port}")
    cpu0 = cpu_seconds(server.proc.pid)
    t0 = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=600)
    elapsed = time.perf_counter() - t0
    cpu = cpu_seconds(server.proc.pid) - cpu0
    if p.returncode != 0:
        raise RuntimeError(f"smtp-source against {server.name}: {p.stderr.strip()[:200]}")
    return messages / elapsed, cpu / messages


def fmt_rate(values):
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}-{max(values):,.0f})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--sweep-messages", type=int, default=10000)
    ap.add_argument("--out", default=os.path.join(HERE, "results.md"))
    ap.add_argument("--servers", default="smtp-sink,relaymock,node smtp-server,aiosmtpd")
    args = ap.parse_args()
    for tool in ("smtp-source", "smtp-sink", "node"):
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} is missing (tests/bench/run installs it)")

    names = args.servers.split(",")
    modes = [("many messages per connection (-d)", 100), ("one message per connection", 1)]
    rates = {(n, m): [] for n in names for m, _ in modes}
    ratios = {(n, m): [] for n in names for m, _ in modes}
    cpus = {(n, m): [] for n in names for m, _ in modes}
    sweep = {}
    with tempfile.TemporaryDirectory(prefix="relaymock-bench-") as tmp:
        for r in range(args.rounds):
            for mode, per_conn in modes:
                sink_rate = None
                for server in servers(tmp, names):
                    server.start()
                    try:
                        load(server, 20, 2000, per_conn)  # warm up
                        rate, cpu = load(server, 20, args.messages, per_conn)
                    finally:
                        server.stop()
                    if server.name == "smtp-sink":
                        sink_rate = rate
                    rates[(server.name, mode)].append(rate)
                    cpus[(server.name, mode)].append(cpu)
                    if sink_rate:
                        ratios[(server.name, mode)].append(rate / sink_rate)
                    print(f"round {r + 1} {mode:38} {server.name:17} {rate:9,.0f} msg/s  "
                          f"{cpu * 1e6:7.1f} us CPU/msg", flush=True)
        for sessions in (1, 10, 100, 500):
            for server in servers(tmp, [n for n in ("smtp-sink", "relaymock") if n in names]):
                server.start()
                try:
                    rate, _ = load(server, sessions, args.sweep_messages, 100)
                finally:
                    server.stop()
                sweep[(server.name, sessions)] = rate
                print(f"sweep {sessions:4} sessions {server.name:17} {rate:9,.0f} msg/s", flush=True)

    cpu_info = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores ({cpu_info}), {platform.system()} "
        f"{platform.release()}; loopback; smtp-source, 20 sessions, 1 KiB messages, {args.messages} messages "
        f"per run, {args.rounds} rounds.",
        "",
        "| mode | server | msg/s median (min-max) | ratio to smtp-sink (median) | server CPU per message |",
        "|---|---|---|---|---|",
    ]
    for mode, _ in modes:
        for n in names:
            ratio = statistics.median(ratios[(n, mode)]) if ratios[(n, mode)] else float("nan")
            lines.append(f"| {mode} | {n} | {fmt_rate(rates[(n, mode)])} | {ratio:.2f}x | "
                         f"{statistics.median(cpus[(n, mode)]) * 1e6:.0f} us |")
    if sweep:
        lines += ["", "| sessions | smtp-sink msg/s | relaymock msg/s | ratio |", "|---|---|---|---|"]
        for s in (1, 10, 100, 500):
            a, b = sweep.get(("smtp-sink", s)), sweep.get(("relaymock", s))
            if a and b:
                lines.append(f"| {s} | {a:,.0f} | {b:,.0f} | {b / a:.2f}x |")
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
