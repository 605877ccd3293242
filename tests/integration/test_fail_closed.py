#!/usr/bin/python3
"""Fail closed and keep secrets (issue 8), against the in-tree test server
(mxtestsrv) on loopback with the test PKI:

  auth-echo      a server whose 535 reply holds the password, raw and in its
                 AUTH PLAIN and AUTH LOGIN base64 forms: none of them in any
                 output format (text, -v, json, log), for the auth probe and
                 for a scenario's auth statement
  auth.not-sent  no password to a server whose certificate does not validate
                 or does not cover the name, under every policy, unless
                 --auth-insecure (the server's own log shows what arrived)
  hostile-text   C1, bidi, ESC, DEL and invalid UTF-8 from a banner, an EHLO
                 and a 454: escaped in every format; JSON is valid UTF-8
  local inputs   each bad local input refused with exit 2 and one line on
                 stderr before any connection (a listening socket that must
                 never see a connect); /dev/zero and a FIFO refused at once
  --domain       a resolver that answers MX with many hosts and never answers
                 their A/AAAA: the run ends within --target-timeout

The real Postfix + Dovecot SASL side of the same rules is in
test_submission.py.
"""

import base64
import json
import os
import socket
import stat
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mxtest  # noqa: E402

USER = "alice"
# base64 of it at every alignment differs; "/" and "+" are base64 letters
SECRET = "Ech0-s3cret/Pass+w0rd"

# what mxtestsrv hostile-text sends (src/lab/fakesrv.c HOSTILE_TEXT)
RAW_HOSTILE = [b"\xc2\x9b", b"\xe2\x80\xae", b"\xe2\x81\xa6", b"\x1b", b"\x07", b"\x7f", b"\xff",
               b"\xc0\x80", b"\xe2\x80\xa8"]


def secret_forms(secret=SECRET, user=USER):
    """Every encoding of the secret that must never be shown."""
    raw = secret.encode()
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return {
        "raw": secret,
        "AUTH LOGIN": b64(raw),
        "AUTH PLAIN": b64(b"\0" + user.encode() + b"\0" + raw),
        "AUTH PLAIN authzid": b64(user.encode() + b"\0" + user.encode() + b"\0" + raw),
        "JSON-escaped raw": json.dumps(secret)[1:-1],
    }


def run_bytes(args, timeout=60, env=None):
    """mxprobe with its output as bytes (run_mxprobe decodes with errors=replace,
    which would hide raw bytes)."""
    e = dict(os.environ)
    e.setdefault("NO_COLOR", "1")
    e.update(env or {})
    t0 = time.monotonic()
    proc = subprocess.run([mxtest.mxprobe_path()] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=timeout, env=e)
    return proc, time.monotonic() - t0


class EchoAndTrustTest(mxtest.MxTestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = mxtest.make_tempdir("mxtest-fc-")
        try:
            cls.pki = mxtest.Pki(os.path.join(cls.tmp, "pki"))
            cls.pwfile = os.path.join(cls.tmp, "password")
            with open(cls.pwfile, "w") as f:
                f.write(SECRET + "\n")
            cls.scn = os.path.join(cls.tmp, "auth.scn")
            with open(cls.scn, "w") as f:
                f.write("secret PW from %s\nconnect\nexpect 220\nehlo\nexpect 250\nstarttls\n"
                        "ehlo\nexpect 250\nauth PLAIN %s ${PW}\nexpect 235\nquit\n"
                        % (cls.pwfile, USER))
        except BaseException:
            mxtest.remove_tempdir(cls.tmp)
            raise

    @classmethod
    def tearDownClass(cls):
        mxtest.remove_tempdir(cls.tmp)

    def trusted(self):
        return ["--ca-file", self.pki.root.cert, "--sni", mxtest.LEAF_NAME]

    def auth_args(self):
        return ["--probes", "auth", "--auth-user", USER, "--auth-password-file", self.pwfile]

    @staticmethod
    def server_log(srv):
        srv.stop()
        return srv.proc.stderr.read()

    def assertNoSecretIn(self, data, what):
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        for name, form in secret_forms().items():
            self.assertNotIn(form, text, "%s: the %s form of the password is shown:\n%s"
                             % (what, name, text[:4000]))

    def test_echoed_secret_redacted_in_every_format(self):
        with mxtest.TestServer("auth-echo", self.pki, extra=["--verbose"]) as srv:
            target = "submission://" + srv.target
            runs = {
                "text": ["--format", "text"],
                "text -v": ["--format", "text", "--verbose"],
                "json": ["--format", "json"],
                "log": ["--format", "log"],
            }
            for name, fmt in runs.items():
                proc, _ = run_bytes(["check"] + fmt + self.trusted() + self.auth_args() + [target])
                self.assertEqual(proc.returncode, 1, "%s: %r" % (name, proc.stderr))
                self.assertNoSecretIn(proc.stdout, name)
                self.assertNoSecretIn(proc.stderr, name + " (stderr)")
                self.assertIn(b"<redacted>", proc.stdout, name)
            res = mxtest.run_mxprobe(["check", "--format", "json"] + self.trusted() + self.auth_args()
                                     + [target])
            self.assertFinding(res, "auth.refused", "fail")
            recv = [e["text"] for e in res.target["transcript"] if e["kind"] == "recv"]
            self.assertTrue(any("535" in t and "<redacted>" in t for t in recv), res.describe())
            # The scenario's auth statement, its secret from a file.
            proc, _ = run_bytes(["run", "--format", "json"] + self.trusted() + [self.scn, target])
            self.assertEqual(proc.returncode, 1, proc.stderr)
            self.assertNoSecretIn(proc.stdout, "run json")
            self.assertIn(b"<redacted>", proc.stdout)
            log = self.server_log(srv)
        # It did receive them: the echo is what was tested.
        self.assertIn("AUTH PLAIN", log)
        self.assertGreaterEqual(log.count("535-5.7.8 the password was"), 6, log[-3000:])

    def test_no_password_to_an_unauthenticated_server(self):
        cases = [
            ("untrusted CA", []),
            ("wrong name", ["--ca-file", self.pki.root.cert, "--sni", "other.test.example"]),
        ]
        for policy in ("none", "may", "encrypt", "verify", "secure", "domain-secure"):
            for why, extra in cases:
                with self.subTest(policy=policy, why=why):
                    with mxtest.TestServer("auth-echo", self.pki, extra=["--verbose"]) as srv:
                        res = mxtest.run_mxprobe(["check", "--format", "json", "--policy", policy]
                                                 + extra + self.auth_args()
                                                 + ["submission://" + srv.target])
                        log = self.server_log(srv)
                    f = self.assertFinding(res, "auth.not-sent", "error")
                    self.assertIn("reason", f.get("evidence") or {}, res.describe())
                    self.assertNotIn("AUTH", log.replace("AUTH PLAIN LOGIN", ""), log)
                    sent = [e["text"] for e in res.target["transcript"] if e["kind"] == "sent"]
                    self.assertFalse(any(s.startswith("AUTH") for s in sent), res.describe())
                    # an unanswered question is never a pass
                    self.assertNotEqual(res.returncode, 0, res.describe())
        # The scenario's auth statement keeps the same rule.
        with mxtest.TestServer("auth-echo", self.pki, extra=["--verbose"]) as srv:
            res = mxtest.run_mxprobe(["run", "--format", "json", self.scn, srv.target])
            log = self.server_log(srv)
        self.assertFinding(res, "auth.not-sent", "error")
        self.assertNotIn("AUTH", log.replace("AUTH PLAIN LOGIN", ""), log)
        self.assertExit(res, 3)
        # --auth-insecure: sent on purpose, still redacted.
        with mxtest.TestServer("auth-echo", self.pki, extra=["--verbose"]) as srv:
            proc, _ = run_bytes(["check", "--format", "json", "--auth-insecure"] + self.auth_args()
                                + ["submission://" + srv.target])
            log = self.server_log(srv)
        self.assertIn("AUTH PLAIN", log)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertNoSecretIn(proc.stdout, "--auth-insecure json")

    def test_hostile_text_escaped_in_every_format(self):
        with mxtest.TestServer("hostile-text", self.pki) as srv:
            for fmt in (["text"], ["text", "--verbose"], ["json"], ["log"]):
                proc, _ = run_bytes(["check", "--format"] + fmt + [srv.target])
                self.assertIn(proc.returncode, (1, 3), proc.stderr)
                for raw in RAW_HOSTILE:
                    self.assertNotIn(raw, proc.stdout, "%s: raw %r in the output" % (fmt, raw))
                out = proc.stdout.decode("utf-8")  # strict: valid UTF-8
                self.assertIn("\\u009B", out, fmt)
                self.assertIn("\\u202E", out, fmt)
                self.assertIn("caf\u00e9", out, fmt)  # valid UTF-8 text stays text
                if fmt == ["json"]:
                    doc = json.loads(out)
                    mxtest.validate_json(doc)
                    banner = doc["targets"][0]["session"]["banner"]["text"]
                    self.assertIn("\\u202Egnp.exe", banner)
                    self.assertIn("\\x1B]0;pwned\\x07", banner)
                    for ch in banner:
                        self.assertFalse(ord(ch) < 0x20 or 0x7f <= ord(ch) <= 0x9f
                                         or 0x202a <= ord(ch) <= 0x202e
                                         or 0x2066 <= ord(ch) <= 0x2069, repr(banner))


class LocalInputsTest(mxtest.MxTestCase):
    """Each bad local input: exit 2, one line on stderr, no connection."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = mxtest.make_tempdir("mxtest-fc-in-")
        try:
            cls.pki = mxtest.Pki(os.path.join(cls.tmp, "pki"))
            d = cls.tmp
            cls.empty = os.path.join(d, "empty.pem")
            open(cls.empty, "w").close()
            cls.garbage = os.path.join(d, "garbage.pem")
            with open(cls.garbage, "w") as f:
                f.write("this is not a certificate\n")
            cls.fifo = os.path.join(d, "fifo")
            os.mkfifo(cls.fifo)
            cls.dir = os.path.join(d, "a-directory")
            os.mkdir(cls.dir)
            cls.big = os.path.join(d, "big.pem")
            with open(cls.big, "wb") as f:
                f.truncate(17 << 20)
            other = cls.pki.make_leaf("other", "other.test.example")
            cls.other_key = other.key
            cls.p12 = os.path.join(d, "id.p12")
            cls.p12pass = os.path.join(d, "p12pass")
            with open(cls.p12pass, "w") as f:
                f.write("right-pass\n")
            mxtest.run(["openssl", "pkcs12", "-export", "-in", cls.pki.leaf.cert, "-inkey",
                        cls.pki.leaf.key, "-out", cls.p12, "-passout", "pass:right-pass"])
            cls.wrongpass = os.path.join(d, "wrongpass")
            with open(cls.wrongpass, "w") as f:
                f.write("wrong-pass\n")
            cls.bad_scn = os.path.join(d, "bad.scn")
            with open(cls.bad_scn, "w") as f:
                f.write("connect\nexpect 2x9\n")
            cls.pw = os.path.join(d, "pw")
            with open(cls.pw, "w") as f:
                f.write("pw\n")
        except BaseException:
            mxtest.remove_tempdir(cls.tmp)
            raise

    @classmethod
    def tearDownClass(cls):
        mxtest.remove_tempdir(cls.tmp)

    def setUp(self):
        # A target that must never be connected to.
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.setblocking(False)
        self.target = "127.0.0.1:%d" % self.sock.getsockname()[1]

    def tearDown(self):
        self.sock.close()

    def assertRefused(self, args, expect_in_stderr, cmd="check"):
        argv = [cmd] + args
        if cmd == "check":
            argv.append(self.target)
        proc, elapsed = run_bytes(argv, timeout=30)
        err = proc.stderr.decode("utf-8")  # strict: the message is escaped
        self.assertEqual(proc.returncode, 2, "%s: exit %d\nstderr: %s" % (argv, proc.returncode, err))
        self.assertEqual(len(err.strip().splitlines()), 1, "%s: not one line: %r" % (argv, err))
        self.assertIn(expect_in_stderr, err, argv)
        self.assertLess(elapsed, 5.0, "%s took %.1f s" % (argv, elapsed))
        self.assertNotIn(b"AddressSanitizer", proc.stderr)
        with self.assertRaises(BlockingIOError, msg="%s: mxprobe connected" % argv):
            self.sock.accept()
        return err

    def test_trust_files(self):
        for bad, why in ((self.empty, "empty"), (self.garbage, "no PEM certificate"),
                         (self.dir, "a directory"), ("/dev/zero", "a character device"),
                         (self.fifo, "a FIFO"), (self.big, "limit of 16777216 bytes"),
                         (os.path.join(self.tmp, "missing.pem"), "No such file")):
            with self.subTest(ca_file=bad):
                err = self.assertRefused(["--ca-file", bad], why)
                self.assertIn("--ca-file %s: " % bad, err)
        # --policy verify with an empty CA file never exits 0
        self.assertRefused(["--policy", "verify", "--ca-file", self.empty], "empty")

    def test_output_over_an_input(self):
        # -o naming an input (or a link to it) would truncate it: refused,
        # the input left as it was.
        ca = os.path.join(self.tmp, "ca-copy.pem")
        with open(self.pki.root.cert) as src, open(ca, "w") as dst:
            dst.write(src.read())
        link = os.path.join(self.tmp, "ca-link.pem")
        if not os.path.lexists(link):
            os.symlink(ca, link)
        pw = os.path.join(self.tmp, "pw-copy")
        with open(pw, "w") as f:
            f.write("secret\n")
        for args in (["--ca-file", ca, "-o", ca], ["--ca-file", link, "-o", ca],
                     ["--auth-user", "u", "--auth-password-file", pw, "-o", pw]):
            with self.subTest(args=args):
                self.assertRefused(args, "the report would overwrite it")
        with open(ca) as a, open(self.pki.root.cert) as b:
            self.assertEqual(a.read(), b.read(), "the CA file is intact")
        with open(pw) as f:
            self.assertEqual(f.read(), "secret\n", "the password file is intact")

    def test_unreadable_trust_file(self):
        if os.geteuid() == 0:
            self.skipTest("root reads a mode-000 file")
        p = os.path.join(self.tmp, "unreadable.pem")
        with open(p, "w") as f:
            f.write(open(self.pki.root.cert).read())
        os.chmod(p, 0)
        self.assertRefused(["--ca-file", p], "Permission denied")

    def test_crl_files(self):
        for bad, why in ((self.empty, "empty"), (self.garbage, "no CRL in it"),
                         (self.fifo, "a FIFO"), ("/dev/zero", "a character device")):
            with self.subTest(crl_file=bad):
                self.assertRefused(["--crl-file", bad], why)

    def test_client_identity(self):
        self.assertRefused(["--client-cert", self.pki.leaf.cert, "--client-key", self.other_key],
                           "does not belong to the certificate")
        self.assertRefused(["--client-cert", self.fifo, "--client-key", self.pki.leaf.key], "a FIFO")
        self.assertRefused(["--pkcs12", self.p12, "--pkcs12-password-file", self.wrongpass],
                           "wrong password")
        self.assertRefused(["--pkcs12", self.p12, "--pkcs12-password-file", self.empty], "empty")

    def test_password_files(self):
        for bad, why in ((self.empty, "empty"), (self.dir, "a directory"), (self.fifo, "a FIFO"),
                         ("/dev/zero", "a character device")):
            with self.subTest(password_file=bad):
                self.assertRefused(["--auth-user", USER, "--auth-password-file", bad], why)
        blank = os.path.join(self.tmp, "blank-first-line")
        with open(blank, "w") as f:
            f.write("\nsecond line\n")
        self.assertRefused(["--auth-user", USER, "--auth-password-file", blank], "first line is empty")
        nul = os.path.join(self.tmp, "nul-in-password")
        with open(nul, "wb") as f:
            f.write(b"abc\0def\n")
        self.assertRefused(["--auth-user", USER, "--auth-password-file", nul], "NUL byte")

    def test_scenario_files(self):
        for bad, why in ((self.fifo, "a FIFO"), (self.empty, "empty"), ("/dev/zero", "a character device"),
                         (self.bad_scn, "bad.scn:2")):
            with self.subTest(scenario=bad):
                self.assertRefused([bad, self.target], why, cmd="run")

    def test_output_opened_first(self):
        self.assertRefused(["-o", os.path.join(self.tmp, "no-such-dir", "report.json")],
                           "cannot be written")

    def test_numbers_and_values(self):
        for args, why in ((["--at", "@9223372036854775807"], "--at"),
                          (["--at", "@99999999999999999"], "--at"),
                          (["--at", "10000-01-01"], "--at"),
                          (["--timeout", "0"], "--timeout"),
                          (["--timeout", "nan"], "--timeout"),
                          (["--timeout", "1e9"], "--timeout"),
                          (["--target-timeout", "inf"], "--target-timeout"),
                          (["--warn-days", "99999"], "--warn-days"),
                          (["--warn-days", "-1"], "--warn-days")):
            with self.subTest(args=args):
                self.assertRefused(args, why)

    def test_usage_errors_escaped(self):
        proc, _ = run_bytes(["check", "--ca-file"])
        self.assertEqual(proc.returncode, 2)
        self.assertIn(b"option --ca-file needs a value", proc.stderr)
        proc, _ = run_bytes(["check", "--format", "\x1b]0;X\x07\x1b[2J\u202e", self.target])
        self.assertEqual(proc.returncode, 2)
        for raw in (b"\x1b", b"\x07", b"\xe2\x80\xae"):
            self.assertNotIn(raw, proc.stderr)
        self.assertIn(b"\\x1B]0;X\\x07\\x1B[2J\\u202E", proc.stderr)
        proc, _ = run_bytes(["check", "--no-such-option\x1b[2J", self.target])
        self.assertEqual(proc.returncode, 2)
        self.assertNotIn(b"\x1b", proc.stderr)
        with self.assertRaises(BlockingIOError):
            self.sock.accept()

    def test_unauthenticated_verify_never_exits_0(self):
        # a server whose chain does not validate (the test CA is not given)
        with mxtest.TestServer("good", self.pki) as srv:
            res = mxtest.run_mxprobe(["check", "--format", "json", "--policy", "verify", srv.target])
            self.assertExit(res, 1)
            res = mxtest.run_mxprobe(["check", "--format", "json", "--policy", "verify",
                                      "--ca-file", self.pki.root.cert, srv.target])
            self.assertNotCrashed(res)
            self.assertNotEqual(res.returncode, 2, res.describe())


class SlowResolver:
    """A UDP DNS server on loopback that answers MX queries with many MX hosts
    and never answers anything else: every A/AAAA query waits out its
    timeout, as a slow or broken resolver makes it."""

    def __init__(self, n_mx=10):
        self.n_mx = n_mx
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.queries = 0
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping = True
        self.thread.join(5)
        self.sock.close()
        return False

    @staticmethod
    def _name(labels):
        return b"".join(bytes([len(x)]) + x for x in labels) + b"\0"

    def _serve(self):
        while not self.stopping:
            try:
                data, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            self.queries += 1
            if len(data) < 12:
                continue
            qid, flags = struct.unpack("!HH", data[:4])
            # the question: a name, then type and class
            i = 12
            while i < len(data) and data[i]:
                i += 1 + data[i]
            qend = i + 5
            if qend > len(data):
                continue
            qtype = struct.unpack("!H", data[i + 1:i + 3])[0]
            if qtype != 15:
                continue  # A/AAAA: never answered
            question = data[12:qend]
            answers = b""
            for k in range(self.n_mx):
                rdata = struct.pack("!H", 10 + k) + self._name([b"mx%d" % k, b"slow", b"example", b"com"])
                answers += b"\xc0\x0c" + struct.pack("!HHIH", 15, 1, 60, len(rdata)) + rdata
            hdr = struct.pack("!HHHHHH", qid, 0x8180 | (flags & 0x0100), 1, self.n_mx, 0, 0)
            self.sock.sendto(hdr + question + answers, peer)


class SlowResolverTest(mxtest.MxTestCase):

    def test_domain_dns_inside_target_timeout(self):
        with SlowResolver(n_mx=10) as dns:
            t0 = time.monotonic()
            res = mxtest.run_mxprobe(["check", "--format", "json", "--timeout", "1", "--target-timeout", "2",
                                      "--resolver", "127.0.0.1:%d" % dns.port,
                                      "--domain", "slow.example.com"], timeout=60)
            elapsed = time.monotonic() - t0
            self.assertNotCrashed(res)
            # 10 MX hosts x A and AAAA at 1 s each would be 20 s; the domain's
            # DNS must end within --target-timeout (plus process start/exit).
            self.assertLess(elapsed, 6.0, res.describe())
            self.assertGreaterEqual(dns.queries, 2, "the resolver was not asked")
            self.assertExit(res, (1, 3))
            dom = res.json["domains"][0]
            self.assertEqual(len(dom["mx"]), 10, res.describe())
            errors = " ".join((h.get("error") or "") for h in dom["mx"])
            self.assertIn("--target-timeout", errors, res.describe())
            self.assertIn("time budget (--target-timeout 2.0 s)", dom.get("error") or "", res.describe())


if __name__ == "__main__":
    mxtest.main()
