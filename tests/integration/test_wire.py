#!/usr/bin/env python3
"""Wire checks (issue 10): captures recorded on lo against the real servers
the suite runs (Postfix with and without STARTTLS, Dovecot POP3/IMAP with a
login before TLS), the in-tree server (plaintext after STARTTLS), a relay
that rewrites the ClientHello, and damaged capture files.  Every capture is
also read by tshark, an independent reader: sessions, TLS versions, cipher
suites and SNI must agree with mxprobe's.

Captures are made either by mxprobe itself (--capture) or by Wireshark's
dumpcap (pcapng) started here and stopped by its PID."""

import base64
import contextlib
import imaplib
import os
import poplib
import re
import select
import shutil
import signal
import smtplib
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mxtest  # noqa: E402
import mxdovecot  # noqa: E402

# The test accounts' secrets: they must never appear in any output.
SECRET = "mx-test-secret"
SMTP_SECRET = "Sm7p-s3cret-word"

VERSIONS = {"0x0301": "TLS1.0", "0x0302": "TLS1.1", "0x0303": "TLS1.2", "0x0304": "TLS1.3"}


class Dumpcap:
    """dumpcap on lo with a BPF filter, writing pcapng (or pcap with
    pcap=True); stopped by its PID."""

    def __init__(self, path, bpf, pcap=False):
        self.path = path
        cmd = ["dumpcap", "-q", "-i", "lo", "-f", bpf, "-w", path]
        if pcap:
            cmd.insert(1, "-P")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            if os.path.exists(path) and os.path.getsize(path) > 0:
                time.sleep(0.3)  # the filter is attached once the file is written
                return
            if self.proc.poll() is not None:
                raise RuntimeError("dumpcap failed: %s" % self.proc.stderr.read())
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("dumpcap did not start")

    def stop(self):
        if self.proc.poll() is None:
            time.sleep(0.3)  # the last packets reach the file
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stderr.close()


def tshark(args):
    proc = subprocess.run(["tshark", "-n"] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=60)
    if proc.returncode != 0:
        raise AssertionError("tshark %s failed: %s" % (args, proc.stderr))
    return proc.stdout


def tshark_view(path):
    """What tshark sees, per TCP connection (client, server): the hellos'
    SNI, TLS version and cipher suite name, and whether it spoke SMTP/POP/IMAP."""
    names = {}
    for m in re.finditer(r"Cipher Suite: (\S+) \((0x[0-9a-f]{4})\)", tshark(["-r", path, "-V", "-O", "tls"])):
        names[m.group(2)] = m.group(1)
    conns = {}
    fields = ["ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst", "tcp.dstport", "tcp.flags.syn",
              "tcp.flags.ack", "tls.handshake.type", "tls.handshake.extensions_server_name",
              "tls.handshake.ciphersuite", "tls.handshake.extensions.supported_version",
              "tls.handshake.version", "_ws.col.Protocol"]
    out = tshark(["-r", path, "-T", "fields", "-E", "separator=|", "-E", "occurrence=a"]
                 + sum((["-e", f] for f in fields), []))
    for line in out.splitlines():
        v = dict(zip(fields, line.split("|")))
        src = "%s:%s" % (v["ip.src"], v["tcp.srcport"]) if v["ip.src"] else \
            "[%s]:%s" % (v["ipv6.src"], v["tcp.srcport"])
        dst = "%s:%s" % (v["ip.dst"], v["tcp.dstport"]) if v["ip.dst"] else \
            "[%s]:%s" % (v["ipv6.dst"], v["tcp.dstport"])
        key = None
        for k in ((src, dst), (dst, src)):
            if k in conns:
                key = k
        if key is None:
            # the client sends the SYN; tshark numbers streams the same way
            key = (src, dst) if v["tcp.flags.syn"] in ("1", "True") and v["tcp.flags.ack"] in ("0", "False") \
                else (dst, src)
            conns[key] = {"protocols": set()}
        c = conns[key]
        c["protocols"].add(v["_ws.col.Protocol"])
        types = v["tls.handshake.type"].split(",")
        if "1" in types:
            c["sni"] = v["tls.handshake.extensions_server_name"] or None
        if "2" in types:
            suite = v["tls.handshake.ciphersuite"].split(",")[types.index("2")] \
                if len(v["tls.handshake.ciphersuite"].split(",")) > types.index("2") else \
                v["tls.handshake.ciphersuite"]
            c["cipher"] = names.get(suite, suite)
            sv = v["tls.handshake.extensions.supported_version"].split(",")[-1]
            c["version"] = VERSIONS.get(sv or v["tls.handshake.version"].split(",")[-1])
    return conns


class WireCase(mxtest.MxTestCase):
    tmp = None

    def pcap(self, path, *extra, fmt="json", check_secret=True):
        res = mxtest.run_mxprobe(["pcap", "--format", fmt] + list(extra) + [path])
        self.assertNotCrashed(res)
        if check_secret:
            for secret in (SECRET, SMTP_SECRET, base64.b64encode(SECRET.encode()).decode()):
                self.assertNotIn(secret, res.stdout + res.stderr, res.describe())
        return res

    def agree_with_tshark(self, path, res):
        """mxprobe and tshark read the same sessions, versions, suites, SNI."""
        ts = tshark_view(path)
        wire = res.target["wire"]
        ours = {(s["client"], s["server"]): s for s in wire["sessions"]}
        mail = {k: v for k, v in ts.items()
                if v["protocols"] & {"SMTP", "POP", "IMAP", "SMTP/IMF", "TLSv1.2", "TLSv1.3"}}
        self.assertTrueIn(res, set(mail) <= set(ours) | {(b, a) for a, b in ours},
                          "tshark's mail sessions %s vs mxprobe's %s" % (sorted(mail), sorted(ours)))
        for key, s in ours.items():
            t = ts.get(key)
            self.assertTrueIn(res, t is not None, "tshark does not see %s" % (key,))
            if s["server_hello"]:
                self.assertEq(res, s["tls_version"], t.get("version"), "TLS version of %s" % (key,))
                self.assertEq(res, s["cipher_suite"], t.get("cipher"), "cipher suite of %s" % (key,))
            if s["client_hello"]:
                self.assertEq(res, s["client_hello"]["sni"], t.get("sni"), "SNI of %s" % (key,))
        return ts

    def secret_free(self, path):
        for fmt in ("text", "json", "log"):
            self.pcap(path, fmt=fmt)


class WirePostfix(mxtest.StandardPostfixTestCase, WireCase):
    TEMP_PREFIX = "mxtest-wire-"

    def case(self, name):
        return self.pf.cases[name]

    def test_capture_good_starttls(self):
        c = self.case("tls-good")
        cap = os.path.join(self.tmp, "good.pcap")
        res = mxtest.run_mxprobe(["check", "--format", "json", "--ca-file", self.pki.root.cert,
                                  "--capture", cap, "--sni", mxtest.LEAF_NAME, c.target])
        self.assertExit(res, (0, 1))
        self.assertFinding(res, "wire.tls-clean", "pass")
        self.assertFinding(res, "wire.hello-match", "pass")
        # The only plaintext after STARTTLS in our own capture is the
        # injection probe's NOOP, from the client side, and it is info.
        for f in res.findings():
            if f["id"] == "wire.plaintext-after-starttls":
                self.assertEq(res, f["severity"], "info", "our own injection NOOP")
                self.assertEq(res, (f.get("evidence") or {}).get("direction"), "client", "direction")
        self.assertNoFinding(res, "wire.credentials-in-clear")
        wire = res.target["wire"]
        self.assertEq(res, wire["source"], cap)
        s = next(s for s in wire["sessions"] if s["client"] == res.session["local"])
        self.assertEq(res, s["tls_mode"], "starttls")
        self.assertEq(res, s["tls_version"], res.session["tls"]["protocol"])
        self.assertEq(res, s["cipher_suite"], res.session["tls"]["cipher_suite"])
        self.assertEq(res, s["client_hello"]["sni"], mxtest.LEAF_NAME)
        self.assertTrueIn(res, "STARTTLS" in s["capabilities"], "capabilities %s" % s["capabilities"])
        for k in ("connect", "greeting", "ehlo", "starttls", "handshake"):
            self.assertTrueIn(res, s["timing_ms"][k] is not None, "timing %s missing" % k)
        self.assertTrueIn(res, s["round_trips"] >= 4 and s["packets"] >= 10, "counts")
        # tshark reads the file mxprobe wrote the same way
        again = self.pcap(cap)
        self.agree_with_tshark(cap, again)

    def test_tls12_chain_on_the_wire(self):
        """TLS 1.2 shows the server's certificates in clear: mxprobe lists
        them as tshark does."""
        c = self.case("tls-good")
        cap = os.path.join(self.tmp, "tls12.pcap")
        dc = Dumpcap(cap, "host %s and tcp port 25" % c.addr, pcap=True)
        try:
            ctx = ssl.create_default_context(cafile=self.pki.root.cert)
            ctx.check_hostname = False
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
            with smtplib.SMTP(c.addr, 25, timeout=10) as smtp:
                smtp.starttls(context=ctx)
                smtp.ehlo("client.example")
        finally:
            dc.stop()
        res = self.pcap(cap)
        s = res.target["wire"]["sessions"][0]
        self.assertEq(res, s["tls_version"], "TLS1.2")
        subjects = [x["subject"] for x in s["certificates"]]
        self.assertTrueIn(res, len(subjects) >= 2 and mxtest.LEAF_NAME in subjects[0], subjects)
        lengths = tshark(["-r", cap, "-Y", "tls.handshake.type==11", "-T", "fields", "-E", "occurrence=a",
                          "-e", "tls.handshake.certificate_length"]).split()
        self.assertEq(res, len(lengths[0].split(",")), len(subjects), "certificates on the wire")
        self.agree_with_tshark(cap, res)

    def test_capture_no_starttls(self):
        c = self.case("tls-none")
        cap = os.path.join(self.tmp, "none.pcap")
        res = mxtest.run_mxprobe(["check", "--format", "json", "--policy", "encrypt", "--capture", cap, c.target])
        # The starttls probe judges the policy; on our own wire it is information.
        self.assertFinding(res, "starttls.missing", "fail")
        self.assertFinding(res, "wire.cleartext-session", "info")
        s = res.target["wire"]["sessions"][0]
        self.assertEq(res, s["tls_mode"], "none")
        self.assertEq(res, s["client_hello"], None)
        # Someone else's capture is judged by the policy.
        again = self.pcap(cap, "--policy", "encrypt")
        self.assertFinding(again, "wire.cleartext-session", "fail")
        self.assertExit(again, 1)
        self.assertFinding(self.pcap(cap, "--policy", "may"), "wire.cleartext-session", "warn")
        self.agree_with_tshark(cap, again)

    def test_smtp_auth_in_clear_redacted(self):
        """A client that sends AUTH PLAIN to a server without TLS: the
        password crossed in clear (Postfix refuses it, too late)."""
        c = self.case("tls-none")
        cap = os.path.join(self.tmp, "auth.pcapng")
        dc = Dumpcap(cap, "host %s and tcp port 25" % c.addr)
        try:
            with smtplib.SMTP(c.addr, 25, timeout=10) as smtp:
                smtp.ehlo("client.example")
                ir = base64.b64encode(b"\0alice\0" + SMTP_SECRET.encode()).decode()
                smtp.docmd("AUTH", "PLAIN " + ir)
        finally:
            dc.stop()
        res = self.pcap(cap)
        creds = [f for f in res.findings() if f["id"] == "wire.credentials-in-clear"]
        self.assertEq(res, len(creds), 1, "one login in clear")
        self.assertEq(res, creds[0]["severity"], "fail")
        self.assertEq(res, creds[0]["evidence"]["mechanism"], "AUTH PLAIN (user alice)")
        self.assertEq(res, creds[0]["evidence"]["secret"], "<redacted>")
        self.secret_free(cap)
        self.agree_with_tshark(cap, res)

    def test_capture_ipv6(self):
        if "tls-good-v6" not in self.pf.cases:
            self.skipTest("no IPv6 loopback")
        c = self.case("tls-good-v6")
        cap = os.path.join(self.tmp, "v6.pcap")
        res = mxtest.run_mxprobe(["check", "--format", "json", "--ca-file", self.pki.root.cert,
                                  "--probes", "starttls", "--capture", cap, c.target])
        self.assertFinding(res, "wire.hello-match", "pass")
        s = res.target["wire"]["sessions"][0]
        self.assertTrueIn(res, s["server"] == "[::1]:%d" % c.port, s["server"])
        self.agree_with_tshark(cap, self.pcap(cap))

    def test_no_capture_rights(self):
        """Not root, no CAP_NET_RAW: one line on stderr, the probes go on,
        the exit code is the one without --wire."""
        c = self.case("tls-good")
        if not shutil.which("setpriv") or os.getuid() != 0:
            self.skipTest("needs root and setpriv to drop the rights")
        drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
                "--bounding-set=-all", "--"]
        env = dict(os.environ, NO_COLOR="1", TZ="UTC", TMPDIR="/tmp")
        base = [mxtest.mxprobe_path(), "check", "--format", "json", "--probes", "starttls", c.target]
        plain = subprocess.run(drop + base, capture_output=True, text=True, env=env, timeout=60)
        wired = subprocess.run(drop + base[:2] + ["--wire"] + base[2:], capture_output=True, text=True,
                               env=env, timeout=60)
        self.assertEqual(wired.returncode, plain.returncode, wired.stderr)
        lines = [line for line in wired.stderr.splitlines() if "capture" in line]
        self.assertEqual(len(lines), 1, wired.stderr)
        self.assertIn("no capture rights", lines[0])
        import json
        doc = json.loads(wired.stdout)
        mxtest.validate_json(doc)
        ids = [f["id"] for p in doc["targets"][0]["probes"] for f in p["findings"]]
        self.assertIn("wire.not-tested", ids)
        self.assertIn("starttls.accepted", ids)


class WireDovecot(WireCase):
    """POP3 USER/PASS and IMAP LOGIN before TLS against a real Dovecot that
    allows them (disable_plaintext_auth = no), and a login after STARTTLS."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = mxtest.make_tempdir("mxtest-wire-dc-")
        cls.block = mxtest.Block(1)
        (cls.addr,) = cls.block.addrs(1)
        cls.pki = mxtest.Pki(os.path.join(cls.tmp, "pki"), ips=(cls.addr,))
        cls.dc = mxdovecot.Dovecot(os.path.join(cls.tmp, "dc"), cls.pki, cls.addr, name="wire",
                                   plaintext_auth=True)
        try:
            cls.dc.start()
        except Exception:
            cls.block.release()
            mxtest.remove_tempdir(cls.tmp)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.dc.stop()
        cls.block.release()
        mxtest.remove_tempdir(cls.tmp)

    def test_logins_before_and_after_tls(self):
        cap = os.path.join(self.tmp, "dovecot.pcapng")
        dc = Dumpcap(cap, "host %s" % self.addr)
        try:
            # Whether the private Dovecot can open the mailbox does not
            # matter: the password crossed the wire once sent.
            p = poplib.POP3(self.addr, 110, timeout=10)
            p.user("mxuser")
            with contextlib.suppress(poplib.error_proto, OSError):
                p.pass_(SECRET)
                p.quit()
            p.close()
            m = imaplib.IMAP4(self.addr, 143, timeout=10)
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                m.login("mxuser", SECRET)
                m.logout()
            ctx = ssl.create_default_context(cafile=self.pki.root.cert)
            ctx.check_hostname = False
            m = imaplib.IMAP4(self.addr, 143, timeout=10)
            m.starttls(ssl_context=ctx)
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                m.login("mxuser", SECRET)
                m.logout()
        finally:
            dc.stop()
        res = self.pcap(cap)
        creds = sorted(f["evidence"]["mechanism"] for f in res.findings()
                       if f["id"] == "wire.credentials-in-clear")
        self.assertEq(res, creds, ["LOGIN (user mxuser)", "USER/PASS (user mxuser)"])
        # The tails of the start-up port checks are there too, without
        # their SYN: the three logins are the sessions seen from the start.
        sessions = [s for s in res.target["wire"]["sessions"] if s["handshake_seen"]]
        self.assertEq(res, sorted(s["protocol"] for s in sessions), ["imap", "imap", "pop3"])
        tls = [s for s in sessions if s["tls_mode"] == "starttls"]
        self.assertEq(res, len(tls), 1, "one IMAP session with STARTTLS")
        self.assertEq(res, tls[0]["credentials_in_clear"], [])
        self.assertFinding(res, "wire.tls-clean", "pass")
        self.secret_free(cap)
        self.agree_with_tshark(cap, res)


class Relay:
    """A TCP relay on 127.0.0.1 that rewrites one byte of the ClientHello's
    server_name on its way to the server (a middlebox)."""

    def __init__(self, upstream, old, new):
        self.upstream = upstream
        self.old, self.new = old, new
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.stop_flag = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop_flag:
            r, _, _ = select.select([self.sock], [], [], 0.2)
            if not r:
                continue
            c, _ = self.sock.accept()
            s = socket.create_connection(self.upstream, timeout=10)
            threading.Thread(target=self.pipe, args=(c, s, True), daemon=True).start()
            threading.Thread(target=self.pipe, args=(s, c, False), daemon=True).start()

    def pipe(self, a, b, edit):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                if edit and data[:1] == b"\x16" and self.old in data:
                    data = data.replace(self.old, self.new, 1)
                b.sendall(data)
        except OSError:
            pass
        finally:
            for x in (a, b):
                try:
                    x.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.stop_flag = True
        self.thread.join(2)
        self.sock.close()


class WireTestsrv(WireCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = mxtest.make_tempdir("mxtest-wire-srv-")
        cls.pki = mxtest.Pki(os.path.join(cls.tmp, "pki"))

    @classmethod
    def tearDownClass(cls):
        mxtest.remove_tempdir(cls.tmp)

    def test_plaintext_after_starttls(self):
        cap = os.path.join(self.tmp, "inject.pcap")
        with mxtest.TestServer("plaintext-after-starttls", self.pki) as srv:
            res = mxtest.run_mxprobe(["check", "--format", "json", "--ca-file", self.pki.root.cert,
                                      "--probes", "starttls", "--capture", cap, srv.target])
        f = self.assertFinding(res, "wire.plaintext-after-starttls", "fail")
        self.assertEq(res, f["evidence"]["direction"], "server")
        self.assertTrueIn(res, f["evidence"]["bytes"].startswith("250 injected plaintext"), f["evidence"])
        s = res.target["wire"]["sessions"][0]
        greeting_and_replies = s["bytes_server"]
        self.assertTrueIn(res, 0 < s["plaintext_after_starttls"]["offset"] < greeting_and_replies, s)
        self.assertNoFinding(res, "wire.tls-clean")
        self.agree_with_tshark(cap, self.pcap(cap))

    def test_tls12_chain_compared_with_gnutls(self):
        """TLS 1.2: the Certificate message on the wire is the chain GnuTLS
        validated."""
        cap = os.path.join(self.tmp, "tls12-live.pcap")
        with mxtest.TestServer("good", self.pki, extra=["--priority", "NORMAL:-VERS-TLS1.3"]) as srv:
            res = mxtest.run_mxprobe(["check", "--format", "json", "--ca-file", self.pki.root.cert,
                                      "--probes", "starttls", "--capture", cap, srv.target])
        f = self.assertFinding(res, "wire.hello-match", "pass")
        self.assertEq(res, f["evidence"]["chain"], "same certificates")
        self.assertEq(res, f["evidence"]["tls_version"], "TLS1.2")
        self.assertNoFinding(res, "wire.chain-mismatch")
        s = res.target["wire"]["sessions"][0]
        self.assertEq(res, [c["sha256"] for c in s["certificates"]],
                      [c["sha256"] for c in res.target["chain"]], "the chain on the wire")
        self.agree_with_tshark(cap, self.pcap(cap))

    def test_run_scenario_with_wire(self):
        scn = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scenarios",
                           "opportunistic-tls.scn")
        with mxtest.TestServer("good", self.pki) as srv:
            res = mxtest.run_mxprobe(["run", "--format", "json", "--ca-file", self.pki.root.cert, "--wire",
                                      scn, srv.target])
        self.assertNotCrashed(res)
        self.assertEq(res, [p["name"] for p in res.target["probes"]][-1], "wire", "the wire result comes last")
        self.assertFinding(res, "wire.tls-clean", "pass")
        self.assertEq(res, res.target["wire"]["source"], None, "--wire keeps no file")

    def test_rewritten_client_hello(self):
        """The relay changes the SNI: the capture of both legs shows one
        ClientHello (same random) with two contents."""
        cap = os.path.join(self.tmp, "relay.pcapng")
        with mxtest.TestServer("good", self.pki) as srv:
            relay = Relay(("127.0.0.1", srv.port), mxtest.LEAF_NAME.encode(),
                          b"x" + mxtest.LEAF_NAME.encode()[1:])
            dc = Dumpcap(cap, "tcp port %d or tcp port %d" % (srv.port, relay.port))
            try:
                live = mxtest.run_mxprobe(["check", "--format", "json", "--ca-file", self.pki.root.cert,
                                           "--probes", "starttls", "--sni", mxtest.LEAF_NAME, "--wire",
                                           "127.0.0.1:%d" % relay.port])
            finally:
                dc.stop()
                relay.close()
        self.assertNotCrashed(live)
        # Our own leg carries the hello GnuTLS sent: no mismatch there.
        self.assertNoFinding(live, "wire.hello-mismatch")
        res = self.pcap(cap)
        f = self.assertFinding(res, "wire.hello-mismatch", "fail")
        self.assertTrueIn(res, "server_name" in f["evidence"]["differences"], f)
        ts = self.agree_with_tshark(cap, res)
        snis = sorted(v.get("sni") for v in ts.values() if "sni" in v)
        self.assertEq(res, snis, sorted([mxtest.LEAF_NAME, "x" + mxtest.LEAF_NAME[1:]]))


class DamagedCaptures(WireCase):
    """Corrupt, truncated and hostile files: a clear error naming the
    packet, never a crash."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = mxtest.make_tempdir("mxtest-wire-bad-")
        cls.good = os.path.join(cls.tmp, "good.pcap")
        with mxtest.TestServer("good", mxtest.Pki(os.path.join(cls.tmp, "pki"))) as srv:
            dc = Dumpcap(cls.good, "tcp port %d" % srv.port, pcap=True)
            try:
                with smtplib.SMTP("127.0.0.1", srv.port, timeout=10) as smtp:
                    smtp.ehlo("client.example")
            finally:
                dc.stop()
        with open(cls.good, "rb") as f:
            cls.data = f.read()

    @classmethod
    def tearDownClass(cls):
        mxtest.remove_tempdir(cls.tmp)

    def write(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def packet_offsets(self):
        off, out = 24, []
        while off + 16 <= len(self.data):
            out.append(off)
            off += 16 + struct.unpack("<I", self.data[off + 8:off + 12])[0]
        return out

    def test_rows(self):
        offs = self.packet_offsets()
        self.assertGreater(len(offs), 5)
        d = self.data
        rows = [
            # name, bytes, exit, stderr must contain, finding
            ("cut-mid-packet", d[:offs[3] + 16 + 10], 3, "packet 4: truncated", "wire.capture-error"),
            ("cut-mid-header", d[:offs[2] + 7], 3, "packet 3", "wire.capture-error"),
            ("bad-magic", b"\x0b\xad\xf0\x0d" + d[4:], 2, "not a readable pcap", None),
            ("empty", b"", 2, "not a readable pcap", None),
            ("absurd-snaplen", d[:16] + struct.pack("<I", 0xFFFFFFFF) + d[20:], 0, "", "wire.sessions"),
            ("4GiB-length", d[:offs[1] + 8] + struct.pack("<II", 0xFFFFFFFF, 0xFFFFFFFF) + d[offs[1] + 16:], 3,
             "packet 2: invalid packet capture length 4294967295", "wire.capture-error"),
            ("link-type-unknown", d[:20] + struct.pack("<I", 147) + d[24:], 2, "not supported", None),
            ("header-only", d[:24], 0, "", "wire.no-mail"),
        ]
        for name, data, code, err, fid in rows:
            with self.subTest(name):
                path = self.write(name + ".pcap", data)
                for fmt in ("json", "text", "log"):
                    res = mxtest.run_mxprobe(["pcap", "--policy", "none", "--format", fmt, path])
                    self.assertExit(res, code)
                    self.assertIn(err, res.stderr, res.describe())
                    if fmt == "json" and fid:
                        self.assertFinding(res, fid)
                        if fid == "wire.capture-error":
                            self.assertEq(res, res.target["status"], "untestable")

    def variants(self):
        """The good capture rewritten to every link type mxprobe reads, with
        802.1Q tags, and with every IPv4 datagram cut into fragments."""
        off = 24
        pkts = []
        while off + 16 <= len(self.data):
            hdr = self.data[off:off + 16]
            n = struct.unpack("<I", hdr[8:12])[0]
            pkts.append((hdr[:8], self.data[off + 16:off + 16 + n]))
            off += 16 + n
        self.assertEqual(struct.unpack("<I", self.data[20:24])[0], 1, "EN10MB expected")

        def fragments(ip):
            ihl = (ip[0] & 15) * 4
            body = ip[ihl:]
            if len(body) <= 24:
                return [ip]
            out, ident = [], struct.unpack(">H", ip[4:6])[0] ^ 0x5A5A
            for i in range(0, len(body), 24):
                part = body[i:i + 24]
                more = 0x2000 if i + 24 < len(body) else 0
                h = bytearray(ip[:ihl])
                h[2:4] = struct.pack(">H", ihl + len(part))
                h[4:6] = struct.pack(">H", ident)
                h[6:8] = struct.pack(">H", more | (i // 8))
                out.append(bytes(h) + part)
            return out

        def build(dlt, wrap, frag=False):
            out = bytearray(self.data[:20] + struct.pack("<I", dlt))
            for ts, frame in pkts:
                ethertype, ip = frame[12:14], frame[14:]
                for piece in (fragments(ip) if frag else [ip]):
                    f = wrap(frame[:12], ethertype, piece)
                    out += ts + struct.pack("<II", len(f), len(f)) + f
            return bytes(out)

        sll = lambda mac, et, ip: struct.pack(">HHH", 0, 772, 6) + mac[:6] + b"\0\0" + et + ip
        sll2 = lambda mac, et, ip: et + b"\0\0" + struct.pack(">IHBB", 1, 772, 0, 6) + mac[:6] + b"\0\0" + ip
        return {
            "LINUX_SLL": build(113, sll),
            "LINUX_SLL2": build(276, sll2),
            "NULL": build(0, lambda mac, et, ip: struct.pack("<I", 2) + ip),
            "LOOP": build(108, lambda mac, et, ip: struct.pack(">I", 2) + ip),
            "RAW": build(101, lambda mac, et, ip: ip),
            "802.1Q": build(1, lambda mac, et, ip: mac + b"\x81\x00\x00\x07" + et + ip),
            "fragments": build(1, lambda mac, et, ip: mac + et + ip, frag=True),
        }

    def test_link_types_and_fragments(self):
        base = self.pcap(self.good)
        want = [(s["client"], s["server"], s["protocol"], s["ehlo_name"], s["capabilities"], s["bytes_client"],
                 s["bytes_server"], s["last_reply"]) for s in base.target["wire"]["sessions"]]
        self.assertTrueIn(base, want and want[0][3] == "client.example", want)
        for name, data in self.variants().items():
            with self.subTest(name):
                path = self.write("variant-%s.pcap" % name.replace(".", ""), data)
                res = self.pcap(path)
                got = [(s["client"], s["server"], s["protocol"], s["ehlo_name"], s["capabilities"],
                        s["bytes_client"], s["bytes_server"], s["last_reply"]) for s in res.target["wire"]["sessions"]]
                self.assertEq(res, got, want, name)
                self.agree_with_tshark(path, res)

    def test_filter(self):
        res = self.pcap(self.good, "--filter", "tcp port 1")
        self.assertFinding(res, "wire.no-mail", "info")
        self.assertEq(res, res.target["wire"]["filter"], "tcp port 1")
        bad = mxtest.run_mxprobe(["pcap", "--filter", "tcp port (", self.good])
        self.assertExit(bad, 2)
        self.assertIn("--filter", bad.stderr)


class WireUsage(mxtest.MxTestCase):
    """Bad local input exits 2 before anything runs."""

    def test_usage_errors(self):
        rows = [
            ["pcap"],
            ["pcap", "/nonexistent/capture.pcap"],
            ["pcap", "--wire", "/dev/null"],
            ["check", "--filter", "tcp", "127.0.0.1:25"],
            ["lab", "--wire"],
            ["check", "--capture", "", "127.0.0.1:25"],
        ]
        for args in rows:
            with self.subTest(args=args):
                res = mxtest.run_mxprobe(args)
                self.assertExit(res, 2)
                self.assertEq(res, len(res.stderr.strip().splitlines()), 1, "one line")

    def test_help_lists_the_wire(self):
        res = mxtest.run_mxprobe(["--help"])
        for word in ("mxprobe pcap", "--wire", "--capture FILE", "--filter BPF"):
            self.assertIn(word, res.stdout, res.describe())


if __name__ == "__main__":
    mxtest.main()
