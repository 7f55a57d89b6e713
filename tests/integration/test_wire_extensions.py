"""PIPECONNECT and PRDR as the provider's Exim does them, over real sockets:
an EHLO sent before the greeting, per-recipient data responses with the
account's counters, captured envelope and events checked through the API."""
import socket
import time

from conftest import Wire

BASE = """
account:
  verified_domains: [example.com]
  quota: { monthly: 50, cycle_day: 1 }
ip_auth: [{ ip: 127.0.0.1 }]
scenarios:
  - name: full
    stage: end_of_data
    match: { recipient: "full*@example.org" }
    reply: "552 Mailbox full for {recipient}"
  - name: no-urgent
    stage: end_of_data
    match: { header: { Subject: "^URGENT" } }
    reply: "554 urgent mail refused"
"""


def slow_greeting(relay, delay="400ms"):
    port = relay.ports["plain"]
    code, _ = relay.api("PUT", f"/api/v1/listeners/{port}/fault", {"fault": {"slow_greeting": delay}})
    assert code == 200
    return port


def read_until(sock, marker, limit=5.0):
    """Everything received until `marker` (bounded), and the size of each recv."""
    sock.settimeout(limit)
    data, sizes, end = b"", [], time.monotonic() + limit
    while marker not in data and time.monotonic() < end:
        chunk = sock.recv(65536)
        if not chunk:
            break
        sizes.append(len(chunk))
        data += chunk
    return data, sizes


def test_an_ehlo_before_the_greeting_gets_the_greeting_and_its_reply_in_one_write(make_relay):
    relay = make_relay(BASE, listeners=("plain",))
    port = slow_greeting(relay)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"EHLO early.example\r\n")  # during the greeting's delay
        data, sizes = read_until(s, b"250 HELP\r\n")
        assert data.startswith(b"220 relaymock.test ESMTP relaymock "), data
        assert b"\r\n250-relaymock.test Hello early.example [127.0.0.1]\r\n" in data
        assert b"250-PIPECONNECT\r\n" in data and data.endswith(b"250 HELP\r\n")
        assert len(sizes) == 1, f"greeting and EHLO reply came in {len(sizes)} reads: {sizes}"
        s.sendall(b"QUIT\r\n")
        assert read_until(s, b"\r\n")[0].startswith(b"221 ")


def test_a_client_that_waits_for_the_greeting_gets_it_alone(make_relay):
    relay = make_relay(BASE, listeners=("plain",))
    w = Wire(relay.ports["plain"])
    try:
        w.sock.settimeout(5)
        first = w.sock.recv(65536)
        assert first.startswith(b"220 ") and first.count(b"\r\n") == 1, first
    finally:
        w.close()


def test_more_than_an_ehlo_before_the_greeting_is_a_synchronization_error(make_relay):
    relay = make_relay(BASE, listeners=("plain",))
    port = slow_greeting(relay)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"EHLO early.example\r\nMAIL FROM:<a@example.com>\r\n")
        data, _ = read_until(s, b"554 SMTP synchronization error\r\n")
        assert data.startswith(b"220 ") and data.endswith(b"554 SMTP synchronization error\r\n"), data
        s.settimeout(5)
        assert s.recv(10) == b""  # closed
    code, ev = relay.api("GET", "/api/v1/events?rule=sync_error")
    assert code == 200 and ev["total"] == 1


def prdr_session(port, rcpts, subject="prdr"):
    w = Wire(port)
    w.line()
    w.send("EHLO c.example\r\n")
    w.reply()
    w.send("MAIL FROM:<a@example.com> PRDR\r\n")
    assert w.line() == "250 sender ok."
    for r in rcpts:
        w.send(f"RCPT TO:<{r}>\r\n")
        assert w.line() == f"250 Accepted <{r}>"
    w.send("DATA\r\n")
    assert w.line().startswith("354 ")
    w.send(f"From: a@example.com\r\nSubject: {subject}\r\n\r\nhello\r\n.\r\n")
    lines = [w.line()]
    while not lines[-1].startswith(("250 id=", "550 id=", "554 ")):
        lines.append(w.line())
    w.send("QUIT\r\n")
    w.line()
    w.close()
    return lines


def test_prdr_refuses_one_recipient_keeps_the_others_and_gives_its_quota_back(make_relay):
    relay = make_relay(BASE, listeners=("plain",))
    lines = prdr_session(relay.ports["plain"], ["b@example.org", "full1@example.org", "c@example.org"])
    assert lines[:4] == ["353 PRDR content analysis beginning", "250 PRDR R=<b@example.org> acceptance",
                         "552 Mailbox full for full1@example.org", "250 PRDR R=<c@example.org> acceptance"]
    assert lines[4].startswith("250 id=") and lines[4].endswith(" message accepted for some recipients")
    mid = lines[4].split()[1][3:]
    code, m = relay.api("GET", f"/api/v1/messages/{mid}")
    assert code == 200
    assert [r["address"] for r in m["recipient_parameters"]] == ["b@example.org", "c@example.org"]
    assert relay.api("GET", "/api/v1/usage")[1]["cycle_used"] == 2
    _, ev = relay.api("GET", "/api/v1/events?rule=scenario:full")
    assert ev["total"] == 1 and ev["events"][0]["recipients"] == ["full1@example.org"]
    _, ok = relay.api("GET", "/api/v1/events?rule=accepted")
    assert ok["events"][-1]["recipients"] == ["b@example.org", "c@example.org"]


def test_prdr_refusing_everyone_captures_nothing_and_counts_nothing(make_relay):
    relay = make_relay(BASE, listeners=("plain",))
    lines = prdr_session(relay.ports["plain"], ["full1@example.org", "full2@example.org"])
    assert lines[1:3] == ["552 Mailbox full for full1@example.org", "552 Mailbox full for full2@example.org"]
    assert lines[3].startswith("550 id=") and lines[3].endswith(" message rejected for all recipients")
    assert relay.api("GET", "/api/v1/messages")[1]["total"] == 0
    assert relay.api("GET", "/api/v1/usage")[1]["cycle_used"] == 0
    assert relay.api("GET", "/api/v1/events?rule=prdr_refused")[1]["total"] == 1


def test_prdr_then_a_whole_message_refusal(make_relay):
    # A scenario without a recipient match answers for the whole message, after the per-recipient replies.
    relay = make_relay(BASE, listeners=("plain",))
    lines = prdr_session(relay.ports["plain"], ["b@example.org", "c@example.org"], subject="URGENT now")
    assert lines == ["353 PRDR content analysis beginning", "250 PRDR R=<b@example.org> acceptance",
                     "250 PRDR R=<c@example.org> acceptance", "554 urgent mail refused"]
    assert relay.api("GET", "/api/v1/usage")[1]["cycle_used"] == 0
