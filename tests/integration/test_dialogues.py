"""Runs every tests/dialogues/*.dialogue transcript against the real binary."""
import fnmatch
import glob
import os

import pytest

from conftest import SOURCE, Relay, Wire

FILES = sorted(glob.glob(os.path.join(SOURCE, "tests", "dialogues", "*.dialogue")))


def parse(path):
    config, dialogue, section = [], [], None
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if line.startswith("--- "):
                section = line[4:].strip()
                continue
            if section == "config":
                config.append(line)
            elif section == "dialogue" and line.strip():
                dialogue.append(line)
    return "\n".join(config), dialogue


@pytest.mark.parametrize("path", FILES, ids=[os.path.basename(f) for f in FILES])
def test_dialogue(path):
    config, steps = parse(path)
    relay = Relay(config)
    wire = None
    try:
        wire = Wire(relay.ports["starttls"])
        pending = []
        for i, step in enumerate(steps):
            kind, _, text = step.partition(":")
            text = text[1:] if text.startswith(" ") else text
            if kind == "C":
                pending.append(text + "\r\n")
                continue
            assert kind == "S", f"{path}:{i}: bad line {step!r}"
            if pending:
                wire.send("".join(pending))
                pending = []
            if text == "<closed>":
                assert wire.closed(), f"{os.path.basename(path)}: connection still open"
                continue
            got = wire.line()
            if text.endswith("*"):
                assert fnmatch.fnmatchcase(got, text.replace("[", "[[]")), \
                    f"{os.path.basename(path)} step {i}: expected {text!r}, got {got!r}"
            else:
                assert got == text, f"{os.path.basename(path)} step {i}: expected {text!r}, got {got!r}"
        assert len(FILES) >= 10
    finally:
        if wire:
            wire.close()
        relay.stop()
