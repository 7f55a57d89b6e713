"""Webhooks as the provider posts them: a real receiver on loopback (JSON and
form, bearer and basic auth, 500s and a closed port to exercise the retries on
the controllable clock, HTTPS verified with a local CA), hooks from the config
file and from the API v3's /webhook/add|view|edit|remove, every attempt read
back from /api/v1/webhooks/deliveries."""
import datetime
import http.server
import json
import os
import re
import shutil
import ssl
import subprocess
import threading
import time
import urllib.parse

from conftest import BIN, SOURCE, free_port, http_request

KEY = "api-" + "W" * 32


class Receiver:
    """An HTTP(S) server on loopback that keeps every POST and answers
    `fail` 500s before its 200s."""

    def __init__(self, fail=0, tls=None, port=0):
        self.posts = []
        self.fail = fail
        self.cond = threading.Condition()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer.cond:
                    outer.posts.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    failing = outer.fail > 0
                    if failing:
                        outer.fail -= 1
                    outer.cond.notify_all()
                answer = b"oops, try later" if failing else b"ok"
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/hook", scheme="http"):
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def wait(self, n, timeout=15, path=None):
        """The POSTs (to `path`, if given) once there are at least n."""
        deadline = time.time() + timeout
        with self.cond:
            while True:
                got = [p for p in self.posts if path is None or p["path"] == path]
                if len(got) >= n or time.time() > deadline:
                    return got
                self.cond.wait(0.1)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def payload(post):
    if post["headers"].get("Content-Type") == "application/json":
        return json.loads(post["body"])
    return {k: (v if len(v) > 1 else v[0]) for k, v in urllib.parse.parse_qs(post["body"].decode()).items()}


def swaks(relay, to, headers=(), sender="shop@example.com", auth=None):
    cmd = ["swaks", "--server", f"127.0.0.1:{relay.ports['plain']}", "--from", sender, "--to", ",".join(to),
           "--header", "Subject: Order 42", "--header", 'From: "Shop Team" <shop@example.com>',
           "--body", "see https://shop.example.com/p/42 now", "--hide-all"]
    for h in headers:
        cmd += ["--add-header", h]
    if auth:
        cmd += ["--auth", "LOGIN", "--auth-user", auth[0], "--auth-password", auth[1]]
    subprocess.run(cmd, check=True, timeout=30)
    code, body = relay.api("GET", "/api/v1/events?rule=accepted&order=newest&limit=1")
    return body["events"][0]["message_id"]


def advance(relay, d):
    code, body = relay.api("POST", "/api/v1/clock", {"advance": d})
    assert code == 200, body


def deliveries(relay, **q):
    query = "&".join(f"{k}={v}" for k, v in dict({"limit": 1000}, **q).items())
    code, body = relay.api("GET", "/api/v1/webhooks/deliveries?" + query)
    assert code == 200, body
    return list(reversed(body["deliveries"]))  # oldest first


def wait_attempts(relay, n, timeout=15, **q):
    deadline = time.time() + timeout
    while True:
        got = deliveries(relay, **q)
        if len(got) >= n or time.time() > deadline:
            return got
        time.sleep(0.05)


def t(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))


def near(delta, minutes):
    """An offset from the first attempt's time, which is the event's time or a moment after it."""
    return abs(delta.total_seconds() - minutes * 60) < 1


def v3(relay, endpoint, body):
    return relay.api("POST", "/v3/" + endpoint, dict(body, api_key=KEY))


def test_json_and_form_payloads_as_the_provider_posts_them(make_relay):
    rx = Receiver()
    try:
        relay = make_relay(f"""
account: {{ verified_domains: [example.com] }}
ip_auth: [{{ ip: 127.0.0.1 }}]
webhooks:
  hooks:
    - url: {rx.url('/all')}
      output_format: json
      auth_header_type: bearer
      auth_header_value: s3cret-token
    - url: {rx.url('/bounces')}
      events: [bounce]
      headers: [X-Campaign]
      auth_header_type: basic
      auth_header_value: dXNlcjpwYXNz
""", listeners=("plain",))
        mid = swaks(relay, ["ann@dest.example", "bounce@dest.example"], headers=["X-Campaign: spring"])
        posts = rx.wait(3, path="/all")
        events = [payload(p) for p in posts]
        assert [e["event"] for e in events] == ["processed", "delivered", "bounce"], events
        for p in posts:
            assert p["headers"]["Authorization"] == "Bearer s3cret-token"
            assert p["headers"]["Content-Type"] == "application/json"
        processed, delivered, bounce = events
        assert processed["recipients"] == ["ann@dest.example", "bounce@dest.example"] and "rcpt" not in processed
        for e in events:
            assert e["email_id"] == mid and e["sender"] == "shop@example.com" and e["srchost"] == "127.0.0.1"
            assert e["subject"] == "Order 42" and e["from_address"] == "shop@example.com"
            assert e["from_name"] == "Shop Team"
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e["time"]), e["time"]
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00", e["sendtime"]), e["sendtime"]
            assert e["message-id"].startswith("<")
        assert delivered["rcpt"] == "ann@dest.example" and delivered["host"] == "mx.dest.example [192.0.2.10]"
        assert delivered["message"].startswith("250 2.0.0 Ok: ") and delivered["context"] == "Unavailable"
        assert bounce["bounce"] == "hard" and bounce["rcpt"] == "bounce@dest.example"
        assert bounce["context"] == "RCPT TO:<bounce@dest.example>" and bounce["message"].startswith("550 5.1.1")

        # The form hook: only the bounce, with the header it names, basic auth.
        form = rx.wait(1, path="/bounces")
        assert len(form) == 1, form
        assert form[0]["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
        assert form[0]["headers"]["Authorization"] == "Basic dXNlcjpwYXNz"
        f = payload(form[0])
        assert f["event"] == "bounce" and f["bounce"] == "hard" and f["X-Campaign"] == "spring" and f["email_id"] == mid

        # Every attempt recorded; a message's opens wait for the clock.
        got = wait_attempts(relay, 4)
        # In order per hook (hooks post side by side).
        assert [(d["event"], d["status"], d["result"], d["attempt"]) for d in got if d["hook"] == 1] == [
            ("processed", 200, "delivered", 1), ("delivered", 200, "delivered", 1), ("bounce", 200, "delivered", 1)]
        assert [(d["event"], d["status"]) for d in got if d["hook"] == 2] == [("bounce", 200)]
        assert all(d["response"] == "ok" and d["latency_ms"] >= 0 for d in got)
        assert deliveries(relay, hook=2)[0]["url"] == rx.url("/bounces")
        code, hooks = relay.api("GET", "/api/v1/webhooks")
        assert code == 200 and [h["id"] for h in hooks["hooks"]] == [1, 2] and hooks["totals"]["delivered"] == 4
        assert len(hooks["retry_offsets_seconds"]) == 33 and hooks["retry_offsets_seconds"][-1] == 48 * 3600
        assert hooks["hooks"][0]["auth_header_value"] == "***"  # never shown
    finally:
        rx.close()


def test_a_failing_receiver_is_retried_on_the_clock_and_a_dead_one_fails(make_relay):
    rx = Receiver(fail=3)
    dead = free_port()  # nothing listens there
    try:
        relay = make_relay(f"""
account: {{ verified_domains: [example.com] }}
ip_auth: [{{ ip: 127.0.0.1 }}]
webhooks:
  - url: {rx.url()}
    events: [processed]
    output_format: json
  - url: http://127.0.0.1:{dead}/gone
    events: [processed]
""", listeners=("plain",))
        mid = swaks(relay, ["ann@dest.example"])
        first = wait_attempts(relay, 1, hook=1)
        assert first[0]["status"] == 500 and first[0]["result"] == "retrying" and first[0]["error"] == "HTTP 500"
        assert first[0]["response"] == "oops, try later"
        t0 = t(first[0]["time"])
        assert near(t(first[0]["next_attempt"]) - t0, minutes=2)  # counted from the event's time
        down = wait_attempts(relay, 1, hook=2)
        assert down[0]["status"] == 0 and down[0]["result"] == "retrying" and down[0]["error"], down

        # Ten minutes on: the attempts due at 2 and 5 minutes, both 500 again.
        advance(relay, "10m")
        got = wait_attempts(relay, 3, hook=1)
        assert [d["attempt"] for d in got] == [1, 2, 3] and [d["status"] for d in got] == [500] * 3
        assert [round((t(d["time"]) - t0).total_seconds() / 60) >= m for d, m in zip(got, [0, 2, 5])] == [True] * 3
        assert near(t(got[-1]["next_attempt"]) - t0, minutes=15)
        advance(relay, "5m")
        got = wait_attempts(relay, 4, hook=1)
        assert got[-1]["status"] == 200 and got[-1]["result"] == "delivered" and got[-1]["attempt"] == 4
        bodies = {p["body"] for p in rx.wait(4)}
        assert len(bodies) == 1 and json.loads(bodies.pop())["email_id"] == mid  # the same event each time

        # Two days on, the dead receiver has had all 33 attempts, then it has failed.
        advance(relay, "49h")
        gone = wait_attempts(relay, 33, timeout=30, hook=2)
        assert len(gone) == 33 and gone[-1]["result"] == "failed" and "next_attempt" not in gone[-1]
        assert all(d["status"] == 0 for d in gone)
        code, hooks = relay.api("GET", "/api/v1/webhooks")
        assert hooks["totals"]["failed"] == 1 and hooks["totals"]["delivered"] == 1 and hooks["totals"]["waiting"] == 0
        assert len(rx.posts) == 4  # the good receiver was not posted again
    finally:
        rx.close()


def test_https_receiver_verified_with_the_configured_ca(make_relay, tmp_path):
    certs = tmp_path / "certs"
    certs.mkdir()
    shutil.copy(os.path.join(SOURCE, "certs", "make-certs.sh"), certs)
    subprocess.run(["bash", str(certs / "make-certs.sh"), "localhost"], check=True, capture_output=True)
    rx = Receiver(tls=(str(certs / "server.crt"), str(certs / "server.key")))
    try:
        hook = f"    - {{ url: \"{rx.url(scheme='https')}\", events: [processed] }}"
        base = "ip_auth: [{ ip: 127.0.0.1 }]\naccount: { verified_domains: [example.com] }\n"
        trusted = make_relay(base + f"webhooks:\n  ca_file: {certs / 'ca.crt'}\n  hooks:\n{hook}\n",
                             listeners=("plain",))
        swaks(trusted, ["ann@dest.example"])
        ok = wait_attempts(trusted, 1)
        assert ok[0]["status"] == 200 and ok[0]["result"] == "delivered", ok
        # Without the CA the certificate is not trusted: no POST, a retry.
        untrusted = make_relay(base + f"webhooks:\n  hooks:\n{hook}\n", listeners=("plain",))
        swaks(untrusted, ["ann@dest.example"])
        bad = wait_attempts(untrusted, 1)
        assert bad[0]["status"] == 0 and bad[0]["result"] == "retrying"
        assert "certificate" in bad[0]["error"].lower() or "ssl" in bad[0]["error"].lower(), bad
        assert len(rx.posts) == 1
    finally:
        rx.close()


def test_api_v3_manages_webhooks_and_filters_by_username(make_relay):
    rx = Receiver()
    try:
        relay = make_relay(f"""
account: {{ verified_domains: [example.com] }}
smtp_users: [{{ username: app, password: secret }}, {{ username: other, password: secret }}]
api_keys: [{{ key: {KEY}, name: ci }}]
webhooks:
  event_names: library
""", listeners=("plain",))
        code, added = v3(relay, "webhook/add", {"url": rx.url("/app"), "events": ["opened", "delivered"],
                                                 "usernames": ["app"], "output_format": "json"})
        assert code == 200, added
        assert added["data"]["id"] == 1 and added["data"]["events"] == ["open", "delivered"]
        assert added["data"]["output_format"] == "json" and added["data"]["sms_events"] == []
        code, view = v3(relay, "webhook/view", {})
        assert code == 200 and [w["url"] for w in view["data"]["webhooks"]] == [rx.url("/app")]
        code, edited = v3(relay, "webhook/edit", {"id": 1, "events": ["open"]})
        assert code == 200 and edited["data"]["events"] == ["open"] and edited["data"]["url"] == rx.url("/app")

        swaks(relay, ["open@dest.example"], auth=("other", "secret"))  # another user: not this hook's
        mid = swaks(relay, ["open@dest.example"], auth=("app", "secret"))
        advance(relay, "2m")
        posts = rx.wait(1)
        assert len(posts) == 1 and payload(posts[0])["event"] == "opened" and payload(posts[0])["email_id"] == mid
        assert payload(posts[0])["auth"] == "app" and payload(posts[0])["rcpt"] == "open@dest.example"

        # Hostile and wrong input: a field error each, nothing changed.
        for body, field in [({"url": "ftp://x.example/"}, "url"), ({"url": rx.url(), "events": ["bogus"]}, "events"),
                            ({"url": rx.url(), "output_format": "xml"}, "output_format"),
                            ({"url": rx.url(), "auth_header_type": "digest", "auth_header_value": "x"}, "auth_header_type"),
                            ({"url": "http://x.example/\r\nX: y"}, "url"), ({"url": rx.url(), "headers": ["Bad:Name"]}, "headers")]:
            code, err = v3(relay, "webhook/add", body)
            assert code == 400 and err["data"]["field_validation_errors"]["fieldname"] == field, (body, err)
        code, err = v3(relay, "webhook/remove", {"id": 7})
        assert code == 400 and "no webhook with id 7" in err["data"]["field_validation_errors"]["message"]
        code, removed = v3(relay, "webhook/remove", {"id": "1"})
        assert code == 200 and removed["data"]["webhooks"] == []
        code, cfg = relay.api("GET", "/api/v1/config")
        assert cfg["webhooks"]["hooks"] == [] and cfg["webhooks"]["event_names"] == "library"
    finally:
        rx.close()


def test_config_errors_name_the_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("webhooks:\n  - url: ftp://nowhere.example/\n  - url: http://ok.example/\n    events: [delivered, exploded]\n"
                    "  - url: http://ok.example/\n    output_format: xml\n")
    p = subprocess.run([BIN, "--check-config", str(path)], capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert re.search(r"bad\.yaml:2:\d+: .*url must start with http:// or https://", p.stderr), p.stderr
    assert re.search(r"bad\.yaml:4:\d+: .*'exploded' is not a webhook event", p.stderr), p.stderr
    assert re.search(r"bad\.yaml:6:\d+: .*output_format must be one of form, json", p.stderr), p.stderr


def test_durable_mode_keeps_waiting_deliveries_across_a_restart(make_relay, tmp_path):
    port = free_port()  # the receiver is down at first: nothing listens here
    relay = make_relay(f"""
account: {{ verified_domains: [example.com] }}
ip_auth: [{{ ip: 127.0.0.1 }}]
storage: {{ path: {tmp_path / 'store'} }}
webhooks:
  - url: http://127.0.0.1:{port}/late
    events: [delivered]
    output_format: json
""", listeners=("plain",))
    mid = swaks(relay, ["ann@dest.example", "bob@dest.example"])
    down = wait_attempts(relay, 2)
    assert [d["result"] for d in down] == ["retrying", "retrying"] and all(d["status"] == 0 for d in down)
    relay.proc.terminate()
    relay.proc.wait(timeout=20)

    # The receiver comes up; the relay starts again and plays the retries it kept.
    rx = Receiver(port=port)
    try:
        relay.start()
        assert "webhook deliveries restored waiting=2" in relay.output_with("webhook deliveries restored")
        code, hooks = relay.api("GET", "/api/v1/webhooks")
        assert hooks["totals"]["waiting"] == 2 and [w["attempts"] for w in hooks["waiting"]] == [1, 1]
        advance(relay, "2m")
        posts = rx.wait(2)
        got = sorted(payload(p)["rcpt"] for p in posts)
        assert got == ["ann@dest.example", "bob@dest.example"] and {payload(p)["email_id"] for p in posts} == {mid}
        done = wait_attempts(relay, 2)
        assert [(d["attempt"], d["result"]) for d in done] == [(2, "delivered"), (2, "delivered")]
        # Delivered rows are gone: a further restart has nothing to restore.
        relay.proc.terminate()
        relay.proc.wait(timeout=20)
        relay.start()
        code, hooks = relay.api("GET", "/api/v1/webhooks")
        assert hooks["totals"]["waiting"] == 0 and relay.output().count("webhook deliveries restored") == 1
    finally:
        rx.close()


def test_a_hook_added_after_the_send_gets_the_later_events_whole(make_relay):
    rx = Receiver()
    try:
        relay = make_relay(f"""
account: {{ verified_domains: [example.com] }}
ip_auth: [{{ ip: 127.0.0.1 }}]
api_keys: [{{ key: {KEY}, name: ci }}]
""", listeners=("plain",))
        mid = swaks(relay, ["click@dest.example"])
        code, added = v3(relay, "webhook/add", {"url": rx.url(), "events": ["click"], "output_format": "json"})
        assert code == 200, added
        advance(relay, "5m")
        posts = rx.wait(1)
        assert len(posts) == 1
        p = payload(posts[0])
        assert p["event"] == "click" and p["email_id"] == mid and p["url"] == "https://shop.example.com/p/42"
        assert p["from_address"] == "shop@example.com" and not p["sendtime"].startswith("1970")
        sent = datetime.datetime.fromisoformat(p["sendtime"])
        assert datetime.timedelta(0) <= t(p["time"]) - sent <= datetime.timedelta(minutes=3)  # clicked at +2m
    finally:
        rx.close()
