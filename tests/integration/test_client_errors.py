"""Every documented rule, shown to the user by real clients exactly as the provider
words it: Python's smtplib (the exception and its code/text) and swaks (its <** lines).
IP rules use other loopback source addresses (127.0.0.2, 127.0.0.3)."""
import smtplib
import subprocess

import pytest

from conftest import Relay

ACCOUNT = """
account:
  verified_domains: [example.com]
  verified_senders: [ops@other.org]
smtp_users:
  - { username: app, password: secret }
  - { username: blocked, password: secret, status: blocked }
  - { username: sandboxed, password: secret, status: sandbox }
  - { username: limited, password: secret, rate_limit: { count: 1, per: 1h } }
ip_auth:
  - { ip: 127.0.0.2, status: blocked }
  - { ip: 127.0.0.3, rate_limit: { count: 1, per: 1h } }
sender_verification: { mode: static, unroutable_domains: [nowhere.example], unknown_addresses: [ghost@example.com] }
"""
RESTRICTED = """
account:
  verified_domains: [example.com]
  restrict_senders: { mode: allowlist, entries: [billing@example.com] }
smtp_users: [{ username: app, password: secret }]
"""
QUOTA = """
account:
  verified_domains: [example.com]
  quota: { monthly: 1, cycle_day: 1 }
smtp_users: [{ username: app, password: secret }]
"""

# name, config, user (password "secret" unless auth_failed), source ip, envelope sender,
# From header, recipients, expected (code, text lines) of the first refusal.
CASES = [
    ("auth_failed", ACCOUNT, "app:wrong", "127.0.0.1", "a@example.com", "a@example.com", 1,
     (535, ["Incorrect authentication data"])),
    ("relay_denied", ACCOUNT, None, "127.0.0.1", "a@example.com", "a@example.com", 1,
     (550, ["Relay access denied - please authenticate"])),
    ("user_not_allowed", ACCOUNT, "blocked", "127.0.0.1", "a@example.com", "a@example.com", 1,
     (550, ["That smtp username is not allowed to send"])),
    ("ip_not_allowed", ACCOUNT, None, "127.0.0.2", "a@example.com", "a@example.com", 1,
     (550, ["That IP address is not allowed to send"])),
    ("blank_sender", ACCOUNT, "app", "127.0.0.1", "", "a@example.com", 1,
     (550, ["to send email from a blank sender, enable blank senders"])),
    ("sender_unroutable_domain", ACCOUNT, "app", "127.0.0.1", "x@nowhere.example", "a@example.com", 1,
     (550, ["Verification failed for <x@nowhere.example>", "Unroutable domain", "Unable to verify sender address"])),
    ("sender_unrouteable_address", ACCOUNT, "app", "127.0.0.1", "ghost@example.com", "a@example.com", 1,
     (550, ["Verification failed for <ghost@example.com>", "Unrouteable address", "Unable to verify sender address"])),
    ("sender_not_allowed", RESTRICTED, "app", "127.0.0.1", "sales@example.com", "sales@example.com", 1,
     (550, ["That SMTP sender is not on your allowed list"])),
    ("quota_exhausted", QUOTA, "app", "127.0.0.1", "a@example.com", "a@example.com", 2,
     (552, ["Your monthly email allowance is exhausted"])),
    ("user_rate_limited", ACCOUNT, "limited", "127.0.0.1", "a@example.com", "a@example.com", 2,
     (550, ["Your username has exceeded the allowed sending rate"])),
    ("ip_rate_limited", ACCOUNT, None, "127.0.0.3", "a@example.com", "a@example.com", 2,
     (550, ["Your IP address exceeded the allowed sending rate"])),
    ("from_header_unverified", ACCOUNT, "app", "127.0.0.1", "a@example.com", "news@shop.example", 1,
     (550, ["From header sender domain not verified (shop.example)", "On your Sending > Verified Senders page",
            "verify the sender domain or email to be allowed to send."])),
]
IDS = [c[0] for c in CASES]


@pytest.fixture
def relay_for(make_relay):
    # A fresh relay per case: counters (rate limits, quota) start at zero.
    return lambda yaml: make_relay(yaml, listeners=("plain",))


def credentials(user):
    if user is None:
        return None
    name, _, password = user.partition(":")
    return name, password or "secret"


def rcpts(n):
    return [f"r{i}@example.org" for i in range(1, n + 1)]


def smtplib_refusal(port, user, source, sender, header_from, n):
    """Sends with smtplib; returns (code, text) of the first refusal the user sees."""
    msg = f"From: {header_from}\r\nSubject: rules\r\n\r\nhello\r\n"
    with smtplib.SMTP("127.0.0.1", port, timeout=20, source_address=(source, 0)) as s:
        try:
            if credentials(user):
                s.login(*credentials(user))
            refused = s.sendmail(sender, rcpts(n), msg)
        except smtplib.SMTPRecipientsRefused as e:
            return next(iter(e.recipients.values()))
        except (smtplib.SMTPAuthenticationError, smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as e:
            return e.smtp_code, e.smtp_error
    assert refused, "every recipient was accepted"
    return next(iter(refused.values()))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_smtplib_shows_the_documented_reply(relay_for, case):
    name, yaml, user, source, sender, header_from, n, (code, lines) = case
    relay = relay_for(yaml)
    got = smtplib_refusal(relay.ports["plain"], user, source, sender, header_from, n)
    assert got == (code, "\n".join(lines).encode())
    assert f"rule={name}" in relay.output()  # the decision log names the rule


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_swaks_shows_the_documented_reply(relay_for, case):
    name, yaml, user, source, sender, header_from, n, (code, lines) = case
    relay = relay_for(yaml)
    cmd = ["swaks", "--server", f"127.0.0.1:{relay.ports['plain']}", "--local-interface", source,
           "--from", sender or "<>", "--to", ",".join(rcpts(n)), "--header", f"From: {header_from}"]
    if credentials(user):
        cmd += ["-a", "LOGIN", "-au", credentials(user)[0], "-ap", credentials(user)[1]]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if n == 1:
        assert p.returncode != 0  # with more recipients the first one still gets the message
    expected = [f"<** {code}{'-' if i < len(lines) - 1 else ' '}{line}" for i, line in enumerate(lines)]
    got = [l for l in p.stdout.splitlines() if l.startswith("<** ")]
    assert got == expected, p.stdout


@pytest.mark.parametrize("user,rule", [("app", "accepted"), ("sandboxed", "accepted_sandbox")])
def test_accepted_and_sandbox_both_get_250_with_an_id(relay_for, user, rule):
    relay = relay_for(ACCOUNT)
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=20) as s:
        s.login(user, "secret")
        s.mail("a@example.com")
        s.rcpt("r@example.org")
        code, text = s.data("From: a@example.com\r\nSubject: ok\r\n\r\nhi\r\n")
    assert code == 250 and text.startswith(b"OK id=")
    assert f"rule={rule}" in relay.output()
