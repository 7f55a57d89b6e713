"""Hostile clients against the real binary: cross-protocol requests, AUTH
guessing, floods from clients that never read, and bytes that must not come
back out unescaped. Bounds are generous: they catch growth without limit, not
a few percent."""
import json
import os
import smtplib
import socket
import subprocess
import time

import pytest

from conftest import Wire, http_request

BASE = """
account: { verified_domains: [example.com] }
smtp_users: [{ username: app, password: secret }]
"""


@pytest.fixture
def relay(make_relay):
    return make_relay(BASE, listeners=("plain",))


def in_data(port, timeout=10):
    """A Wire after EHLO, AUTH (app), MAIL, RCPT and DATA: the next bytes are content."""
    w = Wire(port, timeout=timeout)
    w.line()
    w.send("EHLO c.example\r\n")
    w.reply()
    w.send("AUTH PLAIN AGFwcABzZWNyZXQ=\r\n")
    w.line()
    w.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n")
    assert [w.line(), w.line(), w.line()][2].startswith("354")
    return w


def rss_kib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def test_http_request_on_the_smtp_port_is_closed_at_once(relay):
    start = time.time()
    p = subprocess.run(["curl", "-sS", "--max-time", "10", f"http://127.0.0.1:{relay.ports['plain']}/"],
                       capture_output=True, text=True, timeout=20)
    assert p.returncode != 0
    assert time.time() - start < 5
    w = Wire(relay.ports["plain"])
    w.line()
    w.send("POST /api HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    assert w.line() == "554 HTTP request on an SMTP port - closing connection"
    assert w.closed()
    code, ev = relay.api("GET", "/api/v1/events?rule=http_request")
    assert ev["total"] == 2


def test_smtp_on_the_http_port_is_closed_at_once(relay):
    s = socket.create_connection(("127.0.0.1", relay.http_port), timeout=10)
    s.sendall(b"EHLO c.example\r\nMAIL FROM:<a@example.com>\r\n")
    data = s.recv(4096)
    assert data.startswith(b"HTTP/1.1 400 "), data
    assert s.recv(4096) == b""  # closed
    s.close()


def test_auth_guessing_slows_down_then_disconnects(relay):
    s = smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=30)
    s.ehlo()
    s.user, s.password = "app", "guess"
    timings = []
    for _ in range(5):
        start = time.time()
        with pytest.raises(smtplib.SMTPAuthenticationError) as e:
            s.auth("PLAIN", s.auth_plain)  # one attempt (login() would try every mechanism)
        assert e.value.smtp_code == 535
        timings.append(time.time() - start)
    assert timings[2] >= 0.9 and timings[3] >= 1.9 and timings[4] >= 3.9, timings
    with pytest.raises((smtplib.SMTPAuthenticationError, smtplib.SMTPServerDisconnected)) as e:
        s.auth("PLAIN", s.auth_plain)
    if isinstance(e.value, smtplib.SMTPAuthenticationError):
        assert e.value.smtp_code == 421
    code, ev = relay.api("GET", "/api/v1/events?rule=auth_abuse")
    assert ev["total"] == 1
    assert "421 relaymock.test: too many failed authentication attempts" in ev["events"][0]["reply"]
    assert "guess" not in relay.output()
    # Another session starts fresh.
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=30) as ok:
        ok.login("app", "secret")


def test_a_client_that_never_reads_cannot_grow_server_memory(relay):
    pid = relay.proc.pid
    before = rss_kib(pid)
    s = socket.create_connection(("127.0.0.1", relay.ports["plain"]), timeout=10)
    s.recv(1000)
    s.sendall(b"EHLO c.example\r\n")
    time.sleep(0.2)
    s.recv(4096)
    s.settimeout(3)
    flood = b"NOOP\r\n" * 100000  # 600 KB a send; each NOOP gets "250 OK" nobody reads
    sent = 0
    try:
        while sent < 200 * 1024 * 1024:
            sent += s.send(flood)
    except (socket.timeout, BlockingIOError):
        pass  # the server stopped reading: its replies filled the socket buffers
    grown = rss_kib(pid) - before
    assert sent < 200 * 1024 * 1024, "the server kept reading without its replies being read"
    assert grown < 64 * 1024, f"server RSS grew by {grown} KiB"
    s.close()
    assert relay.api("GET", "/healthz")[0] == 200


@pytest.mark.parametrize("mode", ["command", "data"])
def test_ten_megabytes_without_a_newline(relay, mode):
    pid = relay.proc.pid
    before = rss_kib(pid)
    if mode == "data":
        w = in_data(relay.ports["plain"], timeout=30)
        w.send(b"From: a@example.com\r\n\r\n")
    else:
        w = Wire(relay.ports["plain"], timeout=30)
        w.line()
    chunk = b"x" * (1024 * 1024)
    try:
        for _ in range(10):
            w.send(chunk)
    except OSError:
        pass  # closed by the server in command mode
    if mode == "command":
        assert w.line() == "500 Command line too long - closing connection"
        assert w.closed()
    else:
        w.send(b"\r\n.\r\n")
        assert w.line().startswith("250 OK id=")  # 10 MB is under the 50 MB limit
    assert rss_kib(pid) - before < 64 * 1024


def test_smuggling_sequences_never_make_a_second_transaction(relay):
    seqs = [b"\n.\n", b"\n.\r\n", b"\r.\n", b"\r.\r", b"\r.\r\n", b"\n.\r", b"\r\n.\n", b"\r\n.\r",
            b"\r\n\x00.\r\n", b"\r\n.\r\r\n", b"\r\r\n.\r\r\n"]
    relay.api("POST", "/api/v1/reset")
    for seq in seqs:
        w = in_data(relay.ports["plain"])
        w.send(b"From: a@example.com\r\n\r\nfirst" + seq +
               b"MAIL FROM:<evil@example.com>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\n"
               b"From: a@example.com\r\n\r\nsmuggled\r\n.\r\n")
        reply = w.line()
        assert reply.startswith("250 OK id=") or reply.startswith("5"), (seq, reply)
        w.close()
    _, page = relay.api("GET", "/api/v1/messages?limit=100")
    assert all(m["envelope_from"] == "a@example.com" for m in page["messages"])
    _, ev = relay.api("GET", "/api/v1/events?limit=1000")
    assert not any("evil@example.com" in e["detail"] for e in ev["events"])


SHORT = BASE + "server:\n  timeouts: { command: 2s, data: 3s, tls_handshake: 2s }\n"


def test_deadlines_cut_off_silent_slow_and_stalled_clients(make_relay):
    relay = make_relay(SHORT)
    # Silent after the greeting.
    w = Wire(relay.ports["plain"])
    w.line()
    start = time.time()
    assert w.line() == "421 relaymock.test: SMTP command timeout - closing connection"
    assert w.closed() and time.time() - start < 6
    # DATA that trickles on past the whole-DATA deadline, a byte at a time.
    w = in_data(relay.ports["plain"])
    start = time.time()
    try:
        for _ in range(40):
            w.send("x")
            time.sleep(0.25)
    except OSError:
        pass
    assert w.line() == "421 relaymock.test SMTP incoming data timeout - closing connection."
    assert time.time() - start < 8
    # A TLS handshake that never starts.
    s = socket.create_connection(("127.0.0.1", relay.ports["implicit"]), timeout=10)
    start = time.time()
    assert s.recv(100) == b""
    assert time.time() - start < 6
    s.close()


def test_a_bdat_sequence_without_last_is_bounded_by_the_data_deadline(make_relay):
    # Each BDAT is a command, so the command deadline restarted with every
    # chunk: a chunk every second kept the transaction open for good.
    relay = make_relay(SHORT, listeners=("plain",))
    w = Wire(relay.ports["plain"])
    w.line()
    w.send("EHLO c.example\r\n")
    assert "250-CHUNKING" in w.reply()
    w.send("AUTH PLAIN AGFwcABzZWNyZXQ=\r\n")
    w.line()
    w.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\n")
    w.line(), w.line()
    start = time.time()
    replies = []
    try:
        for _ in range(12):  # 12 s if nothing cut it off; the data deadline is 3 s
            w.send("BDAT 2\r\nxx")
            line = w.line()
            replies.append(line)
            if not line.startswith("250"):
                break
            time.sleep(1)
    except OSError:
        pass
    assert replies[-1] == "421 relaymock.test SMTP incoming data timeout - closing connection.", replies
    assert 2.5 < time.time() - start < 6, time.time() - start
    assert w.closed()
    assert relay.api("GET", "/api/v1/messages")[1]["total"] == 0


def test_a_client_that_never_reads_is_cut_off_at_the_deadline(make_relay):
    relay = make_relay(SHORT, listeners=("plain",))
    s = socket.create_connection(("127.0.0.1", relay.ports["plain"]), timeout=10)
    s.recv(1000)
    s.sendall(b"EHLO c.example\r\n")
    time.sleep(0.2)
    s.recv(4096)
    s.settimeout(1)
    start = time.time()
    closed = False
    while time.time() - start < 20 and not closed:
        try:
            s.send(b"NOOP\r\n" * 50000)
        except socket.timeout:
            continue
        except OSError:
            closed = True
    assert closed, "the server kept a client that never reads"
    assert time.time() - start < 15
    s.close()


def test_out_of_file_descriptors_neither_spins_nor_stays_down(make_relay, tmp_path):
    import os
    from conftest import BIN
    relay_cfg = make_relay(BASE, listeners=("plain",))
    port = relay_cfg.ports["plain"]
    relay_cfg.kill9()
    # The same config under a small descriptor limit.
    proc = subprocess.Popen(["prlimit", "--nofile=48:48", BIN, "--config", relay_cfg.config],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        held = []
        for _ in range(80):  # more than the limit allows
            try:
                held.append(socket.create_connection(("127.0.0.1", port), timeout=2))
            except OSError:
                break
        time.sleep(0.5)

        def cpu():
            with open(f"/proc/{proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

        before = cpu()
        time.sleep(2)
        spent = cpu() - before
        assert spent < 1.0, f"{spent:.2f}s of CPU in 2 s at the descriptor limit"
        for s in held:
            s.close()
        time.sleep(0.5)
        w = Wire(port)
        assert w.line().startswith("220 ")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.mark.parametrize("words", [20_000, 60_000, 200_000])
def test_a_huge_folded_subject_cannot_crash_a_header_scenario(make_relay, words):
    # std::regex overflowed the stack here at ~30,000 characters and took
    # the whole server down; RE2 runs in linear time and never recurses.
    r = make_relay(BASE + """
scenarios:
  - name: urgent-later
    stage: end_of_data
    match: { header: { Subject: "^URGENT.*later$" } }
    reply: "451 4.7.1 held by scenario"
""", listeners=("plain",))
    subject = "URGENT" + "".join("\r\n word" if i % 10 == 9 else " word" for i in range(words)) + " later"
    message = f"From: a@example.com\r\nTo: b@example.org\r\nSubject: {subject}\r\n\r\nbody\r\n"
    with smtplib.SMTP("127.0.0.1", r.ports["plain"], timeout=30) as s:
        s.login("app", "secret")
        with pytest.raises(smtplib.SMTPDataError) as held:
            s.sendmail("a@example.com", ["b@example.org"], message)
        assert held.value.smtp_code == 451
        assert held.value.smtp_error == b"4.7.1 held by scenario" or b"held by scenario" in held.value.smtp_error
    assert r.api("GET", "/healthz")[0] == 200
    status, body = r.api("GET", "/api/v1/scenarios")
    assert body["scenarios"][0]["fired"] == 1


@pytest.mark.parametrize("body", [{"advance": "4503599627370495ms"}, {"advance": "52000000d"},
                                  {"advance": "300000d"}])
def test_a_clock_move_past_what_dates_can_hold_is_refused(relay, body):
    # 2^52 ms is a valid duration, but added to the system clock it wrapped
    # the nanosecond count (UBSan abort; the clock read year 1688).
    code, e = relay.api("POST", "/api/v1/clock", body)
    assert code == 400 and "1970" in e["error"] and "2200" in e["error"], e
    code, c = relay.api("GET", "/api/v1/clock")
    assert code == 200 and abs(c["offset_seconds"]) < 0.001 and c["now"][:2] == "20"
    # Moves that add up past the bound are refused too, one step at a time.
    assert relay.api("POST", "/api/v1/clock", {"set": "2200-12-31T00:00:00Z"})[0] == 200
    code, e = relay.api("POST", "/api/v1/clock", {"advance": "2d"})
    assert code == 400 and "2200" in e["error"]
    assert relay.api("GET", "/api/v1/clock")[1]["now"].startswith("2200-12-31")
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=10) as s:
        s.login("app", "secret")
        s.sendmail("a@example.com", ["b@example.org"], "From: a@example.com\r\nSubject: late\r\n\r\nbody\r\n")
    assert relay.api("GET", "/healthz")[0] == 200


def test_a_declared_size_is_not_kept_with_the_stored_message(relay):
    # Memory mode kept the room reserved for SIZE= in every stored message:
    # 1,000 messages declaring 50 MB took 50 GB of address space (3,000 took
    # the process to bad_alloc). A stored message holds what it holds.
    pid = relay.proc.pid
    before = rss_kib(pid, "VmSize")
    body = "From: a@example.com\r\nTo: b@example.org\r\nSubject: small\r\n\r\nhi\r\n"
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=30) as s:
        s.login("app", "secret")
        for _ in range(1000):
            assert s.mail("a@example.com", ["SIZE=52000000"])[0] == 250
            assert s.rcpt("b@example.org")[0] == 250
            assert s.data(body)[0] == 250
    grown = rss_kib(pid, "VmSize") - before
    assert relay.api("GET", "/api/v1/messages?limit=1")[1]["total"] == 1000
    assert grown < 2 * 1024 * 1024, f"address space grew by {grown} KiB"


def http_status_line(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_http_connections_are_capped_per_address_and_smtp_keeps_answering(make_relay):
    # Idle HTTP connections could take every descriptor until SMTP stopped
    # answering. Past the cap, a connection gets a 503 and is closed.
    relay = make_relay(BASE + "http:\n  max_connections_per_ip: 5\n", listeners=("plain",))
    idle = [socket.create_connection(("127.0.0.1", relay.http_port), timeout=10) for _ in range(5)]
    try:
        time.sleep(0.3)
        extra = socket.create_connection(("127.0.0.1", relay.http_port), timeout=10)
        answer = http_status_line(extra)
        assert answer.startswith(b"HTTP/1.1 503"), answer
        assert b"too many HTTP connections from 127.0.0.1 (limit 5)" in answer
        extra.close()
        with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=10) as s:
            assert s.noop()[0] == 250
    finally:
        for s in idle:
            s.close()
    deadline = time.time() + 5
    while time.time() < deadline:
        if relay.api("GET", "/healthz")[0] == 200:
            break
        time.sleep(0.05)
    assert relay.api("GET", "/healthz")[0] == 200
    _, text = http_request(relay.http_port, "GET", "/metrics", raw=True)
    assert b"\nrelaymock_http_connections_refused_total 1\n" in text


def test_an_unknown_api_key_is_refused_before_its_body_is_read(make_relay):
    # 12 clients posting large bodies with no valid key grew RSS by 720 MiB:
    # the key in the header is now checked before a byte of the body is read.
    relay = make_relay(BASE, listeners=("plain",))
    pid = relay.proc.pid
    before = rss_kib(pid)
    socks = []
    try:
        for _ in range(12):
            s = socket.create_connection(("127.0.0.1", relay.http_port), timeout=10)
            s.sendall(b"POST /v3/email/send HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"X-Smtp2go-Api-Key: api-ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ\r\nContent-Length: 70000000\r\n\r\n")
            socks.append(s)
        for s in socks:
            answer = http_status_line(s)
            assert answer.startswith(b"HTTP/1.1 401"), answer
            assert b"not one of this account's api_keys" in answer
            assert b"Connection: close" in answer or b"connection: close" in answer.lower()
    finally:
        for s in socks:
            s.close()
    assert rss_kib(pid) - before < 32 * 1024


def test_request_bodies_in_flight_are_bounded(make_relay):
    # With the key in the body (smtp2go-python 1.x) nothing can be checked
    # first; the bytes of bodies being read at once are bounded instead.
    relay = make_relay(BASE + "http:\n  max_body_bytes_in_flight: 100000000\n", listeners=("plain",))
    first = socket.create_connection(("127.0.0.1", relay.http_port), timeout=10)
    second = socket.create_connection(("127.0.0.1", relay.http_port), timeout=10)
    try:
        head = (b"POST /v3/email/send HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 60000000\r\n\r\n{")
        first.sendall(head)
        time.sleep(0.3)
        second.sendall(head)
        answer = http_status_line(second)
        assert answer.startswith(b"HTTP/1.1 503"), answer
        assert b"max_body_bytes_in_flight" in answer and b"Retry-After: 1" in answer
    finally:
        first.close()
        second.close()
    # Once the first is gone its bytes are given back.
    deadline = time.time() + 5
    code = 0
    while time.time() < deadline:
        code, resp = http_request(relay.http_port, "POST", "/v3/email/send", {"api_key": "api-" + "Q" * 32})
        if code != 503:
            break
        time.sleep(0.1)
    assert code == 401


def failed_auths(port, line, n):
    """One session: EHLO, then n AUTH lines, each after the previous reply."""
    w = Wire(port)
    w.line()
    w.send("EHLO c.example\r\n")
    w.reply()
    for _ in range(n):
        w.sock.sendall(line)
        assert w.line().startswith("535")
    w.sock.close()


def auth_plain_line(user, password="wrong"):
    import base64
    return b"AUTH PLAIN " + base64.b64encode(b"\0" + user + b"\0" + password.encode()) + b"\r\n"


def test_failed_auths_with_huge_usernames_cannot_grow_memory(relay):
    # 100,000 failed AUTHs with 9 KB usernames grew RSS by 900 MiB: each
    # event, transcript line and log line kept the whole name.
    pid = relay.proc.pid
    name = b"u" * 9000
    line = auth_plain_line(name)
    # Warm up (allocator arenas, the first event pages), then measure.
    def attempts(n):
        for _ in range(n):
            failed_auths(relay.ports["plain"], line, 2)
    attempts(200)
    before = rss_kib(pid)
    attempts(3000)
    grown = rss_kib(pid) - before
    code, ev = relay.api("GET", "/api/v1/events?rule=auth_failed&limit=1")
    assert code == 200 and ev["total"] >= 6000
    e = ev["events"][0]
    assert len(e["identity"]["name"] if e["identity"] else "") <= 300 and len(e["detail"]) <= 1100, e
    assert "... (9000 bytes)' (PLAIN)" in e["detail"], e
    # 6,000 events and 3,000 transcripts with the whole name: 100+ MB.
    # ASan keeps freed memory in quarantine (256 MiB): there the bound only
    # catches growth without limit; the normal build holds the real one.
    limit = 400 * 1024 if os.environ.get("ASAN_OPTIONS") else 40 * 1024
    assert grown < limit, f"RSS grew by {grown} KiB"
    assert max(len(l) for l in relay.output().splitlines()) < 8 * 1024


def test_events_are_bounded_in_bytes(make_relay):
    relay = make_relay(BASE + "storage:\n  max_event_bytes: 65536\n", listeners=("plain",))
    for _ in range(100):
        failed_auths(relay.ports["plain"], auth_plain_line(b"x" * 2000), 1)
    _, ev = relay.api("GET", "/api/v1/events?limit=1000")
    assert ev["last_seq"] >= 100
    size = sum(len(json.dumps(e)) for e in ev["events"])
    assert ev["total"] < 100 and size < 65536, (ev["total"], size)
    assert ev["events"][-1]["seq"] == ev["last_seq"]  # the newest are the ones kept
