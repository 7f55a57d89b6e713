"""The provider's /v3/activity/search and /v3/stats/* answered from what
happened after the 250: mail sent with swaks to the magic addresses, the
clock moved, then every filter, the paging and the counts, driven with curl
as a dashboard's backend would call them."""
import subprocess

from conftest import http_request

KEY = "api-" + "A" * 32
CONFIG = f"""
account:
  verified_domains: [example.com]
smtp_users:
  - {{ username: app, password: secret, description: the shop }}
  - {{ username: trial, password: secret, status: sandbox }}
api_keys:
  - {{ key: {KEY}, name: dashboard }}
"""
RCPTS = ["ok@a.example", "bounce@b.example", "softbounce@c.example", "open@d.example", "click@e.example",
         "complaint@f.example", "unsubscribe@g.example"]


def swaks(relay, user, to, subject):
    subprocess.run(["swaks", "--server", f"127.0.0.1:{relay.ports['plain']}", "--auth", "LOGIN", "--auth-user", user,
                    "--auth-password", "secret", "--from", "shop@example.com", "--to", ",".join(to),
                    "--header", f"Subject: {subject}", "--add-header", "X-Campaign: winter",
                    "--body", "see https://shop.example.com/p/1", "--hide-all"], check=True, timeout=30)


def v3(relay, endpoint, body=None):
    return http_request(relay.http_port, "POST", "/v3/" + endpoint, body or {}, headers=[f"X-Smtp2go-Api-Key: {KEY}"])


def played(relay):
    """Both messages sent and two hours played: every event recorded."""
    swaks(relay, "app", RCPTS, "Winter sale")
    swaks(relay, "trial", ["x@h.example"], "Trial run")
    code, body = relay.api("POST", "/api/v1/clock", {"advance": "2h"})
    assert code == 200, body
    code, body = relay.api("GET", "/api/v1/events?stage=delivery&limit=1000&wait=10s&min=18")
    assert code == 200
    evs = body["events"]
    assert all(e["stage"] == "delivery" for e in evs)
    return evs


def search(relay, **body):
    code, out = v3(relay, "activity/search", body)
    assert code == 200, out
    return out["data"]


def test_activity_search_filters_pages_and_shapes(make_relay):
    relay = make_relay(CONFIG, listeners=("plain",))
    evs = played(relay)
    rows = sum(len(e["recipients"]) if e["rule"] == "processed" else 1 for e in evs)
    assert rows == 25

    everything = search(relay, limit=1000)
    assert everything["total_events"] == 25 and len(everything["events"]) == 25 and everything["continue_token"] is None
    dates = [e["date"] for e in everything["events"]]
    assert dates == sorted(dates, reverse=True)  # newest first
    kinds = {}
    for e in everything["events"]:
        kinds[e["event"]] = kinds.get(e["event"], 0) + 1
    assert kinds == {"processed": 8, "delivered": 6, "hard-bounced": 1, "soft-bounced": 3, "opened": 3, "clicked": 1,
                     "spam": 1, "unsubscribed": 1, "rejected": 1}

    hard = search(relay, event_types=["hard-bounced"], custom_headers=["X-Campaign"])
    assert hard["total_events"] == 1
    h = hard["events"][0]
    assert h["recipient"] == "bounce@b.example" and h["smtp_response"].startswith("550 5.1.1")
    assert h["reason"] == "RCPT TO:<bounce@b.example>" and h["host"] == "192.0.2.10"
    assert h["subject"] == "Winter sale" and h["username"] == "app" and h["from"] == "shop@example.com"
    assert h["recipients"] == RCPTS and h["custom_headers"] == {"X-Campaign": "winter"} and h["byte_size"] > 0
    assert h["headers"] == "" and h["subaccount_name"] == "Master account"
    click = search(relay, event_types=["clicked"], include_headers=True)["events"][0]
    assert click["metadata"] == {"url": "https://shop.example.com/p/1"} and "Subject: Winter sale" in click["headers"]
    rejected = search(relay, event_types=["rejected"])["events"][0]
    assert rejected["recipient"] == "x@h.example" and rejected["username"] == "trial" and rejected["reason"].startswith("sandbox")

    # Paging: the same search, five at a time, gives every row once.
    seen, token, pages = [], None, 0
    while pages < 10:
        page = search(relay, limit=5, **({"continue_token": token} if token else {}))
        seen += [(e["email_id"], e["event"], e["recipient"], e["date"]) for e in page["events"]]
        token = page["continue_token"]
        pages += 1
        if token is None:
            break
    assert pages == 5 and len(seen) == 25 and sorted(seen) == sorted(
        (e["email_id"], e["event"], e["recipient"], e["date"]) for e in everything["events"])

    assert search(relay, only_latest=True)["total_events"] == 2  # one row per message
    assert {e["recipient"] for e in search(relay, search="click@ | unsubscribe@")["events"]} == {
        "click@e.example", "unsubscribe@g.example"}
    assert search(relay, search_recipient="click@")["total_events"] == 4  # processed, delivered, opened, clicked
    assert search(relay, search_subject="trial")["total_events"] == 2
    assert search(relay, search_usernames=["nobody"])["total_events"] == 0
    assert search(relay, search_email_id=h["email_id"])["total_events"] == 23
    assert search(relay, start_date="2199-01-01")["total_events"] == 0

    for body, field in [({"event_types": ["bogus"]}, "event_types"), ({"start_date": "yesterday"}, "start_date"),
                        ({"limit": 0}, "limit"), ({"limit": 1001}, "limit"), ({"continue_token": "x1"}, "continue_token"),
                        ({"surprise": 1}, "surprise"), ({"search": 7}, "search"), ({"only_latest": "yes"}, "only_latest"),
                        ({"start_date": "2026-12-02", "end_date": "2026-12-01"}, "end_date")]:
        code, err = v3(relay, "activity/search", body)
        assert code == 400 and err["data"]["field_validation_errors"]["fieldname"] == field, (body, err)


def test_stats_count_what_happened_per_recipient(make_relay):
    relay = make_relay(CONFIG, listeners=("plain",))
    played(relay)
    code, b = v3(relay, "stats/email_bounces")
    assert code == 200 and b["data"] == {"emails": 8, "rejects": 1, "softbounces": 1, "hardbounces": 1,
                                         "bounce_percent": "25.00"}
    assert v3(relay, "stats/email_spam")[1]["data"] == {"emails": 8, "rejects": 1, "spams": 1, "spam_percent": "12.50"}
    assert v3(relay, "stats/email_unsubs")[1]["data"] == {"emails": 8, "rejects": 1, "unsubscribes": 1,
                                                         "unsubscribe_percent": "12.50"}
    code, s = v3(relay, "stats/email_summary")
    d = s["data"]
    assert code == 200 and d["email_count"] == 8 and d["opens"] == 3 and d["clicks"] == 1 and d["spam_emails"] == 1
    assert d["hardbounces"] == 1 and d["softbounces"] == 1 and d["rejects"] == 1 and d["bounce_percent"] == "25.00"
    assert {"cycle_start", "cycle_end", "cycle_used", "cycle_remaining", "cycle_max"} <= set(d)
    trial = v3(relay, "stats/email_bounces", {"username": "trial"})[1]["data"]
    assert trial["emails"] == 1 and trial["rejects"] == 1 and trial["hardbounces"] == 0

    code, h = v3(relay, "stats/email_history", {"group_by": "username"})
    assert code == 200 and h["data"]["count"] == 2
    by = {g["username"]: g for g in h["data"]["history"]}
    assert by["app"]["used"] == 7 and by["app"]["bounces"] == 2 and by["app"]["opens"] == 3
    assert by["app"]["description"] == "the shop" and by["app"]["lastip"] == "127.0.0.1"
    assert by["app"]["bytecount"] > 0 and by["app"]["avgsize"] == by["app"]["bytecount"] / 7
    assert by["trial"]["used"] == 1 and by["trial"]["rejects"] == 1 and by["trial"]["reject_percent"] == 100.0
    dom = v3(relay, "stats/email_history", {"group_by": "domain"})[1]["data"]["history"]
    assert dom == [dict(dom[0], domain="example.com", domain_verified=True, used=8)]
    assert v3(relay, "stats/email_history")[1]["data"]["history"][0]["email_address"] == "shop@example.com"
    code, err = v3(relay, "stats/email_history", {"group_by": "planet"})
    assert code == 400 and err["data"]["field_validation_errors"]["fieldname"] == "group_by"
    code, err = v3(relay, "stats/email_spam", {"user": "x"})
    assert code == 400 and err["data"]["field_validation_errors"]["fieldname"] == "user"
