"""Signals, deadlines, connection limits and reload, seen from a client."""
import os
import signal
import smtplib
import subprocess
import time

from conftest import Relay, Wire, http_request

BASE = """
account: { verified_domains: [example.com] }
ip_auth: [{ ip: 127.0.0.1 }]
"""


def test_sigterm_answers_idle_sessions_and_exits_zero(make_relay):
    relay = make_relay(BASE)
    w = Wire(relay.ports["plain"])
    assert w.line().startswith("220 ")
    relay.proc.send_signal(signal.SIGTERM)
    assert w.line() == "421 relaymock.test: Service not available - closing connection"
    assert w.closed()
    assert relay.proc.wait(timeout=20) == 0


def test_sigterm_lets_data_in_flight_finish(make_relay):
    relay = make_relay(BASE)
    w = Wire(relay.ports["plain"])
    w.line()
    w.send("EHLO c.example\r\n")
    w.reply()
    w.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n")
    assert [w.line(), w.line(), w.line()][2].startswith("354")
    w.send("From: a@example.com\r\n\r\npart one\r\n")
    relay.proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    w.send("part two\r\n.\r\n")
    assert w.line().startswith("250 OK id=")
    assert w.line() == "421 relaymock.test: Service not available - closing connection"
    assert relay.proc.wait(timeout=20) == 0


def test_command_timeout_is_per_command_not_per_read(make_relay):
    relay = make_relay("server:\n  timeouts: { command: 2s }\n" + BASE)
    w = Wire(relay.ports["plain"])
    w.line()
    start = time.time()
    # Trickle one byte every 0.5 s: each read is quick, the command never completes.
    try:
        for c in "NOOP NOOP NOOP":
            w.send(c)
            time.sleep(0.5)
    except OSError:
        pass  # the server has already cut us off
    assert w.line() == "421 relaymock.test: SMTP command timeout - closing connection"
    assert time.time() - start < 8
    assert w.closed()


def test_connection_limits(make_relay):
    relay = make_relay("server:\n  max_connections: 3\n  max_connections_per_ip: 2\n" + BASE)
    # The start-up probes may still hold a slot for a moment.
    for _ in range(50):
        a, b = Wire(relay.ports["plain"]), Wire(relay.ports["plain"])
        if a.line().startswith("220 ") and b.line().startswith("220 "):
            break
        a.close(), b.close()
        time.sleep(0.1)
    c = Wire(relay.ports["plain"])
    assert c.line() == "421 Too many concurrent SMTP connections from this IP address; please try again later."
    a.close()
    time.sleep(0.3)
    d = Wire(relay.ports["plain"])
    assert d.line().startswith("220 ")


def test_global_connection_limit(make_relay):
    relay = make_relay("server:\n  max_connections: 1\n" + BASE)
    # The start-up probes may still hold the one slot for a moment.
    for _ in range(50):
        a = Wire(relay.ports["plain"])
        if a.line().startswith("220 "):
            break
        a.close()
        time.sleep(0.1)
    b = Wire(relay.ports["plain"])
    assert b.line() == "421 Too many concurrent SMTP connections; please try again later."


def test_sighup_reload_keeps_sessions_and_counters(make_relay):
    relay = make_relay(BASE.replace("ip_auth: [{ ip: 127.0.0.1 }]",
                                    "ip_auth: [{ ip: 127.0.0.1, rate_limit: { count: 2, per: 1h } }]"))
    s = smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=10)
    msg = "From: a@example.com\r\n\r\nx\r\n"
    assert s.sendmail("a@example.com", ["b@example.org"], msg) == {}
    # A bad file is logged and the old config stays.
    with open(relay.config) as f:
        good = f.read()
    with open(relay.config, "w") as f:
        f.write(good + "\nbogus_key: 1\n")
    relay.proc.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    assert "reload failed" in relay.output()
    assert s.sendmail("a@example.com", ["b@example.org"], msg) == {}
    # A good file changes the rules; the counter (2 used of 2) survives the reload.
    with open(relay.config, "w") as f:
        f.write(good.replace("count: 2", "count: 3"))
    relay.proc.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    assert "config reloaded" in relay.output()
    assert s.sendmail("a@example.com", ["b@example.org"], msg) == {}  # the 3rd of 3
    try:
        s.sendmail("a@example.com", ["b@example.org"], msg)
        raise AssertionError("4th recipient should be refused")
    except smtplib.SMTPRecipientsRefused as e:
        assert e.recipients["b@example.org"] == (550, b"Your IP address exceeded the allowed sending rate")
    s.quit()


def test_oversized_message_refused_and_session_usable(make_relay):
    relay = make_relay("server:\n  max_message_size: 2048\n" + BASE)
    big = "From: a@example.com\r\n\r\n" + "x" * 5000 + "\r\n"
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=10) as s:
        # smtplib declares SIZE: refused at MAIL.
        try:
            s.sendmail("a@example.com", ["b@example.org"], big)
            raise AssertionError("should be refused")
        except smtplib.SMTPSenderRefused as e:
            assert (e.smtp_code, e.smtp_error) == (552, b"Message size exceeds maximum permitted")
    # Without SIZE the data is read to its end, refused, and the session stays usable.
    w = Wire(relay.ports["plain"])
    w.line()
    w.send("EHLO c.example\r\n")
    w.reply()
    w.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n")
    assert [w.line() for _ in range(3)][2].startswith("354")
    w.send(big + ".\r\n")
    assert w.line() == "552 Message size exceeds maximum permitted"
    w.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n")
    assert [w.line() for _ in range(3)][2].startswith("354")
    w.send("From: a@example.com\r\n\r\nsmall\r\n.\r\n")
    assert w.line().startswith("250 OK id=")


def quota_relay(make_relay, cycle_day=1):
    return make_relay(f"""
account: {{ verified_domains: [example.com], quota: {{ monthly: 10, cycle_day: {cycle_day} }} }}
ip_auth: [{{ ip: 127.0.0.1 }}]
""", listeners=("plain",))


def send_to(relay, n):
    """One message to n recipients; how many were accepted."""
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=10) as s:
        s.ehlo()
        assert s.mail("a@example.com")[0] == 250
        ok = sum(s.rcpt(f"r{i}@example.org")[0] == 250 for i in range(n))
        if ok:
            assert s.data("From: a@example.com\r\n\r\nx\r\n")[0] == 250
        return ok


def test_a_reload_that_moves_the_cycle_day_keeps_the_count(make_relay):
    relay = quota_relay(make_relay)
    assert relay.api("POST", "/api/v1/clock", {"set": "2026-12-15T12:00:00Z"})[0] == 200
    assert send_to(relay, 6) == 6
    with open(relay.config) as f:
        good = f.read()
    with open(relay.config, "w") as f:
        f.write(good.replace("cycle_day: 1", "cycle_day: 10"))
    code, c = relay.api("POST", "/api/v1/config/reload")
    assert code == 200 and c["account"]["quota"]["cycle_day"] == 10
    u = relay.api("GET", "/api/v1/usage")[1]
    # The 6 were sent on the 15th: inside the new cycle (10 Dec - 10 Jan) too.
    assert u["cycle_start"] == "2026-12-10T00:00:00.000Z" and u["cycle_used"] == 6, u
    assert send_to(relay, 6) == 4
    # Cycle day 20: the 15th lies in 20 Nov - 20 Dec, so all 10 count; the
    # cycle from 20 Dec counts none of them.
    with open(relay.config, "w") as f:
        f.write(good.replace("cycle_day: 1", "cycle_day: 20"))
    assert relay.api("POST", "/api/v1/config/reload")[0] == 200
    u = relay.api("GET", "/api/v1/usage")[1]
    assert u["cycle_start"] == "2026-11-20T00:00:00.000Z" and u["cycle_used"] == 10, u
    assert relay.api("POST", "/api/v1/clock", {"set": "2026-12-20T00:00:00Z"})[0] == 200
    assert relay.api("GET", "/api/v1/usage")[1]["cycle_used"] == 0


def test_a_look_at_the_previous_cycle_loses_nothing(make_relay):
    relay = quota_relay(make_relay)
    assert relay.api("POST", "/api/v1/clock", {"set": "2026-12-15T12:00:00Z"})[0] == 200
    assert send_to(relay, 6) == 6
    assert relay.api("POST", "/api/v1/clock", {"set": "2026-11-20T12:00:00Z"})[0] == 200
    u = relay.api("GET", "/api/v1/usage")[1]
    assert u["cycle_start"] == "2026-11-01T00:00:00.000Z" and u["cycle_used"] == 0, u
    assert send_to(relay, 2) == 2  # counted in November
    assert relay.api("POST", "/api/v1/clock", {"set": "2026-12-15T13:00:00Z"})[0] == 200
    assert relay.api("GET", "/api/v1/usage")[1]["cycle_used"] == 6
    assert send_to(relay, 8) == 4  # 10 in December, never 14
    assert relay.api("POST", "/api/v1/clock", {"set": "2026-11-25T00:00:00Z"})[0] == 200
    assert relay.api("GET", "/api/v1/usage")[1]["cycle_used"] == 2


def test_a_reload_mid_transaction_that_moves_the_ip_entry_leaks_no_reservation(make_relay):
    # The transaction's reservations used to be released against the entry
    # that matched after the reload: the first entry kept 2 for good and
    # let only 3 of its 5 through afterwards.
    relay = make_relay("""
account: { verified_domains: [example.com] }
ip_auth: [{ ip: 127.0.0.0/8, rate_limit: { count: 5, per: 1h } }]
""", listeners=("plain",))
    with open(relay.config) as f:
        good = f.read()
    s = smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=10)
    s.ehlo()
    assert s.mail("a@example.com")[0] == 250
    assert s.rcpt("r1@example.org")[0] == 250 and s.rcpt("r2@example.org")[0] == 250
    with open(relay.config, "w") as f:
        f.write(good.replace("ip_auth: [", "ip_auth: [{ ip: 127.0.0.1, rate_limit: { count: 5, per: 1h } }, "))
    assert relay.api("POST", "/api/v1/config/reload")[0] == 200
    assert s.rcpt("r3@example.org")[0] == 250  # reserved against the new entry
    assert s.rset()[0] == 250
    s.quit()
    with open(relay.config, "w") as f:
        f.write(good)
    assert relay.api("POST", "/api/v1/config/reload")[0] == 200
    limits = relay.api("GET", "/api/v1/usage")[1]["rate_limits"]
    assert [(l["used"], l["in_open_transactions"]) for l in limits] == [(0, 0)], limits
    assert send_to(relay, 6) == 5


API_KEY = "api-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
WAITING = BASE + f"""
api_keys: [{{ key: {API_KEY}, name: ci }}]
scenarios:
  - {{ name: api-slow, stage: mail, match: {{ api_key: ci }}, delay: 5m }}
"""


def curl_wait(port, path, extra=()):
    return subprocess.Popen(["curl", "-sS", "--max-time", "400", *extra, f"http://127.0.0.1:{port}{path}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_sigterm_ends_long_polls_and_api_delays_at_once(make_relay):
    # The process used to exit only when the 5-minute waits ran out.
    relay = make_relay(WAITING, listeners=("plain",))
    base = open_fds(relay.proc.pid)
    clients = [curl_wait(relay.http_port, "/api/v1/messages?min=1&wait=5m"),
               curl_wait(relay.http_port, "/api/v1/events?rule=never&wait=5m"),
               curl_wait(relay.http_port, "/v3/email/send",
                         ("-H", f"X-Smtp2go-Api-Key: {API_KEY}", "-H", "Content-Type: application/json", "-d",
                          '{"sender": "a@example.com", "to": ["b@example.org"], "subject": "s", "text_body": "t"}'))]
    try:
        deadline = time.time() + 10
        while open_fds(relay.proc.pid) < base + 3 and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # all three are inside their waits
        start = time.time()
        relay.proc.send_signal(signal.SIGTERM)
        assert relay.proc.wait(timeout=12) == 0
        assert time.time() - start < 3, time.time() - start
    finally:
        for c in clients:
            c.kill()
            c.wait()


def test_a_long_poll_ends_when_its_client_leaves(make_relay):
    # A wait went on for its full 5 minutes after curl was gone, holding its
    # descriptor and its place on the HTTP thread.
    relay = make_relay(WAITING, listeners=("plain",))
    pid = relay.proc.pid
    assert relay.api("GET", "/healthz")[0] == 200  # the HTTP loop's own descriptors exist now
    base = open_fds(pid)
    clients = [curl_wait(relay.http_port, f"/api/v1/messages?subject=n{i}&wait=5m") for i in range(40)]
    def in_progress():
        _, text = http_request(relay.http_port, "GET", "/metrics", raw=True)
        line = next(l for l in text.decode().splitlines() if l.startswith("relaymock_http_requests_in_progress "))
        return int(line.split()[1]) - 1  # not this one

    try:
        deadline = time.time() + 30
        while in_progress() < 40 and time.time() < deadline:
            time.sleep(0.1)
        assert in_progress() == 40
        assert open_fds(pid) >= base + 39  # (the base may hold /healthz's closing socket)
    finally:
        for c in clients:
            c.kill()
            c.wait()
    deadline = time.time() + 10
    while open_fds(pid) > base + 1 and time.time() < deadline:
        time.sleep(0.05)
    assert open_fds(pid) <= base + 1, open_fds(pid) - base
    assert in_progress() == 0
    assert relay.api("GET", "/healthz")[0] == 200
