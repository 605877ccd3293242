#!/usr/bin/python3
"""DNSSEC and DANE (issue 13) against Debian's unbound serving a zone signed
at test time (ldns-signzone, a throwaway ldns-keygen key whose DS is
mxprobe's --trust-anchor) and one real Postfix service.  Every MX host
below points at the same Postfix address; its certificate names them all,
and its chain is leaf + intermediate.  The zones:

  ee.dane.example     MX mx-ee:   TLSA 3 1 1 <leaf key>, 2 1 1 <intermediate key>
  ta.dane.example     MX mx-ta:   TLSA 2 1 1 <intermediate key> (path + name checks)
  bad.dane.example    MX mx-bad:  TLSA 3 1 1 <junk>, 1 1 1 <leaf key> (PKIX-EE: unusable)
  bogus.dane.example  MX mx-bogus: its A record's RRSIG broken (bogus)
  none.dane.example   MX mx-none: no TLSA (secure denial)
  cname.dane.example  MX alias -> CNAME mx-ee: TLSA at the expanded name (RFC 7672 2.2.3)
  notls.dane.example  MX mx-notls: TLSA 3 1 1, but a second Postfix service without STARTTLS
  hosted.plain.example  (unsigned) MX mx-hosted.dane.example: a signed host with TLSA 3 1 1
  plain.example       an unsigned zone with TLSA 3 1 1 <leaf key> (insecure)
  healthy.dane.example  MX mx-ee, plus MTA-STS in enforce listing it (the
                      policy served over HTTPS by a private nginx) and
                      TLS-RPT: the whole authenticated-TLS story at once

The hashes are computed here with openssl, independently of mxprobe.
"""

import hashlib
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mxtest  # noqa: E402
import mxdns  # noqa: E402
import mxnginx  # noqa: E402

SIGNED = "dane.example"
HOSTS = ["mx-ee.dane.example", "mx-ta.dane.example", "mx-bad.dane.example",
         "mx-bogus.dane.example", "mx-none.dane.example", "mx.plain.example"]


def spki_sha256(cert):
    """SHA2-256 of a certificate's SubjectPublicKeyInfo, upper-case hex."""
    pub = subprocess.run(["openssl", "x509", "-in", cert, "-pubkey", "-noout"],
                         stdout=subprocess.PIPE, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub,
                         stdout=subprocess.PIPE, check=True).stdout
    return hashlib.sha256(der).hexdigest().upper()


class Dane(mxtest.MxTestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = mxtest.make_tempdir("mxtest-dane-")
        cls.dns = cls.pf = cls.web = None
        block = mxtest.Block(2)
        try:
            cls.addr, cls.notls_addr = block.addrs(2)
            cls.pki = mxtest.Pki(os.path.join(cls.tmp, "pki"), ips=[cls.addr])
            leaf = cls.pki.make_leaf("dane", HOSTS[0], extra_dns=HOSTS[1:], ips=[cls.addr])
            chain = cls.pki._concat("dane-full.pem", [leaf.key, leaf.cert, cls.pki.inter.cert])
            pfdir = os.path.join(cls.tmp, "postfix")
            os.makedirs(pfdir)
            os.chmod(pfdir, 0o755)
            cls.pf = mxtest.Postfix(pfdir, [mxtest.PostfixCase("dane", {
                "smtpd_tls_security_level": "may",
                "smtpd_tls_chain_files": chain,
                "syslog_name": "postfix-dane",
            }), mxtest.PostfixCase("notls", {
                "smtpd_tls_security_level": "none",
                "syslog_name": "postfix-notls",
            })], block=block)
            cls.pf.__enter__()
            cls.leaf_hash = spki_sha256(leaf.cert)
            web_addr = "127.0.%d.200" % block.number
            sts_host = "mta-sts.healthy.dane.example"
            sts_leaf = cls.pki.make_leaf("policy-host", sts_host, ips=())
            web_dir = os.path.join(cls.tmp, "nginx")
            os.makedirs(web_dir)
            cls.web = mxnginx.Nginx(web_dir, web_addr, [{
                "name": sts_host, "key": sts_leaf.key,
                "cert": cls.pki._concat("policy-host-chain.pem", [sts_leaf.cert, cls.pki.inter.cert]),
                "body": b"version: STSv1\nmode: enforce\nmx: mx-ee.dane.example\nmax_age: 604800\n",
            }]).start()
            cls.inter_hash = spki_sha256(cls.pki.inter.cert)
            a = cls.addr
            records = [
                "ee.dane.example. IN MX 10 mx-ee.dane.example.",
                "mx-ee.dane.example. IN A %s" % a,
                "_25._tcp.mx-ee.dane.example. IN TLSA 3 1 1 %s" % cls.leaf_hash,
                "_25._tcp.mx-ee.dane.example. IN TLSA 2 1 1 %s" % cls.inter_hash,
                "ta.dane.example. IN MX 10 mx-ta.dane.example.",
                "mx-ta.dane.example. IN A %s" % a,
                "_25._tcp.mx-ta.dane.example. IN TLSA 2 1 1 %s" % cls.inter_hash,
                "bad.dane.example. IN MX 10 mx-bad.dane.example.",
                "mx-bad.dane.example. IN A %s" % a,
                "_25._tcp.mx-bad.dane.example. IN TLSA 3 1 1 %s" % ("00" * 32),
                "_25._tcp.mx-bad.dane.example. IN TLSA 1 1 1 %s" % cls.leaf_hash,
                "bogus.dane.example. IN MX 10 mx-bogus.dane.example.",
                "mx-bogus.dane.example. IN A %s" % a,
                "mx-hosted.dane.example. IN A %s" % a,
                "_25._tcp.mx-hosted.dane.example. IN TLSA 3 1 1 %s" % cls.leaf_hash,
                "notls.dane.example. IN MX 10 mx-notls.dane.example.",
                "mx-notls.dane.example. IN A %s" % cls.notls_addr,
                "_25._tcp.mx-notls.dane.example. IN TLSA 3 1 1 %s" % cls.leaf_hash,
                "cname.dane.example. IN MX 10 alias.dane.example.",
                "alias.dane.example. IN CNAME mx-ee.dane.example.",
                "none.dane.example. IN MX 10 mx-none.dane.example.",
                "mx-none.dane.example. IN A %s" % a,
                "healthy.dane.example. IN MX 10 mx-ee.dane.example.",
                '_mta-sts.healthy.dane.example. IN TXT "v=STSv1; id=20261129T1"',
                "%s. IN A %s" % (sts_host, web_addr),
                '_smtp._tls.healthy.dane.example. IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@healthy.dane.example"',
            ]
            dns_dir = os.path.join(cls.tmp, "unbound")
            os.makedirs(dns_dir)
            signed, cls.anchor = mxdns.signed_zone(dns_dir, SIGNED, records,
                                                   tamper={("mx-bogus.dane.example", "A")})
            plain = os.path.join(dns_dir, "plain.example.zone")
            with open(plain, "w") as f:
                f.write("$TTL 300\n"
                        "plain.example. IN SOA ns.plain.example. h.plain.example. 1 3600 600 86400 300\n"
                        "plain.example. IN NS ns.plain.example.\n"
                        "ns.plain.example. IN A 127.0.0.1\n"
                        "plain.example. IN MX 10 mx.plain.example.\n"
                        "mx.plain.example. IN A %s\n"
                        "_25._tcp.mx.plain.example. IN TLSA 3 1 1 %s\n"
                        "hosted.plain.example. IN MX 10 mx-hosted.dane.example.\n" % (a, cls.leaf_hash))
            cls.dns = mxdns.Unbound(dns_dir, {}, auth_zones={SIGNED: signed, "plain.example": plain}).start()
            cls.all = cls.probe("--policy", "dane", "--trust-anchor", cls.anchor,
                                *sum((["--domain", d] for d in ("ee.dane.example", "ta.dane.example",
                                                                "bad.dane.example", "bogus.dane.example",
                                                                "none.dane.example", "plain.example",
                                                                "cname.dane.example", "notls.dane.example",
                                                                "hosted.plain.example")),
                                  []))
        except BaseException:
            cls._cleanup()
            raise

    @classmethod
    def _cleanup(cls):
        try:
            for thing in (cls.dns, cls.web):
                if thing:
                    thing.stop()
            if cls.pf:
                cls.pf.__exit__(None, None, None)
        finally:
            mxtest.remove_tempdir(cls.tmp)

    @classmethod
    def tearDownClass(cls):
        cls._cleanup()

    @classmethod
    def probe(cls, *args, fmt="json"):
        # Only what DANE needs: one connection per MX host name.
        return mxtest.run_mxprobe(["check", "--format", fmt, "--timeout", "5", "--one-key",
                                   "--probes", "starttls,chain,names,dane",
                                   "--ca-file", cls.pki.root.cert,
                                   "--resolver", cls.dns.resolver] + list(args), timeout=90)

    def domain(self, res, name):
        for d in res.json["domains"]:
            if d["domain"] == name:
                return d
        self.fail("no domain %s in the report\n%s" % (name, res.describe()))

    def dane_findings(self, res, mx_host):
        for t in res.json["targets"]:
            if t["mx_host"] == mx_host:
                for p in t["probes"]:
                    if p["name"] == "dane":
                        return {f["id"]: f for f in p["findings"]}
                self.fail("no dane probe on %s\n%s" % (mx_host, res.describe()))
        self.fail("no target for %s\n%s" % (mx_host, res.describe()))

    # -- DNSSEC per answer

    def test_secure_answers(self):
        res = self.all
        d = self.domain(res, "ee.dane.example")
        self.assertEq(res, d["dnssec"], "secure", "MX answer")
        self.assertIn("--trust-anchor", d["dnssec_anchor"], res.describe())
        mx = d["mx"][0]
        self.assertEq(res, mx["dnssec_a"], "secure", "A answer")
        self.assertEq(res, mx["addresses"][0]["dnssec"], "secure", "address")
        t = mx["tlsa"]
        self.assertEq(res, (t["lookup"], t["dnssec"], t["usable"], t["name"]),
                      ("found", "secure", True, "_25._tcp.mx-ee.dane.example"), "TLSA")
        self.assertEq(res, sorted(r["text"] for r in t["records"]),
                      sorted(["3 1 1 " + self.leaf_hash, "2 1 1 " + self.inter_hash]), "records")

    def test_bogus_address_is_never_used(self):
        res = self.all
        d = self.domain(res, "bogus.dane.example")
        mx = d["mx"][0]
        self.assertEq(res, mx["dnssec_a"], "bogus", "A answer")
        self.assertTrue(mx["why_bogus_a"], res.describe())
        self.assertEq(res, mx["addresses"], [], "no address from a bogus answer")
        self.assertIn("bogus", mx["error"], res.describe())
        self.assertEq(res, d["fate"]["dane"], "defer-bounce", "unreachable for a validating sender")
        self.assertEq(res, d["verdict"], "fail", "verdict")
        self.assertFalse([t for t in res.json["targets"] if t["mx_host"] == "mx-bogus.dane.example"],
                         "no connection to an address from a bogus answer")

    # -- DANE

    def test_dane_ee_and_ta_valid(self):
        res = self.all
        f = self.dane_findings(res, "mx-ee.dane.example")
        self.assertEq(res, f["dane.valid"]["severity"], "pass", "dane.valid")
        self.assertNotIn("dane.rollover", f, "a 2 1 1 is published: no rollover advice")
        d = self.domain(res, "ee.dane.example")
        self.assertEq(res, d["verdict"], "pass", "verdict under --policy dane")
        self.assertEq(res, d["fate"]["dane"], "deliver-tls", "DANE sender")
        warn = [fid for fid, x in f.items() if x["severity"] in ("warn", "fail", "error")]
        self.assertEq(res, warn, [], "no warning on the healthy domain")
        dd = {x["id"]: x for x in d["findings"]}
        self.assertEq(res, dd["domain.dane"]["severity"], "pass", "domain.dane")
        self.assertEq(res, dd["domain.dane"]["evidence"]["mx-ee.dane.example[%s]" % self.addr],
                      "matches its TLSA records", "evidence")

    def test_dane_ta_alone(self):
        res = self.all
        f = self.dane_findings(res, "mx-ta.dane.example")
        self.assertIn("dane.valid", f, res.describe())
        self.assertEq(res, f["dane.valid"]["evidence"]["matched"], "2 1 1 " + self.inter_hash, "matched")

    def test_dane_mismatch(self):
        res = self.all
        f = self.dane_findings(res, "mx-bad.dane.example")
        m = f["dane.mismatch"]
        self.assertEq(res, m["severity"], "fail", "fails under --policy dane")
        self.assertEq(res, m["evidence"]["record_for_leaf"], "3 1 1 " + self.leaf_hash, "record to publish")
        self.assertEq(res, m["evidence"]["record_for_issuer"], "2 1 1 " + self.inter_hash, "issuer record")
        self.assertIn("cert[0] has " + self.leaf_hash, m["evidence"]["why"], res.describe())
        self.assertIn("3 1 1 " + "00" * 32, m["evidence"]["why"].upper(), res.describe())
        self.assertEq(res, f["dane.unusable-usage"]["severity"], "warn", "PKIX-EE record")
        d = self.domain(res, "bad.dane.example")
        self.assertEq(res, d["verdict"], "fail", "verdict")
        self.assertEq(res, d["fate"]["dane"], "defer-bounce", "DANE sender defers")
        self.assertEq(res, d["fate"]["may"], "deliver-tls", "opportunistic sender delivers")
        self.assertIn("dane.mismatch", d["broken"][0]["reason"], res.describe())
        dd = {x["id"]: x for x in d["findings"]}
        self.assertEq(res, dd["domain.dane"]["severity"], "fail", "domain.dane under --policy dane")

    def test_cname_expanded_tlsa(self):
        res = self.all
        mx = self.domain(res, "cname.dane.example")["mx"][0]
        self.assertEq(res, (mx["host"], mx["canonical"]), ("alias.dane.example", "mx-ee.dane.example"), "alias")
        self.assertEq(res, (mx["tlsa"]["name"], mx["tlsa"]["base"]),
                      ("_25._tcp.mx-ee.dane.example", "mx-ee.dane.example"), "TLSA at the expanded name")
        self.assertIn("dane.valid", self.dane_findings(res, "alias.dane.example"), res.describe())

    def test_tlsa_without_starttls(self):
        res = self.all
        f = self.dane_findings(res, "mx-notls.dane.example")
        self.assertEq(res, f["dane.no-tls"]["severity"], "fail", "TLS mandatory under --policy dane")
        d = self.domain(res, "notls.dane.example")
        self.assertEq(res, (d["fate"]["may"], d["fate"]["dane"]), ("deliver-clear", "defer-bounce"), "fate")
        self.assertEq(res, d["verdict"], "fail", "verdict")

    def test_insecure_mx_secure_host(self):
        # RFC 7672 2.2.1 would allow DANE here; Postfix and Exim do not.
        res = self.all
        f = self.dane_findings(res, "mx-hosted.dane.example")
        self.assertEq(res, f["dane.insecure"]["severity"], "info", "only the MX answer is insecure")
        self.assertEq(res, f["dane.valid"]["severity"], "pass", "still compared")
        d = self.domain(res, "hosted.plain.example")
        self.assertEq(res, (d["dnssec"], d["mx"][0]["tlsa"]["usable"]), ("insecure", False), "not usable")
        self.assertEq(res, d["fate"]["dane"], "deliver-tls", "opportunistic for Postfix")
        self.assertNotIn("domain.dane", [x["id"] for x in d["findings"]], "not published for DANE senders")

    def test_no_tlsa(self):
        res = self.all
        f = self.dane_findings(res, "mx-none.dane.example")
        self.assertEq(res, f["dane.not-published"]["severity"], "info", "not published")
        d = self.domain(res, "none.dane.example")
        self.assertEq(res, (d["mx"][0]["tlsa"]["lookup"], d["mx"][0]["tlsa"]["dnssec"]), ("none", "secure"),
                      "secure denial")
        self.assertEq(res, d["fate"]["dane"], "deliver-tls", "opportunistic without TLSA")
        self.assertNotIn("domain.dane", [x["id"] for x in d["findings"]], "publishes nothing")

    def test_tlsa_in_unsigned_zone(self):
        res = self.all
        f = self.dane_findings(res, "mx.plain.example")
        self.assertEq(res, f["dane.insecure"]["severity"], "warn", "published but not signed")
        self.assertNotIn("dane.valid", f, "never claimed without DNSSEC")
        d = self.domain(res, "plain.example")
        self.assertEq(res, (d["dnssec"], d["mx"][0]["tlsa"]["dnssec"], d["mx"][0]["tlsa"]["usable"]),
                      ("insecure", "insecure", False), "insecure")
        self.assertEq(res, d["fate"]["dane"], "deliver-tls", "a DANE sender ignores them")

    def test_text_report(self):
        res = self.probe("--policy", "dane", "--trust-anchor", self.anchor, "--domain", "bad.dane.example",
                         fmt="text")
        self.assertExit(res, 1)
        self.assertIn("TLSA _25._tcp.mx-bad.dane.example: 2 records, DNSSEC secure: DANE senders use them",
                      res.stdout, res.describe())
        self.assertIn("dane.mismatch", res.stdout, res.describe())
        self.assertIn("3 1 1 " + self.leaf_hash, res.stdout, res.describe())

    def test_healthy_signed_domain(self):
        # Issue 13's "done when": DNSSEC secure, DANE valid, MTA-STS in
        # enforce with the MX listed, TLS-RPT present, and no warning, with
        # the default probes and policy.
        res = mxtest.run_mxprobe(["check", "--format", "json", "--timeout", "5", "--ca-file", self.pki.root.cert,
                                  "--resolver", self.dns.resolver, "--trust-anchor", self.anchor,
                                  "--domain", "healthy.dane.example"], timeout=90)
        self.assertExit(res, 0)
        d = self.domain(res, "healthy.dane.example")
        self.assertEq(res, (d["dnssec"], d["mx"][0]["dnssec_a"], d["mx"][0]["tlsa"]["dnssec"]),
                      ("secure", "secure", "secure"), "DNSSEC per answer")
        self.assertEq(res, d["published_policies"], ["dane", "mta-sts"], "published")
        self.assertEq(res, (d["mta_sts"]["policy"]["mode"], d["mta_sts"]["meets"]), ("enforce", True),
                      "MTA-STS enforce, the MX listed")
        self.assertTrue(d["tls_rpt"]["published"], res.describe())
        self.assertEq(res, (d["verdict"], d["fate"]["dane"], d["fate"]["mta-sts-enforce"]),
                      ("pass", "deliver-tls", "deliver-tls"), "verdict and senders")
        self.assertIn("dane.valid", self.dane_findings(res, "mx-ee.dane.example"), res.describe())
        bad = [(t["mx_host"], p["name"], f["id"], f["severity"]) for t in res.json["targets"]
               for p in t["probes"] for f in p["findings"] if f["severity"] in ("warn", "fail", "error")]
        bad += [("domain", f["id"], f["severity"]) for f in d["findings"]
                if f["severity"] in ("warn", "fail", "error")]
        for k in ("mta_sts", "tls_rpt"):
            bad += [(k, f["id"], f["severity"]) for f in d[k]["findings"]
                    if f["severity"] in ("warn", "fail", "error")]
        self.assertEq(res, bad, [], "no warning on the healthy signed domain")
        text = self.probe("--trust-anchor", self.anchor, "--domain", "healthy.dane.example", fmt="text")
        self.assertIn("Publishes: DANE (RFC 7672): healthy.dane.example publishes DANE for every MX host, "
                      "and they meet it", text.stdout, text.describe())
        self.assertIn("Publishes: MTA-STS (mode enforce", text.stdout, text.describe())

    # -- the trust anchor

    def test_private_resolver_without_anchor(self):
        # The root's key cannot be primed through this resolver: answers
        # are taken as insecure, and the report says why.
        res = self.probe("--domain", "ee.dane.example")
        d = self.domain(res, "ee.dane.example")
        self.assertTrue(d["dnssec_anchor"].startswith("none: the resolver"), res.describe())
        self.assertEq(res, d["dnssec"], "insecure", "not validated")
        f = self.dane_findings(res, "mx-ee.dane.example")
        self.assertIn("dane.insecure", f, res.describe())

    def test_bad_trust_anchor_files(self):
        junk = os.path.join(self.tmp, "junk.ds")
        with open(junk, "w") as f:
            f.write("this is not a zone file\n")
        badhex = os.path.join(self.tmp, "badhex.ds")  # a DS word, RDATA unbound rejects
        with open(badhex, "w") as f:
            f.write("dane.example. IN DS 1 8 2 ZZZZ\n")
        for path, words in ((os.path.join(self.tmp, "absent.ds"), "No such file"),
                            (junk, "no DS or DNSKEY"), (self.tmp, "not a regular file"),
                            (badhex, "unbound cannot use it: parse error")):
            res = mxtest.run_mxprobe(["check", "--trust-anchor", path, "--domain", "ee.dane.example",
                                      "--resolver", self.dns.resolver])
            self.assertExit(res, 2)
            self.assertIn(words, res.stderr, res.describe())


if __name__ == "__main__":
    mxtest.main()
