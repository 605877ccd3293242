#!/usr/bin/python3
"""--policy-file (partner domains, each at its own level), MX hosts shared by
several domains probed once, and the Exchange-style domain-secure counters
in --format prometheus, against Debian's unbound and the standard Postfix.

Zones (unbound, local-data only):

  partner.example   MX 10 mail.test.example -> tls-good
  fabrikam.example  MX 10 mail.test.example -> tls-good
  third.example     MX 10 mail.test.example -> tls-good
  fourth.example    MX 10 mail.test.example -> tls-good

tls-good asks for no client certificate and its certificate names
mail.test.example only: partner.example at domain-secure fails, fabrikam
at verify passes; third and fourth (the run's own level) share one probe.
"""

import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mxtest  # noqa: E402
from test_domain import Unbound  # noqa: E402

DOMAINS = ("partner.example", "fabrikam.example", "third.example", "fourth.example")


class Partners(mxtest.MxTestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = mxtest.make_tempdir("mxtest-partners-")
        cls.dns = None
        try:
            cls.pki, cls.pf = mxtest.start_standard_postfix(cls.tmp)
            good = cls.pf.cases["tls-good"].addr
            zones = {d: ["%s. IN MX 10 %s." % (d, mxtest.LEAF_NAME)] for d in DOMAINS}
            zones["test.example"] = ["%s. IN A %s" % (mxtest.LEAF_NAME, good)]
            dns_dir = os.path.join(cls.tmp, "unbound")
            os.makedirs(dns_dir)
            cls.dns = Unbound(dns_dir, zones).start()
        except BaseException:
            if cls.dns:
                cls.dns.stop()
            if getattr(cls, "pf", None):
                cls.pf.__exit__(None, None, None)
            mxtest.remove_tempdir(cls.tmp)
            raise
        cls.policy = os.path.join(cls.tmp, "partners.conf")
        with open(cls.policy, "w") as f:
            f.write("# partner            level\n"
                    "partner.example      domain-secure\n"
                    "fabrikam.example     verify   name=%s\n" % mxtest.LEAF_NAME)
        cls.targets = os.path.join(cls.tmp, "targets.txt")
        with open(cls.targets, "w") as f:
            f.write("domain:fourth.example\n")

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.dns:
                cls.dns.stop()
            cls.pf.__exit__(None, None, None)
        finally:
            mxtest.remove_tempdir(cls.tmp)

    def probe(self, *args, fmt="json"):
        return mxtest.run_mxprobe(["check", "--format", fmt, "--timeout", "5", "--ca-file",
                                   self.pki.root.cert, "--resolver", self.dns.resolver,
                                   "--revocation", "off"] + list(args), timeout=120)

    def domain(self, doc, name):
        for d in doc["domains"]:
            if d["domain"] == name:
                return d
        self.fail("no domain %s" % name)

    def test_each_partner_at_its_level(self):
        res = self.probe("--policy-file", self.policy, "--domain", "third.example",
                         "--targets-file", self.targets)
        self.assertExit(res, 1)
        doc = res.json
        partner = self.domain(doc, "partner.example")
        self.assertEqual(partner["policy"], "domain-secure")
        self.assertEqual(partner["verdict"], "fail", partner)
        fabrikam = self.domain(doc, "fabrikam.example")
        self.assertEqual(fabrikam["policy"], "verify")
        self.assertEqual(fabrikam["verdict"], "pass", fabrikam)
        for name in ("third.example", "fourth.example"):
            d = self.domain(doc, name)
            self.assertEqual(d["policy"], "encrypt")
            self.assertEqual(d["verdict"], "pass", d)
        # One MX address, three questions: the partner's (domain-secure),
        # fabrikam's (verify, its names), and the run's own level shared by
        # third and fourth.
        idx = {name: self.domain(doc, name)["mx"][0]["addresses"][0]["target"] for name in DOMAINS}
        self.assertEqual(idx["third.example"], idx["fourth.example"])
        self.assertEqual(len(set(idx.values())), 3, idx)
        self.assertEqual(len(doc["targets"]), 3)
        # The partner's probe ran at its level: the missing client-certificate
        # request fails there and nowhere else.
        t = doc["targets"][idx["partner.example"]]
        self.assertEqual(t["domain"], "partner.example")
        sev = {f["id"]: f["severity"] for p in t["probes"] for f in p["findings"]}
        self.assertEqual(sev.get("mtls.not-requested"), "fail", sev)
        t = doc["targets"][idx["third.example"]]
        sev = {f["id"]: f["severity"] for p in t["probes"] for f in p["findings"]}
        self.assertNotEqual(sev.get("mtls.not-requested"), "fail", sev)

    def test_prometheus_domain_secure_counters(self):
        res = self.probe("--policy-file", self.policy, "--domain", "third.example",
                         fmt="prometheus")
        check = subprocess.run(["promtool", "check", "metrics"], input=res.stdout, text=True,
                               capture_output=True, timeout=30)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr + res.stdout)
        out = res.stdout
        self.assertIn("# TYPE mxprobe_domain_secure_sessions_total counter", out)
        self.assertIn('mxprobe_domain_secure_sessions_total{domain="partner.example",result="ok"} 0',
                      out)
        self.assertIn('mxprobe_domain_secure_sessions_total{domain="partner.example",'
                      'result="failed"} 1', out)
        self.assertIn('mxprobe_domain_pass{domain="fabrikam.example",policy="verify"} 1', out)
        self.assertIn('mxprobe_domain_pass{domain="partner.example",policy="domain-secure"} 0',
                      out)

    def test_jsonl_domain_lines(self):
        res = self.probe("--policy-file", self.policy, "--domain", "third.example", fmt="jsonl")
        lines = [json.loads(x) for x in res.stdout.splitlines()]
        for d in lines:
            mxtest.validate_json(d)
        targets = [d for d in lines if d["targets"]]
        domains = [d for d in lines if d["domains"]]
        self.assertEqual(len(targets), 3)
        self.assertEqual([d["domains"][0]["domain"] for d in domains],
                         ["partner.example", "fabrikam.example", "third.example"])
        self.assertEqual(lines[:3], targets, "targets first, then domains")

    def test_policy_file_errors_before_any_connection(self):
        bad = os.path.join(self.tmp, "bad.conf")
        with open(bad, "w") as f:
            f.write("fabrikam.example verify\npartner.example  strict\n")
        mark = self.pf.mark_log()
        res = self.probe("--policy-file", bad)
        self.assertExit(res, 2)
        self.assertRegex(res.stderr, r"%s:2:18: expected a level: none, may, dane, encrypt"
                         % re.escape(bad))
        self.assertEqual(res.stdout, "")
        self.assertEqual(self.pf.count_connects(self.pf.cases["tls-good"], mark), 0)


if __name__ == "__main__":
    import unittest
    unittest.main(verbosity=2)
