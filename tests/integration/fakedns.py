"""A tiny authoritative DNS server on loopback UDP for sender-verification tests.

zone maps a lower-case name to {"MX": [(pref, host)], "A": [ip], "AAAA": [ip]} or to
one of the strings "NXDOMAIN", "SERVFAIL", "SILENT" (never answers). Names not in the
zone are NXDOMAIN. An entry with "tcp_only": True answers UDP with an empty truncated
reply (TC set), so the answer comes only over TCP, on the same port. `queries`
records (name, type) in arrival order; `tcp_queries` those asked over TCP.
"""
import ipaddress
import socket
import struct
import threading

TYPES = {1: "A", 15: "MX", 28: "AAAA"}


def encode_name(name):
    out = b""
    for label in name.strip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def parse_question(packet):
    pos, labels = 12, []
    while packet[pos]:
        n = packet[pos]
        labels.append(packet[pos + 1:pos + 1 + n].decode())
        pos += 1 + n
    qtype, _qclass = struct.unpack("!HH", packet[pos + 1:pos + 5])
    return ".".join(labels).lower(), qtype, packet[12:pos + 5]


class FakeDns:
    def __init__(self, zone):
        self.zone = zone
        self.queries = []
        # UDP and TCP on one port: a free UDP port whose TCP twin is taken
        # (by another test's server) is given back and another one tried.
        for _ in range(50):
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind(("127.0.0.1", 0))
            self.port = self.sock.getsockname()[1]
            self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                self.tcp.bind(("127.0.0.1", self.port))
                break
            except OSError:
                self.tcp.close()
                self.sock.close()
        else:
            raise RuntimeError("no port free for both UDP and TCP")
        self.sock.settimeout(0.2)
        self.tcp_queries = []
        self.tcp.listen(16)
        self.tcp.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()
        self.tcp_thread = threading.Thread(target=self.serve_tcp, daemon=True)
        self.tcp_thread.start()

    def serve_tcp(self):
        while self.running:
            try:
                conn, _ = self.tcp.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    while True:
                        head = self._read(conn, 2)
                        if not head:
                            break
                        packet = self._read(conn, struct.unpack("!H", head)[0])
                        name, qtype, _ = parse_question(packet)
                        self.tcp_queries.append((name, TYPES.get(qtype, str(qtype))))
                        reply = self.answer(packet, tcp=True)
                        if reply is None:
                            break
                        # In two writes, so the client must read more than once.
                        framed = struct.pack("!H", len(reply)) + reply
                        conn.sendall(framed[:5])
                        conn.sendall(framed[5:])
                except (OSError, IndexError, struct.error, UnicodeDecodeError):
                    pass

    @staticmethod
    def _read(conn, n):
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                return b""
            data += chunk
        return data

    def serve(self):
        while self.running:
            try:
                packet, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                reply = self.answer(packet)
            except (IndexError, struct.error, UnicodeDecodeError):
                continue
            if reply is not None:
                self.sock.sendto(reply, peer)

    def answer(self, packet, tcp=False):
        qid = packet[:2]
        name, qtype, question = parse_question(packet)
        self.queries.append((name, TYPES.get(qtype, str(qtype))))
        entry = self.zone.get(name, "NXDOMAIN")
        if entry == "SILENT":
            return None
        if isinstance(entry, dict) and entry.get("tcp_only") and not tcp:
            return qid + struct.pack("!HHHHH", 0x8400 | 0x0200 | 0x0100, 1, 0, 0, 0) + question
        rcode = {"NXDOMAIN": 3, "SERVFAIL": 2}.get(entry, 0) if isinstance(entry, str) else 0
        answers = []
        if rcode == 0:
            for value in entry.get(TYPES.get(qtype, ""), []):
                if qtype == 15:
                    rdata = struct.pack("!H", value[0]) + encode_name(value[1])
                elif qtype == 1:
                    rdata = ipaddress.IPv4Address(value).packed
                else:
                    rdata = ipaddress.IPv6Address(value).packed
                answers.append(b"\xc0\x0c" + struct.pack("!HHIH", qtype, 1, 300, len(rdata)) + rdata)
        flags = 0x8400 | 0x0100 | rcode  # QR, AA, RD echoed, rcode
        header = qid + struct.pack("!HHHHH", flags, 1, len(answers), 0, 0)
        return header + question + b"".join(answers)

    def close(self):
        self.running = False
        self.thread.join(timeout=2)
        self.tcp_thread.join(timeout=3)
        self.sock.close()
        self.tcp.close()
