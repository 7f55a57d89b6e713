"""sender_verification.mode system: real DNS answers (from a loopback DNS server)
decide whether the envelope sender's domain can receive mail."""
import smtplib
import subprocess
import time

import pytest

from conftest import Relay, Wire
from fakedns import FakeDns

ZONE = {
    "mx.example": {"MX": [(10, "mail.mx.example")]},
    "aonly.example": {"A": ["192.0.2.10"]},
    "v6only.example": {"AAAA": ["2001:db8::1"]},
    "nullmx.example": {"MX": [(0, ".")]},
    "empty.example": {},
    "broken.example": "SERVFAIL",
    "slow.example": "SILENT",
}
MESSAGE = "From: a@example.com\r\nSubject: dns\r\n\r\nhello\r\n"
UNROUTABLE = "Verification failed for <{}>\nUnroutable domain\nUnable to verify sender address"
DEFERRED = "Verification failed for <{}>\nhost lookup did not complete\nCould not complete sender verify"


@pytest.fixture(scope="module")
def dns():
    d = FakeDns(ZONE)
    yield d
    d.close()


@pytest.fixture(scope="module")
def relay(dns):
    r = Relay(f"""
account: {{ verified_domains: [example.com] }}
ip_auth: [{{ ip: 127.0.0.1 }}]
sender_verification:
  mode: system
  nameservers: ["127.0.0.1:{dns.port}"]
  dns_timeout: 1s
  cache_ttl: 5m
api_keys: [{{ key: api-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA, name: ci }}]
""", listeners=("plain",))
    yield r
    r.stop()


def send(relay, sender):
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=20) as s:
        return s.sendmail(sender, ["rcpt@example.org"], MESSAGE)


@pytest.mark.parametrize("domain", ["mx.example", "aonly.example", "v6only.example"])
def test_routable_domains_are_accepted(relay, domain):
    assert send(relay, f"x@{domain}") == {}


@pytest.mark.parametrize("domain", ["nullmx.example", "nosuch.example", "empty.example"])
def test_unroutable_domains_get_the_documented_550(relay, domain):
    sender = f"x@{domain}"
    with pytest.raises(smtplib.SMTPRecipientsRefused) as e:
        send(relay, sender)
    assert e.value.recipients["rcpt@example.org"] == (550, UNROUTABLE.format(sender).encode())


@pytest.mark.parametrize("domain", ["broken.example", "slow.example"])
def test_dns_failure_or_timeout_is_temporary_451(relay, domain):
    sender = f"x@{domain}"
    with pytest.raises(smtplib.SMTPRecipientsRefused) as e:
        send(relay, sender)
    assert e.value.recipients["rcpt@example.org"] == (451, DEFERRED.format(sender).encode())


def test_answers_are_cached_and_failures_are_not(relay, dns):
    send(relay, "first@mx.example")
    send(relay, "second@MX.example")
    assert dns.queries.count(("mx.example", "MX")) == 1
    before = dns.queries.count(("broken.example", "MX"))
    for _ in range(2):
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            send(relay, "x@broken.example")
    assert dns.queries.count(("broken.example", "MX")) >= before + 2


def test_a_slow_lookup_does_not_hold_up_other_sessions(relay):
    waiting = Wire(relay.ports["plain"], timeout=20)
    waiting.line()
    waiting.send("EHLO c.example\r\n")
    assert waiting.reply()[0].startswith("250")
    waiting.send("MAIL FROM:<late@slow.example>\r\nRCPT TO:<r@example.org>\r\n")
    assert waiting.line() == "250 OK"             # MAIL; RCPT now waits for DNS
    start = time.time()
    other = Wire(relay.ports["plain"])
    assert other.line().startswith("220 ")
    other.send("EHLO d.example\r\n")
    other.reply()
    other.send("NOOP\r\n")
    assert other.line() == "250 OK"
    assert time.time() - start < 0.9  # well inside the 1 s DNS timeout
    assert waiting.reply() == [f"451-Verification failed for <late@slow.example>",
                               "451-host lookup did not complete",
                               "451 Could not complete sender verify"]


def test_swaks_shows_the_unroutable_reply(relay):
    p = subprocess.run(["swaks", "--server", f"127.0.0.1:{relay.ports['plain']}", "--from", "x@nullmx.example",
                        "--to", "rcpt@example.org", "--header", "From: a@example.com"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    assert "<** 550-Verification failed for <x@nullmx.example>" in p.stdout
    assert "<** 550-Unroutable domain" in p.stdout
    assert "<** 550 Unable to verify sender address" in p.stdout


def test_decision_log_names_the_dns_answer(relay):
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(relay, "log@nullmx.example")
    assert "DNS for sender domain nullmx.example: null MX (RFC 7505)" in relay.output()


def test_smtp_and_the_api_v3_share_one_dns_cache(relay, dns):
    """The API v3 used to ask DNS for every send, whatever the cache held."""
    import json
    zone_name = "aonly.example"
    send(relay, "first@" + zone_name)  # SMTP fills the cache
    before = dns.queries.count((zone_name, "MX"))
    body = {"api_key": "api-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "sender": "api@" + zone_name, "to": ["r@example.org"],
            "subject": "dns", "text_body": "hi"}
    for _ in range(3):
        p = subprocess.run(["curl", "-sS", "-H", "Content-Type: application/json", "--data-binary", json.dumps(body),
                            f"http://127.0.0.1:{relay.http_port}/v3/email/send"], capture_output=True, timeout=20)
        resp = json.loads(p.stdout)
        # The From header is the sender's (not verified): refused at data, after the DNS step passed.
        assert resp["data"]["failed"] == 1 and "From header" in resp["data"]["failures"][0], resp
    assert dns.queries.count((zone_name, "MX")) == before  # answered from the cache each time
