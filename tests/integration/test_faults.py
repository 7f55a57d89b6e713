"""Listener faults and scenarios, seen from real clients: smtplib's error
types (refused, reset, timeout, TLS failure, disconnects and replies), swaks,
and curl for the API that changes them at runtime."""
import json
import smtplib
import socket
import ssl
import subprocess
import time

import pytest

from conftest import http_request

BASE = """
account: { verified_domains: [example.com] }
smtp_users: [{ username: app, password: secret }]
ip_auth: [{ ip: 127.0.0.1 }]
api_keys: [{ key: api-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA, name: ci }]
"""
MSG = b"From: a@example.com\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nhello\r\n"


def tls_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def set_fault(relay, port, fault):
    return relay.api("PUT", f"/api/v1/listeners/{port}/fault", {"fault": fault})


def send(port, user=None, subject="hi", rcpt="b@example.org", timeout=10):
    """One message by smtplib; returns the DATA reply code (or raises)."""
    with smtplib.SMTP("127.0.0.1", port, timeout=timeout) as s:
        if user:
            s.login(user, "secret")
        msg = MSG.replace(b"Subject: hi", b"Subject: " + subject.encode())
        try:
            s.sendmail("a@example.com", [rcpt], msg)
            return 250
        except smtplib.SMTPDataError as e:
            return e.smtp_code
        except smtplib.SMTPRecipientsRefused as e:
            return list(e.recipients.values())[0][0]


# ---- listener faults -------------------------------------------------------

def test_refuse_is_connection_refused_and_switches_live(make_relay):
    relay = make_relay(BASE, listeners=("plain", "starttls"))
    plain, other = relay.ports["plain"], relay.ports["starttls"]
    code, body = set_fault(relay, plain, "refuse")
    assert code == 200 and body["fault"] == "refuse"
    with pytest.raises(ConnectionRefusedError):
        smtplib.SMTP("127.0.0.1", plain, timeout=5)
    assert send(other) == 250  # the other port still works (an ISP blocking port 25 only)
    _, listing = relay.api("GET", "/api/v1/listeners")
    assert {l["port"]: l["fault"] for l in listing["listeners"]} == {plain: "refuse", other: "none"}
    assert set_fault(relay, plain, "none")[0] == 200
    assert send(plain) == 250


def test_refuse_from_the_config_file(make_relay):
    # A listener written with `fault: refuse` never listens until the API says so.
    from conftest import free_port
    port = free_port()
    relay = make_relay(BASE + f"server:\n  listeners: [{{ address: 127.0.0.1, port: {port}, tls: none, fault: refuse }}]\n",
                       listeners=())
    with pytest.raises(ConnectionRefusedError):
        smtplib.SMTP("127.0.0.1", port, timeout=5)
    assert set_fault(relay, port, "none")[0] == 200
    assert send(port) == 250


def test_reset_blackhole_and_close_after_greeting(make_relay):
    relay = make_relay(BASE, listeners=("plain",))
    port = relay.ports["plain"]
    set_fault(relay, port, "reset")
    with pytest.raises((ConnectionResetError, smtplib.SMTPServerDisconnected)):
        smtplib.SMTP("127.0.0.1", port, timeout=5)

    set_fault(relay, port, "blackhole")
    start = time.monotonic()
    # smtplib reports the silent server as a timeout (wrapped on Python 3.11).
    with pytest.raises((TimeoutError, socket.timeout, smtplib.SMTPServerDisconnected), match="timed out"):
        smtplib.SMTP("127.0.0.1", port, timeout=1)
    assert time.monotonic() - start >= 0.9

    set_fault(relay, port, "close_after_greeting")
    s = smtplib.SMTP("127.0.0.1", port, timeout=5)  # the greeting arrives
    with pytest.raises(smtplib.SMTPServerDisconnected):
        s.ehlo()
    s.close()


def test_tls_handshake_fail_implicit_and_starttls(make_relay):
    relay = make_relay(BASE, listeners=("implicit", "starttls"))
    set_fault(relay, relay.ports["implicit"], "tls_handshake_fail")
    set_fault(relay, relay.ports["starttls"], "tls_handshake_fail")
    with pytest.raises(ssl.SSLError, match="HANDSHAKE_FAILURE|handshake failure"):
        smtplib.SMTP_SSL("127.0.0.1", relay.ports["implicit"], timeout=5, context=tls_context())
    s = smtplib.SMTP("127.0.0.1", relay.ports["starttls"], timeout=5)
    with pytest.raises(ssl.SSLError, match="HANDSHAKE_FAILURE|handshake failure"):
        s.starttls(context=tls_context())
    s.close()
    # openssl s_client reports the same alert.
    p = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{relay.ports['implicit']}"],
                       input=b"", capture_output=True, timeout=20)
    assert b"handshake failure" in p.stderr + p.stdout


def test_slow_greeting_and_throttle(make_relay):
    relay = make_relay(BASE, listeners=("plain",))
    port = relay.ports["plain"]
    set_fault(relay, port, {"slow_greeting": "1500ms"})
    start = time.monotonic()
    s = smtplib.SMTP("127.0.0.1", port, timeout=10)
    assert time.monotonic() - start >= 1.4
    # After the slow greeting the client's commands are answered, not timed out.
    assert s.ehlo()[0] == 250
    assert s.sendmail("a@example.com", ["b@example.org"], "From: a@example.com\r\nSubject: x\r\n\r\nhi\r\n") == {}
    s.quit()

    code, body = set_fault(relay, port, {"throttle": 100})
    assert body["fault"] == {"throttle": 100}
    start = time.monotonic()
    s = smtplib.SMTP("127.0.0.1", port, timeout=20)
    s.ehlo()  # greeting + EHLO reply: over 200 bytes at 100 bytes/s
    assert time.monotonic() - start >= 1.5
    s.quit()


@pytest.mark.parametrize("path,body,status,text", [
    ("/api/v1/listeners/1/fault", {"fault": "refuse"}, 404, "no listener on port 1"),
    ("/api/v1/listeners/x/fault", {"fault": "refuse"}, 400, "port must be a number"),
    ("PORT", {"fault": "explode"}, 400, "must be one of none, refuse"),
    ("PORT", {"fault": {"slow_greeting": "soon"}}, 400, "must be a duration"),
    ("PORT", {"fault": {"throttle": 0}}, 400, "between 1 and"),
    ("PORT", {}, 400, "needs \"fault\""),
    ("PORT", "{not json", 400, "malformed JSON"),
    ("PORT", "fault: refuse", 400, "malformed JSON"),  # YAML is not JSON: read like every other body
    ("PORT", {"fault": "refuse", "extra": 1}, 400, "unknown field 'extra'"),
])
def test_fault_api_errors(make_relay, path, body, status, text):
    relay = make_relay(BASE, listeners=("plain",))
    path = path.replace("PORT", f"/api/v1/listeners/{relay.ports['plain']}/fault")
    code, resp = relay.api("PUT", path, body)
    assert code == status and text in resp["error"], resp
    assert send(relay.ports["plain"]) == 250


# ---- scenarios --------------------------------------------------------------

def test_every_third_message_from_app_gets_451(make_relay):
    relay = make_relay(BASE + """
scenarios:
  - name: third-fails
    stage: end_of_data
    match: { user: app }
    every: 3
    reply: "451 Temporary local problem - please try later"
""", listeners=("plain",))
    port = relay.ports["plain"]
    assert [send(port, user="app") for _ in range(6)] == [250, 250, 451, 250, 250, 451]
    assert send(port) == 250  # IP-authenticated mail does not match user app
    _, ev = relay.api("GET", "/api/v1/events?rule=scenario:third-fails")
    assert len(ev["events"]) == 2
    assert ev["events"][0]["reply"] == "451 Temporary local problem - please try later"
    assert ev["events"][0]["stage"] == "end_of_data" and "match 3" in ev["events"][0]["detail"]
    _, listed = relay.api("GET", "/api/v1/scenarios")
    assert listed["scenarios"][0]["matched"] == 6 and listed["scenarios"][0]["fired"] == 2
    assert relay.api("GET", "/api/v1/messages")[1]["total"] == 5


def test_times_retires_and_globs_match_recipients(make_relay):
    relay = make_relay(BASE + """
scenarios:
  - name: mailbox-full
    stage: rcpt
    match: { recipient: "*@Full.example" }
    times: 2
    reply: "552-Mailbox full\\n552 try again next week"
""", listeners=("plain",))
    port = relay.ports["plain"]
    assert send(port, rcpt="x@full.example") == 552
    assert send(port, rcpt="b@example.org") == 250
    assert send(port, rcpt="y@full.example") == 552
    assert send(port, rcpt="z@full.example") == 250  # retired
    _, listed = relay.api("GET", "/api/v1/scenarios")
    assert listed["scenarios"][0]["retired"] is True
    # swaks shows the multi-line reply as the customer saw it.
    relay.api("POST", "/api/v1/scenarios", {"name": "again", "stage": "rcpt", "match": {"recipient": "*@full.example"},
                                            "reply": "552-Mailbox full\n552 try again next week"})
    p = subprocess.run(["swaks", "--server", f"127.0.0.1:{port}", "--from", "a@example.com", "--to", "q@full.example",
                        "--timeout", "10"], capture_output=True, text=True, timeout=30)
    assert "552-Mailbox full" in p.stdout and "552 try again next week" in p.stdout


def test_connect_ehlo_mail_and_header_scenarios(make_relay):
    from conftest import free_port
    port = free_port()
    relay = make_relay(BASE + f"""
server:
  listeners: [{{ address: 127.0.0.1, port: {port}, tls: none }}]
scenarios:
  - {{ name: busy, stage: connect, match: {{ port: {port} }}, times: 1, reply: "421 relaymock.test busy - try later" }}
  - {{ name: hangup, stage: ehlo, times: 1, disconnect: true }}
  - {{ name: slow-mail, stage: mail, match: {{ sender: "slow@*" }}, delay: 1s }}
  - {{ name: no-urgent, stage: end_of_data, match: {{ header: {{ Subject: "^URGENT" }} }}, reply: "554 5.7.1 urgent mail refused" }}
""", listeners=())
    # The harness waited for the HTTP port only; this listener may bind a moment later (seen under TSan).
    from conftest import listening
    for _ in range(200):
        if listening(port):
            break
        time.sleep(0.05)
    with pytest.raises(smtplib.SMTPConnectError) as e:
        smtplib.SMTP("127.0.0.1", port, timeout=5)
    assert e.value.smtp_code == 421
    s = smtplib.SMTP("127.0.0.1", port, timeout=5)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        s.ehlo()
    s.close()
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
        s.ehlo()
        start = time.monotonic()
        assert s.mail("slow@example.com")[0] == 250
        assert time.monotonic() - start >= 0.9
    assert send(port, subject="URGENT: pay") == 554
    assert send(port, subject="not urgent") == 250
    _, ev = relay.api("GET", "/api/v1/events?rule=scenario:no-urgent")
    assert ev["events"][0]["reply"] == "554 5.7.1 urgent mail refused"


def test_probability_with_a_seed_repeats(make_relay):
    relay = make_relay(BASE, listeners=("plain",))
    port = relay.ports["plain"]
    sc = {"name": "flaky", "stage": "rcpt", "probability": 0.5, "seed": 42, "reply": "451 4.3.0 flaky"}

    def run():
        assert relay.api("POST", "/api/v1/scenarios", sc)[0] == 201
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
            s.ehlo()
            s.mail("a@example.com")
            out = [s.rcpt(f"r{i}@example.org")[0] for i in range(30)]
        assert relay.api("DELETE", "/api/v1/scenarios/flaky")[0] == 200
        return out

    first, second = run(), run()
    assert first == second
    assert set(first) == {250, 451}


def test_scenario_api_errors(make_relay):
    relay = make_relay(BASE, listeners=("plain",))
    code, resp = relay.api("POST", "/api/v1/scenarios", {"name": "x", "stage": "mail", "times": 1, "every": 2,
                                                         "reply": "451 x"})
    assert code == 400 and "one of times, every or probability" in resp["error"]
    code, resp = relay.api("POST", "/api/v1/scenarios", {"name": "x", "stage": "mail", "match": {"header": {"Subject": "a"}},
                                                         "reply": "451 x"})
    assert code == 400 and "needs stage end_of_data" in resp["error"]
    code, resp = relay.api("POST", "/api/v1/scenarios", {"name": "x", "stage": "later", "reply": "451 x"})
    assert code == 400 and "must be one of connect" in resp["error"]
    code, resp = relay.api("POST", "/api/v1/scenarios", {"name": "x", "stage": "mail"})
    assert code == 400 and "needs reply, delay or disconnect" in resp["error"]
    code, resp = relay.api("POST", "/api/v1/scenarios", {"name": "x", "stage": "end_of_data",
                                                         "match": {"header": {"Subject": "("}}, "reply": "451 x"})
    assert code == 400 and "not a valid regular expression" in resp["error"]
    # RE2 has no backreferences or lookaround: refused with its reason, not accepted to never match.
    for pattern, why in [("(a)\\1", "invalid escape sequence"), ("^(?=x)", "invalid perl operator")]:
        code, resp = relay.api("POST", "/api/v1/scenarios", {"name": "x", "stage": "end_of_data",
                                                             "match": {"header": {"Subject": pattern}}, "reply": "451 x"})
        assert code == 400 and "(RE2 syntax)" in resp["error"] and why in resp["error"], resp
    assert relay.api("POST", "/api/v1/scenarios", {"name": "x", "stage": "mail", "reply": "451 x"})[0] == 201
    assert relay.api("POST", "/api/v1/scenarios", {"name": "x", "stage": "mail", "reply": "451 y"})[0] == 409
    assert relay.api("DELETE", "/api/v1/scenarios/nope")[0] == 404
    assert relay.api("DELETE", "/api/v1/scenarios")[1] == {"deleted": 1}
    assert send(relay.ports["plain"]) == 250


def test_scenarios_reach_the_provider_api(make_relay):
    relay = make_relay(BASE + """
scenarios:
  - { name: api-outage, stage: mail, match: { api_key: ci }, times: 1, reply: "451 Temporary local problem - please try later" }
  - { name: api-drop, stage: end_of_data, match: { api_key: ci, recipient: "drop@*" }, disconnect: true }
""", listeners=("plain",))
    body = {"sender": "a@example.com", "to": ["b@example.org"], "subject": "s", "text_body": "t"}
    key = ("X-Smtp2go-Api-Key: api-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",)
    code, resp = http_request(relay.http_port, "POST", "/v3/email/send", body, headers=key)
    assert code == 200 and resp["data"]["failures"] == [
        "An error occurred during the SMTP request: Temporary local problem - please try later"]
    code, resp = http_request(relay.http_port, "POST", "/v3/email/send", body, headers=key)
    assert code == 200 and resp["data"]["succeeded"] == 1
    # A disconnect: curl gets no answer at all, and nothing is captured.
    code, _ = http_request(relay.http_port, "POST", "/v3/email/send", dict(body, to=["drop@example.org"]), headers=key)
    assert code == 0
    assert relay.api("GET", "/api/v1/messages")[1]["total"] == 1
    assert send(relay.ports["plain"]) == 250  # SMTP mail never matches api_key


def test_reply_then_disconnect_mid_session(make_relay):
    # "421 mid-session": the customer's client got a reply to RCPT, then lost the connection.
    relay = make_relay(BASE, listeners=("plain",))
    assert relay.api("POST", "/api/v1/scenarios", {
        "name": "mid-session", "stage": "rcpt", "match": {"recipient": "*@example.org"},
        "reply": "421 4.4.2 relaymock.test lost connection - closing", "disconnect": True})[0] == 201
    s = smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=10)
    s.ehlo()
    assert s.mail("a@example.com")[0] == 250
    code, text = s.rcpt("b@example.org")
    assert code == 421 and b"lost connection" in text
    with pytest.raises(smtplib.SMTPServerDisconnected):
        s.noop()
    s.close()
    _, ev = relay.api("GET", "/api/v1/events?rule=scenario:mid-session")
    assert "disconnect" in ev["events"][0]["detail"]


def test_scenario_bodies_are_json_or_pasted_yaml(make_relay):
    relay = make_relay(BASE, listeners=("plain",))
    # A body that is YAML but sent as JSON is refused in the API's JSON dialect.
    code, resp = relay.api("POST", "/api/v1/scenarios", "name: x\nstage: mail\nreply: '451 x'\n")
    assert code == 400 and resp["error"].startswith("malformed JSON"), resp
    code, resp = relay.api("POST", "/api/v1/scenarios", ["not", "an", "object"])
    assert code == 400 and "must be a JSON object" in resp["error"], resp
    # The same scenario pasted as YAML, as it would be written in the config.
    yaml_body = "name: pasted\nstage: rcpt\nmatch: { recipient: '*@full.example' }\nreply: '452 mailbox full'\n"
    p = subprocess.run(["curl", "-sS", "-w", "\n%{http_code}", "-X", "POST", "-H", "Content-Type: application/yaml",
                        "--data-binary", "@-", f"http://127.0.0.1:{relay.http_port}/api/v1/scenarios"],
                       input=yaml_body.encode(), capture_output=True, timeout=20)
    body, _, code = p.stdout.decode().rpartition("\n")
    assert code == "201", body
    assert json.loads(body)["name"] == "pasted"
    assert send(relay.ports["plain"], rcpt="x@full.example") == 452
    # A YAML error names its line and column.
    p = subprocess.run(["curl", "-sS", "-X", "POST", "-H", "Content-Type: application/yaml", "--data-binary", "@-",
                        f"http://127.0.0.1:{relay.http_port}/api/v1/scenarios"],
                       input=b"name: y\nstage: rcpt\ntimes: lots\nreply: '451 x'\n", capture_output=True, timeout=20)
    assert json.loads(p.stdout)["error"].startswith("3:"), p.stdout
