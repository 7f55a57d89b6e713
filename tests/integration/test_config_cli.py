"""The command line: --check-config, --print-default-config, --version, startup failures."""
import glob
import os
import socket
import subprocess

from conftest import BIN, SOURCE, free_port


def run(*args, timeout=20, **kw):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout, **kw)


def test_version_and_help():
    p = run("--version")
    assert p.returncode == 0 and p.stdout.startswith("relaymock ")
    p = run("--help")
    assert p.returncode == 0 and "--check-config" in p.stdout


def test_print_default_config_round_trips(tmp_path):
    p = run("--print-default-config")
    assert p.returncode == 0
    with open(os.path.join(SOURCE, "config", "relaymock.yaml")) as f:
        assert p.stdout == f.read()
    path = tmp_path / "default.yaml"
    path.write_text(p.stdout)
    check = run("--check-config", str(path))
    assert check.returncode == 0, check.stderr


def test_example_configs_are_valid():
    for name in ("relaymock.yaml", "provider-ports.yaml"):
        p = run("--check-config", os.path.join(SOURCE, "config", name))
        assert p.returncode == 0, p.stderr


def test_broken_files_give_file_line_col():
    files = sorted(glob.glob(os.path.join(SOURCE, "tests", "config", "bad", "*.yaml")))
    assert len(files) >= 20
    for path in files:
        with open(path) as f:
            expect = f.readline().strip()[len("# expect: "):]
        p = run("--check-config", path)
        assert p.returncode == 2, path
        assert f"{path}:{expect}" in p.stderr, (path, p.stderr)
        for line in p.stderr.splitlines():
            assert line.startswith(path + ":"), line


def test_several_problems_one_line_each(tmp_path):
    path = tmp_path / "multi.yaml"
    path.write_text("server:\n  hostnmae: x\n  max_recipients: -1\nsmtp_users:\n  - { username: a }\nbogus: 1\n")
    p = run("--check-config", str(path))
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 4, p.stderr
    assert lines[0].startswith(f"{path}:2:3: unknown key 'hostnmae'")
    assert lines[1].startswith(f"{path}:3:19: server.max_recipients must be")
    assert lines[2].startswith(f"{path}:5:5: smtp_users[0] needs a password")
    assert lines[3].startswith(f"{path}:6:1: unknown key 'bogus'")


def test_missing_file():
    p = run("--check-config", "/nonexistent/relaymock.yaml")
    assert p.returncode == 2
    assert p.stderr.startswith("/nonexistent/relaymock.yaml:1:1: cannot read the file")


def test_port_in_use_is_one_clear_line(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        path = tmp_path / "c.yaml"
        path.write_text(f"server:\n  listeners:\n    - {{ address: 127.0.0.1, port: {port}, tls: none }}\n")
        p = run("--config", str(path))
        assert p.returncode == 1
        assert p.stderr.strip() == f"relaymock: cannot listen on 127.0.0.1:{port} (none): the port is already in use"


def test_privileged_port_without_rights():
    import tempfile
    tmp = tempfile.mkdtemp(prefix="relaymock-priv-")
    os.chmod(tmp, 0o755)
    path = os.path.join(tmp, "c.yaml")
    with open(path, "w") as f:
        f.write("server:\n  listeners:\n    - { address: 127.0.0.1, port: 25, tls: starttls }\n")
    _privileged(path)
    import shutil
    shutil.rmtree(tmp)


def _privileged(path):
    # Drop root (and with it CAP_NET_BIND_SERVICE) when the tests run as root.
    cmd = [BIN, "--config", str(path)]
    if os.geteuid() == 0:
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
               "--bounding-set=-all", *cmd]
        os.chmod(path, 0o644)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "ports below 1024 need root or CAP_NET_BIND_SERVICE" in p.stderr


def test_bad_certificate_at_startup(tmp_path):
    cert = tmp_path / "server.crt"
    key = tmp_path / "server.key"
    cert.write_text("not a certificate\n")
    key.write_text("not a key\n")
    path = tmp_path / "c.yaml"
    path.write_text(f"server:\n  listeners: [{{ address: 127.0.0.1, port: {free_port()} }}]\n"
                    f"tls: {{ certificate: {cert}, private_key: {key} }}\n")
    p = run("--config", str(path))
    assert p.returncode == 2
    assert f"{path}:3:21: tls.certificate: '{cert}' is not a PEM certificate" in p.stderr


def test_configured_certificate_is_served(tmp_path):
    key, crt = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", str(key), "-out", str(crt), "-days", "2", "-subj", "/CN=mx.test.example"],
                   check=True, capture_output=True)
    port = free_port()
    path = tmp_path / "c.yaml"
    path.write_text(f"server:\n  listeners: [{{ address: 127.0.0.1, port: {port}, tls: implicit }}]\n"
                    f"tls: {{ certificate: {crt}, private_key: {key} }}\n")
    proc = subprocess.Popen([BIN, "--config", str(path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        import time
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        p = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", str(crt)],
                           input="QUIT\r\n", capture_output=True, text=True, timeout=20)
        assert "subject=CN = mx.test.example" in p.stdout
        assert "Verify return code: 0 (ok)" in p.stdout
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_tls_directory_with_half_a_pair_is_refused(tmp_path):
    (tmp_path / "server.crt").write_text("not used")
    cfg = tmp_path / "r.yaml"
    cfg.write_text(f"tls: {{ directory: {tmp_path} }}\n")
    p = run("--check-config", str(cfg))
    assert p.returncode == 2
    assert f"tls.directory {tmp_path} holds server.crt but no server.key" in p.stderr


def test_healthcheck_subcommand(make_relay, tmp_path):
    relay = make_relay("", listeners=("plain",))
    p = run("healthcheck", "--config", relay.config)
    assert p.returncode == 0, p.stderr
    assert p.stdout == f"http://127.0.0.1:{relay.http_port}/readyz: ready\n"
    relay.kill9()
    p = run("healthcheck", "--config", relay.config)
    assert p.returncode == 1
    assert f"relaymock healthcheck: http://127.0.0.1:{relay.http_port}/readyz: Connection refused" in p.stderr
    off = tmp_path / "off.yaml"
    off.write_text('http: { listen: "off" }\n')
    p = run("healthcheck", "--config", str(off))
    assert p.returncode == 1 and "http.listen is off" in p.stderr
