"""After the 250: every accepted recipient gets an outcome (outcomes: rules,
the magic local parts, else delivered), played on the controllable clock as
events of stage "delivery". Sent with swaks and smtplib, and with curl through
the provider's API v3; read back through /api/v1/events and /api/v1/outcomes."""
import datetime
import os
import smtplib
import subprocess

from conftest import BIN, http_request

KEY = "api-" + "O" * 32
SANDBOX_KEY = "api-" + "S" * 32

CONFIG = f"""
account:
  verified_domains: [example.com]
smtp_users:
  - {{ username: app, password: secret }}
  - {{ username: trial, password: secret, status: sandbox }}
ip_auth:
  - {{ ip: 127.0.0.1 }}
api_keys:
  - {{ key: {KEY}, name: ci }}
  - {{ key: {SANDBOX_KEY}, name: trial-key, status: sandbox }}
outcomes:
  rules:
    - name: header-says-bounce
      match: {{ header: {{ X-Test-Outcome: "^bounce$" }} }}
      outcome: hard_bounce
      reply: "550 5.7.1 <{{rcpt}}> blocked by policy"
      host: gmail-smtp-in.l.google.com [209.85.233.26]
    - name: billing-is-full
      match: {{ sender: "billing@*", recipient: "*@full.example" }}
      outcome: soft_bounce
      retries: 2
      retry_every: 1h
      then: hard_bounce
    - name: app-user-complaints
      match: {{ user: app, recipient: "*@complain.example" }}
      outcome: spam
      after: 10m
    - name: not-magic-here
      match: {{ recipient: "bounce@keep.example" }}
      outcome: delivered
"""


def t(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))


def events(relay, **query):
    q = "&".join(f"{k}={v}" for k, v in dict({"limit": 1000}, **query).items())
    code, body = relay.api("GET", "/api/v1/events?" + q)
    assert code == 200, body
    return body["events"]


def delivery(relay, message_id, want, timeout="10s"):
    """The message's delivery events once at least `want` are recorded (a long-poll)."""
    evs = events(relay, message=message_id, wait=timeout, min=want + 1)
    out = [e for e in evs if e["stage"] == "delivery"]
    assert len(out) >= want, out
    return out


def accepted(relay, message_id):
    """The decision event of the message's data."""
    return next(e for e in events(relay, message=message_id) if e["stage"] == "data")


def swaks(relay, to, sender="shop@example.com", body="see https://shop.example.com/p/42?ref=mail now", headers=()):
    cmd = ["swaks", "--server", f"127.0.0.1:{relay.ports['plain']}", "--from", sender, "--to", ",".join(to),
           "--body", body, "--hide-all"]
    for h in headers:
        cmd += ["--add-header", h]
    subprocess.run(cmd, check=True, timeout=30)
    return events(relay, rule="accepted", order="newest", limit=1)[0]["message_id"]


def by(evs, rule, rcpt=None):
    return [e for e in evs if e["rule"] == rule and (rcpt is None or e["recipients"] == [rcpt])]


def advance(relay, d):
    code, body = relay.api("POST", "/api/v1/clock", {"advance": d})
    assert code == 200, body


def test_magic_addresses_each_get_their_outcome_on_the_clock(make_relay):
    relay = make_relay(CONFIG, listeners=("plain",))
    rcpts = ["bounce@a.example", "softbounce+x@b.example", "complaint@c.example", "Open@d.example",
             "click@e.example", "unsubscribe@f.example", "success@g.example", "someone@h.example"]
    mid = swaks(relay, rcpts)
    # At once: processed for the message; per recipient its delivery, a bounce or the first deferral.
    now = delivery(relay, mid, 1 + len(rcpts))
    t0 = t(now[0]["time"])  # the message's time of acceptance
    assert abs((t(accepted(relay, mid)["time"]) - t0).total_seconds()) < 1
    assert [e["rule"] for e in now][:1] == ["processed"] and now[0]["recipients"] == rcpts
    bounce = by(now, "hard_bounce", "bounce@a.example")[0]
    assert bounce["reply"].startswith("550 5.1.1 <bounce@a.example>: Recipient address rejected")
    assert "host mx.a.example [192.0.2.10]" in bounce["detail"] and "context RCPT TO:<bounce@a.example>" in bounce["detail"]
    assert "magic address bounce@" in bounce["detail"]
    soft = by(now, "soft_bounce", "softbounce+x@b.example")
    assert len(soft) == 1 and soft[0]["reply"] == "452 4.2.2 Mailbox full" and "attempt 1" in soft[0]["detail"]
    for r in ["complaint@c.example", "Open@d.example", "click@e.example", "unsubscribe@f.example",
              "success@g.example", "someone@h.example"]:
        d = by(now, "delivered", r)
        assert len(d) == 1 and d[0]["reply"].startswith("250 2.0.0 Ok: ") and " bytes queued as " in d[0]["reply"], r
        assert t(d[0]["time"]) == t0
    assert "by default" in by(now, "delivered", "someone@h.example")[0]["detail"]
    code, o = relay.api("GET", "/api/v1/outcomes")
    assert code == 200 and o["magic_addresses"] is True and o["waiting_total"] == 9, o
    assert [w["event"] for w in o["waiting"]][:3] == ["open", "open", "open"]

    # Two hours on: the rest happen at once, in the order they were due, at their own times.
    advance(relay, "2h")
    later = delivery(relay, mid, 1 + len(rcpts) + 9)[1 + len(rcpts):]
    times = [t(e["time"]) for e in later]
    assert times == sorted(times)
    off = lambda e: (t(e["time"]) - t0).total_seconds()
    assert [(e["rule"], off(e)) for e in by(later, "open")] == [("open", 60)] * 3
    click = by(later, "click")[0]
    assert off(click) == 120 and click["recipients"] == ["click@e.example"]
    assert "url https://shop.example.com/p/42?ref=mail" in click["detail"]
    assert off(by(later, "unsubscribe")[0]) == 120
    assert off(by(later, "spam", "complaint@c.example")[0]) == 300
    soft = by(later, "soft_bounce")
    assert [off(e) for e in soft] == [900, 1800] and "attempt 3" in soft[1]["detail"]
    final = by(later, "delivered", "softbounce+x@b.example")[0]
    assert off(final) == 2700 and "attempt 4" in final["detail"]
    code, o = relay.api("GET", "/api/v1/outcomes")
    assert o["waiting_total"] == 0
    code, metrics = relay.api("GET", "/metrics")
    assert 'relaymock_outcomes_total{event="open"} 3' in metrics
    assert 'relaymock_outcomes_total{event="hard_bounce"} 1' in metrics


def test_rules_match_header_sender_identity_before_magic(make_relay):
    relay = make_relay(CONFIG, listeners=("plain",))
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=20) as s:
        s.login("app", "secret")
        msg = (b"From: billing@example.com\r\nTo: x@full.example\r\nSubject: rules\r\nX-Test-Outcome: bounce\r\n\r\nhi\r\n")
        # The header rule comes first and speaks for every recipient of the message.
        s.sendmail("billing@example.com", ["one@any.example"], msg)
        msg2 = b"From: billing@example.com\r\nTo: x@full.example\r\nSubject: rules\r\n\r\nhi\r\n"
        s.sendmail("billing@example.com", ["x@full.example", "y@complain.example", "bounce@keep.example"], msg2)
    first, second = [e["message_id"] for e in events(relay, rule="accepted")]
    hb = by(delivery(relay, first, 2), "hard_bounce")[0]
    assert hb["reply"] == "550 5.7.1 <one@any.example> blocked by policy"
    assert "host gmail-smtp-in.l.google.com [209.85.233.26]" in hb["detail"] and "rule header-says-bounce" in hb["detail"]
    now = delivery(relay, second, 4)
    assert by(now, "soft_bounce", "x@full.example")[0]["detail"].endswith("by rule billing-is-full")
    assert by(now, "delivered", "y@complain.example") and by(now, "delivered", "bounce@keep.example")
    assert "rule not-magic-here" in by(now, "delivered", "bounce@keep.example")[0]["detail"]
    advance(relay, "3h")
    later = delivery(relay, second, 7)
    t0 = t(later[0]["time"])  # processed: when it was accepted
    spam = by(later, "spam", "y@complain.example")[0]
    assert (t(spam["time"]) - t0).total_seconds() == 600 and spam["identity"] == {"kind": "user", "name": "app"}
    final = by(later, "hard_bounce", "x@full.example")[0]
    assert (t(final["time"]) - t0).total_seconds() == 7200 and "attempt 3" in final["detail"]
    # The sender glob did not match another sender: delivered.
    mid = swaks(relay, ["z@full.example"], sender="shop@example.com")
    assert by(delivery(relay, mid, 2), "delivered", "z@full.example")


def test_sandbox_mail_is_rejected_never_delivered(make_relay):
    relay = make_relay(CONFIG, listeners=("plain",))
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=20) as s:
        s.login("trial", "secret")
        s.sendmail("a@example.com", ["success@x.example", "r@y.example"],
                   b"From: a@example.com\r\nSubject: s\r\n\r\nhi\r\n")
    mid = events(relay, rule="accepted_sandbox")[0]["message_id"]
    evs = delivery(relay, mid, 3)
    assert [e["rule"] for e in evs] == ["processed", "reject", "reject"]
    assert all("sandbox" in e["detail"] for e in evs[1:])
    # The API's sandbox key too.
    code, body = http_request(relay.http_port, "POST", "/v3/email/send",
                              {"sender": "a@example.com", "to": ["q@z.example"], "subject": "s", "text_body": "hi"},
                              headers=[f"X-Smtp2go-Api-Key: {SANDBOX_KEY}"])
    assert code == 200, body
    mid = body["data"]["email_id"]
    advance(relay, "1d")
    evs = delivery(relay, mid, 2)
    assert [e["rule"] for e in evs] == ["processed", "reject"] and not by(events(relay, rule="delivered"), "delivered")


def test_an_api_send_gets_the_same_outcomes(make_relay):
    relay = make_relay(CONFIG, listeners=("plain",))
    code, body = http_request(relay.http_port, "POST", "/v3/email/send",
                              {"sender": "a@example.com", "to": ["bounce@x.example", "ok@y.example"],
                               "subject": "api", "html_body": '<a href="https://x.example/c">c</a>'},
                              headers=[f"X-Smtp2go-Api-Key: {KEY}"])
    assert code == 200, body
    mid = body["data"]["email_id"]
    evs = delivery(relay, mid, 3)
    assert by(evs, "hard_bounce", "bounce@x.example") and by(evs, "delivered", "ok@y.example")
    assert all(e["identity"] == {"kind": "api_key", "name": "ci"} for e in evs)


def test_magic_addresses_switched_off(make_relay):
    relay = make_relay("account: { verified_domains: [example.com] }\nip_auth: [{ ip: 127.0.0.1 }]\n"
                       "outcomes: { magic_addresses: false }\n", listeners=("plain",))
    mid = swaks(relay, ["bounce@a.example", "click@b.example"])
    evs = delivery(relay, mid, 3)
    assert [e["rule"] for e in evs] == ["processed", "delivered", "delivered"]
    advance(relay, "1d")
    code, o = relay.api("GET", "/api/v1/outcomes")
    assert o["magic_addresses"] is False and o["waiting_total"] == 0


def test_reset_forgets_what_waits(make_relay):
    relay = make_relay(CONFIG, listeners=("plain",))
    mid = swaks(relay, ["open@a.example", "softbounce@b.example"])
    delivery(relay, mid, 3)  # processed, delivered, the first deferral
    code, o = relay.api("GET", "/api/v1/outcomes?limit=1")
    assert o["waiting_total"] == 4 and len(o["waiting"]) == 1
    assert relay.api("GET", "/api/v1/outcomes?limit=0")[0] == 400
    relay.api("POST", "/api/v1/reset", {"messages": True})
    code, o = relay.api("GET", "/api/v1/outcomes")
    assert o["waiting_total"] == 0
    before = len(events(relay))
    advance(relay, "1d")
    assert len(events(relay)) == before


BAD = [
    ("outcomes:\n  rules:\n    - name: a\n      outcome: bounced\n",
     "4:16: outcomes.rules[0].outcome must be one of delivered, hard_bounce, soft_bounce, spam, open, click, unsubscribe, not 'bounced'"),
    ("outcomes:\n  rules:\n    - outcome: spam\n", "3:7: outcomes.rules[0] needs a name"),
    ("outcomes:\n  rules:\n    - { name: a, outcome: hard_bounce, reply: \"250 ok\" }\n",
     "outcomes.rules[0].reply for hard_bounce must be a 5xx reply, not 250"),
    ("outcomes:\n  rules:\n    - { name: a, outcome: spam, retries: 2 }\n",
     "outcomes.rules[0].retries goes with outcome soft_bounce"),
    ("outcomes:\n  rules:\n    - { name: a, outcome: soft_bounce, then: spam }\n",
     "outcomes.rules[0].then must be one of delivered, hard_bounce, not 'spam'"),
    ("outcomes:\n  rules:\n    - { name: a, outcome: open, after: soon }\n", "outcomes.rules[0].after must be a duration"),
    ("outcomes:\n  rules:\n    - { name: a, outcome: open, match: { header: { X: \"(\" } } }\n",
     "is not a valid regular expression"),
    ("outcomes:\n  rules:\n    - { name: a, outcome: open }\n    - { name: a, outcome: click }\n",
     "duplicate name 'a' in outcomes.rules"),
    ("outcomes: { magic: true }\n", "unknown key 'magic' in outcomes"),
]


def test_bad_outcome_rules_are_one_line_each(tmp_path):
    for i, (text, want) in enumerate(BAD):
        path = tmp_path / f"bad{i}.yaml"
        path.write_text(text)
        p = subprocess.run([BIN, "--check-config", str(path)], capture_output=True, text=True, timeout=20)
        assert p.returncode != 0 and want in p.stderr + p.stdout, (text, p.stderr, p.stdout)
        assert str(path) in p.stderr + p.stdout


def v3(relay, endpoint, body, key=KEY):
    return http_request(relay.http_port, "POST", "/v3/" + endpoint, body, headers=[f"X-Smtp2go-Api-Key: {key}"])


def smtplib_send(relay, rcpts):
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=20) as s:
        assert s.sendmail("shop@example.com", rcpts, b"From: shop@example.com\r\nSubject: s\r\n\r\nhi\r\n") == {}
    return events(relay, rule="accepted", order="newest", limit=1)[0]["message_id"]


def test_a_hard_bounce_suppresses_the_address_until_removed(make_relay):
    relay = make_relay(CONFIG, listeners=("plain",))
    first = smtplib_send(relay, ["bounce@x.example"])
    bounce = by(delivery(relay, first, 2), "hard_bounce")[0]
    code, view = v3(relay, "suppression/view", {})
    assert code == 200 and view["data"]["total_results"] == 1, view
    entry = view["data"]["results"][0]
    assert entry["email_address"] == "bounce@x.example" and entry["reason"] == "bounce"
    assert entry["block_description"] == bounce["reply"] and entry["timestamp"] == bounce["time"]
    # Accepted as the provider accepts it, then rejected instead of sent (another case of the address too).
    again = smtplib_send(relay, ["Bounce@X.example", "ok@y.example"])
    evs = delivery(relay, again, 3)
    assert [e["rule"] for e in evs] == ["processed", "reject", "delivered"]
    assert "suppressed: bounce" in evs[1]["detail"] and "by suppression" in evs[1]["detail"]
    code, removed = v3(relay, "suppression/remove", {"email_address": "bounce@x.example"})
    assert code == 200 and removed["data"] == {"removed": True, "email_address": "bounce@x.example"}
    third = smtplib_send(relay, ["bounce@x.example"])
    assert by(delivery(relay, third, 2), "hard_bounce")
    # Complaints and unsubscribes suppress when they happen on the clock.
    mid = smtplib_send(relay, ["complaint@c.example", "unsubscribe@u.example"])
    delivery(relay, mid, 3)
    code, view = v3(relay, "suppression/view", {"suppression_types": ["spam", "unsubscribe"]})
    assert view["data"]["total_results"] == 0
    advance(relay, "10m")
    delivery(relay, mid, 6)
    code, view = v3(relay, "suppression/view", {"suppression_types": ["spam", "unsubscribe"]})
    assert sorted(r["reason"] for r in view["data"]["results"]) == ["spam", "unsubscribe"]
    code, o = relay.api("GET", "/api/v1/outcomes")
    assert o["suppressions_total"] == 3
    relay.api("POST", "/api/v1/reset", {"suppressions": True})
    assert v3(relay, "suppression/view", {})[1]["data"]["total_results"] == 0


def test_suppressions_added_by_hand_viewed_and_refused(make_relay):
    relay = make_relay(CONFIG, listeners=("plain",))
    code, added = v3(relay, "suppression/add", {"email_address": "blocked.example", "block_description": "legal hold"})
    assert code == 200 and added["data"] == {"added": True, "email_address": "blocked.example",
                                             "block_description": "legal hold"}
    assert v3(relay, "suppression/add", {"email_address": "BLOCKED.example"})[1]["data"]["added"] is False
    mid = smtplib_send(relay, ["anyone@blocked.example", "r@open.example"])
    evs = delivery(relay, mid, 3)
    assert by(evs, "reject", "anyone@blocked.example")[0]["detail"].startswith("context suppressed: manual")
    assert by(evs, "delivered", "r@open.example")
    # 150 more, paged 100 at a time; filters.
    for i in range(150):
        assert v3(relay, "suppression/add", {"email_address": f"user{i}@many.example"})[0] == 200
    code, page1 = v3(relay, "suppression/view", {"email_address": "many.example", "fuzzy": True})
    assert page1["data"]["total_results"] == 150 and len(page1["data"]["results"]) == 100
    code, page2 = v3(relay, "suppression/view", {"email_address": "many.example", "fuzzy": True,
                                                 "continue_token": page1["data"]["continue_token"]})
    assert len(page2["data"]["results"]) == 50 and page2["data"]["continue_token"] == ""
    assert v3(relay, "suppression/view", {"email_address": "user7@many.example"})[1]["data"]["total_results"] == 1
    assert v3(relay, "suppression/view", {"suppression_type": "bounce"})[1]["data"]["total_results"] == 0
    assert v3(relay, "suppression/view", {"end_date": "2000-01-01"})[1]["data"]["total_results"] == 0
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    assert v3(relay, "suppression/view", {"start_date": today})[1]["data"]["total_results"] == 151
    # The provider's delete path removes too; an unknown one removes nothing.
    assert v3(relay, "suppression/delete", {"email_address": "user0@many.example"})[1]["data"]["removed"] is True
    assert v3(relay, "suppression/remove", {"email_address": "nobody@many.example"})[1]["data"]["removed"] is False
    evs = events(relay, rule="account_changed")
    assert any(e["detail"] == "suppression/add: blocked.example" for e in evs)


SUPPRESSION_BAD = [
    ("suppression/add", {}, "email_address"),
    ("suppression/add", {"email_address": "not an address"}, "email_address"),
    ("suppression/add", {"email_address": 5}, "email_address"),
    ("suppression/add", {"email_address": "a@b.example", "block_description": "x" * 201}, "block_description"),
    ("suppression/add", {"email_address": "a@b.example", "colour": "red"}, "colour"),
    ("suppression/view", {"suppression_type": "nice"}, "suppression_type"),
    ("suppression/view", {"continue_token": "abc"}, "continue_token"),
    ("suppression/view", {"start_date": "yesterday"}, "start_date"),
    ("suppression/view", {"fuzzy": "yes"}, "fuzzy"),
    ("suppression/remove", {"email_address": ["a@b.example"]}, "email_address"),
]


def test_bad_suppression_calls_name_their_field_and_change_nothing(make_relay):
    relay = make_relay(CONFIG, listeners=("plain",))
    for endpoint, body, field in SUPPRESSION_BAD:
        code, answer = v3(relay, endpoint, body)
        assert code == 400, (endpoint, body, answer)
        data = answer["data"]
        assert data["error_code"] == "E_ApiResponseCodes.NON_VALIDATING_IN_PAYLOAD"
        assert data["field_validation_errors"]["fieldname"] == field, (body, data)
    assert v3(relay, "suppression/view", {})[1]["data"]["total_results"] == 0
    code, answer = http_request(relay.http_port, "POST", "/v3/suppression/add", "{not json",
                                headers=[f"X-Smtp2go-Api-Key: {KEY}"])
    assert code == 400
    assert relay.api("GET", "/healthz")[0] == 200


def test_rules_added_through_the_control_api_come_first(make_relay):
    relay = make_relay(CONFIG, listeners=("plain",))
    code, added = relay.api("POST", "/api/v1/outcomes/rules",
                            {"name": "vip-softly", "match": {"recipient": "*@full.example"}, "outcome": "soft_bounce",
                             "retries": 1, "retry_every": "10m"})
    assert code == 201 and added["name"] == "vip-softly" and added["retries"] == 1, added
    yaml = 'name: yaml-open\nmatch: { recipient: "reader@*" }\noutcome: open\nafter: 30s\n'
    code, body = http_request(relay.http_port, "POST", "/api/v1/outcomes/rules", yaml,
                              headers=["Content-Type: application/yaml"])
    assert code == 201, body
    code, o = relay.api("GET", "/api/v1/outcomes")
    assert [r["name"] for r in o["added_rules"]] == ["vip-softly", "yaml-open"]
    assert "billing-is-full" in [r["name"] for r in o["rules"]]

    # billing@ to full.example: the config's rule would bounce it hard in the end; the added one wins.
    mid = swaks(relay, ["x@full.example", "reader@news.example"], sender="billing@example.com")
    now = delivery(relay, mid, 3)
    soft = by(now, "soft_bounce", "x@full.example")
    assert len(soft) == 1 and "by rule vip-softly" in soft[0]["detail"]
    advance(relay, "20m")
    later = delivery(relay, mid, 5)  # processed, the deferral, delivered, the open, the retry delivered
    assert "by rule vip-softly" in by(later, "delivered", "x@full.example")[-1]["detail"]
    assert "by rule yaml-open" in by(later, "open", "reader@news.example")[0]["detail"]

    # Hostile and wrong bodies: the config's errors, nothing added.
    for body, headers, want in [
            ("{not json", (), "malformed JSON"), ("[1, 2]", (), "JSON object"),
            ({"name": "x", "outcome": "explode"}, (), "outcome"), ({"outcome": "open"}, (), "needs a name"),
            ({"name": "vip-softly", "outcome": "open"}, (), "already"),
            ({"name": "r", "outcome": "open", "reply": "550 no"}, (), "2xx"),
            ("name: [unclosed", ["Content-Type: application/yaml"], "YAML")]:
        code, err = http_request(relay.http_port, "POST", "/api/v1/outcomes/rules", body, headers=headers)
        assert code in (400, 409) and want in err["error"], (body, err)
    code, o = relay.api("GET", "/api/v1/outcomes")
    assert len(o["added_rules"]) == 2
    assert relay.api("DELETE", "/api/v1/outcomes/rules/nope")[0] == 404
    assert relay.api("DELETE", "/api/v1/outcomes/rules/yaml-open") == (200, {"deleted": 1})
    assert relay.api("DELETE", "/api/v1/outcomes/rules") == (200, {"deleted": 1})
    assert relay.api("GET", "/api/v1/outcomes")[1]["added_rules"] == []


def test_durable_mode_keeps_waiting_events_and_suppressions_across_a_restart(make_relay, tmp_path):
    relay = make_relay(CONFIG + f"storage: {{ path: {tmp_path / 'store'} }}\n", listeners=("plain",))
    mid = swaks(relay, ["open@x.example", "bounce@y.example"])
    delivery(relay, mid, 3)  # processed, delivered, hard_bounce; the open waits a minute
    code, body = http_request(relay.http_port, "POST", "/v3/suppression/add",
                              {"email_address": "held@z.example", "block_description": "asked"},
                              headers=[f"X-Smtp2go-Api-Key: {KEY}"])
    assert code == 200, body
    code, o = relay.api("GET", "/api/v1/outcomes")
    assert o["waiting_total"] == 1 and o["suppressions_total"] == 2
    relay.proc.terminate()
    relay.proc.wait(timeout=20)
    # A damaged row is reported like any other table's, and loads nothing.
    import sqlite3
    db = sqlite3.connect(str(tmp_path / "store" / "relaymock.sqlite3"))
    db.execute("INSERT INTO pending(kind, id, data) VALUES ('outcome', 999999, '{broken')")
    db.commit()
    db.close()

    relay.start()
    out = relay.output_with("suppressions restored")
    assert "outcome events restored waiting=1" in out and "suppressions restored entries=2" in out, out
    assert "unreadable row in the durable store" in out and "table=pending" in out, out
    code, metrics = relay.api("GET", "/metrics")
    assert 'relaymock_store_corrupt_rows{table="pending"} 1' in metrics
    code, o = relay.api("GET", "/api/v1/outcomes")
    assert o["waiting_total"] == 1 and o["waiting"][0]["event"] == "open" and o["waiting"][0]["message_id"] == mid
    advance(relay, "2m")
    played = delivery(relay, mid, 4)
    opened = by(played, "open")
    assert len(opened) == 1 and opened[0]["recipients"] == ["open@x.example"]
    assert (t(opened[0]["time"]) - t(by(played, "processed")[0]["time"])).total_seconds() == 60  # its own time
    # The restored list still suppresses: both addresses get reject.
    again = swaks(relay, ["bounce@y.example", "held@z.example"])
    rejects = by(delivery(relay, again, 3), "reject")
    assert sorted(r["recipients"][0] for r in rejects) == ["bounce@y.example", "held@z.example"]
    # Played and removed ones are gone from the store: a further restart restores only what is left.
    assert http_request(relay.http_port, "POST", "/v3/suppression/remove", {"email_address": "held@z.example"},
                        headers=[f"X-Smtp2go-Api-Key: {KEY}"])[0] == 200
    relay.proc.terminate()
    relay.proc.wait(timeout=20)
    relay.start()
    out = relay.output_with("suppressions restored entries=1")
    assert out.count("outcome events restored") == 1 and "suppressions restored entries=1" in out, out
