"""TLS: STARTTLS and implicit TLS with swaks, curl, smtplib and openssl s_client."""
import smtplib
import ssl
import subprocess

import pytest

from test_smtp_clients import MESSAGE, swaks


def insecure():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def test_swaks_starttls(relay):
    rc, out = swaks(relay.ports["starttls"], "--tls", "-a", "PLAIN", "-au", "app", "-ap", "secret")
    assert rc == 0, out
    assert "<-  220 TLS go ahead" in out
    assert "~> EHLO" in out
    assert "<~  250 OK id=" in out


def test_swaks_implicit_tls(relay):
    rc, out = swaks(relay.ports["implicit"], "--tlsc", "-a", "LOGIN", "-au", "app", "-ap", "secret")
    assert rc == 0, out
    assert "<~  220 relaymock.test ESMTP relaymock" in out
    assert "<~  250 OK id=" in out


def test_swaks_tls_wrong_password(relay):
    rc, out = swaks(relay.ports["implicit"], "--tlsc", "-a", "CRAM-MD5", "-au", "app", "-ap", "bad")
    assert "<~* 535 Incorrect authentication data" in out


def test_post_tls_ehlo_drops_starttls(relay):
    with smtplib.SMTP("127.0.0.1", relay.ports["starttls"], timeout=10) as s:
        s.ehlo("c.example")
        assert s.has_extn("starttls")
        s.starttls(context=insecure())
        s.ehlo("c.example")
        assert not s.has_extn("starttls")
        assert s.has_extn("auth")
        s.login("app", "secret")
        assert s.sendmail("alice@example.com", ["bob@example.org"], MESSAGE) == {}


def test_smtplib_ssl(relay):
    with smtplib.SMTP_SSL("127.0.0.1", relay.ports["implicit"], context=insecure(), timeout=10) as s:
        s.login("app", "secret")
        assert s.sendmail("alice@example.com", ["bob@example.org"], MESSAGE) == {}
        assert s.docmd("AUTH", "PLAIN AGFwcABzZWNyZXQ=") == (503, b"already authenticated")


def test_smtplib_ssl_wrong_password(relay):
    with smtplib.SMTP_SSL("127.0.0.1", relay.ports["implicit"], context=insecure(), timeout=10) as s:
        with pytest.raises(smtplib.SMTPAuthenticationError) as e:
            s.login("app", "wrong")
        assert (e.value.smtp_code, e.value.smtp_error) == (535, b"Incorrect authentication data")


def test_tls_versions(relay):
    ctx = insecure()
    with smtplib.SMTP_SSL("127.0.0.1", relay.ports["implicit"], context=ctx, timeout=10) as s:
        assert s.sock.version() in ("TLSv1.2", "TLSv1.3")
    old = insecure()
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old.minimum_version = ssl.TLSVersion.TLSv1
        old.maximum_version = ssl.TLSVersion.TLSv1_1
    old.set_ciphers("ALL:@SECLEVEL=0")
    with pytest.raises((ssl.SSLError, ConnectionError, smtplib.SMTPServerDisconnected)):
        smtplib.SMTP_SSL("127.0.0.1", relay.ports["implicit"], context=old, timeout=10)


@pytest.mark.parametrize("scheme", ["smtp", "smtps"])
def test_curl_tls(relay, tmp_path, scheme):
    msg = tmp_path / "m.eml"
    msg.write_text(MESSAGE)
    port = relay.ports["starttls" if scheme == "smtp" else "implicit"]
    for password, want in (("secret", "< 250 OK id="), ("bad", "< 535 Incorrect authentication data")):
        extra = ["--ssl-reqd"] if scheme == "smtp" else []
        p = subprocess.run(["curl", "-sS", "-v", "-k", *extra, f"{scheme}://127.0.0.1:{port}", "--user",
                            f"app:{password}", "--mail-from", "alice@example.com", "--mail-rcpt",
                            "bob@example.org", "-T", str(msg)], capture_output=True, text=True, timeout=60)
        assert want in p.stderr, p.stderr


def s_client(port, lines, pause=0.3):
    """openssl s_client -starttls smtp, typing one line at a time like a person would."""
    import time
    p = subprocess.Popen(["openssl", "s_client", "-quiet", "-starttls", "smtp", "-connect", f"127.0.0.1:{port}"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(pause * 2)
    for line in lines:
        p.stdin.write(line + "\r\n")
        p.stdin.flush()
        time.sleep(pause)
    out, err = p.communicate(timeout=60)
    return out, err


def test_openssl_s_client_starttls(relay):
    out, err = s_client(relay.ports["starttls"], ["EHLO c.example", "AUTH PLAIN AGFwcABzZWNyZXQ=", "AUTH PLAIN", "QUIT"])
    assert "235 Authentication succeeded" in out, out + err
    assert "503 already authenticated" in out
    assert "221 relaymock.test closing connection" in out
    out, err = s_client(relay.ports["starttls"], ["EHLO c.example", "AUTH PLAIN AGFwcAB3cm9uZw==", "QUIT"])
    assert "535 Incorrect authentication data" in out


def test_openssl_s_client_pasting_a_whole_session_is_a_sync_error(relay):
    # Everything at once, without waiting for the EHLO reply: Exim's 554, then close.
    p = subprocess.run(["openssl", "s_client", "-quiet", "-starttls", "smtp", "-connect",
                        f"127.0.0.1:{relay.ports['starttls']}"],
                       input="EHLO c.example\r\nMAIL FROM:<a@example.com>\r\nQUIT\r\n",
                       capture_output=True, text=True, timeout=60)
    assert p.stdout.strip().splitlines()[-1] == "554 SMTP synchronization error"


def test_implicit_port_never_speaks_cleartext(relay):
    import socket
    with socket.create_connection(("127.0.0.1", relay.ports["implicit"]), timeout=3) as s:
        s.sendall(b"EHLO c.example\r\n")
        try:
            data = s.recv(100)
        except (ConnectionResetError, socket.timeout):
            data = b""
        assert not data.startswith(b"220") and not data.startswith(b"250")


def test_msmtp_starttls(relay):
    p = subprocess.run(["msmtp", "--host=127.0.0.1", f"--port={relay.ports['starttls']}", "--auth=on", "--user=app",
                        "--passwordeval=echo secret", "--tls=on", "--tls-starttls=on", "--tls-certcheck=off",
                        "--from=alice@example.com", "bob@example.org"],
                       input=MESSAGE, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "rule=accepted" in relay.output()
    bad = subprocess.run(["msmtp", "--host=127.0.0.1", f"--port={relay.ports['starttls']}", "--auth=on",
                          "--user=app", "--passwordeval=echo nope", "--tls=on", "--tls-starttls=on",
                          "--tls-certcheck=off", "--from=alice@example.com", "bob@example.org"],
                         input=MESSAGE, capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0
    assert "535 Incorrect authentication data" in bad.stderr


def test_tls_directory_uses_mounted_certificates_else_self_signed(make_relay, tmp_path):
    import os
    import shutil
    from conftest import SOURCE
    certs = tmp_path / "certs"
    certs.mkdir()
    shutil.copy(os.path.join(SOURCE, "certs", "make-certs.sh"), certs)
    subprocess.run(["bash", str(certs / "make-certs.sh"), "relaymock.test"], check=True, capture_output=True)
    verify = ssl.create_default_context(cafile=str(certs / "ca.crt"))
    relay = make_relay(f"smtp_users: [{{ username: app, password: secret }}]\ntls: {{ directory: {certs} }}\n",
                       listeners=("implicit",))
    with smtplib.SMTP_SSL("localhost", relay.ports["implicit"], context=verify, timeout=20) as s:
        assert s.noop()[0] == 250  # the certificate verifies against the local CA
    empty = tmp_path / "empty"
    empty.mkdir()
    relay = make_relay(f"tls: {{ directory: {empty} }}\n", listeners=("implicit",))
    with pytest.raises(ssl.SSLCertVerificationError):
        smtplib.SMTP_SSL("localhost", relay.ports["implicit"], context=verify, timeout=20)
    with smtplib.SMTP_SSL("127.0.0.1", relay.ports["implicit"], context=insecure(), timeout=20) as s:
        assert s.noop()[0] == 250  # generated, self-signed
    assert "self-signed (generated)" in relay.output()
