"""Other providers' profiles through real clients: one relaymock playing
SMTP2GO on one port and SES or SendGrid on others (smtplib, swaks), the
extensions a profile does not offer answered as a server without them, a
reload that changes a listener's face, and what the events say."""
import smtplib
import socket
import ssl
import subprocess
import time

import pytest

from conftest import free_port, listening

MESSAGE = "From: {frm}\r\nTo: bob@example.org\r\nSubject: hi\r\n\r\nhello\r\n"


def config(ports, extra=""):
    s2g, ses, sg, generic = ports
    return f"""
server:
  banner: provider
  region: eu-west-1
  listeners:
    - {{ address: 127.0.0.1, port: {s2g}, tls: none }}
    - {{ address: 127.0.0.1, port: {ses}, tls: none, profile: ses }}
    - {{ address: 127.0.0.1, port: {sg}, tls: starttls, profile: sendgrid }}
    - {{ address: 127.0.0.1, port: {generic}, tls: none, profile: generic }}
smtp_users: [{{ username: app, password: secret }}]
account: {{ verified_domains: [example.com] }}
ip_auth: [{{ ip: 127.0.0.1 }}]
{extra}"""


@pytest.fixture
def faces(make_relay):
    ports = [free_port() for _ in range(4)]
    relay = make_relay(config(ports), listeners=())
    relay.faces = dict(zip(("smtp2go", "ses", "sendgrid", "generic"), ports))
    # The harness waited for the HTTP port only: under TSan the SMTP listeners
    # bound later (a test met "connection refused"). Seen without connecting.
    deadline = time.time() + 20
    while not all(listening(p) for p in ports) and time.time() < deadline:
        time.sleep(0.05)
    assert all(listening(p) for p in ports), relay.output()
    return relay


def greeting(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.settimeout(10)
        data = b""
        while not data.endswith(b"\r\n"):
            chunk = s.recv(4096)
            assert chunk
            data += chunk
        s.sendall(b"QUIT\r\n")
        return data.decode()


def test_one_server_plays_smtp2go_and_ses_side_by_side(faces):
    p = faces.faces
    assert greeting(p["smtp2go"]).startswith("220 relaymock.test ESMTP Exim 4.97.1-S2G ")
    # SES documents no greeting: the generic one.
    assert greeting(p["ses"]) == "220 relaymock.test ESMTP Service ready\r\n"

    for port, text in ((p["smtp2go"], b"Incorrect authentication data"), (p["ses"], b"Authentication Credentials Invalid")):
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
            with pytest.raises(smtplib.SMTPAuthenticationError) as e:
                s.login("app", "wrong")
            assert e.value.smtp_code == 535 and e.value.smtp_error == text

    # ip_auth relays on SMTP2GO's face; SES relays for no address.
    with smtplib.SMTP("127.0.0.1", p["smtp2go"], timeout=10) as s:
        s.sendmail("alice@example.com", ["bob@example.org"], MESSAGE.format(frm="alice@example.com"))
    with smtplib.SMTP("127.0.0.1", p["ses"], timeout=10) as s:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as e:
            s.sendmail("alice@example.com", ["bob@example.org"], MESSAGE.format(frm="alice@example.com"))
        assert e.value.recipients["bob@example.org"] == (530, b"Authentication required")

    with smtplib.SMTP("127.0.0.1", p["ses"], timeout=10) as s:
        s.login("app", "secret")
        with pytest.raises(smtplib.SMTPDataError) as e:
            s.sendmail("alice@example.com", ["bob@example.org"], MESSAGE.format(frm="x@other.org"))
        assert e.value.smtp_code == 554
        assert e.value.smtp_error == (b"Message rejected: Email address is not verified. The following identities "
                                      b"failed the check in region EU-WEST-1: x@other.org")
        s.rset()
        code, text = s.mail("alice@example.com")
        assert (code, text) == (250, b"Ok")
        s.rcpt("bob@example.org")
        code, text = s.data(MESSAGE.format(frm="alice@example.com").encode())
        assert code == 250 and text.startswith(b"Ok ")
        ses_id = text.decode().split()[1]
    _, page = faces.api("GET", "/api/v1/messages")
    assert ses_id in [m["id"] for m in page["messages"]]
    _, ev = faces.api("GET", "/api/v1/events?rule=from_header_unverified")
    [refusal] = ev["events"]
    assert "profile ses: its text (SES developer guide" in refusal["detail"]
    assert refusal["reply"].startswith("554 Message rejected")


def swaks(port, *args):
    cmd = ["swaks", "--server", f"127.0.0.1:{port}", "--from", "alice@example.com", "--to", "bob@example.org",
           "--helo", "client.example", *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def test_swaks_meets_sendgrid_over_starttls(faces):
    port = faces.faces["sendgrid"]
    rc, out = swaks(port, "-tls", "-a", "LOGIN", "-au", "app", "-ap", "wrong")
    assert rc != 0
    assert "<-  220 SG ESMTP service ready at relaymock.test" in out
    assert "<-  220 Begin TLS negotiation now" in out
    assert "<~* 535 Authentication failed: Bad username / password" in out
    rc, out = swaks(port, "-tls", "-a", "PLAIN", "-au", "app", "-ap", "secret", "--header", "From: x@other.org")
    assert rc != 0
    assert "<~* 550 The from address does not match a verified Sender Identity." in out
    rc, out = swaks(port, "-tls", "-a", "PLAIN", "-au", "app", "-ap", "secret", "--header", "From: alice@example.com")
    assert rc == 0, out
    assert "<~  250 Ok: queued as " in out and "<~  221 See you later" in out


def exchange(port, lines, until=b"\r\n", pause=0.0):
    """Sends each line and returns the server's reply lines for the last one."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.settimeout(10)
        buf = b""

        def reply():
            nonlocal buf
            while True:
                for i, line in enumerate(buf.split(b"\r\n")[:-1]):
                    if len(line) >= 4 and line[3:4] == b" ":
                        out = buf.split(b"\r\n")[:i + 1]
                        buf = b"\r\n".join(buf.split(b"\r\n")[i + 1:])
                        return [x.decode() for x in out]
                chunk = s.recv(65536)
                if not chunk:
                    return ["<closed>"]
                buf += chunk

        reply()
        got = []
        for line in lines:
            s.sendall(line.encode() + b"\r\n")
            got = reply()
        return got


def test_extensions_a_profile_does_not_offer(faces):
    p = faces.faces
    # SendGrid lists AUTH PLAIN LOGIN only.
    assert exchange(p["sendgrid"], ["EHLO c.example", "AUTH CRAM-MD5"]) == ["504 CRAM-MD5 authentication mechanism not supported"]
    # ... and no CHUNKING: BDAT is an unknown command there.
    assert exchange(p["sendgrid"], ["EHLO c.example", "BDAT 10 LAST"]) == ["500 unrecognized command"]
    # Only SMTP2GO's face does PRDR.
    assert exchange(p["generic"], ["EHLO c.example", "MAIL FROM:<alice@example.com> PRDR"]) == [
        "555 5.5.4 Unsupported option: PRDR"]
    assert exchange(p["smtp2go"], ["EHLO c.example", "MAIL FROM:<alice@example.com> PRDR"]) == ["250 sender ok."]
    # The generic face offers CRAM-MD5, and a real client uses it.
    with smtplib.SMTP("127.0.0.1", p["generic"], timeout=10) as s:
        s.ehlo()
        assert "cram-md5" in s.esmtp_features["auth"].lower()
        assert s.login("app", "secret")[0] == 235
        assert s.noop()[0] == 250


def test_an_ehlo_before_the_greeting_without_pipeconnect(faces):
    """SES's face lists no PIPECONNECT: the greeting goes out on its own
    (not held for the early EHLO), then the EHLO is answered like any
    pipelined command, with no synchronisation error."""
    port = faces.faces["ses"]
    code, _ = faces.api("PUT", f"/api/v1/listeners/{port}/fault", {"fault": {"slow_greeting": "300ms"}})
    assert code == 200
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"EHLO early.example\r\n")
        s.settimeout(10)
        data, deadline = b"", time.monotonic() + 10
        while not data.endswith(b"250 SMTPUTF8\r\n") and time.monotonic() < deadline:
            chunk = s.recv(65536)
            assert chunk, data
            data += chunk
        assert data.startswith(b"220 relaymock.test ESMTP Service ready\r\n250-relaymock.test greets early.example\r\n")
        assert b"PIPECONNECT" not in data
        s.sendall(b"QUIT\r\n")
        assert s.recv(65536) == b"221 Bye\r\n"


def test_a_reload_changes_a_listeners_face(faces):
    port = faces.faces["smtp2go"]
    text = open(faces.config).read()
    with open(faces.config, "w") as f:
        f.write(text.replace(f"port: {port}, tls: none }}", f"port: {port}, tls: none, profile: postmark }}"))
    code, c = faces.api("POST", "/api/v1/config/reload")
    assert code == 200, c
    assert [l.get("profile") for l in c["server"]["listeners"]] == ["postmark", "ses", "sendgrid", "generic"]
    assert greeting(port) == "220 relaymock.test ESMTP\r\n"
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
        s.ehlo()
        assert s.has_extn("vrfy") and s.has_extn("enhancedstatuscodes") and not s.has_extn("chunking")
        with pytest.raises(smtplib.SMTPAuthenticationError) as e:
            s.login("app", "wrong")
        assert e.value.smtp_code == 535
        assert e.value.smtp_error == b"5.7.8 Error: authentication failed: UGFzc3dvcmQ6"
    # A bad profile in a reload: 400 with FILE:LINE:COL, the faces stay.
    with open(faces.config, "w") as f:
        f.write(text.replace("profile: ses", "profile: amazon"))
    code, e = faces.api("POST", "/api/v1/config/reload")
    assert code == 400 and "server.listeners[1].profile must be one of smtp2go, ses" in e["error"]
    assert greeting(faces.faces["ses"]) == "220 relaymock.test ESMTP Service ready\r\n"
