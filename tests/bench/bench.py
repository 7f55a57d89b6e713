#!/usr/bin/env python3
"""Throughput of relaymock against the sinks people use instead, driven by
Postfix's smtp-source (the same client for every server). Not a pass/fail
test: it prints figures and writes a markdown table.

  tests/bench/run [--rounds 5] [--messages 20000] [--parts throughput,sweep,latency,idle,large]
                  [--out tests/bench/results.md]

Each round runs every server in turn (A B C D, A B C D, ...); for each server
and mode it reports messages/s (median, min, max), the ratio to smtp-sink in
the same round, and the server's CPU time per message. relaymock also runs in
durable mode (SQLite) in the same rotation. Then, for relaymock only:
transaction latency at half its peak rate (tests/bench/smtp_latency.cpp),
RSS with 10,000 idle plain and 1,000 idle TLS connections, and one 50 MB
message in memory and durable mode.
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
LATENCY_BIN = os.environ.get("RELAYMOCK_BENCH_LATENCY", os.path.join(ROOT, "build-bench", "smtp_latency"))
NODE_DIR = os.environ.get("RELAYMOCK_BENCH_NODE", os.path.join(ROOT, "build-bench", "node"))


_handed_out = set()


def free_port():
    """A free loopback port never handed out before by this run (the kernel's
    port-0 choice can repeat a port just closed)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


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


def proc_status(pid, field):
    """A /proc/PID/status figure in KiB (VmRSS, VmHWM)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} missing for {pid}")


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

    def kib(self, field="VmRSS"):
        return proc_status(self.proc.pid, field)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def relaymock_server(tmp, durable=False, tls_port=None):
    """relaymock in the sinks' role: accept from 127.0.0.1, with the full
    policy, capture, events and transcripts on; in memory or durable (a fresh
    store per start). tls_port adds an implicit-TLS listener."""
    name = "relaymock durable" if durable else "relaymock"
    cfg = os.path.join(tmp, name.replace(" ", "-") + ".yaml")

    def argv(port):
        store = ""
        if durable:
            store = tempfile.mkdtemp(prefix="store-", dir=tmp)
        listeners = f"{{ address: 127.0.0.1, port: {port}, tls: none }}"
        if tls_port:
            listeners += f", {{ address: 127.0.0.1, port: {tls_port}, tls: implicit }}"
        with open(cfg, "w") as f:
            f.write(f"""server:
  hostname: bench.test
  listeners: [{listeners}]
  max_connections: 20000
  max_connections_per_ip: 20000
  max_message_size: 60000000
account: {{ verified_domains: [example.com] }}
ip_auth: [{{ ip: 127.0.0.1 }}]
http: {{ listen: "off" }}
log: {{ level: warning }}
storage: {{ path: "{store}" }}
""")
        return [BIN, "--config", cfg]
    return Server(name, argv)


def servers(tmp, which):
    out = {
        "smtp-sink": Server("smtp-sink", lambda p: ["smtp-sink", "-u", "nobody", f"127.0.0.1:{p}", "1000"]),
        "relaymock": relaymock_server(tmp),
        "relaymock durable": relaymock_server(tmp, durable=True),
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


def latency(server, sessions, rate, seconds):
    """(p50 us, p99 us, max us, transactions) at a fixed offered rate."""
    out = subprocess.run([LATENCY_BIN, "127.0.0.1", str(server.port), str(sessions), str(int(rate)), str(seconds)],
                         capture_output=True, text=True, timeout=seconds + 60)
    f = out.stdout.split()
    if out.returncode != 0 or len(f) < 10:
        raise RuntimeError(f"smtp_latency: {out.stdout.strip()} {out.stderr.strip()[:200]}")
    return float(f[5]), float(f[7]), float(f[9]), int(f[1])


def raise_nofile(n):
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))
    return min(n, hard) if soft < n else soft


def idle_connections(server, port, count, tls):
    """Opens `count` connections (TLS handshaken when tls), reads each greeting,
    and returns (RSS growth per connection in KiB, peak RSS in KiB, opened)."""
    import ssl
    ctx = None
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    # One connection first, so what the first session allocates once (TLS
    # context, per-thread buffers) is not charged to the idle ones.
    warm = socket.create_connection(("127.0.0.1", port), timeout=10)
    if ctx:
        warm = ctx.wrap_socket(warm)
    warm.recv(512)
    time.sleep(0.3)
    before = server.kib()
    held = []
    deadline = time.time() + 300
    try:
        for _ in range(count):
            if time.time() > deadline:
                break
            c = socket.create_connection(("127.0.0.1", port), timeout=10)
            if ctx:
                c = ctx.wrap_socket(c)
            if not c.recv(512).startswith(b"220"):
                raise RuntimeError("no greeting")
            held.append(c)
        time.sleep(1.0)
        after = server.kib()
        peak = server.kib("VmHWM")
        return (after - before) / max(1, len(held)), peak, len(held)
    finally:
        for c in held:
            c.close()
        warm.close()


def large_message(server, size):
    """Sends one message of `size` bytes; returns (MB/s, peak RSS growth KiB)."""
    time.sleep(0.3)
    before = server.kib()
    c = socket.create_connection(("127.0.0.1", server.port), timeout=120)
    f = c.makefile("rb")

    def reply():
        while True:
            line = f.readline()
            if not line or line[3:4] == b" ":
                return line

    reply()
    c.sendall(b"EHLO bench.test\r\n")
    reply()
    c.sendall(b"MAIL FROM:<bench@example.com>\r\nRCPT TO:<sink@example.org>\r\nDATA\r\n")
    for _ in range(3):
        r = reply()
    if not r.startswith(b"354"):
        raise RuntimeError(f"DATA refused: {r!r}")
    line = b"x" * 998 + b"\r\n"
    chunk = line * 64
    head = b"From: bench@example.com\r\nTo: sink@example.org\r\nSubject: large\r\n\r\n"
    t0 = time.perf_counter()
    c.sendall(head)
    sent = len(head)
    while sent + len(chunk) <= size:
        c.sendall(chunk)
        sent += len(chunk)
    while sent + len(line) <= size:
        c.sendall(line)
        sent += len(line)
    c.sendall(b".\r\n")
    r = reply()
    elapsed = time.perf_counter() - t0
    if not r.startswith(b"250"):
        raise RuntimeError(f"large message refused: {r!r}")
    c.sendall(b"QUIT\r\n")
    c.close()
    return sent / elapsed / 1e6, server.kib("VmHWM") - before


def fmt_rate(values):
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}-{max(values):,.0f})"


SLOW = ("node smtp-server", "aiosmtpd")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--slow-messages", type=int, default=5000, help="per run for " + ", ".join(SLOW))
    ap.add_argument("--sweep-messages", type=int, default=10000)
    ap.add_argument("--parts", default="throughput,sweep,latency,idle,large")
    ap.add_argument("--out", default=os.path.join(HERE, "results.md"))
    ap.add_argument("--servers", default="smtp-sink,relaymock,relaymock durable,node smtp-server,aiosmtpd")
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    for tool in ("smtp-source", "smtp-sink", "node"):
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} is missing (tests/bench/run installs it)")
    if "latency" in parts and not os.access(LATENCY_BIN, os.X_OK):
        sys.exit(f"bench: {LATENCY_BIN} is missing (tests/bench/run builds it)")
    raise_nofile(25000)

    names = args.servers.split(",")
    modes = [("many messages per connection (-d)", 100), ("one message per connection", 1)]
    rates = {(n, m): [] for n in names for m, _ in modes}
    ratios = {(n, m): [] for n in names for m, _ in modes}
    cpus = {(n, m): [] for n in names for m, _ in modes}
    durable_vs_memory = {m: [] for m, _ in modes}
    sweep, extra = {}, []
    with tempfile.TemporaryDirectory(prefix="relaymock-bench-") as tmp:
        for r in range(args.rounds if "throughput" in parts else 0):
            for mode, per_conn in modes:
                round_rate = {}
                for server in servers(tmp, names):
                    n = args.slow_messages if server.name in SLOW else args.messages
                    server.start()
                    try:
                        load(server, 20, 2000, per_conn)  # warm up
                        rate, cpu = load(server, 20, n, per_conn)
                    finally:
                        server.stop()
                    round_rate[server.name] = rate
                    rates[(server.name, mode)].append(rate)
                    cpus[(server.name, mode)].append(cpu)
                    if "smtp-sink" in round_rate:
                        ratios[(server.name, mode)].append(rate / round_rate["smtp-sink"])
                    print(f"round {r + 1} {mode:38} {server.name:17} {rate:9,.0f} msg/s  "
                          f"{cpu * 1e6:7.1f} us CPU/msg", flush=True)
                if "relaymock" in round_rate and "relaymock durable" in round_rate:
                    durable_vs_memory[mode].append(round_rate["relaymock durable"] / round_rate["relaymock"])
        for sessions in ((1, 10, 100, 500) if "sweep" in parts else ()):
            for server in servers(tmp, [n for n in ("smtp-sink", "relaymock") if n in names]):
                server.start()
                try:
                    rate, _ = load(server, sessions, args.sweep_messages, 100)
                finally:
                    server.stop()
                sweep[(server.name, sessions)] = rate
                print(f"sweep {sessions:4} sessions {server.name:17} {rate:9,.0f} msg/s", flush=True)

        if "latency" in parts:
            server = relaymock_server(tmp)
            server.start()
            try:
                peak_runs = rates.get(("relaymock", modes[0][0])) or [load(server, 20, args.messages, 100)[0]]
                peak = statistics.median(peak_runs)
                lat = latency(server, 20, peak / 2, 15)
            finally:
                server.stop()
            line = (f"Transaction latency (pipelined MAIL/RCPT/DATA, 1 KiB body, 20 sessions, open loop at "
                    f"{peak / 2:,.0f} msg/s = half the peak of {peak:,.0f}, {lat[3]:,} transactions): "
                    f"p50 {lat[0] / 1000:.2f} ms, p99 {lat[1] / 1000:.2f} ms, max {lat[2] / 1000:.1f} ms.")
            print(line, flush=True)
            extra.append(line)

        if "idle" in parts:
            for kind, count, tls in (("plain", 10000, False), ("TLS", 1000, True)):
                tls_port = free_port() if tls else None
                server = relaymock_server(tmp, tls_port=tls_port)
                server.start()
                try:
                    if tls:
                        wait_port(tls_port, server.proc)
                    per, peak, opened = idle_connections(server, tls_port or server.port, count, tls)
                finally:
                    server.stop()
                line = (f"{opened:,} idle {kind} connections (greeted{', TLS 1.3 handshaken' if tls else ''}): "
                        f"{per:.1f} KiB of RSS per connection, peak RSS {peak / 1024:.1f} MiB.")
                print(line, flush=True)
                extra.append(line)

        if "large" in parts:
            for durable in (False, True):
                server = relaymock_server(tmp, durable=durable)
                server.start()
                try:
                    mbps, growth = large_message(server, 50 * 1000 * 1000)
                finally:
                    server.stop()
                line = (f"One 50 MB message, {'durable' if durable else 'memory'} mode: {mbps:.0f} MB/s, "
                        f"peak RSS growth {growth / 1024:.1f} MiB ({growth * 1024 / 50e6:.2f}x the message).")
                print(line, flush=True)
                extra.append(line)

    cpu_info = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores ({cpu_info}), {platform.system()} "
        f"{platform.release()}; loopback; smtp-source, 20 sessions, 1 KiB messages, {args.messages:,} messages "
        f"per run ({args.slow_messages:,} for {' and '.join(SLOW)}), {args.rounds} rounds.",
        "",
    ]
    if "throughput" in parts:
        lines += ["| mode | server | msg/s median (min-max) | ratio to smtp-sink (median) | server CPU per message |",
                  "|---|---|---|---|---|"]
        for mode, _ in modes:
            for n in names:
                # Without smtp-sink in the rounds (--servers) there is nothing to compare with.
                ratio = f"{statistics.median(ratios[(n, mode)]):.2f}x" if ratios[(n, mode)] else "-"
                lines.append(f"| {mode} | {n} | {fmt_rate(rates[(n, mode)])} | {ratio} | "
                             f"{statistics.median(cpus[(n, mode)]) * 1e6:.0f} us |")
        for mode, _ in modes:
            if durable_vs_memory[mode]:
                lines.append("")
                lines.append(f"Durable against memory mode, {mode}: {statistics.median(durable_vs_memory[mode]):.2f}x "
                             f"(median of the rounds).")
    if sweep:
        lines += ["", "| sessions (-d) | smtp-sink msg/s | relaymock msg/s | ratio |", "|---|---|---|---|"]
        for s in (1, 10, 100, 500):
            a, b = sweep.get(("smtp-sink", s)), sweep.get(("relaymock", s))
            if a and b:
                lines.append(f"| {s} | {a:,.0f} | {b:,.0f} | {b / a:.2f}x |")
    for line in extra:
        lines += ["", line]
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
