"""Durable storage (storage.path): nothing that got a 250 is lost to kill -9,
counters and the clock come back, and two instances never share a store."""
import os
import smtplib
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import BIN, free_port, http_request


def config(path, extra=""):
    return f"""
account:
  verified_domains: [example.com]
  quota: {{ monthly: 100000 }}
smtp_users: [{{ username: app, password: secret, rate_limit: {{ count: 100000, per: 1h }} }}]
storage:
  path: {path}
{extra}
"""


def listener():
    return f"server:\n  listeners: [{{ address: 127.0.0.1, port: {free_port()} }}]\n"


@pytest.fixture
def store_dir():
    with tempfile.TemporaryDirectory(prefix="relaymock-store-") as d:
        yield os.path.join(d, "data")  # created by relaymock


def test_kill_9_mid_stream_loses_no_acknowledged_message(make_relay, store_dir):
    relay = make_relay(config(store_dir), listeners=("plain",))
    acked, stop = [], threading.Event()

    def sender():
        try:
            with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=10) as s:
                s.login("app", "secret")
                for i in range(100000):
                    if stop.is_set():
                        return
                    s.mail("a@example.com")
                    s.rcpt("b@example.org")
                    code, text = s.data(f"From: a@example.com\r\nSubject: n{i}\r\n\r\nbody {i}\r\n".encode())
                    if code == 250:
                        acked.append(text.decode().split("id=", 1)[1])
        except (smtplib.SMTPException, OSError):
            pass  # the server died under us: that is the point

    t = threading.Thread(target=sender)
    t.start()
    deadline = time.time() + 20
    while len(acked) < 150 and time.time() < deadline:
        time.sleep(0.01)
    relay.kill9()
    stop.set()
    t.join(timeout=20)
    assert len(acked) >= 150

    relay.start()
    code, page = relay.api("GET", "/api/v1/messages?limit=1000")
    assert code == 200
    stored = {m["id"] for m in page["messages"]}
    missing = [i for i in acked if i not in stored]
    assert not missing, f"{len(missing)} acknowledged messages lost"
    # At most the one message in flight was committed without its 250 arriving.
    assert page["total"] - len(acked) in (0, 1)
    # Counters after the restart equal what was committed: one recipient each.
    code, usage = relay.api("GET", "/api/v1/usage")
    assert usage["cycle_used"] == page["total"]
    assert usage["rate_limits"][0]["used"] == page["total"]
    # Every stored message reads back whole.
    some = next(iter(acked))
    code, m = relay.api("GET", f"/api/v1/messages/{some}")
    assert code == 200 and m["text"].startswith("body ")


def test_events_clock_and_bounds_survive_restart(make_relay, store_dir):
    relay = make_relay(config(store_dir, "  max_messages: 3\n"), listeners=("plain",))
    ids = []
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=10) as s:
        s.login("app", "secret")
        for i in range(5):
            s.mail("a@example.com")
            s.rcpt("b@example.org")
            ids.append(s.data(b"From: a@example.com\r\n\r\nx\r\n")[1].decode().split("id=")[1])
    # Each message's decision, then its processed and delivered events (their
    # own thread), all written before the clock's offset is.
    assert relay.api("GET", "/api/v1/events?wait=10s&min=15")[1]["total"] == 15
    assert relay.api("POST", "/api/v1/clock", {"advance": "2h"})[0] == 200
    _, before = relay.api("GET", "/api/v1/events")
    relay.kill9()
    relay.start()
    _, page = relay.api("GET", "/api/v1/messages")
    assert [m["id"] for m in page["messages"]] == list(reversed(ids[2:]))  # the 3 newest
    _, after = relay.api("GET", "/api/v1/events")
    assert after["events"] == before["events"]
    _, clock = relay.api("GET", "/api/v1/clock")
    assert 7190 < clock["offset_seconds"] < 7210
    # Sequence numbers continue, never reused.
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=10) as s:
        s.login("app", "secret")
        s.sendmail("a@example.com", ["b@example.org"], b"From: a@example.com\r\n\r\nx\r\n")
    _, ev = relay.api("GET", f"/api/v1/events?since={before['last_seq']}")
    assert ev["events"][0]["seq"] == before["last_seq"] + 1 and ev["events"][0]["rule"] == "accepted"
    # A reset empties the store for good.
    relay.api("POST", "/api/v1/reset")
    relay.kill9()
    relay.start()
    assert relay.api("GET", "/api/v1/messages")[1]["total"] == 0
    assert relay.api("GET", "/api/v1/usage")[1]["cycle_used"] == 0


def metric(relay, name):
    _, text = relay.api("GET", "/metrics")
    for line in text.splitlines():
        if line.startswith(name + " "):
            return int(line.split()[1])
    raise AssertionError(f"{name} missing from /metrics")


def test_threads_are_named_and_the_indexer_reads_fresh_bytes_from_memory(make_relay, store_dir):
    # `top -H` / `ps -L` name each of relaymock's threads; in durable mode the
    # indexer takes a message's bytes from memory, then gives them back.
    relay = make_relay(config(store_dir), listeners=("plain",))
    names = set()
    for task in os.listdir(f"/proc/{relay.proc.pid}/task"):
        with open(f"/proc/{relay.proc.pid}/task/{task}/comm") as f:
            names.add(f.read().strip())
    assert {"rm-store", "rm-checkpoint", "rm-indexer", "rm-http", "rm-outcomes"} <= names, names
    body = b"From: a@example.com\r\nSubject: fresh\r\n\r\n" + b"line of text\r\n" * 50
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=10) as s:
        s.login("app", "secret")
        ids = [s.sendmail("a@example.com", ["b@example.org"], body) or relay.api("GET", "/api/v1/messages")[1]
               ["messages"][0]["id"] for _ in range(3)]
    deadline = time.time() + 30
    while time.time() < deadline and (metric(relay, "relaymock_index_backlog") or
                                      metric(relay, "relaymock_store_fresh_bytes")):
        time.sleep(0.05)
    assert metric(relay, "relaymock_store_fresh_bytes") == 0
    _, found = relay.api("GET", "/api/v1/messages?q=line")  # the body, as the indexer read it
    assert found["total"] == 3
    for i in ids:  # from the file now, byte for byte
        code, raw = http_request(relay.http_port, "GET", f"/api/v1/messages/{i}/raw", raw=True)
        assert code == 200 and raw == body


def test_a_second_instance_on_the_same_store_refuses_to_start(make_relay, store_dir):
    first = make_relay(config(store_dir), listeners=("plain",))
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "second.yaml")
        with open(path, "w") as f:
            f.write(config(store_dir) + listener() + "http: { listen: \"off\" }\n")
        p = subprocess.run([BIN, "--config", path], capture_output=True, text=True, timeout=20)
    assert p.returncode == 1
    assert f"storage.path {store_dir} is in use by another relaymock (pid {first.proc.pid})" in p.stderr
    assert first.api("GET", "/healthz")[0] == 200


def test_unusable_store_path_is_a_clear_startup_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cfg = tmp_path / "r.yaml"
    cfg.write_text(config(str(blocker / "sub")) + "http: { listen: \"off\" }\n" + listener())
    p = subprocess.run([BIN, "--config", str(cfg)], capture_output=True, text=True, timeout=20)
    assert p.returncode == 1
    assert f"storage.path {blocker / 'sub'}: cannot create the directory" in p.stderr
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "relaymock.sqlite3").write_bytes(b"this is not sqlite" * 100)
    cfg.write_text(config(str(garbage)) + "http: { listen: \"off\" }\n" + listener())
    p = subprocess.run([BIN, "--config", str(cfg)], capture_output=True, text=True, timeout=20)
    assert p.returncode == 1
    assert "is not a usable relaymock store" in p.stderr


def big_message(mb, from_header="a@example.com"):
    line = b"0123456789abcdefghijklmnopqrstuvwxyz.ABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789\r\n"
    body = line * (mb * 1024 * 1024 // len(line))
    return b"From: " + from_header.encode() + b"\r\nSubject: big\r\n\r\n." + body


@pytest.mark.parametrize("durable", [True, False], ids=["durable", "memory"])
def test_a_large_message_arrives_byte_identical(make_relay, store_dir, durable):
    yaml = config(store_dir) if durable else config(store_dir).replace(f"  path: {store_dir}", "  path: \"\"")
    relay = make_relay(yaml, listeners=("plain",))
    raw = big_message(24)
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=60) as s:
        s.login("app", "secret")
        s.sendmail("a@example.com", ["b@example.org"], raw)
    _, page = relay.api("GET", "/api/v1/messages")
    m = page["messages"][0]
    assert m["size"] == len(raw) and m["subject"] == "big"
    from conftest import http_request
    code, got = http_request(relay.http_port, "GET", f"/api/v1/messages/{m['id']}/raw", raw=True, timeout=60)
    assert code == 200 and got == raw
    if durable:
        # The spool is an unnamed file: nothing is left beside the database.
        assert sorted(os.listdir(store_dir)) == ["relaymock.lock", "relaymock.sqlite3", "relaymock.sqlite3-shm",
                                                 "relaymock.sqlite3-wal"]
    else:
        # Memory mode holds it in an unnamed temporary file, not in RSS; deleting
        # the message closes the file (once the indexer, which may be reading
        # its first 8 MiB right then, lets go of it: under ThreadSanitizer that
        # read took over 5 s alone, and over 60 s beside two other builds on
        # two cores).
        assert len(unnamed_files(relay.proc.pid)) == 1
        assert relay.api("DELETE", f"/api/v1/messages/{m['id']}")[0] == 200
        deadline = time.monotonic() + 240
        while unnamed_files(relay.proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert unnamed_files(relay.proc.pid) == []


def unnamed_files(pid):
    """The process's open files that have no name (O_TMPFILE or unlinked)."""
    out = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("/") and target.endswith(" (deleted)"):
            out.append(target)
    return out


def test_a_spooled_message_still_meets_the_from_header_rule(make_relay, store_dir):
    relay = make_relay(config(store_dir), listeners=("plain",))
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=60) as s:
        s.login("app", "secret")
        with pytest.raises(smtplib.SMTPDataError) as e:
            s.sendmail("a@example.com", ["b@example.org"], big_message(3, "x@shop.example"))
        assert e.value.smtp_code == 550
        assert e.value.smtp_error.startswith(b"From header sender domain not verified (shop.example)")
        # The session goes on, and a rejected message counts nothing.
        s.sendmail("a@example.com", ["b@example.org"], big_message(3))
    _, page = relay.api("GET", "/api/v1/messages")
    assert page["total"] == 1
    assert relay.api("GET", "/api/v1/usage")[1]["cycle_used"] == 1


def test_unreadable_rows_are_reported_never_skipped_silently(make_relay, store_dir):
    import sqlite3
    relay = make_relay(config(store_dir), listeners=("plain",))
    for i in range(3):
        with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=10) as s:
            s.login("app", "secret")
            assert s.sendmail("a@example.com", ["b@example.org"], f"From: a@example.com\r\nSubject: n{i}\r\n\r\nx\r\n") == {}
    relay.proc.terminate()
    relay.proc.wait(timeout=20)
    db = sqlite3.connect(os.path.join(store_dir, "relaymock.sqlite3"))
    first = db.execute("SELECT id FROM messages ORDER BY seq LIMIT 1").fetchone()[0]
    db.execute("UPDATE messages SET meta = '{broken' WHERE id = ?", (first,))
    db.execute("UPDATE events SET data = '[1, 2]' WHERE seq = (SELECT MIN(seq) FROM events)")
    db.execute("INSERT INTO usage(key, at_ms, n) VALUES ('nonsense', 'soon', -3)")
    db.commit()
    db.close()
    relay.start()
    out = relay.output()
    assert out.count("unreadable row in the durable store") == 3, out
    assert "table=messages row=" + first in out and "table=events" in out and "table=usage" in out
    assert "unreadable_rows=3" in out
    _, page = relay.api("GET", "/api/v1/messages")
    assert page["total"] == 2 and first not in [m["id"] for m in page["messages"]]
    _, metrics = relay.api("GET", "/metrics")
    for table, n in (("messages", 1), ("events", 1), ("usage", 1)):
        assert f'relaymock_store_corrupt_rows{{table="{table}"}} {n}' in metrics.splitlines(), metrics
    # The row stays in the file for whoever wants to look at it.
    db = sqlite3.connect(os.path.join(store_dir, "relaymock.sqlite3"))
    assert db.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 3
    db.close()


def test_usage_history_is_compacted_at_start_and_counts_stay_exact(make_relay, store_dir):
    # The usage table grew by a row per message and was replayed whole at
    # every start. Rows older than every rate window now become one row per
    # day (the quota needs no more), so the history stays small.
    import sqlite3
    relay = make_relay(config(store_dir).replace("count: 100000, per: 1h", "count: 20, per: 1h")
                       .replace("monthly: 100000", "monthly: 1000000"), listeners=("plain",))
    assert relay.api("POST", "/api/v1/clock", {"set": "2026-12-20T12:00:00Z"})[0] == 200
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=10) as s:
        s.login("app", "secret")
        for _ in range(3):
            s.sendmail("a@example.com", ["b@example.org"], b"From: a@example.com\r\n\r\nx\r\n")
    relay.proc.terminate()
    assert relay.proc.wait(timeout=20) == 0
    # 100,000 rows from earlier in the cycle, as months of use would leave.
    db = sqlite3.connect(os.path.join(store_dir, "relaymock.sqlite3"))
    start_ms = 1796212800000  # 2026-12-02T12:00:00Z
    db.executemany("INSERT INTO usage(key, at_ms, n) VALUES('user:app', ?, 1)",
                   ((start_ms + i * 15_000,) for i in range(100_000)))  # to 2026-12-19
    db.commit()
    db.close()
    relay.start()
    u = relay.api("GET", "/api/v1/usage")[1]
    assert u["cycle_used"] == 100_003, u
    assert [l["used"] for l in u["rate_limits"]] == [3]
    assert "usage history compacted" in relay.output()
    db = sqlite3.connect(os.path.join(store_dir, "relaymock.sqlite3"))
    rows = db.execute("SELECT count(*) FROM usage").fetchone()[0]
    db.close()
    assert rows <= 18 + 3, rows
    # Compaction is stable: a second start keeps the counts and the rows.
    relay.proc.terminate()
    assert relay.proc.wait(timeout=20) == 0
    relay.start()
    assert relay.api("GET", "/api/v1/usage")[1]["cycle_used"] == 100_003
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=10) as s:
        s.login("app", "secret")
        refused = 0
        for _ in range(20):
            try:
                s.sendmail("a@example.com", ["b@example.org"], b"From: a@example.com\r\n\r\nx\r\n")
            except smtplib.SMTPRecipientsRefused:
                refused += 1
        assert refused == 3  # 17 more fit the hour's 20


def test_a_locked_store_gets_500_and_the_next_sigterm_stops_cleanly(make_relay, store_dir):
    # The request used to get no answer at all, and the next SIGTERM touched
    # the freed connection (use-after-free in the HTTP server's stop).
    import sqlite3
    relay = make_relay(config(store_dir), listeners=("plain",))
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=10) as s:
        s.login("app", "secret")
        s.sendmail("a@example.com", ["b@example.org"], b"From: a@example.com\r\n\r\nx\r\n")
    other = sqlite3.connect(os.path.join(store_dir, "relaymock.sqlite3"), timeout=10)  # the relay may be mid-commit
    other.execute("BEGIN EXCLUSIVE")
    try:
        code, e = relay.api("DELETE", "/api/v1/messages", timeout=30)
        assert code == 500 and e["error"].startswith("the request failed: "), (code, e)
        # Keep-alive and new connections still answer meanwhile.
        assert relay.api("GET", "/healthz")[0] == 200
    finally:
        other.rollback()
        other.close()
    assert relay.api("GET", "/api/v1/messages")[1]["total"] == 1  # nothing half-deleted
    relay.proc.terminate()
    assert relay.proc.wait(timeout=20) == 0
    assert "request failed" in relay.output() and "database is locked" in relay.output()


def test_refusals_stay_visible_when_the_store_takes_nothing(make_relay, store_dir):
    # On a full disk, store_failed events went with the messages (3 of 8
    # kept): an event the store cannot take is now kept in memory and logged.
    import sqlite3
    relay = make_relay(config(store_dir), listeners=("plain",))
    other = sqlite3.connect(os.path.join(store_dir, "relaymock.sqlite3"), timeout=10)  # the relay may be mid-commit
    other.execute("BEGIN EXCLUSIVE")
    try:
        with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=30) as s:
            s.login("app", "secret")
            for i in range(8):
                s.mail("a@example.com")
                s.rcpt("b@example.org")
                code, text = s.data(f"From: a@example.com\r\nSubject: n{i}\r\n\r\nx\r\n".encode())
                assert code == 451, (code, text)
        _, ev = relay.api("GET", "/api/v1/events?rule=store_failed")
        assert ev["total"] == 8, ev
        assert "database is locked" in ev["events"][0]["detail"]
    finally:
        other.rollback()
        other.close()
    assert "event kept in memory only" in relay.output_with("event kept in memory only")


def test_a_damaged_store_refuses_to_start_with_one_line(make_relay, store_dir):
    # It used to start "ready" and then answer 451 to every message.
    relay = make_relay(config(store_dir), listeners=("plain",))
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=10) as s:
        s.login("app", "secret")
        for i in range(40):
            s.sendmail("a@example.com", ["b@example.org"], f"From: a@example.com\r\n\r\n{'x' * 20000}{i}\r\n")
    relay.proc.terminate()
    assert relay.proc.wait(timeout=20) == 0
    path = os.path.join(store_dir, "relaymock.sqlite3")
    with open(path, "r+b") as f:
        f.seek(4096 * 3)
        f.write(os.urandom(4096 * 4))
    p = subprocess.run([BIN, "--config", relay.config], capture_output=True, text=True, timeout=30)
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and path in lines[0] and "damaged" in lines[0] and "quick_check" in lines[0], p.stderr


def test_a_store_from_an_older_relaymock_is_upgraded_in_place(make_relay, store_dir):
    """Stores written before the id index was dropped (id TEXT UNIQUE,
    AUTOINCREMENT) open, keep every message in order, and serve them."""
    import sqlite3
    relay = make_relay(config(store_dir), listeners=("plain",))
    for i in range(3):
        with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=10) as s:
            s.login("app", "secret")
            s.sendmail("a@example.com", ["b@example.org"], f"From: a@example.com\r\nSubject: old{i}\r\n\r\nbody {i}\r\n")
    relay.proc.terminate()
    relay.proc.wait(timeout=20)
    # Back to the old layout, as the older release wrote it.
    db = sqlite3.connect(os.path.join(store_dir, "relaymock.sqlite3"))
    db.executescript("""
        CREATE TABLE old(seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL,
                         meta TEXT NOT NULL, content BLOB NOT NULL);
        INSERT INTO old SELECT seq, id, meta, content FROM messages;
        DROP TABLE messages;
        ALTER TABLE old RENAME TO messages;
    """)
    ids = [r[0] for r in db.execute("SELECT id FROM messages ORDER BY seq")]
    db.close()
    relay.start()
    assert "durable storage upgraded" in relay.output_with("durable storage upgraded")
    _, page = relay.api("GET", "/api/v1/messages")
    assert [m["id"] for m in page["messages"]] == list(reversed(ids))  # newest first, order kept
    status, raw = relay.api("GET", f"/api/v1/messages/{ids[1]}/raw")
    assert status == 200 and "body 1" in raw
    assert relay.api("DELETE", f"/api/v1/messages/{ids[0]}")[0] in (200, 204)
    # New mail after the upgrade, then a restart: all there, nothing doubled.
    with smtplib.SMTP("127.0.0.1", relay.ports["plain"], timeout=10) as s:
        s.login("app", "secret")
        s.sendmail("a@example.com", ["b@example.org"], "From: a@example.com\r\nSubject: new\r\n\r\nnew\r\n")
    relay.proc.terminate()
    relay.proc.wait(timeout=20)
    db = sqlite3.connect(os.path.join(store_dir, "relaymock.sqlite3"))
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'messages'").fetchone()[0]
    assert "UNIQUE" not in sql and "AUTOINCREMENT" not in sql
    assert db.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 3
    db.close()
    relay.start()
    assert relay.output().count("durable storage upgraded") == 1  # the first start only (one log for all)
    _, page = relay.api("GET", "/api/v1/messages")
    assert page["total"] == 3 and ids[0] not in [m["id"] for m in page["messages"]]
