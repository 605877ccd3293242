#!/usr/bin/env python3
"""Writes a synthetic pcap of many interleaved mail sessions for
tests/bench_pcap.sh: SMTP with STARTTLS and TLS records (most), plain SMTP
with AUTH PLAIN in clear, POP3 with USER/PASS, IMAP with STARTTLS; about 1%
of data segments retransmitted and 1% swapped with the next one.

    bench_pcap_gen.py OUT.pcap [PACKETS] [CONCURRENT]

The ClientHello and ServerHello are real ones (as GnuTLS and OpenSSL send
them); record bodies are random bytes. Checksums are zero (neither mxprobe
nor tshark verifies them by default)."""

import os
import random
import struct
import sys

random.seed(10)



def ext(t, body):
    return struct.pack(">HH", t, len(body)) + body


def client_hello(rand):
    sni = b"mail.example.net"
    exts = (ext(0, struct.pack(">HBH", len(sni) + 3, 0, len(sni)) + sni)
            + ext(10, bytes.fromhex("0006001d00170018"))
            + ext(43, bytes.fromhex("0403040303"))
            + ext(51, struct.pack(">HHH", 36, 0x1d, 32) + b"\x33" * 32)
            + ext(13, bytes.fromhex("000604030804 0401".replace(" ", ""))))
    body = (b"\x03\x03" + rand + b"\x20" + b"\x22" * 32 + bytes.fromhex("0008130213031301c02f")
            + b"\x01\x00" + struct.pack(">H", len(exts)) + exts)
    return record(22, b"\x01" + len(body).to_bytes(3, "big") + body, 0x0301)


def server_hello():
    exts = ext(43, b"\x03\x04") + ext(51, struct.pack(">HH", 0x1d, 32) + b"\x44" * 32)
    body = (b"\x03\x03" + os.urandom(32) + b"\x20" + b"\x22" * 32 + b"\x13\x02\x00"
            + struct.pack(">H", len(exts)) + exts)
    return record(22, b"\x02" + len(body).to_bytes(3, "big") + body)


def record(ctype, body, version=0x0303):
    return struct.pack(">BHH", ctype, version, len(body)) + body


def appdata(n):
    return record(23, random.randbytes(n))


def smtp_starttls():
    c, s = [], []
    conv = [
        (1, b"220 mx.example.net ESMTP Postfix\r\n"),
        (0, b"EHLO client.example.org\r\n"),
        (1, b"250-mx.example.net\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n"
            b"250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 CHUNKING\r\n"),
        (0, b"STARTTLS\r\n"),
        (1, b"220 2.0.0 Ready to start TLS\r\n"),
        (0, client_hello(random.randbytes(32))),
        (1, server_hello() + record(20, b"\x01") + appdata(2200) + appdata(280) + appdata(53)),
        (0, record(20, b"\x01") + appdata(53)),
    ]
    for _ in range(random.randint(6, 14)):
        conv.append((0, appdata(random.choice((40, 60, 1200)))))
        conv.append((1, appdata(random.choice((30, 80)))))
    return conv


def smtp_plain_auth():
    return [
        (1, b"220 relay.example.net ESMTP\r\n"),
        (0, b"EHLO pc.example.org\r\n"),
        (1, b"250-relay.example.net\r\n250-AUTH PLAIN LOGIN\r\n250 SIZE\r\n"),
        (0, b"AUTH PLAIN AGFsaWNlAHMzY3JldA==\r\n"),
        (1, b"235 2.7.0 Authentication successful\r\n"),
        (0, b"MAIL FROM:<alice@example.org>\r\n"), (1, b"250 2.1.0 Ok\r\n"),
        (0, b"RCPT TO:<bob@example.net>\r\n"), (1, b"250 2.1.5 Ok\r\n"),
        (0, b"DATA\r\n"), (1, b"354 End data with <CR><LF>.<CR><LF>\r\n"),
        (0, b"Subject: hi\r\n\r\n" + b"text line of the message\r\n" * 20 + b".\r\n"),
        (1, b"250 2.0.0 Ok: queued as 4ABCDE\r\n"),
        (0, b"QUIT\r\n"), (1, b"221 2.0.0 Bye\r\n"),
    ]


def pop3_plain():
    return [
        (1, b"+OK Dovecot ready.\r\n"), (0, b"USER bob\r\n"), (1, b"+OK\r\n"),
        (0, b"PASS hunter2\r\n"), (1, b"+OK Logged in.\r\n"), (0, b"STAT\r\n"),
        (1, b"+OK 0 0\r\n"), (0, b"QUIT\r\n"), (1, b"+OK Logging out.\r\n"),
    ]


def imap_starttls():
    return [
        (1, b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n"),
        (0, b"a1 STARTTLS\r\n"), (1, b"a1 OK Begin TLS negotiation now.\r\n"),
        (0, client_hello(random.randbytes(32))),
        (1, server_hello() + record(20, b"\x01") + appdata(1800)),
        (0, record(20, b"\x01") + appdata(53)), (0, appdata(60)), (1, appdata(200)),
    ]


MSS = 1448


class Session:
    def __init__(self, n, port):
        self.c_ip = bytes([10, 1, (n >> 8) & 0xFF, n & 0xFF])
        self.s_ip = bytes([10, 2, 0, 1 + n % 50])
        self.c_port = 1024 + n % 60000
        self.s_port = port
        self.seq = [random.getrandbits(32), random.getrandbits(32)]
        self.pkts = []

    def seg(self, d, flags, payload=b""):
        self.pkts.append((d, flags, self.seq[d], payload))
        self.seq[d] = (self.seq[d] + len(payload) + (1 if flags & 0x03 else 0)) & 0xFFFFFFFF

    def build(self, conv):
        self.seg(0, 0x02)
        self.seg(1, 0x12)
        self.seg(0, 0x10)
        for d, data in conv:
            for i in range(0, len(data), MSS):
                self.seg(d, 0x18, data[i:i + MSS])
                self.seg(1 - d, 0x10)  # the ACK
        self.seg(0, 0x11)
        self.seg(1, 0x11)
        self.seg(0, 0x10)
        # 1% retransmitted, 1% swapped with the next
        out = []
        i = 0
        while i < len(self.pkts):
            p = self.pkts[i]
            r = random.random()
            if p[3] and r < 0.01 and i + 1 < len(self.pkts):
                out += [self.pkts[i + 1], p]
                i += 2
                continue
            out.append(p)
            if p[3] and r < 0.02:
                out.append(p)
            i += 1
        self.pkts = out
        return self


ETH = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00"


def frame(s, d, flags, seq, payload):
    src, dst = (s.c_ip, s.s_ip) if d == 0 else (s.s_ip, s.c_ip)
    sp, dp = (s.c_port, s.s_port) if d == 0 else (s.s_port, s.c_port)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 40 + len(payload), 0, 0x4000, 64, 6, 0, src, dst)
    tcp = struct.pack(">HHIIBBHHH", sp, dp, seq, 0, 0x50, flags, 65535, 0, 0)
    return ETH + ip + tcp + payload


def main():
    out = sys.argv[1]
    target = int(sys.argv[2]) if len(sys.argv) > 2 else 1_100_000
    conc = int(sys.argv[3]) if len(sys.argv) > 3 else 300
    kinds = [(smtp_starttls, 25)] * 7 + [(smtp_plain_auth, 587), (pop3_plain, 110), (imap_starttls, 143)]
    written = 0
    n = 0
    active = []
    t = 1_700_000_000.0
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        while written < target:
            while len(active) < conc:
                make, port = random.choice(kinds)
                s = Session(n, port).build(make())
                s.pos = 0
                active.append(s)
                n += 1
            k = random.randrange(len(active))
            s = active[k]
            for _ in range(random.randint(1, 3)):
                if s.pos >= len(s.pkts):
                    break
                fr = frame(s, *s.pkts[s.pos])
                s.pos += 1
                t += 0.00002
                sec = int(t)
                f.write(struct.pack("<IIII", sec, int((t - sec) * 1e6), len(fr), len(fr)))
                f.write(fr)
                written += 1
            if s.pos >= len(s.pkts):
                active[k] = active[-1]
                active.pop()
        # the sessions still open end too
        for s in active:
            while s.pos < len(s.pkts):
                fr = frame(s, *s.pkts[s.pos])
                s.pos += 1
                t += 0.00002
                sec = int(t)
                f.write(struct.pack("<IIII", sec, int((t - sec) * 1e6), len(fr), len(fr)))
                f.write(fr)
                written += 1
    print("%d packets, %d sessions -> %s" % (written, n, out))


if __name__ == "__main__":
    main()
