#!/usr/bin/python3
"""MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) for `mxprobe check --domain`.

Real components, one of each, shared by every case:
  - the standard test Postfix (mxtest.start_standard_postfix): the MX hosts;
  - Debian's unbound (mxdns.Unbound) on loopback: the MX, A, TXT
    records of the test domains;
  - Debian's nginx-light (mxnginx.Nginx) on 127.0.B.200:443 (an address of
    the Postfix instance's reserved block): the policy hosts, one virtual
    host per mta-sts.DOMAIN, chosen by SNI, certificates from the test PKI
    (one host has a self-signed one).

The domains (MX mail.test.example is Postfix's tls-good: STARTTLS, a chain
to the test root, its name in the certificate; mx2.testing.example is
tls-none: no STARTTLS):
  enforce.example    enforce, "mx: *.test.example", CRLF lines; TLS-RPT
  unlisted.example   enforce, the MX not listed
  testing.example    testing, both MX listed; mx2 has no STARTTLS
  untrusted.example  the policy host's certificate is self-signed
  redirect.example   the policy URL answers 301
  malformed.example  a policy with a bad mode, a bad mx pattern, a huge max_age
  ctype.example      the policy served as text/html
  big.example        a policy of 70 KB (over the 64 KiB cap)
  noid.example       "v=STSv1;" without id; TLS-RPT with an ftp: rua
  plain.example      no MTA-STS (an SPF record at _mta-sts), no TLS-RPT
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mxnginx  # noqa: E402
import mxtest  # noqa: E402
from mxdns import Unbound  # noqa: E402

MX = mxtest.LEAF_NAME

POLICIES = {
    "enforce": b"version: STSv1\r\nmode: enforce\r\nmx: *.test.example\r\nmax_age: 604800\r\n",
    "unlisted": b"version: STSv1\nmode: enforce\nmx: mx.elsewhere.example\nmax_age: 604800\n",
    "testing": b"version: STSv1\nmode: testing\nmx: mail.test.example\nmx: mx2.testing.example\n"
               b"max_age: 86400\n",
    "untrusted": b"version: STSv1\nmode: enforce\nmx: mail.test.example\nmax_age: 604800\n",
    "malformed": b"version: STSv1\nmode: enforcing\nmx: mail.*.example\nmx: mail.test.example\n"
                 b"max_age: 99999999999\n",
    "ctype": b"version: STSv1\nmode: enforce\nmx: mail.test.example\nmax_age: 604800\n",
    "noid": b"version: STSv1\nmode: enforce\nmx: mail.test.example\nmax_age: 604800\n",
    # over the 64 KiB cap (RFC 8461 section 3.3), valid otherwise
    "big": b"version: STSv1\nmode: enforce\nmx: mail.test.example\nmax_age: 604800\n"
           + b"x_pad: " + b"a" * 70000 + b"\n",
}
DOMAINS = ["enforce", "unlisted", "testing", "untrusted", "redirect", "malformed", "ctype",
           "noid", "big", "plain"]


class MtaSts(mxtest.MxTestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = mxtest.make_tempdir("mxtest-mtasts-")
        cls.dns = cls.web = cls.pf = None
        try:
            cls.pki, cls.pf = mxtest.start_standard_postfix(cls.tmp)
            good = cls.pf.cases["tls-good"].addr
            plain = cls.pf.cases["tls-none"].addr
            cls.web_addr = "127.0.%d.200" % cls.pf.block.number
            cls._start_web()
            zones = {"test.example": ["%s. IN A %s" % (MX, good)]}
            for name in DOMAINS:
                dom = name + ".example"
                rr = ["%s. IN MX 10 %s." % (dom, MX),
                      "mta-sts.%s. IN A %s" % (dom, cls.web_addr)]
                if name != "plain":
                    rr.append('_mta-sts.%s. IN TXT "v=STSv1; id=2024%s1"' % (dom, name)
                              if name != "noid" else '_mta-sts.%s. IN TXT "v=STSv1;"' % dom)
                zones[dom] = rr
            zones["testing.example"] += ["testing.example. IN MX 20 mx2.testing.example.",
                                         "mx2.testing.example. IN A %s" % plain]
            zones["enforce.example"].append(
                '_smtp._tls.enforce.example. IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@enforce.example,'
                'https://reports.enforce.example/tlsrpt"')
            zones["plain.example"].append('_mta-sts.plain.example. IN TXT "v=spf1 -all"')
            zones["noid.example"].append(
                '_smtp._tls.noid.example. IN TXT "v=TLSRPTv1; rua=ftp://reports.noid.example"')
            dns_dir = os.path.join(cls.tmp, "unbound")
            os.makedirs(dns_dir)
            cls.dns = Unbound(dns_dir, zones).start()
        except BaseException:
            cls._stop()
            raise
        cls.all = cls.probe(*sum((["--domain", d + ".example"] for d in DOMAINS), []))

    @classmethod
    def _start_web(cls):
        pki = cls.pki
        names = ["mta-sts.%s.example" % d for d in DOMAINS]
        leaf = pki.make_leaf("policy-host", names[0], extra_dns=names[1:], ips=())
        chain = pki._concat("policy-host-chain.pem", [leaf.cert, pki.inter.cert])
        # a self-signed certificate for mta-sts.untrusted.example
        self_key = os.path.join(cls.tmp, "selfsigned.key")
        self_cert = os.path.join(cls.tmp, "selfsigned.pem")
        mxtest.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "30", "-subj",
                    "/CN=mta-sts.untrusted.example", "-addext",
                    "subjectAltName=DNS:mta-sts.untrusted.example",
                    "-keyout", self_key, "-out", self_cert])
        servers = []
        for d in DOMAINS:
            if d == "plain":
                continue
            s = {"name": "mta-sts.%s.example" % d, "cert": chain, "key": leaf.key}
            if d == "untrusted":
                s.update(cert=self_cert, key=self_key)
            if d == "redirect":
                s["redirect"] = "https://mta-sts.enforce.example/.well-known/mta-sts.txt"
            else:
                s["body"] = POLICIES[d]
            if d == "ctype":
                s["type"] = "text/html"
            servers.append(s)
        web_dir = os.path.join(cls.tmp, "nginx")
        os.makedirs(web_dir)
        cls.web = mxnginx.Nginx(web_dir, cls.web_addr, servers).start()

    @classmethod
    def _stop(cls):
        try:
            for thing in (cls.web, cls.dns):
                if thing:
                    thing.stop()
            if cls.pf:
                cls.pf.__exit__(None, None, None)
        finally:
            mxtest.remove_tempdir(cls.tmp)

    @classmethod
    def tearDownClass(cls):
        cls._stop()

    @classmethod
    def probe(cls, *args, fmt="json", policy="may"):
        return mxtest.run_mxprobe(["check", "--format", fmt, "--timeout", "5", "--policy", policy,
                                   "--ca-file", cls.pki.root.cert,
                                   "--resolver", cls.dns.resolver] + list(args), timeout=90)

    def domain(self, res, name):
        for d in res.json["domains"]:
            if d["domain"] == name:
                return d
        self.fail("no domain %s in the report\n%s" % (name, res.describe()))

    def ids(self, d, part="mta_sts"):
        return [(f["id"], f["severity"]) for f in d[part]["findings"]]

    def find(self, res, d, fid, part="mta_sts"):
        hits = [f for f in d[part]["findings"] if f["id"] == fid]
        self.assertTrue(hits, "no %s in %s\n%s" % (fid, self.ids(d, part), res.describe()))
        return hits[0]

    # -- a healthy domain

    def test_enforce_listed(self):
        res = self.all
        d = self.domain(res, "enforce.example")
        m = d["mta_sts"]
        self.assertEq(res, (m["published"], m["record_valid"], m["fetched"], m["usable"], m["meets"]),
                      (True, True, True, True, True), "policy in force, met")
        self.assertEq(res, m["id"], "2024enforce1", "id")
        self.assertEq(res, m["http_status"], 200, "status")
        self.assertEq(res, m["policy_host_addresses"], self.web_addr, "pinned to our resolver's answer")
        p = m["policy"]
        self.assertEq(res, (p["valid"], p["mode"], p["max_age"], p["mx"], p["line_endings"]),
                      (True, "enforce", 604800, ["*.test.example"], "crlf"), "policy")
        self.assertEq(res, self.ids(d), [("mta-sts.valid", "pass"), ("mta-sts.mx-valid", "pass")],
                      "findings")
        self.assertEq(res, self.find(res, d, "mta-sts.mx-valid")["evidence"]["pattern"],
                      "*.test.example", "the wildcard matched")
        self.assertEq(res, d["published_policies"], ["mta-sts"], "published")
        t = d["tls_rpt"]
        self.assertEq(res, (t["valid"], t["rua"]),
                      (True, ["mailto:tlsrpt@enforce.example",
                              "https://reports.enforce.example/tlsrpt"]), "TLS-RPT")
        self.assertEq(res, self.ids(d, "tls_rpt"), [("tls-rpt.present", "pass")], "TLS-RPT findings")
        a = d["mx"][0]["addresses"][0]
        self.assertEq(res, (a["fate"]["mta-sts-enforce"]["action"], a["fate"]["mta-sts-testing"]["action"]),
                      ("deliver-tls", "deliver-tls"), "the MTA-STS sender delivers over TLS")
        self.assertEq(res, (d["fate"]["mta-sts-enforce"], d["verdict"], d["broken"]),
                      ("deliver-tls", "pass", []), "domain")

    # -- the MX against the policy

    def test_enforce_unlisted(self):
        res = self.all
        self.assertExit(res, 1)     # unlisted.example breaks its own enforce policy
        d = self.domain(res, "unlisted.example")
        f = self.find(res, d, "mta-sts.mx-not-listed")
        self.assertEq(res, f["severity"], "fail", "enforce: fail")
        self.assertEq(res, (f["evidence"]["mx"], f["evidence"]["mx_patterns"]),
                      (MX, "mx.elsewhere.example"), "names the MX and the patterns")
        self.assertEq(res, d["mta_sts"]["meets"], False, "meets")
        self.assertEq(res, d["verdict"], "fail", "verdict")
        self.assertEq(res, [(b["mx"], b["reason"]) for b in d["broken"]],
                      [(MX, "mta-sts.mx-not-listed")], "broken")
        a = d["mx"][0]["addresses"][0]
        self.assertEq(res, a["fate"]["mta-sts-enforce"]["action"], "defer-bounce", "enforce")
        self.assertIn("not listed", a["fate"]["mta-sts-enforce"]["reason"], res.describe())
        self.assertEq(res, a["fate"]["mta-sts-testing"]["action"], "deliver-tls", "testing")
        self.assertEq(res, a["fate"]["may"]["action"], "deliver-tls", "the other columns stay")

    def test_testing_mode(self):
        res = self.all
        d = self.domain(res, "testing.example")
        self.assertEq(res, d["mta_sts"]["policy"]["mode"], "testing", "mode")
        ids = self.ids(d)
        self.assertIn(("mta-sts.mode-testing", "info"), ids, res.describe())
        self.assertIn(("mta-sts.mx-valid", "pass"), ids, res.describe())
        f = self.find(res, d, "mta-sts.mx-cert-invalid")
        self.assertEq(res, (f["severity"], f["evidence"]["mx"]), ("warn", "mx2.testing.example"),
                      "testing: a warning naming the MX")
        self.assertIn("STARTTLS is not offered", f["title"], res.describe())
        self.assertEq(res, d["verdict"], "pass", "testing mode does not break the verdict")
        mx2 = d["mx"][1]["addresses"][0]
        self.assertEq(res, mx2["fate"]["mta-sts-testing"]["action"], "deliver-clear", "testing delivers")
        self.assertIn("TLS-RPT", mx2["fate"]["mta-sts-testing"]["reason"], res.describe())
        self.assertEq(res, mx2["fate"]["mta-sts-enforce"]["action"], "defer-bounce", "enforce would defer")
        self.assertEq(res, (d["fate"]["mta-sts-enforce"], d["fate"]["mta-sts-testing"]),
                      ("defer-bounce", "deliver-clear"), "the domain")
        # testing mode without TLS-RPT: nobody reports
        self.assertEq(res, self.ids(d, "tls_rpt"), [("tls-rpt.absent", "warn")], "TLS-RPT")

    # -- the policy host and the policy

    def test_untrusted_policy_host(self):
        res = self.all
        d = self.domain(res, "untrusted.example")
        f = self.find(res, d, "mta-sts.policy-cert-invalid")
        self.assertEq(res, f["severity"], "fail", "severity")
        self.assertIn("mta-sts.untrusted.example", f["title"], res.describe())
        m = d["mta_sts"]
        self.assertEq(res, (m["fetched"], m["usable"], m["meets"], m["policy"]), (False, False, None, None),
                      "nothing fetched, nothing claimed")
        nt = self.find(res, d, "mta-sts.not-tested")
        self.assertEq(res, nt["severity"], "error", "the MX match is not tested")
        a = d["mx"][0]["addresses"][0]
        self.assertEq(res, a["fate"]["mta-sts-enforce"]["action"], "deliver-tls", "as without MTA-STS")
        self.assertIn("cannot be used", a["fate"]["mta-sts-enforce"]["reason"], res.describe())

    def test_redirect(self):
        res = self.all
        d = self.domain(res, "redirect.example")
        f = self.find(res, d, "mta-sts.redirect")
        self.assertEq(res, f["evidence"]["location"],
                      "https://mta-sts.enforce.example/.well-known/mta-sts.txt", "Location")
        self.assertEq(res, (d["mta_sts"]["http_status"], d["mta_sts"]["usable"]), (301, False), "301")
        self.assertIn(("mta-sts.not-tested", "error"), self.ids(d), res.describe())

    def test_malformed_policy(self):
        res = self.all
        d = self.domain(res, "malformed.example")
        syn = [f for f in d["mta_sts"]["findings"] if f["id"] == "mta-sts.syntax"]
        got = [(f["severity"], f["evidence"].get("line"), f["evidence"].get("text")) for f in syn]
        self.assertEq(res, got, [("fail", "2", "mode: enforcing"),
                                 ("warn", "3", "mx: mail.*.example"),
                                 ("fail", "5", "max_age: 99999999999")], "each broken line named")
        self.assertIn("line 2", syn[0]["title"], res.describe())
        self.assertIn("enforce", syn[0]["title"], res.describe())
        self.assertEq(res, (d["mta_sts"]["policy"]["valid"], d["mta_sts"]["usable"]), (False, False),
                      "invalid")
        self.assertIn(("mta-sts.not-tested", "error"), self.ids(d), res.describe())

    def test_content_type(self):
        res = self.all
        d = self.domain(res, "ctype.example")
        f = self.find(res, d, "mta-sts.content-type")
        self.assertIn("text/html", f["title"], res.describe())
        self.assertEq(res, d["mta_sts"]["content_type"], "text/html", "as served")

    def test_size_cap(self):
        res = self.all
        d = self.domain(res, "big.example")
        f = self.find(res, d, "mta-sts.fetch-failed")
        self.assertIn("size cap", f["title"], res.describe())
        self.assertEq(res, (d["mta_sts"]["fetched"], d["mta_sts"]["policy"]), (False, None), "not used")

    # -- the TXT records

    def test_id_missing_and_bad_rua(self):
        res = self.all
        d = self.domain(res, "noid.example")
        self.assertIn(("mta-sts.id-missing", "fail"), self.ids(d), res.describe())
        self.assertEq(res, (d["mta_sts"]["record"], d["mta_sts"]["record_valid"]), ("v=STSv1;", False),
                      "record")
        self.assertEq(res, d["mta_sts"]["fetched"], True, "the policy is still looked at")
        f = self.find(res, d, "tls-rpt.bad-rua", "tls_rpt")
        self.assertIn("ftp://reports.noid.example", f["title"], res.describe())

    def test_absent(self):
        res = self.all
        d = self.domain(res, "plain.example")
        self.assertEq(res, self.ids(d), [("mta-sts.absent", "info")], "MTA-STS")
        f = self.find(res, d, "mta-sts.absent")  # a TXT record is there, just not an STS one
        self.assertIn('TXT record beginning with "v=STSv1;"', f["title"], res.describe())
        self.assertEq(res, f["evidence"]["record"], "v=spf1 -all", "what is there instead")
        self.assertEq(res, self.ids(d, "tls_rpt"), [("tls-rpt.absent", "info")], "TLS-RPT")
        self.assertEq(res, (d["published_policies"], d["mta_sts"]["published"]), ([], False), "none")
        self.assertIsNone(d["mta_sts"]["url"], res.describe())   # nothing fetched
        a = d["mx"][0]["addresses"][0]
        self.assertEq(res, a["fate"]["mta-sts-enforce"]["action"], "deliver-tls", "opportunistic")

    # -- text

    def test_text(self):
        res = self.probe("--domain", "enforce.example", "--domain", "unlisted.example", fmt="text")
        self.assertExit(res, 1)
        out = res.stdout
        self.assertIn("Publishes: MTA-STS (mode enforce, id 2024enforce1): every MX host meets it", out,
                      res.describe())
        self.assertIn("Publishes: MTA-STS (mode enforce, id 2024unlisted1): some MX hosts do NOT meet it",
                      out)
        self.assertIn("[FAIL] mta-sts.mx-not-listed: MX %s is not listed" % MX, out)
        self.assertIn("TLS-RPT (RFC 8460): reports go to mailto:tlsrpt@enforce.example", out)
        row = [line.split() for line in out.splitlines()
               if line.strip().startswith("%s[" % MX) and len(line.split()) == 3]
        self.assertEq(res, sorted(r[1:] for r in row), [["TLS", "TLS"], ["defer", "TLS"]],
                      "the MTA-STS sender's rows")

    def test_text_unusable(self):
        # A bad TXT record is why senders skip MTA-STS (RFC 8461 section
        # 3.1), not the policy we fetch anyway; a policy fetched but refused
        # is not "not fetched".
        res = self.probe("--domain", "noid.example", "--domain", "big.example", fmt="text")
        out = res.stdout
        self.assertIn("Publishes: MTA-STS, but senders cannot use it: the _mta-sts TXT record is not one "
                      "valid record with an id", out, res.describe())
        self.assertIn("policy https://mta-sts.big.example/.well-known/mta-sts.txt at %s (could not be used)"
                      % self.web_addr, out)


if __name__ == "__main__":
    mxtest.main()
