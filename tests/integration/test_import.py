"""`relaymock import`: the provider's API v3 view answers (fixtures in
tests/import/, in the shape the provider answers) to a config, then a real
client against relaymock running it: the customer's users, senders, limits
and the quota already used. Malformed exports: one clear line each, nothing
written."""
import datetime
import json
import os
import shutil
import smtplib
import subprocess

import pytest

from conftest import BIN, SOURCE

ACME = os.path.join(SOURCE, "tests", "import", "acme")


def run_import(*args):
    return subprocess.run([BIN, "import", *args], capture_output=True, text=True, timeout=60)


def generated(stderr, what):
    for line in stderr.splitlines():
        if line.startswith(f"generated {what}"):
            return line.split(": ", 1)[1].split(" (shown once")[0]
    raise AssertionError(f"no generated {what} in {stderr!r}")


def body(config_text):
    """The imported config without its header comment, for the test harness to extend."""
    return "\n".join(line for line in config_text.splitlines() if not line.startswith("# relaymock config imported"))


def test_an_account_export_becomes_a_config_a_client_can_send_through(tmp_path, make_relay):
    out = tmp_path / "relaymock.yaml"
    p = run_import(ACME, "-o", str(out))
    assert p.returncode == 0, p.stderr
    text = out.read_text()
    assert subprocess.run([BIN, "--check-config", str(out)], capture_output=True, timeout=30).returncode == 0
    assert 'rate_limit: { count: 2, per: 1h }' in text            # "1 hour"
    assert 'rate_limit: { count: 1000, per: 14d }' in text        # "2 weeks"
    assert '# not verified yet (DKIM and return path), so not allowed to send: ["mail.acme.example"]' in text
    assert "restrict_senders: { mode: allowlist" in text           # "whitelist"
    assert 'note: ' in p.stderr and 'field "last_used" is not used' in p.stderr
    news_password = generated(p.stderr, "password of smtp user acme-news")
    assert len(news_password) == 20 and news_password in text
    assert "api-4F7D...D7E9" not in text.split("# relaymock config imported")[1].split("\n", 2)[2]

    relay = make_relay(body(text), listeners=("plain",))
    port = relay.ports["plain"]
    msg = "From: {0}\r\nTo: bob@example.org\r\nSubject: hi\r\n\r\nhello\r\n"
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
        s.login("acme-app", "s3cret-app")
        # The allowlist holds Sales@acme.example and the domain acme.example.
        s.sendmail("Sales@acme.example", ["bob@example.org"], msg.format("Sales@acme.example"))
        with pytest.raises(smtplib.SMTPRecipientsRefused) as e:
            s.sendmail("someone@partner.example", ["bob@example.org"], msg.format("someone@partner.example"))
        assert e.value.recipients["bob@example.org"] == (550, b"That SMTP sender is not on your allowed list")
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
        s.login("acme-old", "old-pass")
        with pytest.raises(smtplib.SMTPRecipientsRefused) as e:
            s.sendmail("billing@partner.example", ["bob@example.org"], msg.format("billing@partner.example"))
        assert e.value.recipients["bob@example.org"] == (550, b"That smtp username is not allowed to send")
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
        assert s.login("acme-news", news_password)[0] == 235


def test_the_quota_already_used_is_hit_exactly_when_the_customers_would_be(tmp_path, make_relay):
    """cycle_used 9,997 of 10,000 in the cycle running now: 3 more recipients, then 552."""
    today = datetime.datetime.now(datetime.timezone.utc).date()
    start = today.replace(day=1)
    export = tmp_path / "export"
    export.mkdir()
    (export / "users.json").write_text(json.dumps({"request_id": "x", "data": {"results": [
        {"username": "acme-app", "email_password": "s3cret-app", "custom_ratelimit": False, "status": "allowed"}]}}))
    (export / "domains.json").write_text(json.dumps({"request_id": "x", "data": {"domains": [
        {"domain": {"fulldomain": "acme.example", "dkim_verified": True, "rpath_verified": True}}]}}))
    (export / "cycle.json").write_text(json.dumps({"request_id": "x", "data": {
        "cycle_start": f"{start.isoformat()}T00:00:00Z", "cycle_end": "later", "cycle_used": 9997,
        "cycle_remaining": 3, "cycle_max": 10000}}))
    p = run_import(str(export))
    assert p.returncode == 0, p.stderr
    assert f"used: 9997\n    used_in_cycle: {start.isoformat()}" in p.stdout
    relay = make_relay(body(p.stdout), listeners=("plain",))
    assert relay.api("GET", "/api/v1/usage")[1]["cycle_used"] == 9997
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=10) as s:
        s.login("acme-app", "s3cret-app")
        s.mail("a@acme.example")
        for r in ("b1@example.org", "b2@example.org", "b3@example.org"):
            assert s.rcpt(r)[0] == 250
        assert s.rcpt("b4@example.org") == (552, b"Your monthly email allowance is exhausted")
        assert s.data(b"From: a@acme.example\r\n\r\nx\r\n")[0] == 250
    _, usage = relay.api("GET", "/api/v1/usage")
    assert (usage["cycle_used"], usage["cycle_remaining"]) == (10000, 0)
    _, ev = relay.api("GET", "/api/v1/events?rule=quota_exhausted")
    assert "(9997 of them sent before relaymock: account.quota.used)" in ev["events"][0]["detail"]


@pytest.mark.parametrize("name, text, expect", [
    ("broken.json", '{"request_id": "x",\n "data": {"results": [\n  {"username": "a" "b"}]}}', "broken.json:3:20: not JSON"),
    ("array.json", "[1, 2]", "array.json: not an answer of the provider's API v3"),
    ("error.json", '{"data": {"error": "bad key", "error_code": "E_ApiResponseCodes.ENDPOINT_PERMISSION_DENIED"}}',
     "error.json: an error answer"),
    ("other.json", '{"data": {"emails": []}}', "other.json: not an answer of a view endpoint"),
    ("types.json", '{"data": {"results": [{"username": "app1", "custom_ratelimit": true, '
                   '"custom_ratelimit_value": "many", "custom_ratelimit_period": "1 hour"}]}}',
     "types.json: data.results[0].custom_ratelimit_value: must be a whole number"),
    ("period.json", '{"data": {"results": [{"username": "app1", "custom_ratelimit": true, '
                    '"custom_ratelimit_value": 5, "custom_ratelimit_period": "3 fortnights"}]}}',
     "period.json: data.results[0].custom_ratelimit_period: must be a period like"),
    ("mode.json", '{"data": {"mode": "greylist", "allowed_senders": []}}', "mode.json: data.mode: must be whitelist"),
    ("status.json", '{"data": {"results": [{"ip_address": "10.0.0.1", "status": "maybe"}]}}',
     "status.json: data.results[0].status: must be allowed, blocked or sandbox"),
    ("badip.json", '{"data": {"results": [{"ip_address": "10.0.0.300", "status": "allowed"}]}}',
     "does not load"),
    ("binary.json", "\x00\xff{", "binary.json:1:1: not JSON"),
    # Found by the import fuzzer: a year the clock cannot hold.
    ("year.json", '{"data": {"cycle_start": "1013-11-05T00:00:00Z", "cycle_used": 1, "cycle_max": 5}}',
     "year.json: data.cycle_start: must start with a date like 2026-11-05"),
])
def test_a_malformed_export_is_one_clear_line_and_nothing_is_written(tmp_path, name, text, expect):
    path = tmp_path / name
    path.write_bytes(text.encode("latin-1"))
    out = tmp_path / "out.yaml"
    p = run_import(str(path), "-o", str(out))
    assert p.returncode == 2
    assert expect in p.stderr, p.stderr
    assert not out.exists()


def test_import_arguments(tmp_path):
    p = run_import()
    assert p.returncode == 2 and "usage: relaymock import" in p.stderr
    p = run_import(str(tmp_path / "missing.json"))
    assert p.returncode == 2 and "no such file or directory" in p.stderr
    p = run_import(str(tmp_path))
    assert p.returncode == 2 and "no .json files in this directory" in p.stderr
    # One file of the set is enough; the others stay empty.
    shutil.copy(os.path.join(ACME, "domain_view.json"), tmp_path / "d.json")
    p = run_import(str(tmp_path / "d.json"))
    assert p.returncode == 0 and 'verified_domains: ["acme.example"]' in p.stdout and "smtp_users: []" in p.stdout
