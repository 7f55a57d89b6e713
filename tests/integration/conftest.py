"""Starts the real relaymock binary on free loopback ports for a test."""
import os
import random
import socket
import subprocess
import tempfile
import time

import pytest

BIN = os.environ.get("RELAYMOCK_BIN", os.path.join(os.path.dirname(__file__), "../../build/relaymock"))
SOURCE = os.environ.get("RELAYMOCK_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))


_handed_out = set()
_rng = random.Random(os.getpid() ^ time.time_ns())


def free_port():
    """A loopback port that is free now and never handed out before by this process.

    Drawn below Linux's ephemeral range (32768-60999), so the outgoing connections of tests
    running in parallel cannot take it between this check and the server's bind; the kernel's
    own port 0 choice could return the same port twice in a row."""
    for _ in range(2000):
        port = _rng.randrange(20000, 32768)
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError("no free loopback port in 20000-32767")


class PortTaken(RuntimeError):
    """Another process bound one of our ports between free_port() and the server's bind."""


class Relay:
    """One relaymock process. `ports` maps a name (plain, starttls, implicit) to its port."""

    def __init__(self, yaml_body, listeners=("starttls", "implicit", "plain"), http=True):
        self.dir = tempfile.TemporaryDirectory(prefix="relaymock-test-")
        self.config = os.path.join(self.dir.name, "relaymock.yaml")
        self.log_path = os.path.join(self.dir.name, "out.log")
        self.log = open(self.log_path, "w+")
        self.http = http
        for attempt in range(3):
            self._write_config(yaml_body, listeners)
            try:
                self.start()
                return
            except PortTaken:
                if attempt == 2:
                    raise
                self.log.seek(0)
                self.log.truncate()

    def _write_config(self, yaml_body, listeners):
        self.ports = {name: free_port() for name in listeners}
        self.http_port = free_port() if self.http else None
        mode = {"plain": "none", "starttls": "starttls", "implicit": "implicit"}
        # listeners=(): the test's own server.listeners block says where to listen.
        # Two event loops even on small machines, so the tests (and TSan) cover
        # connections on more than one thread.
        lines = ["server:", "  hostname: relaymock.test", "  threads: 2"] + (["  listeners:"] if self.ports else [])
        for name, port in self.ports.items():
            lines.append(f"    - {{ address: 127.0.0.1, port: {port}, tls: {mode[name]} }}")
        with open(self.config, "w") as f:
            body = merge_block("\n".join(lines), yaml_body)
            http_block = (f"http:\n  listen: 127.0.0.1:{self.http_port}" if self.http
                          else "http:\n  listen: \"off\"")
            f.write(merge_block(http_block, body))

    def start(self):
        """Starts the process (again, after kill9: same config, same ports)."""
        self.proc = subprocess.Popen([BIN, "--config", self.config], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                out = self.output()
                if "the port is already in use" in out:
                    raise PortTaken(out)
                raise RuntimeError("relaymock exited: " + out)
            if all(port_open(p) for p in self.ports.values()) and (not self.http or port_open(self.http_port)):
                return
            time.sleep(0.05)
        raise RuntimeError("relaymock did not start: " + self.output())

    def kill9(self):
        self.proc.kill()
        self.proc.wait()

    def api(self, method, path, body=None, token=None, timeout=30):
        """(status, parsed JSON or text) of an HTTP API request, by curl."""
        return http_request(self.http_port, method, path, body, token, timeout)

    @property
    def port(self):
        return self.ports.get("starttls") or next(iter(self.ports.values()))

    def output(self):
        """What the server has logged so far. It writes its log at least
        every 100 ms, so a running server gets 150 ms to catch up first."""
        if self.proc.poll() is None:
            time.sleep(0.15)
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def output_with(self, text, timeout=3):
        """The output once it holds `text` (the server writes its log at
        least every 100 ms), or as it is after `timeout`."""
        deadline = time.time() + timeout
        out = self.output()
        while text not in out and time.time() < deadline:
            time.sleep(0.02)
            out = self.output()
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        self.dir.cleanup()


def http_request(port, method, path, body=None, token=None, timeout=30, raw=False, headers=()):
    import json
    cmd = ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "-X", method, "--max-time", str(timeout),
           f"http://127.0.0.1:{port}{path}"]
    if token:
        cmd += ["-H", f"Authorization: Bearer {token}"]
    for h in headers:
        cmd += ["-H", h]
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else (body if isinstance(body, str) else json.dumps(body)).encode()
        cmd += ["-H", "Content-Type: application/json", "--data-binary", "@-"]
    p = subprocess.run(cmd, input=data, capture_output=True, timeout=timeout + 10)
    out, _, code = p.stdout.rpartition(b"\n")
    if raw:
        return int(code), out
    try:
        return int(code), json.loads(out)
    except ValueError:
        return int(code), out.decode("utf-8", "replace")


def listening(port):
    """Whether something listens on the IPv4 port, seen in /proc/net/tcp
    without connecting (a connection would be a session: it could use up a
    connect scenario)."""
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":
                return True
    return False


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def merge_block(block_yaml, body):
    """Puts block_yaml's first-level keys into the body's block of the same name (adding it if absent)."""
    name = block_yaml.split(":", 1)[0]
    extra, rest, in_block = [], [], False
    for line in body.splitlines():
        if line.startswith(name + ":"):
            in_block = True
            continue
        if in_block and (line.startswith("  ") or not line.strip()):
            extra.append(line)
            continue
        in_block = False
        rest.append(line)
    return "\n".join(rest) + "\n" + block_yaml + "\n" + "\n".join(extra) + "\n"


BASE_CONFIG = """
account:
  verified_domains: [example.com]
smtp_users:
  - { username: app, password: secret }
  - { username: blocked, password: secret, status: blocked }
"""


@pytest.fixture
def relay():
    """A relay with one SMTP user (app/secret) and no IP authentication."""
    r = Relay(BASE_CONFIG)
    yield r
    r.stop()


@pytest.fixture
def make_relay():
    started = []

    def make(yaml_body, **kw):
        r = Relay(yaml_body, **kw)
        started.append(r)
        return r

    yield make
    for r in started:
        r.stop()


class Wire:
    """A raw SMTP client socket for exact byte-level exchanges."""

    def __init__(self, port, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed; unread: %r" % self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("utf-8", "replace")

    def reply(self):
        """All lines of one reply."""
        lines = [self.line()]
        while len(lines[-1]) > 3 and lines[-1][3] == "-":
            lines.append(self.line())
        return lines

    def closed(self):
        try:
            return self.sock.recv(1) == b""
        except (ConnectionResetError, socket.timeout):
            return True

    def close(self):
        self.sock.close()
