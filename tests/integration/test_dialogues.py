"""Runs every tests/dialogues/*.dialogue transcript against the real binary
(the format: tests/dialogues/README.md)."""
import codecs
import fnmatch
import glob
import os
import socket
import ssl

import pytest

from conftest import SOURCE, Relay, Wire

FILES = sorted(glob.glob(os.path.join(SOURCE, "tests", "dialogues", "*.dialogue")))
# At module level: inside the parametrised test, an empty or moved folder
# would simply give no test to fail.
assert len(FILES) >= 15, f"expected the dialogue files in tests/dialogues, found {len(FILES)}"


def parse(path):
    """(config text, [[(line number, kind, text)], ...]) with kind C, R, S or
    S...: one list per dialogue section, each its own connection."""
    config, dialogues, section = [], [], None
    with open(path) as f:
        for number, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if line.startswith("--- "):
                section = line[4:].strip()
                if section == "dialogue":
                    dialogues.append([])
                continue
            if section == "config":
                config.append(line)
                continue
            if section != "dialogue" or not line.strip() or line.startswith("#"):
                continue
            kind, sep, text = line.partition(":")
            assert sep and kind in ("C", "R", "S", "S...", "TLS"), f"{path}:{number}: not a dialogue line: {line!r}"
            dialogues[-1].append((number, kind, text[1:] if text.startswith(" ") else text))
    assert dialogues and all(dialogues), f"{path}: a dialogue section is missing or empty"
    return "\n".join(config), dialogues


def matches(pattern, got):
    if "*" in pattern:
        return fnmatch.fnmatchcase(got, pattern.replace("[", "[[]"))
    return got == pattern


def nothing_more(wire, where):
    """After the last expected line the server may close, or stay silent; it
    may not say anything else."""
    wire.sock.settimeout(0.3)
    try:
        extra = wire.buf or wire.sock.recv(65536)
    except (socket.timeout, ConnectionResetError):
        extra = b""
    assert not extra, f"{where}: the server sent more than the dialogue expects: {extra!r}"


@pytest.mark.parametrize("path", FILES, ids=[os.path.basename(f) for f in FILES])
def test_dialogue(path):
    name = os.path.basename(path)
    config, dialogues = parse(path)
    relay = Relay(config)
    try:
        # One server, one connection per dialogue, in the file's order.
        for steps in dialogues:
            run_dialogue(relay, name, steps)
    finally:
        relay.stop()


def run_dialogue(relay, name, steps):
    wire = None
    try:
        wire = Wire(relay.ports["starttls"])
        pending = []
        for number, kind, text in steps:
            where = f"{name}:{number}"
            if kind == "C":
                pending.append((text + "\r\n").encode())
                continue
            if kind == "R":  # raw bytes, escapes decoded, nothing added
                pending.append(codecs.escape_decode(text.encode())[0])
                continue
            if pending:
                wire.send(b"".join(pending))
                pending = []
            if kind == "TLS":  # the handshake, after the server's 220 TLS go ahead
                assert not wire.buf, f"{where}: bytes before the handshake: {wire.buf!r}"
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                wire.sock = ctx.wrap_socket(wire.sock)
                continue
            if text == "<closed>":
                assert wire.closed(), f"{where}: connection still open"
                continue
            got = wire.line()
            if kind == "S...":  # read on until a line matches (an EHLO block in one line)
                seen = [got]
                while not matches(text, got):
                    assert len(seen) < 100, f"{where}: no line matched {text!r} in {seen!r}"
                    got = wire.line()
                    seen.append(got)
                continue
            assert matches(text, got), f"{where}: expected {text!r}, got {got!r}"
        if pending:  # trailing C: lines are sent too
            wire.send(b"".join(pending))
        nothing_more(wire, f"{name}:{steps[-1][0]}")
    finally:
        if wire:
            wire.close()
