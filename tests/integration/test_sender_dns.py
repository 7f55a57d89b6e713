"""sender_verification.mode system: real DNS answers (from a loopback DNS server)
decide whether the envelope sender's domain can receive mail."""
import smtplib
import subprocess
import time

import pytest

from conftest import Relay, Wire, http_request
from fakedns import FakeDns

ZONE = {
    "mx.example": {"MX": [(10, "mail.mx.example")]},
    "aonly.example": {"A": ["192.0.2.10"]},
    "v6only.example": {"AAAA": ["2001:db8::1"]},
    "nullmx.example": {"MX": [(0, ".")]},
    "empty.example": {},
    "broken.example": "SERVFAIL",
    "slow.example": "SILENT",
    "big.example": {"MX": [(10, "mail.big.example")], "tcp_only": True},
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
    assert waiting.line() == "250 sender ok."             # MAIL; RCPT now waits for DNS
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


def test_a_truncated_answer_is_asked_again_over_tcp(relay, dns):
    assert send(relay, "x@big.example") == {}
    assert ("big.example", "MX") in dns.tcp_queries


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


# ---- lookups that never get an answer ----------------------------------------
# 20 sessions whose sender domains got no DNS answer used to fill the two
# resolver threads, and an unrelated session then waited its turn until it was
# closed. The questions are asynchronous now: bounded, coalesced, cut short by
# their own session's deadline, and nobody else waits behind them.

SILENT_ZONE = dict({f"silent{i}.example": "SILENT" for i in range(30)},
                   **{"same.example": "SILENT", "ok.example": {"MX": [(10, "mail.ok.example")]}})


def dns_metrics(relay):
    _, text = http_request(relay.http_port, "GET", "/metrics", raw=True)
    out = {}
    for line in text.decode().splitlines():
        if line.startswith("relaymock_dns_"):
            name, value = line.split()
            out[name] = int(float(value))
    return out


def wait_metric(relay, name, value, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if dns_metrics(relay).get(name) == value:
            return True
        time.sleep(0.02)
    return False


def waiting_session(relay, sender, timeout=40):
    w = Wire(relay.ports["plain"], timeout=timeout)
    assert w.line().startswith("220 ")
    w.send("EHLO c.example\r\n")
    assert w.reply()[-1].startswith("250 ")
    w.send(f"MAIL FROM:<{sender}>\r\n")
    assert w.line() == "250 sender ok."
    w.send("RCPT TO:<r@example.org>\r\n")  # waits for DNS
    return w


def nothing_to_read(wires):
    import select
    readable, _, _ = select.select([w.sock for w in wires], [], [], 0)
    return not readable


@pytest.fixture()
def silent_dns():
    d = FakeDns(SILENT_ZONE)
    yield d
    d.close()


def silent_relay(make_relay, dns, extra="", dns_timeout="3s", bound=256):
    return make_relay(f"""
account: {{ verified_domains: [example.com] }}
ip_auth: [{{ ip: 127.0.0.1 }}]
sender_verification:
  mode: system
  nameservers: ["127.0.0.1:{dns.port}"]
  dns_timeout: {dns_timeout}
  max_lookups_in_flight: {bound}
{extra}
""", listeners=("plain",))


def test_silent_sender_domains_starve_no_other_session(make_relay, silent_dns):
    relay = silent_relay(make_relay, silent_dns)
    # 20 distinct silent domains, and 10 sessions asking about one more.
    waiting = [waiting_session(relay, f"s@silent{i}.example") for i in range(20)]
    waiting += [waiting_session(relay, f"s{i}@same.example") for i in range(10)]
    assert wait_metric(relay, "relaymock_dns_waits", 30)
    m = dns_metrics(relay)
    assert m["relaymock_dns_lookups_in_flight"] == 21
    assert m["relaymock_dns_lookups_coalesced_total"] == 9
    # An unrelated sender: answered and delivered while all 30 still wait.
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=20) as s:
        assert s.sendmail("me@ok.example", ["r@example.org"], MESSAGE) == {}
    assert nothing_to_read(waiting)
    assert dns_metrics(relay)["relaymock_dns_waits"] == 30
    # Then each silent one gets the temporary failure, no session is lost.
    for w in waiting:
        assert w.reply()[0].startswith("451-Verification failed for <s")
        w.send("QUIT\r\n")
        assert w.line().startswith("221 ")
        w.close()
    # The 10 sessions on one domain shared one question.
    assert silent_dns.queries.count(("same.example", "MX")) == 1
    assert wait_metric(relay, "relaymock_dns_lookups_in_flight", 0)


def test_a_sessions_deadline_ends_its_dns_wait(make_relay, silent_dns):
    relay = silent_relay(make_relay, silent_dns, "server:\n  timeouts: { command: 1s }")
    w = waiting_session(relay, "late@silent1.example")
    # The 421 comes at the session's deadline, while DNS is still being asked
    # (before, the session sat out the lookup first).
    assert w.line() == "421 relaymock.test: SMTP command timeout - closing connection"
    m = dns_metrics(relay)
    assert m["relaymock_dns_lookups_in_flight"] == 1 and m["relaymock_dns_waits"] == 0
    assert m["relaymock_dns_waits_abandoned_total"] == 1
    assert w.closed()
    assert wait_metric(relay, "relaymock_dns_lookups_in_flight", 0)


def test_lookups_in_flight_are_bounded(make_relay, silent_dns):
    relay = silent_relay(make_relay, silent_dns, bound=3)
    held = [waiting_session(relay, f"s@silent{i}.example") for i in range(3)]
    assert wait_metric(relay, "relaymock_dns_lookups_in_flight", 3)
    # A fourth domain is refused at once, with the reason in the log; a wait
    # on a domain already being asked joins it.
    joined = waiting_session(relay, "t@silent0.example")
    over = Wire(relay.ports["plain"], timeout=5)
    over.line()
    over.send("EHLO c.example\r\n")
    over.reply()
    over.send("MAIL FROM:<s@silent9.example>\r\n")
    assert over.line() == "250 sender ok."
    over.send("RCPT TO:<r@example.org>\r\n")
    assert over.reply() == ["451-Verification failed for <s@silent9.example>", "451-host lookup did not complete",
                            "451 Could not complete sender verify"]
    assert nothing_to_read(held + [joined])
    m = dns_metrics(relay)
    assert m["relaymock_dns_lookups_refused_total"] == 1 and m["relaymock_dns_waits"] == 4
    assert "resolver busy: 3 lookups in flight (sender_verification.max_lookups_in_flight)" in relay.output()
    for w in held + [joined]:
        assert w.reply()[0] == "451-Verification failed for <" + ("t" if w is joined else "s") + \
            "@silent" + str(held.index(w) if w in held else 0) + ".example>"
        w.close()
    over.close()


def test_sigterm_ends_dns_waits_at_once(make_relay, silent_dns):
    r = silent_relay(make_relay, silent_dns, dns_timeout="30s")
    waiting = [waiting_session(r, f"s@silent{i}.example") for i in range(5)]
    assert wait_metric(r, "relaymock_dns_waits", 5)
    r.proc.terminate()
    assert r.proc.wait(timeout=10) == 0  # not the 30 s a lookup would take
    for w in waiting:
        lines = []
        try:
            while True:
                lines.append(w.line())
        except (EOFError, ConnectionResetError):
            pass
        # The RCPT is answered (temporary failure), then the shutdown's 421.
        assert lines[0].startswith("451-Verification failed"), lines
        assert lines[-1].startswith("421 "), lines
        w.close()
