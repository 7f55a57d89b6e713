"""A tiny authoritative DNS server on loopback UDP for sender-verification tests.

zone maps a lower-case name to {"MX": [(pref, host)], "A": [ip], "AAAA": [ip]} or to
one of the strings "NXDOMAIN", "SERVFAIL", "SILENT" (never answers). Names not in the
zone are NXDOMAIN. `queries` records (name, type) in arrival order.
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
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

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

    def answer(self, packet):
        qid = packet[:2]
        name, qtype, question = parse_question(packet)
        self.queries.append((name, TYPES.get(qtype, str(qtype))))
        entry = self.zone.get(name, "NXDOMAIN")
        if entry == "SILENT":
            return None
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
        self.sock.close()
