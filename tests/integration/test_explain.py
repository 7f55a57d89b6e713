"""Explain: POST /api/v1/explain and `relaymock explain` walk every check a send
would meet, without sending, capturing or counting. Each case is then sent for
real with smtplib (swaks for one), and the reply the client gets must be the
one the explanation named. Decision events carry the same checks."""
import json
import smtplib
import subprocess

import pytest

from conftest import BIN

CONFIG = """
account:
  verified_domains: [example.com]
  verified_senders: [Ops@other.org]
  restrict_senders: { mode: disabled, entries: [] }
  quota: { monthly: 50, cycle_day: 1 }
smtp_users:
  - { username: app, password: secret }
  - { username: old, password: secret, status: blocked }
  - { username: few, password: secret, rate_limit: { count: 2, per: 1h } }
ip_auth:
  - { ip: 127.0.0.3 }
"""

SHOP = """
account:
  verified_domains: [example.com]
  restrict_senders: { mode: allowlist, entries: [sales@example.com, example.org] }
smtp_users:
  - { username: app, password: secret }
"""


def message(header_from):
    return f"From: {header_from}\r\nTo: r@dest.test\r\nSubject: explain\r\n\r\nhello\r\n".encode()


def explain(relay, **body):
    code, x = relay.api("POST", "/api/v1/explain", body)
    assert code == 200, x
    return x


def reply_parts(wire):
    """(code, text) as smtplib reports a reply: the lines' texts joined by newlines."""
    lines = wire.split("\n")
    return int(lines[0][:3]), "\n".join(line[4:] for line in lines).encode()


def send(relay, user, sender, rcpts, header_from=None, source="127.0.0.1"):
    """What smtplib gets: ("ok", None), ("rcpt", {rcpt: (code, text)}), ("data", (code, text)), ("auth", ...)."""
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=20, source_address=(source, 0)) as s:
        if user:
            try:
                s.login(user, "secret")
            except smtplib.SMTPAuthenticationError as e:
                return "auth", (e.smtp_code, e.smtp_error)
        try:
            refused = s.sendmail(sender, rcpts, message(header_from or sender or "x@example.com"))
        except smtplib.SMTPRecipientsRefused as e:
            return "rcpt", e.recipients
        except smtplib.SMTPDataError as e:
            return "data", (e.smtp_code, e.smtp_error)
        return ("ok", None) if not refused else ("some", refused)


def checks_by_name(checks):
    return {c["name"]: c for c in checks}


def test_explain_names_the_reply_a_real_client_then_gets(make_relay):
    relay = make_relay(CONFIG, listeners=("plain",))
    cases = [
        # (explain body, user, sender, header From, failing check, words of its fix)
        (dict(user="app", **{"from": "a@example.com"}, header_from="news@mail.example.com"),
         "app", "a@example.com", "news@mail.example.com", "from_header", "subdomains are not covered"),
        (dict(user="app", **{"from": "a@example.com"}, header_from="ops@other.org"),
         "app", "a@example.com", "ops@other.org", "from_header", "local parts compare with case"),
        (dict(user="app", **{"from": "a@example.com"}, header_from="a@shop.test"),
         "app", "a@example.com", "a@shop.test", "from_header", "the rule reads the From: header"),
        (dict(user="old", **{"from": "a@example.com"}),
         "old", "a@example.com", None, "status", "set status: allowed"),
        (dict(ip="127.0.0.2", **{"from": "a@example.com"}),
         None, "a@example.com", None, "identity", "add an ip_auth entry"),
        (dict(ip="127.0.0.3", **{"from": ""}),
         None, "", None, "blank_sender", "allow_blank_sender: true"),
        (dict(user="app", **{"from": "a@nowhere.invalid"}),
         "app", "a@nowhere.invalid", "a@example.com", "sender_domain", "exists in DNS"),
    ]
    for body, user, sender, header_from, failing, fix_words in cases:
        x = explain(relay, to=["r@dest.test"], **body)
        assert not x["outcome"]["accepted"], x
        assert x["first_failure"]["name"] == failing, x
        assert fix_words in x["first_failure"]["fix"], x
        kind, got = send(relay, user, sender, ["r@dest.test"], header_from,
                         source=body.get("ip", "127.0.0.1"))
        want = reply_parts(x["outcome"]["reply"])
        if x["outcome"]["stage"] == "rcpt":
            assert kind == "rcpt" and got["r@dest.test"] == want, (x, got)
        else:
            assert x["outcome"]["stage"] == "data" and kind == "data" and got == want, (x, got)
    # Explaining counted nothing, captured nothing; the refusals above did not count either.
    _, usage = relay.api("GET", "/api/v1/usage")
    assert usage["cycle_used"] == 0
    _, msgs = relay.api("GET", "/api/v1/messages")
    assert msgs["total"] == 0


def test_an_unknown_user_is_refused_at_auth_with_the_near_miss(make_relay):
    relay = make_relay(CONFIG, listeners=("plain",))
    x = explain(relay, user="App", to="r@dest.test", **{"from": "a@example.com"})
    assert x["outcome"]["stage"] == "auth" and x["outcome"]["rule"] == "auth_failed"
    assert x["first_failure"]["fix"] == "smtp_users has app; the username is App: usernames compare with case"
    kind, got = send(relay, "App", "a@example.com", ["r@dest.test"])
    assert kind == "auth" and got == reply_parts(x["outcome"]["reply"])
    # The real refusal's event names the near miss in its detail (AUTH events keep no checks).
    _, ev = relay.api("GET", "/api/v1/events?rule=auth_failed")
    detail = ev["events"][-1]["detail"]  # smtplib tries its mechanisms in turn: the last one named
    assert detail.startswith("no smtp_users entry named 'App' (") and detail.endswith(
        "); smtp_users has app; the username is App: usernames compare with case"), detail
    assert ev["events"][-1]["checks"] == []


def test_limits_left_and_the_recipient_that_would_hit_them(make_relay):
    relay = make_relay(CONFIG, listeners=("plain",))
    # `few` may send 2 recipients an hour: explain 3 twice; nothing is held.
    for _ in range(2):
        x = explain(relay, user="few", to=["a@dest.test", "b@dest.test", "c@dest.test"], **{"from": "a@example.com"})
        assert [r["rule"] for r in x["recipients"]] == ["rcpt_ok", "rcpt_ok", "user_rate_limited"]
        assert x["outcome"]["accepted"] and x["outcome"]["accepted_recipients"] == 2
        limits = {l["name"]: l for l in x["limits"]}
        assert limits["rate_limit"]["left"] == 0 and limits["rate_limit"]["reached"]
        assert limits["rate_limit"]["per"] == "1h"
        assert limits["quota"] == {**limits["quota"], "limit": 50, "used": 0, "this_send": 2, "left": 48}
        failed = checks_by_name(x["recipients"][2]["checks"])["rate_limit"]
        assert failed["result"] == "fail" and "would exceed 2" in failed["compared"]
    kind, got = send(relay, "few", "a@example.com", ["a@dest.test", "b@dest.test", "c@dest.test"])
    assert kind == "some" and got["c@dest.test"] == reply_parts(x["recipients"][2]["reply"])
    # The third recipient's event walks every check, as its explanation did.
    _, ev = relay.api("GET", "/api/v1/events?rule=user_rate_limited&recipient=c@dest.test")
    checks = ev["events"][0]["checks"]
    assert [(c["name"], c["result"]) for c in checks] == [(c["name"], c["result"]) for c in x["recipients"][2]["checks"]]
    assert checks_by_name(checks)["identity"]["compared"] == "user few"
    assert "1 accepted + 2 in open transactions" not in checks_by_name(checks)["rate_limit"]["compared"]
    assert checks_by_name(checks)["rate_limit"]["compared"].startswith("rate limit per 1h for user few: 0 accepted + 2")
    # The accepted message's event shows the checks of its first recipient and the From rule.
    _, ev = relay.api("GET", "/api/v1/events?rule=accepted&recipient=a@dest.test")
    results = {c["name"]: c["result"] for c in ev["events"][0]["checks"]}
    assert results == {"identity": "pass", "status": "pass", "blank_sender": "pass", "sender_domain": "pass",
                       "restrict_senders": "skipped", "quota": "pass", "rate_limit": "pass", "from_header": "pass"}
    # Now the window is full: the explanation says when a place frees.
    x = explain(relay, user="few", to="a@dest.test", **{"from": "a@example.com"})
    assert x["outcome"]["rule"] == "user_rate_limited"
    assert x["first_failure"]["fix"].startswith("a place frees at 20")
    rate = {l["name"]: l for l in x["limits"]}["rate_limit"]
    assert rate["used"] == 2 and rate["left"] == 0 and rate["frees_at"]
    _, usage = relay.api("GET", "/api/v1/usage")
    assert usage["cycle_used"] == 2


def test_restrict_senders_near_misses_and_the_events_checks(make_relay):
    relay = make_relay(SHOP, listeners=("plain",))
    x = explain(relay, user="app", to="r@dest.test", **{"from": "Sales@example.com"})
    assert x["first_failure"]["fix"] == ("restrict_senders allowlist has sales@example.com; the sender is "
                                         "Sales@example.com: local parts compare with case")
    x = explain(relay, user="app", to="r@dest.test", **{"from": "a@mail.example.org"})
    assert "has example.org; the domain is mail.example.org: subdomains are not covered" in x["first_failure"]["fix"]
    # swaks, as a customer's script would send it.
    p = subprocess.run(["swaks", "--server", f"127.0.0.1:{relay.ports['plain']}", "--from", "Sales@example.com",
                        "--to", "r@dest.test", "-a", "LOGIN", "-au", "app", "-ap", "secret"],
                       capture_output=True, text=True, timeout=30)
    assert "550 That SMTP sender is not on your allowed list" in p.stdout
    # The event names the check that failed, its fix, and what was not reached;
    # events filter by sender and by recipient.
    _, ev = relay.api("GET", "/api/v1/events?sender=Sales@example.com&recipient=r@dest.test")
    assert ev["total"] == 1
    checks = ev["events"][0]["checks"]
    assert [c["name"] for c in checks] == ["identity", "status", "blank_sender", "sender_domain", "restrict_senders",
                                           "quota", "rate_limit", "from_header"]
    results = {c["name"]: c["result"] for c in checks}
    assert results == {"identity": "pass", "status": "pass", "blank_sender": "pass", "sender_domain": "pass",
                       "restrict_senders": "fail", "quota": "not_reached", "rate_limit": "not_reached",
                       "from_header": "not_reached"}
    assert "local parts compare with case" in checks[4]["fix"]
    # An accepted message's event has every check passed or skipped.
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=20) as s:
        s.login("app", "secret")
        s.sendmail("sales@example.com", ["ok@dest.test"], message("sales@example.com"))
    _, ev = relay.api("GET", "/api/v1/events?rule=accepted&recipient=ok@dest.test")
    results = {c["name"]: c["result"] for c in ev["events"][0]["checks"]}
    assert results["restrict_senders"] == "pass" and results["from_header"] == "skipped"
    assert "fail" not in results.values() and "not_reached" not in results.values()


def test_a_profile_answers_in_its_own_words_and_stage(make_relay):
    relay = make_relay(CONFIG + "\n", listeners=("plain",))
    port = relay.ports["plain"]
    cfg = open(relay.config).read().replace(f"port: {port}, tls: none }}", f"port: {port}, tls: none, profile: brevo }}")
    open(relay.config, "w").write(cfg)
    code, r = relay.api("POST", "/api/v1/config/reload")
    assert code == 200, r
    x = explain(relay, port=port, ip="127.0.0.2", to="r@dest.test", **{"from": "a@example.com"})
    assert x["profile"] == "brevo" and x["outcome"]["stage"] == "mail"
    assert x["outcome"]["reply"] == "502 5.7.0 Please authenticate first"
    with smtplib.SMTP("127.0.0.1", port, timeout=20, source_address=("127.0.0.2", 0)) as s:
        s.ehlo()
        code, text = s.mail("a@example.com")
    assert (code, text) == reply_parts(x["outcome"]["reply"])


def test_an_api_key_is_explained_in_the_api_wording(make_relay):
    relay = make_relay(CONFIG + "api_keys:\n  - { name: ci, key: api-0123456789abcdef0123456789abcdef }\n",
                       listeners=("plain",))
    x = explain(relay, api_key="ci", to="r@dest.test", **{"from": "a@example.com"}, header_from="a@shop.test")
    assert x["door"] == "api" and x["outcome"]["stage"] == "api"
    assert x["identity"] == {"kind": "api_key", "name": "ci", "status": "allowed"}
    assert x["outcome"]["rule"] == "from_header_unverified" and x["outcome"]["api_reply"]


@pytest.mark.parametrize("body,words", [
    ("not json", "JSON"),
    ({"to": "r@dest.test"}, "from is required"),
    ({"from": "a@example.com"}, "at least one recipient"),
    ({"from": "a@example.com", "to": 5}, "to must be an address or a list"),
    ({"from": "a@example.com", "to": ["r@dest.test", 7]}, "to must be an address or a list"),
    ({"from": "not an address", "to": "r@dest.test"}, "is not an address"),
    ({"from": "a@example.com", "to": "r@dest.test", "ip": "999.1.1.1"}, "ip: '999.1.1.1'"),
    ({"from": "a@example.com", "to": "r@dest.test", "port": 70000}, "port must be a number from 1 to 65535"),
    ({"from": "a@example.com", "to": "r@dest.test", "port": 1}, "no listener on port 1"),
    ({"from": "a@example.com", "to": "r@dest.test", "api_key": "nope"}, "no api_keys entry named 'nope'"),
    ({"from": "a@example.com", "to": "r@dest.test", "user": "app", "api_key": "x"}, "not both"),
    ({"from": "a@example.com", "to": "r@dest.test", "header_from": "a@example.com\r\nBcc: x@y.z"}, "without CR or LF"),
    ({"from": "a@example.com", "to": ["r@dest.test"] * 1001}, "at most 1000 recipients"),
    ({"from": "a@example.com", "to": "r@dest.test", "password": "x"}, "password"),
    ({"from": "a" * 100000 + "@example.com", "to": "r@dest.test"}, "is not an address"),
])
def test_bad_requests_get_one_clear_line(relay, body, words):
    code, err = relay.api("POST", "/api/v1/explain", body)
    assert code == 400, err
    assert words in err["error"], err
    assert len(err["error"]) < 600
    assert relay.api("GET", "/healthz")[0] == 200


def run_cli(*args):
    return subprocess.run([BIN, "explain", *args], capture_output=True, text=True, timeout=60)


def test_the_cli_prints_failures_first_and_the_apis_json(tmp_path):
    cfg = tmp_path / "customer.yaml"
    cfg.write_text(SHOP + "  - { username: few, password: x, rate_limit: { count: 1, per: 1d } }\n")
    p = run_cli("--config", str(cfg), "--user", "app", "--from", "Sales@example.com", "--to", "r@dest.test")
    assert p.returncode == 1, p.stderr
    lines = p.stdout.splitlines()
    assert "REFUSED at rcpt (sender_not_allowed)" in lines
    assert "  550 That SMTP sender is not on your allowed list" in lines
    table = lines[lines.index("checks:") + 2:]
    assert table[0].split()[:2] == ["restrict_senders", "fail"]  # failures first
    assert "fix: restrict_senders allowlist has sales@example.com" in table[1]
    p = run_cli("--config", str(cfg), "--user", "few", "--from", "sales@example.com", "--to", "a@dest.test",
                "--to", "b@dest.test", "--json")
    assert p.returncode == 0, p.stderr
    x = json.loads(p.stdout)
    assert [r["rule"] for r in x["recipients"]] == ["rcpt_ok", "user_rate_limited"]
    assert x["outcome"]["reply"] == "250 OK id=<id>"
    # The default config when no --config is given.
    p = run_cli("--ip", "127.0.0.1", "--from", "a@example.com", "--to", "r@dest.test")
    assert p.returncode == 0 and "ACCEPTED at data (accepted)" in p.stdout


@pytest.mark.parametrize("args,words", [
    ((), "--from is required"),
    (("--from",), "--from needs a value"),
    (("--from", "a@example.com", "--to", "r@dest.test", "--port", "x"), "--port must be a number"),
    (("--from", "a@example.com", "--to", "r@dest.test", "--frobnicate", "1"), "unknown option '--frobnicate'"),
    (("--from", "a@example.com"), "at least one recipient"),
    (("--config", "/nonexistent.yaml", "--from", "a@example.com", "--to", "r@dest.test"), "/nonexistent.yaml"),
])
def test_the_cli_refuses_bad_arguments_with_exit_2(args, words):
    p = run_cli(*args)
    assert p.returncode == 2 and words in p.stderr, (p.returncode, p.stderr)
