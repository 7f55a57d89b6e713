"""The provider's account API v3 (/v3/users/smtp/*, /v3/domain/*,
/v3/single_sender_emails/*, /v3/allowed_senders/*, /v3/ip_auth/*,
/v3/api_keys/*) driven by curl: each change is in force for the next SMTP
transaction (swaks, smtplib), is an event, is listed as an override by
/api/v1/config, survives kill -9 in durable mode, is replayed or dropped by a
reload, and is written back out by /api/v1/config?format=yaml."""
import os
import smtplib
import subprocess

import pytest

from conftest import BIN, Relay, http_request

ADMIN = "api-" + "A" * 32
SENDER_ONLY = "api-" + "S" * 32

BASE = f"""
account:
  verified_domains: [example.com]
smtp_users: [{{ username: app-user, password: secret }}]
api_keys:
  - {{ key: {ADMIN}, name: admin }}
  - {{ key: {SENDER_ONLY}, name: sender, endpoints: [/email/send] }}
"""


def v3(relay, endpoint, body=None, key=ADMIN):
    return http_request(relay.http_port, "POST", "/v3/" + endpoint, body if body is not None else {},
                        headers=(f"X-Smtp2go-Api-Key: {key}",))


def swaks(port, user, password, sender="app@example.com", header_from=None):
    cmd = ["swaks", "--server", f"127.0.0.1:{port}", "--from", sender, "--to", "bob@dest.test",
           "--timeout", "10", "--auth", "PLAIN", "--auth-user", user, "--auth-password", password]
    if header_from:
        cmd += ["--header", f"From: {header_from}"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout + p.stderr


def send_smtp(port, sender, header_from, user="app-user", password="secret"):
    """(code, text) of the first refusal, or (250, '') when accepted."""
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
        s.login(user, password)
        try:
            s.sendmail(sender, ["bob@dest.test"], f"From: {header_from}\r\nSubject: t\r\n\r\nhi\r\n")
        except smtplib.SMTPRecipientsRefused as e:
            code, text = next(iter(e.recipients.values()))
            return code, text.decode()
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as e:
            return e.smtp_code, e.smtp_error.decode()
    return 250, ""


def without_blocks(yaml_text, names):
    """The YAML without these top-level keys (the test's Relay writes its own)."""
    out, skipping = [], False
    for line in yaml_text.splitlines():
        if line and not line.startswith((" ", "#", "-")):
            skipping = line.split(":", 1)[0] in names
        if not skipping:
            out.append(line)
    return "\n".join(out) + "\n"


def events(relay, rule):
    _, body = relay.api("GET", f"/api/v1/events?rule={rule}&limit=100")
    return body["events"]


@pytest.fixture
def relay(make_relay):
    return make_relay(BASE, listeners=("plain",))


def test_a_user_added_sends_at_once_then_blocked_then_removed(relay):
    port = relay.ports["plain"]
    status, body = v3(relay, "users/smtp/add", {"username": "tenant-1", "email_password": "pw-tenant-1",
                                                "description": "first tenant"})
    assert status == 200, body
    assert body["request_id"] and body["data"]["results"] == [{
        "username": "tenant-1", "email_password": "pw-tenant-1", "description": "first tenant", "status": "allowed",
        "sending_allowed": True, "custom_ratelimit": False, "custom_ratelimit_value": 0,
        "custom_ratelimit_period": "unlimited"}]
    rc, out = swaks(port, "tenant-1", "pw-tenant-1")
    assert rc == 0 and "250 OK id=" in out, out

    status, body = v3(relay, "users/smtp/edit", {"username": "tenant-1", "status": "blocked"})
    assert status == 200 and body["data"]["results"][0]["sending_allowed"] is False
    rc, out = swaks(port, "tenant-1", "pw-tenant-1")
    assert "550 That smtp username is not allowed to send" in out, out

    status, body = v3(relay, "users/smtp/remove", {"username": "tenant-1"})
    assert status == 200 and [u["username"] for u in body["data"]["results"]] == ["app-user"]
    rc, out = swaks(port, "tenant-1", "pw-tenant-1")
    assert "535" in out and rc != 0, out

    changed = [e["detail"] for e in events(relay, "account_changed")]
    assert changed == ["users/smtp/add: username tenant-1", "users/smtp/edit: username tenant-1",
                       "users/smtp/remove: username tenant-1"]
    assert all(e["identity"] == {"kind": "api_key", "name": "admin"} for e in events(relay, "account_changed"))


def test_a_generated_password_and_a_rate_limit_work_over_smtp(relay):
    status, body = v3(relay, "users/smtp/add", {"username": "tenant-2", "custom_ratelimit": True,
                                                "custom_ratelimit_value": 1, "custom_ratelimit_period": "1 hour"})
    assert status == 200, body
    user = body["data"]["results"][0]
    assert len(user["email_password"]) == 16 and user["custom_ratelimit_period"] == "1 hour"
    assert swaks(relay.ports["plain"], "tenant-2", user["email_password"])[0] == 0
    rc, out = swaks(relay.ports["plain"], "tenant-2", user["email_password"])
    assert rc != 0 and "550 Your username has exceeded the allowed sending rate" in out, out
    _, view = v3(relay, "users/smtp/view", {"username": "tenant-2"})
    assert [u["username"] for u in view["data"]["results"]] == ["tenant-2"]
    assert view["data"]["default_ratelimit_period"] == "unlimited"


def test_a_domain_added_is_pending_until_verified(relay):
    port = relay.ports["plain"]
    status, body = v3(relay, "domain/add", {"domain": "Shop.Example.ORG"})
    assert status == 200
    assert body["data"]["domains"][0]["domain"] == {"fulldomain": "shop.example.org", "dkim_verified": False,
                                                    "dkim_status": "pending", "rpath_verified": False,
                                                    "rpath_status": "pending"}
    code, text = send_smtp(port, "app@example.com", "news@shop.example.org")
    assert code == 550, text
    # The explanation names the step that is missing.
    status, why = relay.api("POST", "/api/v1/explain", {"user": "app-user", "from": "app@example.com",
                                                        "header_from": "news@shop.example.org",
                                                        "to": ["bob@dest.test"]})
    fixes = [c["fix"] for c in why["content"]["checks"] if c["result"] == "fail"]
    assert any("was added (domain/add) but is not verified yet" in f for f in fixes), why

    status, body = v3(relay, "domain/verify", {"domain": "shop.example.org"})
    assert status == 200 and body["data"]["domains"][0]["domain"]["dkim_status"] == "verified"
    assert send_smtp(port, "app@example.com", "news@shop.example.org") == (250, "")

    _, view = v3(relay, "domain/view")
    assert [d["domain"]["fulldomain"] for d in view["data"]["domains"]] == ["example.com", "shop.example.org"]
    assert v3(relay, "domain/remove", {"domain": "shop.example.org"})[0] == 200
    assert send_smtp(port, "app@example.com", "news@shop.example.org")[0] == 550


def test_single_senders_allowed_senders_and_ip_auth(relay):
    port = relay.ports["plain"]
    assert send_smtp(port, "ceo@partner.test", "ceo@partner.test")[0] == 550
    status, body = v3(relay, "single_sender_emails/add", {"email_address": "ceo@Partner.TEST"})
    assert status == 200 and body["data"]["senders"] == [{"email_address": "ceo@partner.test", "verified": True}]
    assert send_smtp(port, "ceo@partner.test", "ceo@partner.test") == (250, "")

    status, body = v3(relay, "allowed_senders/update", {"mode": "whitelist", "allowed_senders": ["Sales@example.com"]})
    assert status == 200 and body["data"] == {"mode": "whitelist", "allowed_senders": ["Sales@example.com"]}
    code, text = send_smtp(port, "sales@example.com", "sales@example.com")
    assert code == 550, text
    assert v3(relay, "allowed_senders/add", {"allowed_senders": ["sales@example.com"]})[0] == 200
    assert send_smtp(port, "sales@example.com", "sales@example.com") == (250, "")
    status, body = v3(relay, "allowed_senders/remove", {"allowed_senders": ["nobody@example.com"]})
    assert status == 400 and body["data"]["field_validation_errors"]["fieldname"] == "allowed_senders"
    assert v3(relay, "allowed_senders/update", {"mode": "disabled"})[1]["data"]["mode"] == "disabled"

    # ip_auth/edit adds an entry: a client at 127.0.0.1 now sends without AUTH.
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            s.sendmail("app@example.com", ["bob@dest.test"], "From: app@example.com\r\n\r\nx\r\n")
    status, body = v3(relay, "ip_auth/edit", {"ip_address": "127.0.0.1", "description": "ci runner",
                                              "status": "sandbox"})
    assert status == 200 and body["data"]["results"][0]["status"] == "sandbox"
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
        s.sendmail("app@example.com", ["bob@dest.test"], "From: app@example.com\r\n\r\nx\r\n")
    listed = relay.api("GET", "/api/v1/messages")[1]["messages"]
    by_ip = [m for m in listed if m["identity"]["kind"] == "ip"]
    assert len(by_ip) == 1 and by_ip[0]["sandbox"] is True, listed
    assert v3(relay, "ip_auth/remove", {"ip_address": "127.0.0.1"})[0] == 200
    assert v3(relay, "ip_auth/view")[1]["data"]["results"] == []


def test_api_keys_their_permissions_and_endpoint_permission_denied(relay):
    status, body = v3(relay, "users/smtp/view", key=SENDER_ONLY)
    assert status == 400 and body["data"]["error_code"] == "E_ApiResponseCodes.ENDPOINT_PERMISSION_DENIED"
    assert "may call /email/send" in body["data"]["error"]

    status, body = v3(relay, "api_keys/add", {"description": "tenant key"})
    assert status == 200, body
    new = body["data"]["results"][0]
    assert new["api_key"].startswith("api-") and len(new["api_key"]) == 36 and new["endpoints"] == ["/email/send"]
    mail = {"sender": "app@example.com", "to": ["bob@dest.test"], "subject": "s", "text_body": "t"}
    status, sent = v3(relay, "email/send", mail, key=new["api_key"])
    assert status == 200 and sent["data"]["succeeded"] == 1, sent
    assert v3(relay, "domain/view", key=new["api_key"])[1]["data"]["error_code"].endswith("PERMISSION_DENIED")

    # Views show keys masked; edit and remove name them by id.
    _, view = v3(relay, "api_keys/view")
    shown = {k["description"]: k for k in view["data"]["results"]}
    assert shown["tenant key"]["api_key"] == new["api_key"][:8] + "..." + new["api_key"][-4:]
    status, body = v3(relay, "api_keys/edit", {"id": new["id"], "endpoints": ["/email/send", "domain/view"],
                                               "status": "sandbox"})
    assert status == 200 and body["data"]["results"][0]["endpoints"] == ["/email/send", "/domain/view"]
    assert v3(relay, "domain/view", key=new["api_key"])[0] == 200
    assert v3(relay, "api_keys/remove", {"id": new["id"]})[0] == 200
    status, body = v3(relay, "email/send", mail, key=new["api_key"])
    assert status == 401 and body["data"]["error_code"].endswith("ENDPOINT_PERMISSION_DENIED")


@pytest.mark.parametrize("endpoint,body,field", [
    ("users/smtp/add", {}, "username"),
    ("users/smtp/add", {"username": "abc"}, "username"),
    ("users/smtp/add", {"username": "x" * 101}, "username"),
    ("users/smtp/add", {"username": "new-user", "status": "paused"}, "status"),
    ("users/smtp/add", {"username": "new-user", "custom_ratelimit": True}, "custom_ratelimit_value"),
    ("users/smtp/add", {"username": "new-user", "custom_ratelimit": True, "custom_ratelimit_value": 5,
                        "custom_ratelimit_period": "1 fortnight"}, "custom_ratelimit_period"),
    ("users/smtp/add", {"username": "new-user", "custom_ratelimit": "yes"}, "custom_ratelimit"),
    ("users/smtp/add", {"username": "new-user", "description": "a\nb"}, "description"),
    ("users/smtp/add", {"username": "new-user", "description": "d" * 5000}, "description"),
    ("users/smtp/add", {"username": "app-user"}, "username"),
    ("users/smtp/edit", {"username": "ghost-user", "status": "blocked"}, "username"),
    ("users/smtp/remove", {"username": 12345}, "username"),
    ("domain/add", {"domain": "not a domain"}, "domain"),
    ("domain/add", {"domain": "example.com"}, "domain"),
    ("domain/verify", {"domain": "unknown.test"}, "domain"),
    ("single_sender_emails/add", {"email_address": "no-at-sign"}, "email_address"),
    ("allowed_senders/update", {"mode": "greylist"}, "mode"),
    ("allowed_senders/update", {"allowed_senders": "a@b.c"}, "allowed_senders"),
    ("allowed_senders/add", {"allowed_senders": [{"x": 1}]}, "allowed_senders"),
    ("allowed_senders/add", {"allowed_senders": ["x@y.z"] * 1001}, "allowed_senders"),
    ("ip_auth/edit", {"ip_address": "300.1.1.1"}, "ip_address"),
    ("ip_auth/remove", {"ip_address": "10.9.9.9"}, "ip_address"),
    ("api_keys/add", {}, "description"),
    ("api_keys/add", {"description": "admin"}, "description"),
    ("api_keys/add", {"description": "k", "endpoints": ["/email/teleport"]}, "endpoints"),
    ("api_keys/edit", {"id": "0000000000000000", "status": "blocked"}, "id"),
])
def test_bad_fields_get_the_providers_payload_error_and_change_nothing(relay, endpoint, body, field):
    _, before = relay.api("GET", "/api/v1/config")
    status, answer = v3(relay, endpoint, body)
    assert status == 400, answer
    data = answer["data"]
    assert data["error_code"] == "E_ApiResponseCodes.NON_VALIDATING_IN_PAYLOAD"
    assert data["field_validation_errors"]["fieldname"] == field, data
    assert data["field_validation_errors"]["message"] == data["error"]
    _, after = relay.api("GET", "/api/v1/config")
    assert after == before and after["overrides"] == []
    assert events(relay, "account_change_refused")[-1]["detail"].startswith(endpoint)


def test_hostile_bodies_are_refused_and_the_server_stays_up(relay):
    for raw in (b"{", b"[]", b"\xff\xfe", b'{"username": "' + b"\x00" * 10 + b'"}', b"null"):
        status, _ = http_request(relay.http_port, "POST", "/v3/users/smtp/add", raw,
                                 headers=(f"X-Smtp2go-Api-Key: {ADMIN}",))
        assert status == 400
    # The provider's bound for calls that send no email: 1 MB.
    big = b'{"username": "tenant-big", "description": "' + b"x" * (2 << 20) + b'"}'
    status, _ = http_request(relay.http_port, "POST", "/v3/users/smtp/add", big,
                             headers=(f"X-Smtp2go-Api-Key: {ADMIN}",))
    assert status == 413
    status, body = v3(relay, "users/smtp/teleport")
    assert status == 404 and "/users/smtp/add" in body["data"]["error"]
    assert relay.api("GET", "/healthz")[0] == 200
    assert relay.api("GET", "/api/v1/config")[1]["overrides"] == []


def test_overrides_are_listed_replayed_over_a_reload_or_dropped(relay):
    assert v3(relay, "users/smtp/add", {"username": "tenant-3", "email_password": "pw3"})[0] == 200
    assert v3(relay, "domain/add", {"domain": "late.test"})[0] == 200
    _, cfg = relay.api("GET", "/api/v1/config")
    assert [(o["endpoint"], o["by"]) for o in cfg["overrides"]] == [("users/smtp/add", "admin"),
                                                                     ("domain/add", "admin")]
    assert cfg["overrides"][0]["fields"]["email_password"] == "***"
    assert cfg["account"]["unverified_domains"] == ["late.test"]

    # The file now has late.test verified itself: that change no longer applies.
    with open(relay.config) as f:
        text = f.read()
    with open(relay.config, "w") as f:
        f.write(text.replace("verified_domains: [example.com]", "verified_domains: [example.com, late.test]"))
    status, body = relay.api("POST", "/api/v1/config/reload")
    assert status == 200, body
    assert [o["endpoint"] for o in body["overrides"]] == ["users/smtp/add"]
    assert len(body["overrides_dropped"]) == 1 and "late.test is already on this account" in body["overrides_dropped"][0]
    assert swaks(relay.ports["plain"], "tenant-3", "pw3")[0] == 0

    status, body = relay.api("POST", "/api/v1/config/reload", {"keep_overrides": False})
    assert status == 200 and body["overrides"] == [] and [u["username"] for u in body["smtp_users"]] == ["app-user"]
    assert "535" in swaks(relay.ports["plain"], "tenant-3", "pw3")[1]
    assert relay.api("POST", "/api/v1/config/reload", {"keep_overrides": "no"})[0] == 400


def test_changes_survive_kill_9_in_durable_mode(make_relay, tmp_path):
    relay = make_relay(BASE + f"storage:\n  path: {tmp_path / 'data'}\n", listeners=("plain",))
    assert v3(relay, "users/smtp/add", {"username": "tenant-4", "email_password": "pw4"})[0] == 200
    status, body = v3(relay, "api_keys/add", {"description": "kept key"})
    key = body["data"]["results"][0]["api_key"]
    relay.kill9()
    relay.start()
    assert swaks(relay.ports["plain"], "tenant-4", "pw4")[0] == 0
    mail = {"sender": "app@example.com", "to": ["bob@dest.test"], "subject": "s", "text_body": "t"}
    assert v3(relay, "email/send", mail, key=key)[1]["data"]["succeeded"] == 1
    assert len(relay.api("GET", "/api/v1/config")[1]["overrides"]) == 2


def test_the_running_account_written_as_yaml_loads_to_the_same_account(relay, tmp_path):
    v3(relay, "users/smtp/add", {"username": "tenant-5", "email_password": "true", "custom_ratelimit": True,
                                 "custom_ratelimit_value": 10, "custom_ratelimit_period": "2 weeks"})
    v3(relay, "domain/add", {"domain": "pending.test"})
    v3(relay, "allowed_senders/update", {"mode": "blacklist", "allowed_senders": ["spam.test", "x@y.test"]})
    v3(relay, "ip_auth/edit", {"ip_address": "10.0.0.0/8", "description": "office: main", "status": "blocked"})
    v3(relay, "api_keys/add", {"description": "yes", "endpoints": ["/email/send", "/stats/email_cycle"]})
    status, text = http_request(relay.http_port, "GET", "/api/v1/config?format=yaml", raw=True)
    assert status == 200 and text.startswith(b"# relaymock config written by GET /api/v1/config?format=yaml")
    path = tmp_path / "written.yaml"
    path.write_bytes(text)
    check = subprocess.run([BIN, "--check-config", str(path)], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr + text.decode()

    again = Relay(without_blocks(path.read_text(), ("server", "http")), listeners=("plain",))
    try:
        _, first = relay.api("GET", "/api/v1/config")
        _, second = again.api("GET", "/api/v1/config")
        for section in ("account", "smtp_users", "ip_auth", "api_keys"):
            assert first[section] == second[section], section
        for endpoint in ("users/smtp/view", "domain/view", "allowed_senders/view", "ip_auth/view", "api_keys/view"):
            assert v3(relay, endpoint)[1]["data"] == v3(again, endpoint)[1]["data"], endpoint
        assert swaks(again.ports["plain"], "tenant-5", "true")[0] == 0
    finally:
        again.stop()
    assert http_request(relay.http_port, "GET", "/api/v1/config?format=toml")[0] == 400
