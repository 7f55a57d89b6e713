"""The provider's HTTP API v3 (/v3/email/send, /v3/email/mime,
/v3/stats/email_cycle) driven by curl with the request shapes of the
provider's own client libraries, checked against what the same relay captures
from SMTP."""
import base64
import json
import re
import smtplib
import uuid

import pytest

from conftest import http_request

CI = "api-" + "A" * 16 + "b" * 8 + "0123456C"
BLOCKED = "api-" + "B" * 32
SANDBOX = "api-" + "S" * 32
SLOW = "api-" + "R" * 32
UNKNOWN = "api-" + "Z" * 32

BASE = f"""
account:
  verified_domains: [example.com]
  quota: {{ monthly: 50, cycle_day: 1 }}
smtp_users: [{{ username: app, password: secret }}]
api_keys:
  - {{ key: {CI}, name: ci }}
  - {{ key: {BLOCKED}, name: frozen, status: blocked }}
  - {{ key: {SANDBOX}, name: trial, status: sandbox }}
  - {{ key: {SLOW}, name: slow, rate_limit: {{ count: 2, per: 1h }} }}
sender_verification:
  unknown_addresses: [ghost@example.com]
"""


@pytest.fixture
def relay(make_relay):
    return make_relay(BASE, listeners=("plain",))


def v3(relay, path, body, key=CI, in_body=False, headers=()):
    """POST as the provider's clients do: the key in X-Smtp2go-Api-Key (the
    current clients) or in the body's api_key (smtp2go-python 1.x)."""
    hdrs = list(headers)
    if key is not None and in_body:
        body = dict(body, api_key=key)
    elif key is not None:
        hdrs.append(f"X-Smtp2go-Api-Key: {key}")
    return http_request(relay.http_port, "POST", path, body, headers=hdrs)


def assert_request_id(resp):
    assert str(uuid.UUID(resp["request_id"])) == resp["request_id"]


def test_send_text_and_html_is_captured_as_api_key_identity(relay):
    # smtp2go-python 1.x: api_key in the body plus its own X-Smtp2go-Api headers.
    code, resp = v3(relay, "/v3/email/send", {
        "sender": "dave@example.com", "to": ["matt@example.org"], "subject": "Trying out SMTP2Go",
        "text_body": "Test message", "html_body": "<html><body><p>Test Message</p></body></html>",
    }, in_body=True, headers=("X-Smtp2go-Api: smtp2go-python", "X-Smtp2go-Api-Version: 1.2.0"))
    assert code == 200, resp
    assert_request_id(resp)
    data = resp["data"]
    assert data["succeeded"] == 1 and data["failed"] == 0 and data["failures"] == []
    assert re.fullmatch(r"[0-9A-Za-z]{6}-[0-9A-Za-z]{11}-[0-9A-Za-z]{4}", data["email_id"])

    _, page = relay.api("GET", "/api/v1/messages?user=ci")
    assert page["total"] == 1
    m = page["messages"][0]
    assert m["id"] == data["email_id"]
    assert m["identity"] == {"kind": "api_key", "name": "ci"}
    assert m["envelope_from"] == "dave@example.com" and m["envelope_to"] == ["matt@example.org"]
    _, detail = relay.api("GET", f"/api/v1/messages/{m['id']}")
    assert detail["text"].rstrip("\r\n") == "Test message"
    assert detail["html"] == "<html><body><p>Test Message</p></body></html>"
    _, events = relay.api("GET", "/api/v1/events?rule=accepted")
    assert events["events"][-1]["identity"] == {"kind": "api_key", "name": "ci"}
    assert events["events"][-1]["message_id"] == m["id"]


def test_send_builds_proper_mime(relay):
    pdf = b"%PDF-1.4\n\x00\x01binary"
    code, resp = v3(relay, "/v3/email/send", {
        "sender": "Zo\u00eb Ops <ops@example.com>",
        "to": ["Matt <matt@example.org>", "ann@example.org"], "cc": ["cc@example.org"], "bcc": ["hidden@example.org"],
        "subject": "Rechnung f\u00fcr Mai \u2014 \u20ac 12",
        "text_body": "Gr\u00fc\u00dfe\n" + "x" * 1200, "html_body": "<p>Gr\u00fc\u00dfe <img src='cid:logo.png'></p>",
        "custom_headers": [{"header": "Reply-To", "value": "help@example.com"}, {"header": "X-Campaign", "value": "mai"}],
        "attachments": [{"filename": "invoice.pdf", "fileblob": base64.b64encode(pdf).decode(), "mimetype": "application/pdf"}],
        "inlines": [{"filename": "logo.png", "fileblob": base64.b64encode(b"\x89PNG").decode(), "mimetype": "image/png"}],
        "fastaccept": True,
    })
    assert code == 200, resp
    assert resp["data"]["succeeded"] == 4
    mid = resp["data"]["email_id"]
    _, raw = http_request(relay.http_port, "GET", f"/api/v1/messages/{mid}/raw", raw=True)
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
    assert raw.isascii(), "8-bit text must be encoded"
    assert b"hidden@example.org" not in raw, "Bcc must not be a header"
    assert b"=?utf-8?b?" in raw.lower()  # an RFC 2047 word (GMime writes the b in lower case)
    for needle in (b"MIME-Version: 1.0", b"multipart/mixed", b"multipart/related", b"multipart/alternative",
                   b"Content-ID: <logo.png>", b"Message-ID: <" + mid.encode() + b"@relaymock.test>", b"Date: "):
        assert needle in raw, needle
    _, d = relay.api("GET", f"/api/v1/messages/{mid}")
    assert d["subject"] == "Rechnung f\u00fcr Mai \u2014 \u20ac 12"
    assert d["from"] == "ops@example.com"
    assert d["to"] == ["matt@example.org", "ann@example.org"] and d["cc"] == ["cc@example.org"]
    assert sorted(d["envelope_to"]) == sorted(["matt@example.org", "ann@example.org", "cc@example.org",
                                               "hidden@example.org"])
    assert d["text"].startswith("Gr\u00fc\u00dfe\r\n" + "x" * 100)
    assert {(a["name"], a["type"], a["size"]) for a in d["attachments"]} == {
        ("invoice.pdf", "application/pdf", len(pdf)), ("logo.png", "image/png", 4)}
    headers = dict((k.lower(), v) for k, v in d["headers"])
    assert headers["reply-to"] == "help@example.com" and headers["x-campaign"] == "mai"


def test_api_and_smtp_capture_equivalent_messages(relay):
    code, resp = v3(relay, "/v3/email/send", {
        "sender": "Ops <ops@example.com>", "to": ["b@example.org"], "subject": "Same \u00e9",
        "text_body": "line one\nline \u00e9 two\n", "html_body": "<b>bold \u00e9</b>"})
    assert code == 200
    api_id = resp["data"]["email_id"]
    _, api_raw = http_request(relay.http_port, "GET", f"/api/v1/messages/{api_id}/raw", raw=True)
    # The same bytes through SMTP, from the user app.
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=20) as s:
        s.login("app", "secret")
        s.sendmail("ops@example.com", ["b@example.org"], api_raw)
    _, page = relay.api("GET", "/api/v1/messages?user=app")
    smtp_id = page["messages"][0]["id"]
    _, a = relay.api("GET", f"/api/v1/messages/{api_id}")
    _, b = relay.api("GET", f"/api/v1/messages/{smtp_id}")
    for k in ("subject", "from", "to", "cc", "text", "html", "attachments", "envelope_from", "envelope_to", "headers"):
        assert a[k] == b[k], k
    assert a["identity"]["kind"] == "api_key" and b["identity"]["kind"] == "user"
    assert a["text"] == "line one\r\nline \u00e9 two\r\n" and a["html"] == "<b>bold \u00e9</b>"


def test_mime_endpoint_takes_envelope_from_headers(relay):
    msg = (b"From: Ops <ops@example.com>\r\nTo: a@example.org, B <b@example.org>\r\nCc: c@example.org\r\n"
           b"Bcc: secret@example.org\r\nSubject: via mime\r\n\r\nbody\r\n")
    code, resp = v3(relay, "/v3/email/mime", {"mime_email": base64.b64encode(msg).decode()})
    assert code == 200, resp
    assert resp["data"]["succeeded"] == 4
    mid = resp["data"]["email_id"]
    _, d = relay.api("GET", f"/api/v1/messages/{mid}")
    assert d["envelope_from"] == "ops@example.com"
    assert sorted(d["envelope_to"]) == ["a@example.org", "b@example.org", "c@example.org", "secret@example.org"]
    _, raw = http_request(relay.http_port, "GET", f"/api/v1/messages/{mid}/raw", raw=True)
    assert b"secret@example.org" not in raw and raw.endswith(b"Subject: via mime\r\n\r\nbody\r\n")

    code, resp = v3(relay, "/v3/email/mime", {"mime_email": "not base64!"})
    assert code == 400 and resp["data"]["error_code"] == "E_ApiResponseCodes.NON_VALIDATING_IN_PAYLOAD"
    assert resp["data"]["field_validation_errors"]["fieldname"] == "mime_email"
    no_rcpt = base64.b64encode(b"From: ops@example.com\r\nSubject: x\r\n\r\nhi\r\n").decode()
    code, resp = v3(relay, "/v3/email/mime", {"mime_email": no_rcpt})
    assert code == 400 and "no recipient" in resp["data"]["error"]


def test_email_cycle(relay):
    v3(relay, "/v3/email/send", {"sender": "a@example.com", "to": ["x@example.org", "y@example.org"],
                                 "subject": "s", "text_body": "t"})
    code, resp = v3(relay, "/v3/stats/email_cycle", {})
    assert code == 200, resp
    assert_request_id(resp)
    d = resp["data"]
    assert d["cycle_used"] == 2 and d["cycle_remaining"] == 48 and d["cycle_max"] == 50
    assert re.fullmatch(r"\d{4}-\d\d-01T00:00:00(\.000)?Z", d["cycle_start"]) and d["cycle_end"] > d["cycle_start"]
    # SMTP and API count against the same quota.
    _, usage = relay.api("GET", "/api/v1/usage")
    assert usage["cycle_used"] == 2


@pytest.mark.parametrize("key,in_body,status,code_suffix,text", [
    (None, False, 401, "ENDPOINT_PERMISSION_DENIED", "no API key given"),
    ("api-short", False, 400, "NON_VALIDATING_IN_PAYLOAD", "not in the correct format"),
    ("api-short", True, 400, "NON_VALIDATING_IN_PAYLOAD", "not in the correct format"),
    (UNKNOWN, False, 401, "ENDPOINT_PERMISSION_DENIED", "not one of this account's api_keys"),
])
def test_key_errors(relay, key, in_body, status, code_suffix, text):
    code, resp = v3(relay, "/v3/email/send", {"sender": "a@example.com", "to": ["b@example.org"], "subject": "s",
                                              "text_body": "t"}, key=key, in_body=in_body)
    assert code == status, resp
    assert_request_id(resp)
    assert resp["data"]["error_code"] == "E_ApiResponseCodes." + code_suffix
    assert text in resp["data"]["error"]
    assert relay.api("GET", "/api/v1/messages")[1]["total"] == 0


@pytest.mark.parametrize("body,field,text", [
    ({"to": ["b@example.org"], "subject": "s", "text_body": "t"}, "sender", "sender is required"),
    ({"sender": "not an address", "to": ["b@example.org"], "subject": "s", "text_body": "t"}, "sender", "not a valid"),
    ({"sender": "a@example.com", "subject": "s", "text_body": "t"}, "to", "to is required"),
    ({"sender": "a@example.com", "to": [], "subject": "s", "text_body": "t"}, "to", "1 to 100"),
    ({"sender": "a@example.com", "to": [f"r{i}@example.org" for i in range(101)], "subject": "s", "text_body": "t"},
     "to", "holds 101 addresses"),
    ({"sender": "a@example.com", "to": ["b@example.org"], "cc": "c@example.org", "subject": "s", "text_body": "t"},
     "cc", "must be a list"),
    ({"sender": "a@example.com", "to": ["b@example.org\r\nBcc: evil@example.org"], "subject": "s", "text_body": "t"},
     "to", "not a valid"),
    ({"sender": "a@example.com", "to": ["b@example.org"], "text_body": "t"}, "subject", "subject is required"),
    ({"sender": "a@example.com", "to": ["b@example.org"], "subject": "s"}, "text_body", "text_body or html_body"),
    ({"sender": "a@example.com", "to": ["b@example.org"], "subject": "s", "text_body": "t",
      "custom_headers": [{"header": "Content-Type", "value": "text/html"}]}, "custom_headers", "cannot be a custom header"),
    ({"sender": "a@example.com", "to": ["b@example.org"], "subject": "s", "text_body": "t",
      "custom_headers": [{"header": "X-A", "value": "v\r\nBcc: evil@example.org"}]}, "custom_headers", "line breaks"),
    ({"sender": "a@example.com", "to": ["b@example.org"], "subject": "s", "text_body": "t",
      "attachments": [{"filename": "a.bin", "fileblob": "@@@", "mimetype": "application/octet-stream"}]},
     "attachments", "not valid base64"),
    ({"sender": "a@example.com", "to": ["b@example.org"], "subject": "s", "text_body": "t",
      "attachments": [{"filename": "a.pdf", "url": "http://example.com/a.pdf"}]}, "attachments", "fetches nothing"),
    ({"sender": "a@example.com", "to": ["b@example.org"], "template_id": "123"}, "template_id", "templates"),
    ({"sender": "a@example.com", "to": ["b@example.org"], "subject": "s", "text_body": "t", "fastaccept": "yes"},
     "fastaccept", "true or false"),
])
def test_invalid_payloads(relay, body, field, text):
    code, resp = v3(relay, "/v3/email/send", body)
    assert code == 400, resp
    assert resp["data"]["error_code"] == "E_ApiResponseCodes.NON_VALIDATING_IN_PAYLOAD"
    assert resp["data"]["field_validation_errors"]["fieldname"] == field
    assert text in resp["data"]["error"]
    assert relay.api("GET", "/api/v1/messages")[1]["total"] == 0


def test_malformed_requests_get_the_providers_shape(relay):
    for body in (b"{not json", b"[1, 2]"):
        code, resp = http_request(relay.http_port, "POST", "/v3/email/send", body, headers=(f"X-Smtp2go-Api-Key: {CI}",))
        assert code == 400 and resp["data"]["error_code"] == "E_ApiResponseCodes.NON_VALIDATING_IN_PAYLOAD"
    code, resp = http_request(relay.http_port, "GET", "/v3/email/send", headers=(f"X-Smtp2go-Api-Key: {CI}",))
    assert code == 405 and resp["data"]["error_code"] == "E_ApiResponseCodes.API_EXCEPTION"
    code, resp = v3(relay, "/v3/email/nope", {})
    assert code == 404 and "relaymock serves /v3/email/send" in resp["data"]["error"]
    # 10,000 levels of nesting: refused by the parser's depth limit, not by a crash.
    deep = b"[" * 10000 + b"]" * 10000
    code, resp = http_request(relay.http_port, "POST", "/v3/email/send", deep, headers=(f"X-Smtp2go-Api-Key: {CI}",))
    assert code == 400 and "not valid JSON" in resp["data"]["error"]
    # A declared body over 72 MiB is refused before a byte of it is read.
    import socket
    with socket.create_connection(("127.0.0.1", relay.http_port), timeout=10) as c:
        c.sendall(b"POST /v3/email/send HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 80000000\r\n\r\n{")
        assert c.recv(200).startswith(b"HTTP/1.1 413")
    # The server is still there.
    assert relay.api("GET", "/healthz")[0] == 200


def test_policy_failures_keep_http_200(relay):
    # Unverified From header (the sender's domain is not verified).
    code, resp = v3(relay, "/v3/email/send", {"sender": "a@elsewhere.org", "to": ["b@example.org"],
                                              "subject": "s", "text_body": "t"})
    assert code == 200
    assert resp["data"] == {"succeeded": 0, "failed": 1, "email_id": "", "failures": [
        "An error occurred during the SMTP request: From header sender domain not verified (elsewhere.org)\n"
        "On your Sending > Verified Senders page\nverify the sender domain or email to be allowed to send."]}
    # Sender verification, in the live API's words (2026), not the SMTP server's.
    code, resp = v3(relay, "/v3/email/send", {"sender": "ghost@example.com", "to": ["b@example.org", "c@example.org"],
                                              "subject": "s", "text_body": "t"})
    assert code == 200 and resp["data"]["failed"] == 2 and resp["data"]["succeeded"] == 0
    assert resp["data"]["failures"] == ["An error occurred during the SMTP request: Verification failed for "
                                        "<ghost@example.com>\nUnrouteable address\ndomain verify fail <ghost@example.com>"]
    # A blocked key fails like a blocked SMTP user.
    code, resp = v3(relay, "/v3/email/send", {"sender": "a@example.com", "to": ["b@example.org"], "subject": "s",
                                              "text_body": "t"}, key=BLOCKED)
    assert code == 200 and resp["data"]["failures"] == [
        "An error occurred during the SMTP request: That API key is not allowed to send"]
    assert relay.api("GET", "/api/v1/messages")[1]["total"] == 0
    _, ev = relay.api("GET", "/api/v1/events?rule=api_key_not_allowed")
    assert ev["events"][0]["identity"] == {"kind": "api_key", "name": "frozen"}
    assert "api_keys entry frozen has status blocked" in ev["events"][0]["detail"]


def test_sandbox_key_is_captured_and_flagged(relay):
    code, resp = v3(relay, "/v3/email/send", {"sender": "a@example.com", "to": ["b@example.org"], "subject": "s",
                                              "text_body": "t"}, key=SANDBOX)
    assert code == 200 and resp["data"]["succeeded"] == 1
    _, d = relay.api("GET", f"/api/v1/messages/{resp['data']['email_id']}")
    assert d["sandbox"] is True and d["identity"] == {"kind": "api_key", "name": "trial"}


def test_rate_limit_is_429_and_counts_recipients(relay):
    send = {"sender": "a@example.com", "to": ["b@example.org"], "subject": "s", "text_body": "t"}
    assert v3(relay, "/v3/email/send", send, key=SLOW)[1]["data"]["succeeded"] == 1
    assert v3(relay, "/v3/email/send", send, key=SLOW)[1]["data"]["succeeded"] == 1
    code, resp = v3(relay, "/v3/email/send", send, key=SLOW)
    assert code == 429, resp
    assert resp["data"]["error_code"] == "E_ApiResponseCodes.REQ_LIMIT_EXCEEDED"
    assert "exceeded the allowed sending rate" in resp["data"]["error"]
    # Other keys are not affected; an hour later the key sends again.
    assert v3(relay, "/v3/email/send", send)[1]["data"]["succeeded"] == 1
    assert relay.api("POST", "/api/v1/clock", {"advance": "1h"})[0] == 200
    assert v3(relay, "/v3/email/send", send, key=SLOW)[0] == 200
    _, usage = relay.api("GET", "/api/v1/usage")
    assert {"kind": "api_key", "name": "slow"}.items() <= usage["rate_limits"][0].items()


def test_replies_override_reaches_the_api(make_relay):
    relay = make_relay(BASE + 'replies:\n  api_key_not_allowed: "550 key frozen by support"\n', listeners=("plain",))
    code, resp = v3(relay, "/v3/email/send", {"sender": "a@example.com", "to": ["b@example.org"], "subject": "s",
                                              "text_body": "t"}, key=BLOCKED)
    assert resp["data"]["failures"] == ["An error occurred during the SMTP request: key frozen by support"]


def test_a_large_attachment_is_accepted_past_the_control_api_limit(relay):
    blob = bytes(range(256)) * (3 * 4096)  # 3 MiB
    code, resp = v3(relay, "/v3/email/send", {"sender": "a@example.com", "to": ["b@example.org"], "subject": "big",
                                              "text_body": "see attached",
                                              "attachments": [{"filename": "big.bin", "mimetype": "application/octet-stream",
                                                               "fileblob": base64.b64encode(blob).decode()}]})
    assert code == 200, resp
    _, d = relay.api("GET", f"/api/v1/messages/{resp['data']['email_id']}")
    assert d["attachments"][0]["size"] == len(blob)
    # The control API keeps its 1 MiB limit.
    code, _ = http_request(relay.http_port, "POST", "/api/v1/reset", b"{" + b" " * (1024 * 1024 + 10) + b"}")
    assert code == 413


def test_nodejs_client_shape(relay):
    # smtp2go-oss/nodejs: api_key in the body, "<addr>" when an address has no
    # name, html_body only, custom_headers as {header, value}.
    code, resp = v3(relay, "/v3/email/send", {
        "html_body": "<p>Hi</p>", "to": ["<a@example.org>", "Bea <b@example.org>"], "sender": "Ops <ops@example.com>",
        "subject": "from node", "custom_headers": [{"header": "X-Order", "value": "42"}],
    }, in_body=True, headers=("X-Smtp2go-Api: smtp2go-nodejs", "X-Smtp2go-Api-Version: 1.0.0"))
    assert code == 200, resp
    assert resp["data"]["succeeded"] == 2
    _, d = relay.api("GET", f"/api/v1/messages/{resp['data']['email_id']}")
    assert d["envelope_to"] == ["a@example.org", "b@example.org"]
    assert d["html"] == "<p>Hi</p>\r\n"  # a message body ends with a line break, as SMTP carries it
    assert d["text"] is None


def longest_line(raw):
    return max(len(line) for line in raw.split(b"\r\n"))


@pytest.mark.parametrize("header", ["Bcc :", "bcc\t:", "BCC  :"])
def test_mime_bcc_with_space_before_the_colon_never_reaches_the_message(relay, header):
    # RFC 5322's obsolete syntax allows blanks before the colon; the reader
    # delivered to such a Bcc but the header stayed in the captured copy.
    msg = (f"From: ops@example.com\r\nTo: a@example.org\r\n{header} hidden@example.org,\r\n more@example.org\r\n"
           "Subject: s\r\n\r\nbody\r\n").encode()
    code, resp = v3(relay, "/v3/email/mime", {"mime_email": base64.b64encode(msg).decode()})
    assert code == 200 and resp["data"]["succeeded"] == 3, resp
    mid = resp["data"]["email_id"]
    _, d = relay.api("GET", f"/api/v1/messages/{mid}")
    assert sorted(d["envelope_to"]) == ["a@example.org", "hidden@example.org", "more@example.org"]
    _, raw = http_request(relay.http_port, "GET", f"/api/v1/messages/{mid}/raw", raw=True)
    assert b"hidden@" not in raw and b"more@" not in raw and raw.endswith(b"Subject: s\r\n\r\nbody\r\n"), raw


@pytest.mark.parametrize("custom,text", [
    ([{"header": "From", "value": "boss@example.com"}], "set by the API from sender"),
    ([{"header": "subject", "value": "other"}], "set by the API from subject"),
    ([{"header": "To", "value": "x@example.org"}], "set by the API from to"),
    ([{"header": "Bcc", "value": "x@example.org"}], "set by the API from bcc"),
    ([{"header": "Message-ID", "value": "<a@b>"}], "set by the API"),
    ([{"header": "Reply-To", "value": "a@example.com"}, {"header": "reply-to", "value": "b@example.com"}],
     "may appear only once"),
    ([{"header": "X-" + "h" * 120, "value": "v"}], "longer than 100"),
])
def test_custom_headers_cannot_duplicate_single_fields(relay, custom, text):
    code, resp = v3(relay, "/v3/email/send", {"sender": "a@example.com", "to": ["b@example.org"], "subject": "s",
                                             "text_body": "t", "custom_headers": custom})
    assert code == 400, resp
    assert resp["data"]["field_validation_errors"]["fieldname"] == "custom_headers"
    assert text in resp["data"]["error"], resp
    assert relay.api("GET", "/api/v1/messages")[1]["total"] == 0


@pytest.mark.parametrize("field,item,text", [
    ("attachments", {"filename": "a.txt", "fileblob": "aGk=", "mimetype": 'text/plain"; name="evil.exe'},
     "not a type/subtype"),
    ("attachments", {"filename": "a.txt", "fileblob": "aGk=", "mimetype": "text/plain; charset=utf-8"},
     "not a type/subtype"),
    ("attachments", {"filename": "a.txt", "fileblob": "aGk=", "mimetype": "text/" + "p" * 200}, "not a type/subtype"),
    ("inlines", {"filename": "f" * 300 + ".png", "fileblob": "aGk=", "mimetype": "image/png"}, "255"),
    ("attachments", {"filename": "f" * 300 + ".txt", "fileblob": "aGk=", "mimetype": "text/plain"}, "255"),
])
def test_file_types_and_names_are_checked(relay, field, item, text):
    code, resp = v3(relay, "/v3/email/send", {"sender": "a@example.com", "to": ["b@example.org"], "subject": "s",
                                             "html_body": "<img src='cid:x'>", field: [item]})
    assert code == 400, resp
    assert resp["data"]["field_validation_errors"]["fieldname"] == field
    assert text in resp["data"]["error"], resp


def test_what_the_api_writes_keeps_within_998_octets_a_line(relay):
    code, resp = v3(relay, "/v3/email/send", {
        "sender": "N" * 900 + " <a@example.com>", "to": ["b@example.org"], "subject": "s" * 3000,
        "text_body": "x" * 5000, "html_body": "<p>" + "y" * 5000,
        "custom_headers": [{"header": "X-Long", "value": "v" * 3000}, {"header": "X-" + "n" * 98, "value": "w" * 990}],
        "inlines": [{"filename": "i" * 251 + ".png", "fileblob": "aGk=", "mimetype": "image/png"}],
        "attachments": [{"filename": "a" * 251 + ".txt", "fileblob": "aGk=", "mimetype": "text/" + "p" * 127}]})
    assert code == 200, resp
    mid = resp["data"]["email_id"]
    _, raw = http_request(relay.http_port, "GET", f"/api/v1/messages/{mid}/raw", raw=True)
    assert longest_line(raw) <= 998, longest_line(raw)
    _, d = relay.api("GET", f"/api/v1/messages/{mid}")
    assert d["subject"] == "s" * 3000
