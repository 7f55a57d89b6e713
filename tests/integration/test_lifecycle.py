"""Signals, deadlines, connection limits and reload, seen from a client."""
import signal
import smtplib
import time

from conftest import Relay, Wire

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
