#!/usr/bin/python3
"""Certificates and OCSP stapling served by a real Exim (issue 3): the test
PKI (mxtest.Pki) behind Debian's Exim 4.96 (GnuTLS), unpacked by
exim-sub.sh and run privately by mxexim.py on loopback.

One daemon, one port of 127.0.0.1 per case; tls_certificate,
tls_privatekey and tls_ocsp_file are looked up by $received_port:

  good      leaf + intermediate, no staple
  expired   a leaf that expired 30 days ago
  wrong     a leaf for other.test.example
  stapled   a leaf with an AIA OCSP URL, and tls_ocsp_file holding a good
            response for it made ahead of time (`openssl ocsp`)
  revoked   the same with a leaf revoked in the CA database, so the staple
            says revoked: Exim (GnuTLS) will not load it and answers
            STARTTLS with 454, which is what the test asserts

The AIA URL points at a loopback HTTP listener that only counts requests:
a good staple must make an OCSP query unnecessary.  The RCPT ACL denies
and there are no routers: nothing can be delivered (no DATA is sent).
"""

import http.server
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mxexim  # noqa: E402
import mxtest  # noqa: E402

NAME = mxtest.LEAF_NAME
CASES = ("good", "expired", "wrong", "stapled", "revoked")

EXIM_CONF = r"""# tests/integration/test_exim_tls.py
tls_advertise_hosts = *
tls_certificate = ${lookup{$received_port}lsearch{@DIR@/certs}}
tls_privatekey = ${lookup{$received_port}lsearch{@DIR@/keys}}
tls_ocsp_file = ${lookup{$received_port}lsearch{@DIR@/staples}}
acl_smtp_rcpt = acl_check_rcpt

begin acl
acl_check_rcpt:
  deny message = nothing is delivered here
"""


def ev(f, key):
    evidence = f.get("evidence") or {}
    if isinstance(evidence, dict):
        return evidence.get(key)
    for e in evidence:
        if e.get("key") == key:
            return e.get("value")
    return None


class Counter(http.server.ThreadingHTTPServer):
    daemon_threads = True


def make_counter(hits, lock):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _answer(self):
            with lock:
                hits.append((self.command, self.path))
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = _answer

    return Handler


class EximTls(mxtest.MxTestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = mxtest.make_tempdir("mxtest-exim-tls-")
        cls.exim = None
        cls.counter = None
        try:
            cls._setup()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def _setup(cls):
        cls.hits, cls.lock = [], threading.Lock()
        cls.counter = Counter(("127.0.0.1", 0), make_counter(cls.hits, cls.lock))
        threading.Thread(target=cls.counter.serve_forever, daemon=True).start()
        aia = "authorityInfoAccess=OCSP;URI:http://127.0.0.1:%d/ocsp" % cls.counter.server_address[1]

        pki = cls.pki = mxtest.Pki(os.path.join(cls.tmp, "pki"))

        def aia_leaf(name):
            return pki._make(name, "/O=mxprobe tests/CN=" + NAME, pki.inter,
                             ["basicConstraints=critical,CA:FALSE",
                              "keyUsage=critical,digitalSignature",
                              "extendedKeyUsage=serverAuth",
                              "subjectAltName=DNS:%s,IP:127.0.0.1" % NAME,
                              "subjectKeyIdentifier=hash",
                              "authorityKeyIdentifier=keyid", aia], days=365)

        leaves = {
            "good": pki.leaf,
            "expired": pki.make_leaf("expired", NAME, start_days=-400, days=-30),
            "wrong": pki.make_leaf("wrong", "other.test.example", ips=()),
            "stapled": aia_leaf("stapled"),
            "revoked": aia_leaf("revoked"),
        }
        cls.leaves = leaves
        pki.revoke(leaves["revoked"], pki.inter, "superseded")
        staples = {c: cls.staple_for(leaves[c], c) for c in ("stapled", "revoked")}

        cls.ports = {c: mxtest.free_port("127.0.0.1") for c in CASES}
        edir = os.path.join(cls.tmp, "exim")
        os.makedirs(edir)
        with open(os.path.join(edir, "certs"), "w") as certs, \
                open(os.path.join(edir, "keys"), "w") as keys, \
                open(os.path.join(edir, "staples"), "w") as st:
            for c in CASES:
                chain = pki._concat(c + "-chain.pem", [leaves[c].cert, pki.inter.cert])
                certs.write("%d: %s\n" % (cls.ports[c], chain))
                keys.write("%d: %s\n" % (cls.ports[c], leaves[c].key))
                if c in staples:
                    st.write("%d: %s\n" % (cls.ports[c], staples[c]))
        cls.exim = mxexim.Exim(edir, [cls.ports[c] for c in CASES], EXIM_CONF).start()

    @classmethod
    def staple_for(cls, cert, name):
        """A DER OCSP response for cert, signed by the intermediate, valid
        from now for one day: what a cron job would put in tls_ocsp_file."""
        pki = cls.pki
        req = os.path.join(pki.dir, name + "-ocsp-req.der")
        resp = os.path.join(pki.dir, name + "-staple.der")
        mxtest.run(["openssl", "ocsp", "-issuer", pki.inter.cert, "-cert", cert.cert,
                    "-no_nonce", "-reqout", req])
        pki.ocsp_respond(pki.inter, pki.inter, req, resp, days=1)
        os.chmod(resp, 0o644)   # read by Exim as Debian-exim
        return resp

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.exim is not None:
                cls.exim.stop()
            if cls.counter is not None:
                cls.counter.shutdown()
                cls.counter.server_close()
        finally:
            mxtest.remove_tempdir(cls.tmp)

    # -- helpers

    def target(self, case):
        return "127.0.0.1:%d" % self.ports[case]

    def check(self, case, *extra, fmt="json", probes="starttls,chain,expiry,names,revocation"):
        args = ["check", "--format", fmt, "--timeout", "5", "--ca-file", self.pki.root.cert,
                "--sni", NAME]
        if probes:
            args += ["--probes", probes]
        res = mxtest.run_mxprobe(args + list(extra) + [self.target(case)], timeout=60)
        self.assertNotCrashed(res)
        if fmt == "json":
            self.assertTrueIn(res, res.json is not None, "JSON output\n" + self.exim.log())
        return res

    def bad(self, res, prefixes=("starttls.", "cert.", "tls.")):
        return [f for f in res.findings() if f["severity"] in ("warn", "fail", "error")
                and f["id"].startswith(prefixes)]

    def ocsp_posts(self):
        with self.lock:
            return [h for h in self.hits if h[0] == "POST"]

    # -- 1. the good chain

    def test_good_chain(self):
        res = self.check("good")
        self.assertExit(res, 0)
        self.assertTrueIn(res, res.session["tls_ok"], "TLS came up")
        self.assertFinding(res, "cert.chain-valid", "pass")
        self.assertFinding(res, "cert.validity-ok", "pass")
        f = self.assertFinding(res, "cert.name-match", "pass")
        self.assertEq(res, ev(f, "matched_by"), NAME, "matched_by")
        self.assertEq(res, self.bad(res), [], "starttls/chain/expiry/names: no warning or failure")
        # No CRL or OCSP URL in this leaf: revocation can at most inform.
        rev = [f for f in res.findings() if f["id"].startswith(("revocation.", "ocsp.", "crl."))
               and f["severity"] not in ("pass", "info")]
        self.assertEq(res, rev, [], "revocation findings are pass or info")
        self.assertEq(res, res.session["tls"]["ocsp_staples"], [], "no tls_ocsp_file: no staple")

    def test_good_chain_log_format(self):
        res = self.check("good", fmt="log", probes=None)
        self.assertExit(res, 0)
        lines = res.stdout.splitlines()

        def find(pattern, start=0):
            rx = re.compile(r"(^|,)" + pattern)
            for i in range(start, len(lines)):
                if rx.search(lines[i]):
                    return i
            self.fail("no line matching %r after line %d\n%s" % (pattern, start, res.describe()))

        i = find(r"<220 ")
        i = find(r">STARTTLS", i + 1)
        i = find(r"<220 TLS go ahead", i + 1)        # Exim's answer to STARTTLS
        i = find(r"\*\s*Received certificate", i + 1)
        find(r"\*\s*" + re.escape(self.pki.leaf.sha1) + r"\s*,\s*Certificate thumbprint", i)
        find(r"\*.*CN=" + re.escape(NAME) + r".*,\s*Certificate subject", i)
        find(r"\*.*Test Intermediate CA.*,\s*Certificate issuer name", i)
        find(r">EHLO ", i + 1)

    # -- 2. expired and wrong-name leaves

    def test_expired_leaf(self):
        res = self.check("expired", "--policy", "verify")
        self.assertExit(res, 1)
        f = self.assertFinding(res, "cert.expired", "fail")
        self.assertIn("days_left=-30", ev(f, "cert[0]"), res.describe())
        self.assertNoFinding(res, "cert.validity-ok")

    def test_wrong_name_leaf(self):
        res = self.check("wrong")
        f = self.assertFinding(res, "cert.name-mismatch", "warn")
        self.assertEq(res, ev(f, "nearest"), "other.test.example", "nearest")
        res = self.check("wrong", "--policy", "secure")
        self.assertExit(res, 1)
        f = self.assertFinding(res, "cert.name-mismatch", "fail")
        self.assertEq(res, ev(f, "name"), NAME, "name")

    # -- 3. stapling with tls_ocsp_file

    def test_staple_good(self):
        before = len(self.ocsp_posts())
        res = self.check("stapled")
        self.assertExit(res, 0)
        staples = res.session["tls"]["ocsp_staples"]
        self.assertEq(res, [s["certificate"] for s in staples], [0], "Exim staples for the leaf")
        f = self.assertFinding(res, "ocsp.stapled-good", "pass")
        self.assertIn("stapled: good", ev(f, "source[0]"), res.describe())
        leaf = [g for g in res.findings() if g["id"] == "revocation.good" and ev(g, "cert[0]")]
        self.assertEq(res, len(leaf), 1, "the leaf is good by its staple")
        self.assertEq(res, len(self.ocsp_posts()), before, "a good staple needs no OCSP query")
        self.assertEq(res, self.bad(res), [], "no warning or failure")

    def test_staple_revoked(self):
        # Exim does not send a staple that says revoked: GnuTLS refuses to
        # load it (gnutls_certificate_set_ocsp_status_request_file2: "The
        # session or certificate has expired"), and Exim answers STARTTLS
        # with 454.  mxprobe diagnoses the refusal (default probes: the
        # diagnose probe is where a broken session is judged).
        res = self.check("revoked", "--policy", "verify", probes=None)
        self.assertExit(res, 1)
        st = res.session["starttls"]
        self.assertEq(res, (st["state"], st["reply"]["code"]), ("refused", 454), "STARTTLS refused")
        self.assertTrueIn(res, not res.session["tls_ok"], "no TLS")
        f = self.assertFinding(res, "diag.starttls", "fail")
        self.assertEq(res, ev(f, "step"), "starttls", "step")
        self.assertIn("454 TLS currently unavailable", ev(f, "reply"), res.describe())
        self.assertNoFinding(res, "ocsp.stapled-good")
        self.assertIn("gnutls_certificate_set_ocsp_status_request_file2", self.exim.log(),
                      "Exim's reason for the 454")

    def test_staple_stale(self):
        # The good staple judged two days on (--at): past its nextUpdate.
        later = "@%d" % (int(time.time()) + 2 * 86400)
        before = len(self.ocsp_posts())
        res = self.check("stapled", "--at", later)
        self.assertEq(res, len(res.session["tls"]["ocsp_staples"]), 1, "the staple came")
        f = self.assertFinding(res, "ocsp.staple-invalid", "warn")
        self.assertEq(res, ev(f, "why"), "stale", "why")
        self.assertIn("next_update=", ev(f, "source[0]"), res.describe())
        self.assertNoFinding(res, "ocsp.stapled-good")
        # A stale staple does not decide: mxprobe asks the AIA responder
        # (which answers 503 here), so the leaf is "could not check".
        self.assertEq(res, len(self.ocsp_posts()), before + 1, "one OCSP query instead")
        leaf = [g for g in res.findings() if g["id"] == "revocation.unchecked" and ev(g, "cert[0]")]
        self.assertEq(res, len(leaf), 1, "the leaf could not be checked")
        self.assertNoFinding(res, "revocation.good")


if __name__ == "__main__":
    mxtest.main()
