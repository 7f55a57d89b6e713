"""The control and inspection HTTP API, driven by curl, with smtplib and swaks
sending the mail it reports on."""
import json
import os
import signal
import smtplib
import subprocess
import threading
import time

import pytest

from conftest import Relay, http_request

BASE = """
account:
  verified_domains: [example.com]
  quota: { monthly: 50, cycle_day: 1 }
smtp_users:
  - { username: app, password: secret }
  - { username: other, password: secret, rate_limit: { count: 1, per: 1h } }
ip_auth: [{ ip: 127.0.0.1 }]
"""


@pytest.fixture
def relay(make_relay):
    return make_relay(BASE, listeners=("plain",))


def send(relay, subject="hello", sender="a@example.com", to=("b@example.org",), user=None, body="hi\r\n",
         extra_headers=""):
    msg = f"From: {sender}\r\nTo: {', '.join(to)}\r\nSubject: {subject}\r\n{extra_headers}\r\n{body}"
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=20) as s:
        s.ehlo()
        if user:
            s.login(user, "secret")
        assert s.mail(sender)[0] == 250
        for r in to:
            assert s.rcpt(r)[0] == 250
        code, text = s.data(msg.encode() if isinstance(msg, str) else msg)
    assert code == 250, text
    return text.decode().split("id=", 1)[1]


def test_health_ready_and_metrics(relay):
    assert relay.api("GET", "/healthz") == (200, {"status": "ok"})
    assert relay.api("GET", "/readyz") == (200, {"status": "ready"})
    send(relay)
    code, text = relay.api("GET", "/metrics")
    assert code == 200
    lines = text.splitlines()
    assert "relaymock_messages_accepted_total 1" in lines
    assert "relaymock_recipients_accepted_total 1" in lines
    assert 'relaymock_replies_total{code="250",rule="accepted"} 1' in lines
    assert "relaymock_store_messages 1" in lines
    assert "relaymock_quota_used 1" in lines
    assert any(l.startswith("relaymock_bytes_received_total ") and int(l.split()[1]) > 0 for l in lines)


def test_ci_walkthrough(make_relay):
    """What a user's CI does: reset, send, long-poll, raw bytes, events, clock."""
    relay = make_relay(BASE, listeners=("plain",))
    assert relay.api("POST", "/api/v1/reset")[0] == 200

    # Long-poll first, then send: the poll returns as soon as the message lands.
    result = {}
    poller = threading.Thread(target=lambda: result.update(
        r=relay.api("GET", "/api/v1/messages?to=b%40example.org&wait=20s&min=1")))
    poller.start()
    time.sleep(0.3)
    start = time.time()
    raw = (b"From: a@example.com\r\nTo: b@example.org\r\nSubject: walkthrough\r\n\r\n"
           b".starts with a dot\r\n8-bit: \xc3\xa9\r\nno final newline is added")
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=20) as s:
        s.login("app", "secret")
        s.sendmail("a@example.com", ["b@example.org"], raw)
    poller.join(timeout=25)
    code, page = result["r"]
    assert code == 200 and page["total"] == 1
    assert time.time() - start < 5
    summary = page["messages"][0]
    assert summary["subject"] == "walkthrough"
    assert summary["identity"] == {"kind": "user", "name": "app"}

    # The raw bytes, exactly as received after dot-unstuffing (smtplib adds the final CRLF).
    code, body = http_request(relay.http_port, "GET", f"/api/v1/messages/{summary['id']}/raw", raw=True)
    assert code == 200
    assert body == raw + b"\r\n"

    # A refused send shows in the events with its rule, reply and reason.
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=20, source_address=("127.0.0.2", 0)) as s:
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            s.sendmail("a@example.com", ["c@example.org"], b"From: a@example.com\r\n\r\nx\r\n")
    code, ev = relay.api("GET", "/api/v1/events?rule=relay_denied")
    assert code == 200 and ev["total"] == 1
    e = ev["events"][0]
    assert e["stage"] == "rcpt" and e["client_ip"] == "127.0.0.2" and e["identity"] is None
    assert e["reply"] == "550 Relay access denied - please authenticate"
    assert "matches no ip_auth entry" in e["detail"]

    # A rate window: the second message is refused until the clock moves past it.
    send(relay, user="other")
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=20) as s:
        s.login("other", "secret")
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            s.sendmail("a@example.com", ["b@example.org"], b"From: a@example.com\r\n\r\nx\r\n")
    assert refused.value.recipients["b@example.org"][0] == 550
    code, usage = relay.api("GET", "/api/v1/usage")
    other = [r for r in usage["rate_limits"] if r["name"] == "other"][0]
    assert other["used"] == 1 and other["count"] == 1 and other["per"] == "1h"
    code, clock = relay.api("POST", "/api/v1/clock", {"advance": "61m"})
    assert code == 200 and 3659 < clock["offset_seconds"] < 3661
    send(relay, user="other")
    code, page = relay.api("GET", "/api/v1/messages?user=other")
    assert page["total"] == 2
    # received_at follows the clock.
    first, second = page["messages"][1]["received_at"], page["messages"][0]["received_at"]
    assert second > first


def test_filters_paging_and_deletes(relay):
    a = send(relay, subject="Invoice 1", sender="billing@example.com", to=("x@one.example",))
    b = send(relay, subject="Welcome", to=("y@two.example", "z@two.example"), user="app")
    c = send(relay, subject="invoice 2", sender="billing@example.com", to=("x@one.example",))
    _, page = relay.api("GET", "/api/v1/messages")
    assert [m["id"] for m in page["messages"]] == [c, b, a]  # newest first
    assert relay.api("GET", "/api/v1/messages?subject=INVOICE")[1]["total"] == 2
    assert relay.api("GET", "/api/v1/messages?from=billing%40example.com&to=x%40one.example")[1]["total"] == 2
    assert relay.api("GET", "/api/v1/messages?to=z%40two.example")[1]["total"] == 1
    assert relay.api("GET", "/api/v1/messages?user=app")[1]["messages"][0]["id"] == b
    _, p = relay.api("GET", "/api/v1/messages?limit=1&offset=1")
    assert p["total"] == 3 and [m["id"] for m in p["messages"]] == [b]
    _, p = relay.api("GET", "/api/v1/messages?since=2200-01-01T00:00:00Z")
    assert p["total"] == 0
    # A long-poll that is never satisfied ends with what matched.
    start = time.time()
    code, p = relay.api("GET", "/api/v1/messages?subject=nothing&wait=700ms")
    assert code == 200 and p["total"] == 0 and 0.6 < time.time() - start < 5

    assert relay.api("DELETE", f"/api/v1/messages/{a}") == (200, {"deleted": 1})
    assert relay.api("GET", f"/api/v1/messages/{a}")[0] == 404
    assert relay.api("DELETE", f"/api/v1/messages/{a}")[0] == 404
    assert relay.api("DELETE", "/api/v1/messages") == (200, {"deleted": 2})
    assert relay.api("GET", "/api/v1/messages")[1]["total"] == 0


def test_message_detail_decodes_mime(relay):
    boundary = "b1"
    body = (f"--{boundary}\r\nContent-Type: multipart/alternative; boundary=b2\r\n\r\n"
            "--b2\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
            "Caf=C3=A9 =\r\nau lait\r\n"
            "--b2\r\nContent-Type: text/html; charset=iso-8859-1\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            "PHA+Q2Fm6TwvcD4=\r\n--b2--\r\n"
            f"--{boundary}\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\n"
            "Content-Disposition: attachment; filename=\"=?utf-8?b?csOpc3Vtw6kucGRm?=\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\nAAECAwQFBgcICQ==\r\n"
            f"--{boundary}--\r\n")
    mid = send(relay, subject="=?utf-8?q?=C3=A9t=C3=A9?= =?iso-8859-1?b?6XTp?=", sender="a@example.com",
               to=("b@example.org",), body=body,
               extra_headers=f"Cc: \"Doe, J\" <cc@example.org>\r\nMIME-Version: 1.0\r\n"
                             f"Content-Type: multipart/mixed; boundary={boundary}\r\n"
                             "X-Folded: one\r\n two\r\n")
    code, m = relay.api("GET", f"/api/v1/messages/{mid}")
    assert code == 200
    assert m["subject"] == "étéété"
    assert m["cc"] == ["cc@example.org"]
    assert ["X-Folded", "one two"] in m["headers"]
    assert m["text"] == "Café au lait"  # the CRLF before a boundary belongs to the boundary
    assert m["html"] == "<p>Café</p>"
    assert m["attachments"] == [{"name": "résumé.pdf", "type": "application/pdf", "size": 10, "part_id": "2",
                                 "content_id": None, "inline": False}]
    assert m["mail_parameters"] == {"body": None, "smtputf8": False, "ret": None, "envid": None}


def test_dsn_and_smtputf8_parameters_are_reported(relay):
    import socket
    s = socket.create_connection(("127.0.0.1", relay.ports["plain"]), timeout=10)
    f = s.makefile("rb")
    f.readline()
    s.sendall(b"EHLO c.example\r\n")
    for _ in range(20):
        if f.readline().startswith(b"250 "):
            break
    s.sendall(b"MAIL FROM:<a@example.com> BODY=8BITMIME RET=HDRS ENVID=abc123\r\n"
              b"RCPT TO:<b@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@example.org\r\nDATA\r\n")
    replies = [f.readline() for _ in range(3)]
    assert replies[2].startswith(b"354"), replies
    s.sendall(b"From: a@example.com\r\n\r\nx\r\n.\r\n")
    reply = f.readline()
    assert reply.startswith(b"250 OK id=")
    mid = reply.split(b"id=")[1].strip().decode()
    s.close()
    _, m = relay.api("GET", f"/api/v1/messages/{mid}")
    assert m["mail_parameters"] == {"body": "8BITMIME", "smtputf8": False, "ret": "HDRS", "envid": "abc123"}
    assert m["recipient_parameters"] == [{"address": "b@example.org", "notify": "SUCCESS,FAILURE",
                                          "orcpt": "rfc822;b@example.org"}]


def test_auth_plain_initial_response_is_masked(relay):
    p = subprocess.run(["swaks", "--server", f"127.0.0.1:{relay.ports['plain']}", "--from", "a@example.com",
                        "--to", "b@example.org", "--header", "From: a@example.com", "-a", "PLAIN", "-au", "app",
                        "-ap", "secret"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stdout
    _, ev = relay.api("GET", "/api/v1/events?rule=accepted")
    _, t = relay.api("GET", f"/api/v1/sessions/{ev['events'][-1]['session_id']}")
    texts = [l["text"] for l in t["lines"] if l["dir"] == "client"]
    assert "AUTH PLAIN ***" in texts
    assert not any("AGFwcABzZWNyZXQ" in x for x in texts)


def test_session_transcript_masks_auth_and_elides_bodies(relay):
    mid = send(relay, user="app", body="secret body line\r\n")
    _, m = relay.api("GET", f"/api/v1/messages/{mid}")
    code, t = relay.api("GET", f"/api/v1/sessions/{m['session_id']}")
    assert code == 200
    texts = [(l["dir"], l["text"]) for l in t["lines"]]
    # smtplib picks CRAM-MD5: the command shows, the response never does.
    assert ("client", "AUTH CRAM-MD5") in texts and ("client", "***") in texts
    assert not any("secret" in text for _, text in texts)
    assert any(d == "client" and text.startswith("<message content, ") for d, text in texts)
    assert ("server", f"250 OK id={mid}") in texts
    assert texts[0][0] == "server" and texts[0][1].startswith("220 ")
    assert relay.api("GET", "/api/v1/sessions/nope")[0] == 404


def test_usage_in_the_providers_shape(relay):
    send(relay, to=("b@example.org", "c@example.org"))
    code, u = relay.api("GET", "/api/v1/usage")
    assert code == 200
    assert u["cycle_used"] == 2 and u["cycle_max"] == 50 and u["cycle_remaining"] == 48
    assert u["cycle_start"].endswith("-01T00:00:00.000Z") and u["cycle_end"].endswith("-01T00:00:00.000Z")
    assert u["rate_limits"] == [{"kind": "user", "name": "other", "count": 1, "per": "1h", "used": 0,
                                 "in_open_transactions": 0, "resets_at": None}]


def test_clock_set_advance_reset_and_quota_cycle(relay):
    code, c = relay.api("POST", "/api/v1/clock", {"set": "2026-12-31T23:59:00Z"})
    assert code == 200 and c["now"].startswith("2026-12-31T23:59:")
    send(relay)
    assert relay.api("GET", "/api/v1/usage")[1]["cycle_start"] == "2026-12-01T00:00:00.000Z"
    relay.api("POST", "/api/v1/clock", {"advance": "2m"})
    u = relay.api("GET", "/api/v1/usage")[1]
    assert u["cycle_start"] == "2027-01-01T00:00:00.000Z" and u["cycle_used"] == 0  # a new cycle
    code, c = relay.api("POST", "/api/v1/clock", {"reset": True})
    assert code == 200 and abs(c["offset_seconds"]) < 0.001
    for bad in ({"advance": "soon"}, {"set": "tomorrow"}, {"reset": False}, {}, {"advance": "1m", "reset": True},
                {"speed": 2}):
        code, e = relay.api("POST", "/api/v1/clock", bad)
        assert code == 400 and e["error"], bad


def test_reset_parts(relay):
    send(relay)
    relay.api("GET", "/api/v1/events?wait=10s&min=3")  # accepted, then processed and delivered
    assert relay.api("POST", "/api/v1/reset", {"events": True}) == (200, {"reset": ["events"]})
    assert relay.api("GET", "/api/v1/messages")[1]["total"] == 1
    assert relay.api("GET", "/api/v1/events")[1]["total"] == 0
    assert relay.api("POST", "/api/v1/reset") == (200, {"reset": ["messages", "counters", "events", "suppressions"]})
    assert relay.api("GET", "/api/v1/usage")[1]["cycle_used"] == 0
    assert relay.api("POST", "/api/v1/reset", {"messages": "yes"})[0] == 400


def test_config_masks_secrets_and_reloads(make_relay):
    relay = make_relay(BASE + "\ntls: {}\n", listeners=("plain",))
    code, c = relay.api("GET", "/api/v1/config")
    assert code == 200
    assert {u["username"]: u["password"] for u in c["smtp_users"]} == {"app": "***", "other": "***"}
    assert c["account"]["quota"] == {"monthly": 50, "cycle_day": 1}
    assert "secret" not in json.dumps(c)
    # A bad file: 400 with FILE:LINE:COL, and the old config stays.
    good = open(relay.config).read()
    with open(relay.config, "a") as f:
        f.write("\nbogus_key: 1\n")
    code, e = relay.api("POST", "/api/v1/config/reload")
    assert code == 400 and f"{relay.config}:" in e["error"] and "unknown key 'bogus_key'" in e["error"]
    assert relay.api("GET", "/api/v1/config")[1]["account"]["quota"]["monthly"] == 50
    with open(relay.config, "w") as f:
        f.write(good.replace("monthly: 50", "monthly: 7"))
    code, c = relay.api("POST", "/api/v1/config/reload")
    assert code == 200 and c["account"]["quota"]["monthly"] == 7
    assert relay.api("GET", "/api/v1/usage")[1]["cycle_max"] == 7


def test_admin_token(make_relay):
    relay = make_relay(BASE + "http:\n  admin_token: s3cret-token\n", listeners=("plain",))
    code, e = relay.api("GET", "/api/v1/messages")
    assert code == 401 and "admin token" in e["error"]
    assert relay.api("GET", "/api/v1/messages", token="wrong")[0] == 401
    assert relay.api("GET", "/api/v1/messages", token="s3cret-token")[0] == 200
    assert relay.api("GET", "/healthz")[0] == 200  # health needs no token
    assert relay.api("GET", "/api/v1/config", token="s3cret-token")[1]["http"]["admin_token"] == "***"


@pytest.mark.parametrize("method,path,body,status,text", [
    ("GET", "/api/v1/messages?bogus=1", None, 400, "unknown query parameter 'bogus'"),
    ("GET", "/api/v1/messages?limit=0", None, 400, "limit must be a whole number from 1 to 1000"),
    ("GET", "/api/v1/messages?limit=abc", None, 400, "limit must be"),
    ("GET", "/api/v1/messages?wait=forever", None, 400, "wait must be a duration"),
    ("GET", "/api/v1/messages?wait=10m", None, 400, "wait must be a duration up to 5m"),
    ("GET", "/api/v1/messages?since=yesterday", None, 400, "since must be an RFC 3339 time"),
    ("GET", "/api/v1/messages?to=%zz", None, 400, "malformed percent-encoding"),
    ("GET", "/api/v1/messages?limit=1&limit=2", None, 400, "given twice"),
    ("GET", "/api/v1/events?since=-1", None, 400, "since must be a whole number"),
    ("GET", "/api/v1/nothing", None, 404, "no such endpoint"),
    ("GET", "/nothing", None, 404, "no such endpoint"),
    ("GET", "/api/v1/messages/no-such-id", None, 404, "no message with id 'no-such-id'"),
    ("GET", "/api/v1/messages/no-such-id/raw", None, 404, "no message with id"),
    ("PATCH", "/api/v1/messages", None, 405, "method not allowed"),
    ("GET", "/api/v1/reset", None, 405, "use POST"),
    ("POST", "/api/v1/clock", "{not json", 400, "malformed JSON"),
    ("POST", "/api/v1/clock", "[1, 2]", 400, "must be a JSON object"),
    ("POST", "/api/v1/reset", {"everything": True}, 400, "unknown field 'everything'"),
])
def test_bad_requests_get_clear_errors(make_relay, method, path, body, status, text):
    relay = make_relay(BASE, listeners=("plain",))
    code, e = relay.api(method, path, body)
    assert code == status, e
    assert text in e["error"]


def test_body_over_one_mib_is_413_and_server_survives(relay):
    big = "x" * (1024 * 1024 + 10)
    code, e = relay.api("POST", "/api/v1/reset", big)
    assert code == 413 and "1 MiB" in e["error"]
    assert relay.api("GET", "/healthz")[0] == 200


def test_malformed_http_gets_400_and_server_survives(relay):
    import socket
    for junk in (b"NOT HTTP AT ALL\r\n\r\n", b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
                 b"GET /healthz HTTP/1.1\r\n" + b"X: " + b"a" * 20000 + b"\r\n\r\n", b"\x00\xff\r\n\r\n"):
        s = socket.create_connection(("127.0.0.1", relay.http_port), timeout=10)
        s.sendall(junk)
        reply = s.recv(4096)
        s.close()
        assert reply.split(b" ")[1] in (b"400", b"431"), (junk[:30], reply[:80])
    assert relay.api("GET", "/healthz")[0] == 200


def test_long_poll_does_not_block_other_requests(relay):
    waiting = threading.Thread(target=lambda: relay.api("GET", "/api/v1/events?rule=never&wait=3s"))
    waiting.start()
    time.sleep(0.2)
    start = time.time()
    for _ in range(5):
        assert relay.api("GET", "/healthz")[0] == 200
    send(relay)
    assert time.time() - start < 2
    waiting.join(timeout=10)


def test_events_page_forward_by_seq_and_filter_by_session(relay):
    for _ in range(3):
        send(relay)
    # Each message also has its delivery events (stage delivery): the decisions are asked by rule.
    _, ev = relay.api("GET", "/api/v1/events?limit=2&rule=accepted")
    assert ev["total"] == 3 and len(ev["events"]) == 2
    last = ev["events"][-1]["seq"]
    _, rest = relay.api("GET", f"/api/v1/events?since={last}&rule=accepted")
    assert len(rest["events"]) == 1 and rest["events"][0]["seq"] > last
    session = rest["events"][0]["session_id"]
    _, mine = relay.api("GET", f"/api/v1/events?session={session}&wait=10s&min=3")
    assert [e["rule"] for e in mine["events"]] == ["accepted", "processed", "delivered"]


def test_reload_without_a_file():
    """On the embedded default there is no file to reload: 400 with the reason."""
    import socket
    from conftest import BIN
    # The embedded default listens on fixed ports; run it only if they are free.
    for p in (2525, 8025, 8465, 8080):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", p)) == 0:
                pytest.skip(f"port {p} is in use; the embedded default needs it")
    env = dict(os.environ)
    env.pop("RELAYMOCK_CONFIG", None)
    proc = subprocess.Popen([BIN], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        deadline = time.time() + 10
        while time.time() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", 8080)) == 0:
                    break
            time.sleep(0.05)
        code, e = http_request(8080, "POST", "/api/v1/config/reload")
        assert code == 400 and "embedded default config" in e["error"]
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_address_filters_match_whole_addresses_or_globs(relay):
    """to=/from= name an address, not a substring: the README's CI example
    `to=user@example.org` must not also return otheruser@example.org.uk."""
    a = send(relay, to=("user@example.org",))
    b = send(relay, to=("otheruser@example.org.uk",))
    c = send(relay, sender="Billing@example.com", to=("User@Example.ORG",))
    ids = lambda q: [m["id"] for m in relay.api("GET", "/api/v1/messages?" + q)[1]["messages"]]
    assert ids("to=user%40example.org") == [a]              # domain without case; local part with case
    assert ids("to=User%40EXAMPLE.org") == [c]
    assert sorted(ids("to=*user%40example.org*")) == sorted([a, b, c])  # a glob, asked for explicitly, without case
    assert ids("to=*%40example.org.uk") == [b]
    assert ids("from=billing%40example.com") == []          # local parts compare with case
    assert ids("from=Billing%40EXAMPLE.COM") == [c]
    assert ids("from=%3Filling%40*") == [c]                 # ? is one character


def test_delete_messages_by_ids_and_bad_bodies(relay):
    a, b, c = send(relay), send(relay), send(relay)
    # A bad body deletes nothing.
    for body, why in [({"IDs": [a]}, "unknown field 'IDs'"), ("not json", "malformed JSON"),
                      ({"ids": "x"}, "non-empty list"), ({"ids": [1]}, "strings"), ({"ids": []}, "non-empty list")]:
        code, resp = relay.api("DELETE", "/api/v1/messages", body)
        assert code == 400 and why in resp["error"], (body, resp)
    assert relay.api("GET", "/api/v1/messages")[1]["total"] == 3
    code, resp = relay.api("DELETE", "/api/v1/messages", {"ids": [a, "nope"]})
    assert code == 200 and resp == {"deleted": 1, "unknown": ["nope"]}
    assert sorted(m["id"] for m in relay.api("GET", "/api/v1/messages")[1]["messages"]) == sorted([b, c])
    assert relay.api("DELETE", "/api/v1/messages") == (200, {"deleted": 2})


def test_protocol_events_of_an_ip_client_carry_its_ip_identity(relay):
    # 127.0.0.1 is authorised by ip_auth: a syntax error is still that identity's.
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=10) as s:
        s.ehlo()
        assert s.docmd("MAIL FROM:<broken")[0] == 501
    _, page = relay.api("GET", "/api/v1/events?rule=syntax_error")
    e = page["events"][-1]
    assert e["identity"] == {"kind": "ip", "name": "127.0.0.1"}, e


def test_session_ids_differ_between_two_starts_in_the_same_second(make_relay):
    prefixes = set()
    for _ in range(2):
        r = make_relay(BASE, listeners=("plain",))
        mid = send(r)
        session = r.api("GET", f"/api/v1/messages/{mid}")[1]["session_id"]
        prefixes.add(session.rsplit("-", 1)[0])
        r.stop()
    assert len(prefixes) == 2, prefixes


def test_long_polls_count_only_what_matches_as_it_arrives(relay):
    # A wait checks each new message against its filter instead of
    # rescanning the store; a deletion makes it count again from scratch.
    result = {}
    poller = threading.Thread(target=lambda: result.update(
        r=relay.api("GET", "/api/v1/messages?subject=want&wait=30s&min=3")))
    events = threading.Thread(target=lambda: result.update(
        e=relay.api("GET", "/api/v1/events?rule=accepted&wait=30s&min=6")))
    poller.start()
    events.start()
    time.sleep(0.3)
    first = send(relay, subject="want 1")
    send(relay, subject="want 2")
    for i in range(5):
        send(relay, subject=f"other {i}")
    assert "r" not in result  # 2 of 3
    assert relay.api("DELETE", "/api/v1/messages", {"ids": [first]})[0] == 200
    send(relay, subject="want 3")
    time.sleep(0.3)
    assert "r" not in result  # still 2 of 3: the deleted one no longer counts
    send(relay, subject="want 4")
    poller.join(timeout=10)
    events.join(timeout=10)
    code, page = result["r"]
    assert code == 200 and page["total"] == 3
    assert sorted(m["subject"] for m in page["messages"]) == ["want 2", "want 3", "want 4"]
    code, ev = result["e"]
    assert code == 200 and ev["total"] >= 6 and all(e["rule"] == "accepted" for e in ev["events"])
    # A wait that times out answers with what matched by then, counted as it came.
    code, page = relay.api("GET", "/api/v1/messages?subject=want&wait=500ms&min=10")
    assert code == 200 and page["total"] == 3
