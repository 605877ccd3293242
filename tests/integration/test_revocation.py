#!/usr/bin/python3
"""Revocation against real components on loopback (issue 3, item 4).

The test PKI (mxtest.Pki: `openssl ca` with an index file) issues leaves
whose CRL distribution points and AIA OCSP URLs point at a loopback HTTP
front started here: GET serves the CRLs `openssl ca -gencrl` made, POST
hands each OCSP request to `openssl ocsp -reqin/-respout` (a delegated
responder with the OCSPSigning key purpose; the nonce is copied).  Leaves:
good, revoked by CRL (keyCompromise), revoked by OCSP (superseded),
must-staple, and one whose URLs point at a port where nothing answers.
Each is one service of a private Postfix.

Postfix does not staple.  Stapling is shown with `openssl s_server
-status_file` on loopback (implicit TLS; it sends no SMTP banner, so those
runs end with diag.banner and exit 3 after the handshake the probe judges).
Stapling by a real MTA (Exim's tls_ocsp_file) is in test_exim_tls.py.
"""

import http.server
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mxtest  # noqa: E402

NAME = mxtest.LEAF_NAME


def ev(f, key):
    evidence = f.get("evidence") or {}
    if isinstance(evidence, dict):
        return evidence.get(key)
    for e in evidence:
        if e.get("key") == key:
            return e.get("value")
    return None


class Front(http.server.ThreadingHTTPServer):
    daemon_threads = True


def make_handler(state):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _gate(self):
            # Requests in flight at once; with a gate, each waits (up to
            # 2 s) for a second one, so fetches sent one after the other
            # never overlap and fetches sent side by side always do.
            with state["lock"]:
                state["inflight"] += 1
                state["max_inflight"] = max(state["max_inflight"], state["inflight"])
            gate = state.get("gate")
            if gate is not None:
                try:
                    gate.wait()
                except threading.BrokenBarrierError:
                    pass

        def _ungate(self):
            with state["lock"]:
                state["inflight"] -= 1

        def do_GET(self):
            self._gate()
            try:
                self._get()
            finally:
                self._ungate()

        def do_POST(self):
            self._gate()
            try:
                self._post()
            finally:
                self._ungate()

        def _send(self, code, body, ctype):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _get(self):
            with state["lock"]:
                state["hits"].append(("GET", self.path))
            path = state["files"].get(self.path)
            if not path:
                self._send(404, b"not here\n", "text/plain")
                return
            with open(path, "rb") as f:
                self._send(200, f.read(), "application/pkix-crl")

        def _post(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(n, 65536))
            with state["lock"]:
                state["hits"].append(("POST", self.path))
                state["n"] += 1
                k = state["n"]
            if self.path != "/ocsp":
                self._send(404, b"", "text/plain")
                return
            req = os.path.join(state["dir"], "req-%d.der" % k)
            resp = os.path.join(state["dir"], "resp-%d.der" % k)
            with open(req, "wb") as f:
                f.write(body)
            try:
                state["respond"](req, resp)
                with open(resp, "rb") as f:
                    self._send(200, f.read(), "application/ocsp-response")
            except Exception:  # noqa: BLE001 - answer 500, the test sees it
                self._send(500, b"", "text/plain")

    return Handler


class Revocation(mxtest.MxTestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = mxtest.make_tempdir("mxtest-revocation-")
        cls.front = None
        cls.pf = None
        cls.hang = None
        try:
            cls._setup()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def _setup(cls):
        # The front first: the certificates carry its port.
        cls.state = {"lock": threading.Lock(), "hits": [], "n": 0, "files": {},
                     "inflight": 0, "max_inflight": 0, "gate": None,
                     "dir": os.path.join(cls.tmp, "ocsp")}
        os.makedirs(cls.state["dir"])
        cls.front = Front(("127.0.0.1", 0), make_handler(cls.state))
        port = cls.front.server_address[1]
        threading.Thread(target=cls.front.serve_forever, daemon=True).start()
        base = "http://127.0.0.1:%d" % port
        dead = "http://127.0.0.1:%d" % mxtest.free_port("127.0.0.1")   # nothing listens
        # A listener that never accepts: the TCP handshake completes in the
        # kernel, no HTTP answer ever comes (a timeout, not a refusal).
        cls.hang = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        cls.hang.bind(("127.0.0.1", 0))
        cls.hang.listen(16)
        hang = "http://127.0.0.1:%d" % cls.hang.getsockname()[1]

        pki = cls.pki = mxtest.Pki(os.path.join(cls.tmp, "pki"))
        cdp = "crlDistributionPoints=URI:%s/inter.crl" % base
        aia = "authorityInfoAccess=OCSP;URI:%s/ocsp" % base

        def leaf(name, *extra):
            return pki._make(name, "/O=mxprobe tests/CN=" + NAME, pki.inter,
                             ["basicConstraints=critical,CA:FALSE",
                              "keyUsage=critical,digitalSignature",
                              "extendedKeyUsage=serverAuth",
                              "subjectAltName=DNS:%s,IP:127.0.0.1" % NAME,
                              "subjectKeyIdentifier=hash",
                              "authorityKeyIdentifier=keyid"] + list(extra), days=365)

        cls.good = leaf("rev-good", cdp, aia)
        cls.crl_revoked = leaf("rev-crl", cdp)
        cls.ocsp_revoked = leaf("rev-ocsp", aia)
        cls.must_staple = leaf("rev-must-staple", aia, "tlsfeature=status_request")
        cls.down = leaf("rev-down", "crlDistributionPoints=URI:%s/inter.crl" % dead,
                        "authorityInfoAccess=OCSP;URI:%s/ocsp" % dead)
        cls.slow = leaf("rev-slow", "authorityInfoAccess=OCSP;URI:%s/ocsp" % hang)
        cls.responder = pki._make("ocsp-signer", "/O=mxprobe tests/CN=mxprobe Test OCSP", pki.inter,
                                  ["basicConstraints=critical,CA:FALSE",
                                   "keyUsage=critical,digitalSignature",
                                   "extendedKeyUsage=OCSPSigning",
                                   "subjectKeyIdentifier=hash",
                                   "authorityKeyIdentifier=keyid"])
        pki.revoke(cls.crl_revoked, pki.inter, "keyCompromise")
        pki.revoke(cls.ocsp_revoked, pki.inter, "superseded")
        cls.inter_crl = pki.gen_crl(pki.inter, os.path.join(pki.dir, "inter.crl"))
        cls.root_crl = pki.gen_crl(pki.root, os.path.join(pki.dir, "root.crl.pem"), der=False)
        cls.state["files"]["/inter.crl"] = cls.inter_crl
        cls.state["respond"] = lambda req, resp: pki.ocsp_respond(pki.inter, cls.responder, req, resp)

        def full(name, c):
            return pki._concat(name + "-full.pem", [c.key, c.cert, pki.inter.cert])

        cases = []
        for name, c in (("good", cls.good), ("crl-revoked", cls.crl_revoked),
                        ("ocsp-revoked", cls.ocsp_revoked), ("must-staple", cls.must_staple),
                        ("down", cls.down), ("slow", cls.slow)):
            cases.append(mxtest.PostfixCase(name, {
                "smtpd_tls_security_level": "may",
                "smtpd_tls_chain_files": full(name, c),
                "syslog_name": "postfix-rev-" + name}))
        pfdir = os.path.join(cls.tmp, "postfix")
        os.makedirs(pfdir)
        os.chmod(pfdir, 0o755)
        cls.pf = mxtest.Postfix(pfdir, cases)
        cls.pf.__enter__()

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.pf is not None:
                cls.pf.__exit__(None, None, None)
            if cls.front is not None:
                cls.front.shutdown()
                cls.front.server_close()
            if cls.hang is not None:
                cls.hang.close()
        finally:
            mxtest.remove_tempdir(cls.tmp)

    # -- helpers

    def run_case(self, target, *extra, crl_root=True):
        args = ["check", "--format", "json", "--timeout", "5", "--ca-file", self.pki.root.cert,
                "--sni", NAME, "--probes", "starttls,chain,revocation"]
        if crl_root:
            # The intermediate has no CDP of its own: the root's CRL comes
            # from a file, so every certificate gets a verdict.
            args += ["--crl-file", self.root_crl]
        res = mxtest.run_mxprobe(args + list(extra) + [target], timeout=90)
        self.assertNotCrashed(res)
        self.assertTrueIn(res, res.json is not None, "JSON output")
        self.assertTrueIn(res, res.session["tls_ok"], "TLS came up")
        return res

    def check(self, case, *extra, **kw):
        return self.run_case(self.pf.cases[case].target, *extra, **kw)

    def rev(self, res, fid):
        return [f for f in res.findings() if f["id"] == fid]

    def hits(self):
        with self.state["lock"]:
            return list(self.state["hits"])

    def clear_hits(self):
        with self.state["lock"]:
            self.state["hits"].clear()

    # -- the good chain

    def test_good_chain_good_no_warning(self):
        self.clear_hits()
        res = self.check("good")
        self.assertExit(res, 0)
        good = self.rev(res, "revocation.good")
        self.assertEq(res, len(good), 2, "leaf and intermediate judged good")
        leaf = [f for f in good if ev(f, "cert[0]")][0]
        src = " ".join(v for k, v in ((e, ev(leaf, e)) for e in ("source[0]", "source[1]")) if v)
        self.assertIn("ocsp http://127.0.0.1:", src, res.describe())
        self.assertIn("crl http://127.0.0.1:", src, res.describe())
        self.assertIn("nonce echoed", src, res.describe())
        self.assertIn("next_update=", src, res.describe())
        self.assertIn("serial=%X" % self.good.serial, ev(leaf, "cert[0]"), res.describe())
        inter = [f for f in good if ev(f, "cert[1]")][0]
        self.assertIn("crl-file " + self.root_crl, ev(inter, "source[0]"), res.describe())
        bad = [f for f in res.findings() if f["severity"] in ("warn", "fail", "error")]
        self.assertEq(res, bad, [], "the good chain gives no warning or failure")
        # Each URL once per run: the cache.
        h = self.hits()
        self.assertEq(res, h.count(("GET", "/inter.crl")), 1, "CRL fetched once")
        self.assertEq(res, h.count(("POST", "/ocsp")), 1, "OCSP asked once")

    def test_fetches_side_by_side(self):
        # The leaf's OCSP query and CRL fetch go out together (issue 16):
        # the front holds each request until a second one is in flight.
        self.clear_hits()
        with self.state["lock"]:
            self.state["max_inflight"] = 0
        self.state["gate"] = threading.Barrier(2, timeout=2)
        try:
            res = self.check("good")
        finally:
            self.state["gate"] = None
        self.assertExit(res, 0)
        self.assertEq(res, len(self.rev(res, "revocation.good")), 2, "leaf and intermediate judged good")
        with self.state["lock"]:
            most = self.state["max_inflight"]
        self.assertEq(res, most, 2, "OCSP and CRL requests in flight at once")

    def test_batch_fetches_each_once(self):
        # Three targets in one run, two with the same leaf: the CRL is
        # fetched once and the leaf's OCSP answer asked once (by CertID,
        # whatever the nonce), and every target keeps its own verdict.
        self.clear_hits()
        good, revoked = self.pf.cases["good"].target, self.pf.cases["crl-revoked"].target
        res = self.run_case(good, revoked, good)
        targets = res.json["targets"]
        self.assertEq(res, len(targets), 3, "three targets")
        # (The report lists targets in its own order.)
        for t in targets:
            ids = {f["id"] for p in t["probes"] for f in p["findings"]}
            self.assertEq(res, "revocation.revoked" in ids, t["input"] == revoked,
                          "revoked only for the revoked leaf: %s" % t["input"])
        h = self.hits()
        self.assertEq(res, h.count(("GET", "/inter.crl")), 1, "CRL fetched once per run")
        self.assertEq(res, h.count(("POST", "/ocsp")), 1, "the good leaf's OCSP asked once per run")

    # -- revoked

    def test_crl_revoked(self):
        res = self.check("crl-revoked", "--policy", "verify")
        self.assertExit(res, 1)
        f = self.assertFinding(res, "revocation.revoked", "fail")
        self.assertEq(res, ev(f, "reason"), "keyCompromise", "reason")
        self.assertTrueIn(res, ev(f, "revoked_at") and ev(f, "revoked_at").endswith("Z"), "revocation date")
        self.assertIn("crl http://127.0.0.1:", ev(f, "source[0]"), res.describe())
        self.assertIn("serial=%X" % self.crl_revoked.serial, ev(f, "cert[0]"), res.describe())
        self.assertIn("RFC 5280", f["rfc"], res.describe())
        # Below verify, a revoked certificate warns.
        res = self.check("crl-revoked", "--policy", "encrypt")
        self.assertFinding(res, "revocation.revoked", "warn")

    def test_ocsp_revoked(self):
        res = self.check("ocsp-revoked", "--policy", "secure")
        self.assertExit(res, 1)
        f = self.assertFinding(res, "revocation.revoked", "fail")
        self.assertEq(res, ev(f, "reason"), "superseded", "reason")
        self.assertIn("ocsp http://127.0.0.1:", ev(f, "source[0]"), res.describe())
        self.assertIn("nonce echoed", ev(f, "source[0]"), res.describe())

    def test_crl_file_alone(self):
        # The same CRL given as a file (PEM) decides without any fetch of it.
        pem = self.inter_crl + ".pem"
        res = self.check("crl-revoked", "--crl-file", pem)
        f = self.assertFinding(res, "revocation.revoked", "warn")
        self.assertIn("crl-file " + pem, ev(f, "source[0]"), res.describe())

    def test_stale_crl_at_later_time(self):
        # --at a month on: the CRL (7 days) is stale; revoked stays revoked,
        # a good verdict from it is gone.
        later = "@%d" % (int(time.time()) + 30 * 86400)
        res = self.check("crl-revoked", "--at", later)
        self.assertFinding(res, "revocation.revoked")
        self.assertFinding(res, "crl.stale", "warn")

    # -- could not check

    def test_down_soft_warns(self):
        res = self.check("down")
        f = self.assertFinding(res, "revocation.unchecked", "warn")
        self.assertEq(res, ev(f, "why"), "unreachable", "why")
        self.assertIn(":", ev(f, "source[0]"), res.describe())
        self.assertNoFinding(res, "revocation.revoked")
        self.assertTrueIn(res, not [g for g in self.rev(res, "revocation.good") if ev(g, "cert[0]")],
                          "an unreachable responder never means good")
        self.assertExit(res, 0)

    def test_down_hard_fails(self):
        res = self.check("down", "--revocation", "hard")
        f = self.assertFinding(res, "revocation.unchecked", "fail")
        self.assertEq(res, ev(f, "why"), "unreachable", "why")
        self.assertNoFinding(res, "revocation.revoked")
        self.assertExit(res, 1)

    def test_timeout_is_could_not_check(self):
        t0 = time.monotonic()
        res = self.check("slow", "--timeout", "1")
        f = self.assertFinding(res, "revocation.unchecked", "warn")
        self.assertEq(res, ev(f, "why"), "timeout", "why")
        self.assertTrueIn(res, time.monotonic() - t0 < 60, "did not hang")

    def test_off(self):
        res = self.check("crl-revoked", "--revocation", "off")
        self.assertFinding(res, "revocation.off", "info")
        self.assertNoFinding(res, "revocation.revoked")

    def test_bad_flag_values(self):
        for args in (["--revocation", "sometimes"], ["--crl-file", "/nonexistent/x.crl"]):
            res = mxtest.run_mxprobe(["check"] + args + ["127.0.0.1"], validate=False)
            self.assertExit(res, 2)
            self.assertIn(args[0], res.stderr)

    # -- must-staple and stapling

    def test_must_staple_without_staple_fails(self):
        res = self.check("must-staple")
        f = self.assertFinding(res, "ocsp.must-staple-missing", "fail")
        self.assertIn("RFC 7633", f["rfc"], res.describe())
        self.assertEq(res, res.session["tls"]["ocsp_staples"], [], "Postfix staples nothing")

    def s_server(self, cert, staple):
        port = mxtest.free_port("127.0.0.1")
        chain = self.pki._concat("s-server-chain.pem", [self.pki.inter.cert])
        proc = subprocess.Popen(
            ["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-cert", cert.cert,
             "-key", cert.key, "-cert_chain", chain, "-status_file", staple, "-quiet"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        # (the readiness probe is one accepted connection: no -naccept)
        while not mxtest.port_open("127.0.0.1", port):
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                raise AssertionError("openssl s_server did not start")
            time.sleep(0.05)
        return proc, "smtps://127.0.0.1:%d" % port

    def staple_for(self, cert, name):
        d = self.state["dir"]
        req = os.path.join(d, name + "-req.der")
        resp = os.path.join(d, name + "-staple.der")
        mxtest.run(["openssl", "ocsp", "-issuer", self.pki.inter.cert, "-cert", cert.cert,
                    "-no_nonce", "-reqout", req])
        self.pki.ocsp_respond(self.pki.inter, self.responder, req, resp)
        return resp

    def with_staple(self, cert, name, *extra):
        proc, target = self.s_server(cert, self.staple_for(cert, name))
        try:
            # s_server speaks TLS and never greets: wait 2 s, not the 60 s a
            # real greet pause gets (--greeting-timeout).
            return self.run_case(target, "--timeout", "2", "--greeting-timeout", "2", *extra)
        finally:
            proc.kill()
            proc.wait()
            proc.stdin.close()

    def test_staple_good(self):
        self.clear_hits()
        res = self.with_staple(self.must_staple, "must")
        f = self.assertFinding(res, "ocsp.stapled-good", "pass")
        self.assertIn("staple stapled: good", ev(f, "source[0]"), res.describe())
        self.assertNoFinding(res, "ocsp.must-staple-missing")
        leaf = [g for g in self.rev(res, "revocation.good") if ev(g, "cert[0]")]
        self.assertEq(res, len(leaf), 1, "the leaf is good by its staple")
        staples = res.session["tls"]["ocsp_staples"]
        self.assertEq(res, [s["certificate"] for s in staples], [0], "one staple, for the leaf")
        self.assertNotIn(("POST", "/ocsp"), self.hits(), "a good staple needs no OCSP query")

    def test_good_staple_spares_the_crl_under_soft(self):
        # The good leaf names a CRL and an OCSP responder; with a good,
        # fresh staple, soft (the default) asks neither, hard still fetches
        # the CRL (docs/timing.md). The verdict is the same.
        for mode, crl_fetches in (("soft", 0), ("hard", 1)):
            self.clear_hits()
            res = self.with_staple(self.good, "good-" + mode, "--revocation", mode)
            self.assertFinding(res, "ocsp.stapled-good", "pass")
            leaf = [g for g in self.rev(res, "revocation.good") if ev(g, "cert[0]")]
            self.assertEq(res, len(leaf), 1, "the leaf is good (%s)" % mode)
            self.assertIn("staple stapled: good", ev(leaf[0], "source[0]"), res.describe())
            h = self.hits()
            self.assertNotIn(("POST", "/ocsp"), h, "a good staple needs no OCSP query")
            self.assertEq(res, h.count(("GET", "/inter.crl")), crl_fetches, "CRL fetches under " + mode)

    def test_staple_revoked(self):
        res = self.with_staple(self.ocsp_revoked, "revoked", "--policy", "verify")
        self.assertFinding(res, "ocsp.staple-revoked", "fail")
        f = self.assertFinding(res, "revocation.revoked", "fail")
        self.assertEq(res, ev(f, "reason"), "superseded", "reason")

    def test_staple_stale(self):
        # The same good staple judged two days on (--at): past nextUpdate.
        later = "@%d" % (int(time.time()) + 2 * 86400)
        res = self.with_staple(self.good, "good", "--at", later)
        f = self.assertFinding(res, "ocsp.staple-invalid", "warn")
        self.assertEq(res, ev(f, "why"), "stale", "why")


if __name__ == "__main__":
    mxtest.main()
