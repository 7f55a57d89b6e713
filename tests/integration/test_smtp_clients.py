"""Real clients (swaks, Python's smtplib, curl, msmtp) against the real binary, no TLS."""
import smtplib
import subprocess

import pytest

from conftest import BASE_CONFIG

MESSAGE = "From: alice@example.com\r\nTo: bob@example.org\r\nSubject: hi\r\n\r\nhello\r\n"


def swaks(port, *args):
    cmd = ["swaks", "--server", f"127.0.0.1:{port}", "--from", "alice@example.com",
           "--to", "bob@example.org", "--header", "From: alice@example.com", *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_swaks_each_auth_mechanism(relay, mech):
    rc, out = swaks(relay.ports["plain"], "-a", mech, "-au", "app", "-ap", "secret")
    assert rc == 0, out
    assert "<-  235 Authentication succeeded" in out
    assert "<-  250 OK id=" in out


@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_swaks_wrong_password_gets_exact_535(relay, mech):
    rc, out = swaks(relay.ports["plain"], "-a", mech, "-au", "app", "-ap", "Guess-7q2x")
    assert rc != 0
    assert "<** 535 Incorrect authentication data" in out
    assert "Guess-7q2x" not in relay.output()  # credentials never reach the log


def test_swaks_pipeline(relay):
    rc, out = swaks(relay.ports["plain"], "--pipeline", "-a", "PLAIN", "-au", "app", "-ap", "secret")
    assert rc == 0, out
    assert "250 OK id=" in out


def test_swaks_unauthenticated_relay_denied(relay):
    rc, out = swaks(relay.ports["plain"])
    assert "<** 550 Relay access denied - please authenticate" in out


def test_smtplib_login_and_send(relay):
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=10) as s:
        code, banner = s.ehlo("client.example")
        assert code == 250
        assert b"AUTH CRAM-MD5 PLAIN LOGIN" in banner
        s.login("app", "secret")
        refused = s.sendmail("alice@example.com", ["bob@example.org", "carol@example.org"], MESSAGE)
        assert refused == {}


def test_smtplib_wrong_password(relay):
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=10) as s:
        with pytest.raises(smtplib.SMTPAuthenticationError) as e:
            s.login("app", "nope")
        assert e.value.smtp_code == 535
        assert e.value.smtp_error == b"Incorrect authentication data"


def test_smtplib_recipients_refused(relay):
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=10) as s:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as e:
            s.sendmail("alice@example.com", ["bob@example.org"], MESSAGE)
        assert e.value.recipients["bob@example.org"] == (550, b"Relay access denied - please authenticate")


def test_smtplib_bdat_is_not_used_but_size_is_announced(relay):
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=10) as s:
        s.ehlo("c.example")
        assert s.esmtp_features["size"] == "52428800"
        assert "chunking" in s.esmtp_features


def curl_send(port, password, tmp_path):
    msg = tmp_path / "m.eml"
    msg.write_text(MESSAGE)
    return subprocess.run(["curl", "-sS", "-v", f"smtp://127.0.0.1:{port}", "--user", f"app:{password}",
                           "--mail-from", "alice@example.com", "--mail-rcpt", "bob@example.org", "-T", str(msg)],
                          capture_output=True, text=True, timeout=60)


def test_curl_smtp(relay, tmp_path):
    p = curl_send(relay.ports["plain"], "secret", tmp_path)
    assert p.returncode == 0, p.stderr
    assert "< 250 OK id=" in p.stderr


def test_curl_wrong_password(relay, tmp_path):
    p = curl_send(relay.ports["plain"], "bad", tmp_path)
    assert p.returncode != 0
    assert "< 535 Incorrect authentication data" in p.stderr


def test_many_messages_on_one_connection(relay):
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=10) as s:
        s.login("app", "secret")
        for i in range(50):
            assert s.sendmail("alice@example.com", ["bob@example.org"], MESSAGE) == {}
    assert relay.output().count("rule=accepted") == 50


@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_enhanced_status_codes_leave_auth_challenges_bare(make_relay, mech):
    # RFC 3463 has no class 3: a "334 5.0.0 <challenge>" breaks every client.
    r = make_relay(BASE_CONFIG + "server:\n  enhanced_status_codes: true\n", listeners=("plain",))
    rc, out = swaks(r.ports["plain"], "-a", mech, "-au", "app", "-ap", "secret")
    assert rc == 0, out
    assert "<-  235 2.7.0 Authentication succeeded" in out
    assert "<-  354 Enter message" in out
    assert "<-  250 2.0.0 OK id=" in out or "<-  250 OK id=" in out, out
    # smtplib's login() tries CRAM-MD5, then PLAIN, then LOGIN.
    with smtplib.SMTP("127.0.0.1", r.ports["plain"], timeout=20) as s:
        s.login("app", "secret")
        assert s.sendmail("alice@example.com", ["bob@example.org"], MESSAGE) == {}
