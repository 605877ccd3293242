#!/usr/bin/python3
"""Verdicts an administrator can trust (issue 9, kinds 1, 2, 7, 9 and 10).

Against a real, private Postfix on loopback (a port-25 MX that offers TLS
and one that demands it, each also probed as a submission service) and the
scripted test server mxtestsrv for what no real server does on purpose:

  kind 1  a probe that could not ask its question says *.not-tested:
          mxtestsrv banner-421 and ehlo-421 (rate limits), helo-check-relay
          (an open relay that refuses our EHLO name), close-mid-handshake
          and starttls-alert (mtls under domain-secure); no further
          connections after such a stop
  kind 2  AUTH before TLS per mechanism: mxtestsrv exchange-auth (NTLM and
          GSSAPI before TLS, PLAIN and LOGIN only inside)
  kind 7  require-tls by role: MX and submission under every policy
  kind 9  the default set and its connection budget, --probes all, +name,
          -name, and the usage errors before any connection
  kind 10 bare mxprobe, the address-literal EHLO default, diag.ehlo when
          HELO was never sent and QUIT after it, EMS/renegotiation null in
          TLS 1.3, the handshake time in the transcript, tls.not-enumerated,
          the build without cmocka
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mxtest  # noqa: E402

POLICIES = ("none", "may", "encrypt", "verify", "secure", "domain-secure")
CONNECTION_PROBES = ("require-tls", "relay", "injection")


def sent(res):
    return [e["text"] for e in res.target["transcript"] if e.get("kind") == "sent"]


class TestServerVerdicts(mxtest.MxTestCase):
    """mxtestsrv behaviours, one server per test."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = mxtest.make_tempdir("mxtest-verdicts-")
        cls.pki = mxtest.Pki(os.path.join(cls.tmp, "pki"))

    @classmethod
    def tearDownClass(cls):
        mxtest.remove_tempdir(cls.tmp)

    def check(self, target, *extra, timeout="5"):
        res = mxtest.run_mxprobe(["check", "--format", "json", "--timeout", timeout] + list(extra) + [target])
        self.assertNotCrashed(res)
        self.assertIsNotNone(res.json, res.describe())
        return res

    def assertNotTested(self, res, probe, stopped_at=None, reply_prefix=None):
        f = self.assertFinding(res, probe + ".not-tested", "error")
        ev = f.get("evidence") or {}
        if stopped_at:
            self.assertEq(res, ev.get("stopped_at"), stopped_at, probe + " stopped_at")
        if reply_prefix:
            self.assertTrue((ev.get("reply") or "").startswith(reply_prefix), res.describe())
        return f

    # -- kind 1: a refusal before the question is no answer

    def test_rate_limited_at_greeting_and_after_ehlo(self):
        for behaviour, step, code in (("banner-421", "banner", "421"), ("ehlo-421", "ehlo", "421")):
            with self.subTest(behaviour=behaviour), mxtest.TestServer(behaviour, self.pki) as srv:
                # --timeout 2: the engine's pause before its one retry after
                # a 421 is half the step timeout (1 s instead of 2.5 s).
                res = self.check(srv.target, timeout="2")
                for probe in ("starttls", "chain", "expiry", "names", "revocation", "mtls", "auth",
                              "stripping") + CONNECTION_PROBES:
                    self.assertNotTested(res, probe, step, code)
                for wrong in ("relay.refused", "relay.open", "injection.not-vulnerable",
                              "require-tls.enforced", "require-tls.not-enforced", "mtls.not-requested"):
                    self.assertNoFinding(res, wrong)
                # A server that asked us to go away gets no more connections
                # of the probes; the engine's one retry after a pause
                # (issue 11, budget.retried) is the only second one.
                self.assertEq(res, res.target["connections"], 2, "connections after a 421 (one retry)")
                self.assertFinding(res, "budget.retried", "info")
                self.assertExit(res, 3)
                # Nor does AUTH with --auth-user open one of its own.
                pw = os.path.join(self.tmp, "pw")
                with open(pw, "w") as fh:
                    fh.write("secret\n")
                res = self.check(srv.target, "--auth-user", "u", "--auth-password-file", pw, "--auth-insecure",
                                 timeout="2")
                self.assertNotTested(res, "auth", step, code)
                self.assertEq(res, res.target["connections"], 2, "connections after a 421 with --auth-user (one retry)")
                self.assertExit(res, 3)
                # Nor the enumeration's hand-built hellos.
                res = self.check(srv.target, "--enumerate", timeout="2")
                for prefix in ("versions", "ciphers", "groups", "weak"):
                    f = self.assertFinding(res, prefix + ".not-tested", "error")
                    self.assertEq(res, (f.get("evidence") or {}).get("stopped_at"), step, prefix + " stopped_at")
                self.assertEq(res, res.target["connections"], 2, "connections after a 421 with --enumerate (one retry)")
                self.assertExit(res, 3)

    def test_open_relay_rejecting_our_ehlo_name(self):
        with mxtest.TestServer("helo-check-relay", self.pki) as srv:
            # The address literal is refused (550): relay was not asked.
            res = self.check(srv.target, "--probes", "relay")
            self.assertNotTested(res, "relay", "ehlo", "550")
            self.assertNoFinding(res, "relay.refused")
            # With a name it accepts, the same server is an open relay.
            res = self.check(srv.target, "--probes", "relay", "--ehlo", "probe.mxtest.example")
            self.assertFinding(res, "relay.open", "fail")
            self.assertNotIn("DATA", sent(res), res.describe())
            self.assertExit(res, 1)

    def test_ehlo_refused_without_helo_then_quit(self):
        with mxtest.TestServer("helo-check-relay", self.pki) as srv:
            res = self.check(srv.target, "--probes", "starttls")
        f = self.assertFinding(res, "diag.ehlo", "error")
        self.assertEq(res, f["title"], "EHLO was refused", "diag.ehlo title")
        lines = sent(res)
        self.assertFalse(any(s.startswith("HELO") for s in lines), res.describe())
        self.assertEq(res, lines[-1], "QUIT", "the session ends with QUIT")

    def test_mtls_after_a_broken_handshake(self):
        for behaviour in ("close-mid-handshake", "starttls-alert"):
            with self.subTest(behaviour=behaviour), mxtest.TestServer(behaviour, self.pki) as srv:
                res = self.check(srv.target, "--probes", "mtls", "--policy", "domain-secure")
                self.assertNotTested(res, "mtls", "handshake")
                for wrong in ("mtls.not-requested", "mtls.required", "mtls.optional"):
                    self.assertNoFinding(res, wrong)

    def test_injection_after_a_broken_handshake(self):
        with mxtest.TestServer("starttls-alert", self.pki) as srv:
            res = self.check(srv.target, "--probes", "injection")
        self.assertNotTested(res, "injection", "handshake")
        self.assertNoFinding(res, "injection.not-vulnerable")

    # -- kind 2: AUTH before TLS per mechanism

    def test_exchange_like_auth(self):
        with mxtest.TestServer("exchange-auth", self.pki) as srv:
            for scheme in ("smtp", "submission"):
                with self.subTest(scheme=scheme):
                    res = self.check("%s://%s" % (scheme, srv.target), "--probes", "auth")
                    f = self.assertFinding(res, "auth.before-tls-no-password", "info")
                    ev = f.get("evidence") or {}
                    self.assertIn("NTLM:", ev.get("in_clear", ""), res.describe())
                    self.assertIn("GSSAPI:", ev.get("in_clear", ""), res.describe())
                    self.assertNotIn("PLAIN", ev.get("mechanisms_plain", ""), res.describe())
                    self.assertIn("PLAIN", ev.get("mechanisms_tls", ""), res.describe())
                    self.assertFinding(res, "auth.after-tls", "pass")
                    self.assertNoFinding(res, "auth.before-tls")
                    self.assertExit(res, 0)

    # -- kind 9: the default set, its budget and --probes

    def test_default_set_and_budget(self):
        with mxtest.TestServer("good", self.pki) as srv:
            res = self.check(srv.target)
            names = [p["name"] for p in res.target["probes"]]
            for p in CONNECTION_PROBES:
                self.assertIn(p, names, res.describe())
            self.assertEq(res, res.target["connections"], 5, "connections of a default check")
            self.assertFinding(res, "relay.refused", "pass")
            self.assertFinding(res, "injection.not-vulnerable", "pass")
            self.assertFinding(res, "require-tls.not-enforced", "pass")
            self.assertFinding(res, "starttls.not-stripped", "pass")
            res = self.check(srv.target, "--probes", "-relay,-injection,-require-tls")
            names = [p["name"] for p in res.target["probes"]]
            for p in CONNECTION_PROBES:
                self.assertNotIn(p, names, res.describe())
            self.assertIn("chain", names, res.describe())
            self.assertEq(res, res.target["connections"], 2, "connections without the three (session, other key)")
            res = self.check(srv.target, "--probes", "+stripping,-injection")
            names = [p["name"] for p in res.target["probes"]]
            self.assertNotIn("injection", names, res.describe())
            self.assertIn("relay", names, res.describe())
            self.assertEq(res, res.target["connections"], 5, "default - injection + stripping's second look")
            # all = every probe, the enumeration (issue 14) included
            res = self.check(srv.target, "--probes", "all,-versions,-ciphers,-groups,-weaknesses")
            self.assertEq(res, res.target["connections"], 6, "connections of --probes all but the enumeration")
            res = self.check(srv.target, "--probes", "all")
            self.assertIn("tls_enumeration", res.target, res.describe())
            res = self.check(srv.target, "--probes", "all,-stripping")
            self.assertNotIn("stripping", [p["name"] for p in res.target["probes"]], res.describe())
            res = self.check(srv.target, "--probes", "starttls,chain")
            self.assertEq(res, [p["name"] for p in res.target["probes"]], ["starttls", "chain", "diagnose"],
                          "an explicit list (diagnose always runs with the session)")

    def test_probe_list_errors_before_any_connection(self):
        lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            lsock.bind(("127.0.0.1", 0))
            lsock.listen(8)
            lsock.setblocking(False)
            target = "127.0.0.1:%d" % lsock.getsockname()[1]
            for bad in ("", ",", "starttls,,chain", "nosuch", "+nosuch", "-", "all,-nosuch", "starttls,-chain"):
                with self.subTest(probes=bad):
                    res = mxtest.run_mxprobe(["check", "--probes", bad, target], timeout=20)
                    self.assertExit(res, 2)
                    self.assertIn("--probes", res.stderr, res.describe())
                    self.assertEq(res, len(res.stderr.strip().splitlines()), 1, "one line")
            with self.assertRaises(BlockingIOError):
                lsock.accept()
        finally:
            lsock.close()

    # -- kind 10

    def test_bare_mxprobe_short_usage(self):
        res = mxtest.run_mxprobe([], timeout=20)
        self.assertExit(res, 2)
        self.assertEq(res, res.stdout, "", "nothing on stdout")
        lines = res.stderr.strip().splitlines()
        self.assertTrue(2 <= len(lines) <= 6, res.describe())
        self.assertIn("--help", lines[-1], res.describe())
        full = mxtest.run_mxprobe(["--help"])
        self.assertExit(full, 0)
        self.assertIn("at most 5 connections", full.stdout, full.describe())
        for p in CONNECTION_PROBES:
            self.assertIn("  " + p, full.stdout, full.describe())

    def test_default_ehlo_name(self):
        with mxtest.TestServer("good", self.pki) as srv:
            res = self.check(srv.target, "--probes", "starttls")
        host = socket.gethostname()
        fqdn = "." in host
        first = [s for s in sent(res) if s.startswith("EHLO ")][0]
        self.assertEq(res, first, "EHLO " + (host if fqdn else "[127.0.0.1]"),
                      "RFC 5321 section 4.1.4: an address literal without an FQDN")

    def test_tls13_flags_not_applicable_and_handshake_time(self):
        with mxtest.TestServer("good", self.pki) as srv:
            res = self.check(srv.target, "--probes", "starttls")
        tls = res.session["tls"]
        self.assertEq(res, tls["protocol"], "TLS1.3", "protocol")
        self.assertEq(res, tls["extended_master_secret"], None, "EMS in TLS 1.3")
        self.assertEq(res, tls["safe_renegotiation"], None, "renegotiation in TLS 1.3")
        ev = self.assertFinding(res, "tls.handshake", "pass").get("evidence") or {}
        self.assertIn("not applicable", ev.get("extended_master_secret", ""), res.describe())
        self.assertFinding(res, "tls.not-enumerated", "info")
        tr = res.target["transcript"]
        start = [e["t_ms"] for e in tr if e["text"].startswith("Starting TLS handshake")][0]
        done = [e["t_ms"] for e in tr if e["text"].startswith("TLS handshake complete")][0]
        self.assertLess(abs((done - start) - tls["handshake_ms"]), 1.0, res.describe())
        with mxtest.TestServer("good", self.pki, extra=("--priority", "NORMAL:-VERS-TLS1.3")) as srv:
            res = self.check(srv.target, "--probes", "starttls")
        tls = res.session["tls"]
        self.assertEq(res, tls["protocol"], "TLS1.2", "protocol")
        self.assertIs(tls["extended_master_secret"], True, res.describe())
        self.assertIs(tls["safe_renegotiation"], True, res.describe())


class RoleVerdicts(mxtest.MxTestCase):
    """require-tls on a port-25 MX and on submission, under every policy,
    against a real Postfix that offers TLS (may) and one that demands it
    (encrypt)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = mxtest.make_tempdir("mxtest-roles-")
        cls.pf = None
        try:
            cls.pki = mxtest.Pki(os.path.join(cls.tmp, "pki"))
            pfdir = os.path.join(cls.tmp, "postfix")
            os.makedirs(pfdir)
            os.chmod(pfdir, 0o755)
            base = {"smtpd_tls_chain_files": cls.pki.leaf_full}
            cases = []
            for name, level in (("offers", "may"), ("demands", "encrypt")):
                o = dict(base, smtpd_tls_security_level=level, syslog_name="postfix-" + name)
                cases.append(mxtest.PostfixCase(name, o))
            cls.pf = mxtest.Postfix(pfdir, cases)
            cls.pf.__enter__()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.pf is not None:
                cls.pf.__exit__(None, None, None)
        finally:
            mxtest.remove_tempdir(cls.tmp)

    # (case, scheme) -> policy -> (id, severity)
    EXPECT = {
        ("offers", "smtp"): {p: ("require-tls.not-enforced", "pass") for p in POLICIES},
        ("demands", "smtp"): {p: ("require-tls.enforced", "warn") for p in POLICIES},
        ("offers", "submission"): {"none": ("require-tls.not-enforced", "info"),
                                   "may": ("require-tls.not-enforced", "warn"),
                                   "encrypt": ("require-tls.not-enforced", "fail"),
                                   "verify": ("require-tls.not-enforced", "fail"),
                                   "secure": ("require-tls.not-enforced", "fail"),
                                   "domain-secure": ("require-tls.not-enforced", "fail")},
        ("demands", "submission"): {p: ("require-tls.enforced", "pass") for p in POLICIES},
    }

    def test_require_tls_by_role_and_policy(self):
        for (case, scheme), rows in sorted(self.EXPECT.items()):
            target = "%s://%s" % (scheme, self.pf.cases[case].target)
            for policy in POLICIES:
                fid, sev = rows[policy]
                with self.subTest(case=case, scheme=scheme, policy=policy):
                    res = mxtest.run_mxprobe(["check", "--format", "json", "--timeout", "10", "--policy",
                                              policy, "--probes", "require-tls", target])
                    self.assertNotCrashed(res)
                    f = self.assertFinding(res, fid, sev)
                    ev = f.get("evidence") or {}
                    self.assertEq(res, ev.get("role"), "mx" if scheme == "smtp" else "submission", "role")
                    self.assertExit(res, 1 if sev == "fail" else 0)

    def test_default_check_of_a_good_mx(self):
        res = mxtest.run_mxprobe(["check", "--format", "json", "--timeout", "10", "--ca-file",
                                  self.pki.root.cert, "--sni", mxtest.LEAF_NAME,
                                  self.pf.cases["offers"].target])
        self.assertNotCrashed(res)
        self.assertFinding(res, "require-tls.not-enforced", "pass")
        self.assertFinding(res, "relay.refused", "pass")
        self.assertFinding(res, "injection.not-vulnerable", "pass")
        self.assertEq(res, res.target["connections"], 5, "connections of a default check")
        self.assertEq(res, [f["id"] for f in res.findings() if f["severity"] == "error"], [], "no error")


    def test_address_target_gets_the_sni_hint(self):
        # The leaf names mail.test.example and 127.0.0.1, not 127.0.B.1:
        # without SNI the hint is to probe by name or give --sni, not to put
        # the address in the certificate.
        res = mxtest.run_mxprobe(["check", "--format", "json", "--timeout", "10", "--probes", "starttls,names",
                                  self.pf.cases["offers"].target])
        self.assertNotCrashed(res)
        f = self.assertFinding(res, "cert.name-mismatch", "warn")
        self.assertIn("--sni", f.get("remedy") or "", res.describe())
        self.assertNotIn("subjectAltName", f.get("remedy") or "", res.describe())
        self.assertEq(res, (f.get("evidence") or {}).get("sni"), "none (address target)", "sni")
        res = mxtest.run_mxprobe(["check", "--format", "json", "--timeout", "10", "--probes", "starttls,names",
                                  "--sni", mxtest.LEAF_NAME, self.pf.cases["offers"].target])
        self.assertFinding(res, "cert.name-match", "pass")


class BuildWithoutCmocka(mxtest.MxTestCase):
    """A packager's `cmake -S . -B build` without cmocka: configure works
    and says the unit tests are not built."""

    def test_configure_without_cmocka(self):
        root = os.path.dirname(os.path.dirname(os.path.abspath(os.environ.get("SCHEMA", "docs/x"))))
        if not os.path.exists(os.path.join(root, "CMakeLists.txt")):
            root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        tmp = tempfile.mkdtemp(prefix="mxtest-nocmocka-")
        try:
            pcdir = os.path.join(tmp, "pc")
            os.makedirs(pcdir)
            out = subprocess.run(["pkg-config", "--variable", "pc_path", "pkg-config"], capture_output=True,
                                 text=True, check=True).stdout.strip()
            for d in out.split(":"):
                if not os.path.isdir(d):
                    continue
                for name in os.listdir(d):
                    dst = os.path.join(pcdir, name)
                    if name.endswith(".pc") and not name.startswith("cmocka") and not os.path.exists(dst):
                        os.symlink(os.path.join(d, name), dst)
            env = dict(os.environ, PKG_CONFIG_LIBDIR=pcdir, PKG_CONFIG_PATH="")
            proc = subprocess.run(["cmake", "-S", root, "-B", os.path.join(tmp, "build")], env=env,
                                  capture_output=True, text=True, timeout=300)
            self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
            self.assertIn("cmocka not found: unit tests are not built", proc.stdout + proc.stderr)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    mxtest.main()
