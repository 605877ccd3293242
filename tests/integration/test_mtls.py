#!/usr/bin/python3
"""Mutual TLS against a real, private Postfix on loopback (issue 4, items 1,
2 and 6): the mtls probe and our client certificate.

The server has the usual test PKI (mxtest.Pki); the partner, the sender whose
certificate we present, has its own (mxtest.PartnerPki).  Postfix services:
smtpd_tls_ask_ccert (optional; smtpd_tls_CAfile = the partner root, which is
where Postfix takes the CA names of its CertificateRequest from) and
smtpd_tls_req_ccert (required; Postfix needs security level encrypt for it),
each in TLS 1.3 and limited to TLS 1.2, and a service that asks for nothing.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mxtest  # noqa: E402

PARTNER_CA = "CN=Partner Bank Root CA,O=Partner Bank"
NO_TLS13 = "<=TLSv1.2"


def mtls_cases(pki, partner):
    base = {"smtpd_tls_chain_files": pki.leaf_full}

    def case(name, **kw):
        o = dict(base)
        o.update(kw)
        o["syslog_name"] = "postfix-" + name
        return mxtest.PostfixCase(name, o)

    ask = {"smtpd_tls_security_level": "may", "smtpd_tls_ask_ccert": "yes",
           "smtpd_tls_CAfile": partner.root.cert}
    req = {"smtpd_tls_security_level": "encrypt", "smtpd_tls_ask_ccert": "yes",
           "smtpd_tls_req_ccert": "yes", "smtpd_tls_CAfile": partner.root.cert}
    return [
        case("no-ask", smtpd_tls_security_level="may"),
        case("ask", **ask),
        case("ask-12", smtpd_tls_protocols=NO_TLS13, **ask),
        case("req", **req),
        case("req-12", smtpd_tls_mandatory_protocols=NO_TLS13, smtpd_tls_protocols=NO_TLS13, **req),
    ]


class MtlsTest(mxtest.MxTestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = mxtest.make_tempdir("mxtest-mtls-")
        try:
            cls.pki = mxtest.Pki(os.path.join(cls.tmp, "pki"))
            cls.partner = mxtest.PartnerPki(os.path.join(cls.tmp, "partner"))
            pfdir = os.path.join(cls.tmp, "postfix")
            os.makedirs(pfdir)
            os.chmod(pfdir, 0o755)
            cls.pf = mxtest.Postfix(pfdir, mtls_cases(cls.pki, cls.partner))
            cls.pf.__enter__()
        except BaseException:
            mxtest.remove_tempdir(cls.tmp)
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.pf.__exit__(None, None, None)
        finally:
            mxtest.remove_tempdir(cls.tmp)

    # --timeout 4 (plenty on loopback): the pause mxprobe keeps between
    # connections to a server that said 421 is half the step timeout, and
    # Postfix's "421 No client certificate presented" starts it; at 10 s
    # every case with a second session waited 5 s for nothing under test.
    def check(self, case, *extra, fmt="json", env=None):
        args = ["check", "--format", fmt, "--timeout", "4", "--probes", "starttls,mtls"]
        args += list(extra) + [self.pf.cases[case].target]
        return mxprobe_checked(self, args, env)

    def with_client(self, cert):
        return ("--client-cert", cert.cert, "--client-key", cert.key)

    def assertNoSecret(self, res):
        for text in (res.stdout, res.stderr):
            self.assertNotIn(mxtest.PartnerPki.PASSWORD, text, res.describe())
            self.assertNotIn("PRIVATE KEY", text, res.describe())

    # -- what the server asks for

    def test_not_requested(self):
        res = self.check("no-ask")
        self.assertExit(res, 0)
        self.assertFinding(res, "mtls.not-requested", "info")
        self.assertNoFinding(res, "mtls.requested")
        self.assertEq(res, res.target["connections"], 1, "one connection: the standard session only")
        res = self.check("no-ask", "--policy", "domain-secure")
        self.assertFinding(res, "mtls.not-requested", "fail")
        self.assertExit(res, 1)

    def test_optional_lists_ca_names_tls13_and_tls12(self):
        for case, proto in (("ask", "TLS1.3"), ("ask-12", "TLS1.2")):
            res = self.check(case)
            self.assertExit(res, 0)
            self.assertEq(res, res.session["tls"]["protocol"], proto, case)
            req = res.session["client_cert_request"]
            self.assertEq(res, req["ca_names"], [PARTNER_CA], case + ": CA names")
            self.assertTrueIn(res, len(req["certificate_types"]) > 0 or proto == "TLS1.3",
                              case + ": certificate types")
            self.assertTrueIn(res, len(req["signature_algorithms"]) > 0, case + ": signature algorithms")
            f = self.assertFinding(res, "mtls.requested", "info")
            self.assertEq(res, f["evidence"]["ca_names"], PARTNER_CA)
            f = self.assertFinding(res, "mtls.optional", "info")
            self.assertNoFinding(res, "mtls.required")
            self.assertFinding(res, "mtls.no-client-cert", "info")
            self.assertEq(res, res.target["connections"], 1, case + ": no further session without --client-cert")

    def test_required_tls13_and_tls12(self):
        for case, proto in (("req", "TLS1.3"), ("req-12", "TLS1.2")):
            res = self.check(case)
            self.assertEq(res, res.session["tls"]["protocol"], proto, case)
            self.assertFinding(res, "mtls.requested", "info")
            f = self.assertFinding(res, "mtls.required", "info")
            self.assertNoFinding(res, "mtls.optional")
            # Postfix completes the handshake and refuses the first command.
            self.assertIn("No client certificate presented", f["evidence"]["without_certificate"],
                          res.describe())
            self.assertEq(res, f["evidence"]["outcome"], "refused-after-handshake", case)

    # -- our certificate

    def test_accepted_when_required(self):
        for case in ("req", "req-12"):
            res = self.check(case, *self.with_client(self.partner.client))
            self.assertExit(res, 0)
            self.assertFinding(res, "mtls.required", "info")
            self.assertFinding(res, "mtls.accepted", "pass")
            self.assertFinding(res, "mtls.client-cert-issuer-requested", "pass")
            self.assertNoFinding(res, "mtls.rejected")
            self.assertEq(res, res.target["connections"], 2, case + ": standard session + one with our certificate")
            self.assertNoSecret(res)

    def test_required_and_met_with_every_probe(self):
        # Without --probes: the diagnosis of the certificate-less session is
        # information once our certificate went through; nothing fails.
        args = ["check", "--format", "json", "--timeout", "4", "--ca-file", self.pki.root.cert,
                "--sni", "mail.test.example"] + list(self.with_client(self.partner.client))
        res = mxprobe_checked(self, args + [self.pf.cases["req"].target], None)
        self.assertExit(res, 0)
        self.assertFinding(res, "mtls.accepted", "pass")
        f = self.assertFinding(res, "diag.ehlo-tls", "info")
        self.assertIn("our client certificate went through", f["detail"], res.describe())
        # The injection probe's connection (no client certificate) gets
        # Postfix's 421 inside TLS: a refusal, not an answer to the NOOP.
        self.assertNoFinding(res, "injection.vulnerable")
        self.assertFinding(res, "injection.not-tested", "error")
        # Without our certificate the same server fails the default policy.
        res = mxprobe_checked(self, args[:-4] + [self.pf.cases["req"].target], None)
        self.assertExit(res, 1)
        self.assertFinding(res, "diag.ehlo-tls", "fail")

    def test_accepted_when_optional(self):
        res = self.check("ask", *self.with_client(self.partner.client))
        self.assertExit(res, 0)
        self.assertFinding(res, "mtls.optional", "info")
        self.assertFinding(res, "mtls.accepted", "pass")
        # The JSON names the certificate we presented.
        cc = res.target["client_chain"]
        self.assertTrue(cc, "client_chain is empty\n" + res.describe())
        self.assertEq(res, cc[0]["sha1"], self.partner.client.sha1, "our certificate's thumbprint")

    def test_rejected_other_ca(self):
        for case in ("req", "req-12"):
            res = self.check(case, *self.with_client(self.partner.client_other),
                             "--policy", "domain-secure")
            f = self.assertFinding(res, "mtls.rejected", "fail")
            self.assertIn("not trusted", f["evidence"]["with_certificate"], res.describe())
            f = self.assertFinding(res, "mtls.client-cert-issuer-not-requested", "fail")
            self.assertIn("Elsewhere Root CA", f["evidence"]["our_issuers"], res.describe())
            self.assertEq(res, f["evidence"]["ca_names"], PARTNER_CA)
            self.assertExit(res, 1)

    def test_expired_and_no_clientauth(self):
        res = self.check("ask", *self.with_client(self.partner.client_expired))
        self.assertFinding(res, "mtls.client-cert-expired", "warn")
        res = self.check("ask", *self.with_client(self.partner.client_noauth), "--policy", "domain-secure")
        self.assertFinding(res, "mtls.client-cert-no-clientauth", "fail")
        self.assertNoFinding(res, "mtls.client-cert-expired")

    def test_pkcs12(self):
        res = self.check("req", "--pkcs12", self.partner.p12,
                         "--pkcs12-password-file", self.partner.password_file)
        self.assertExit(res, 0)
        self.assertFinding(res, "mtls.accepted", "pass")
        self.assertNoSecret(res)
        res = self.check("req", "--pkcs12", self.partner.p12,
                         env={"MXPROBE_PKCS12_PASSWORD": mxtest.PartnerPki.PASSWORD})
        self.assertExit(res, 0)
        self.assertFinding(res, "mtls.accepted", "pass")
        self.assertNoSecret(res)

    def test_pkcs12_errors(self):
        target = self.pf.cases["req"].target
        for args, env, word in (
                (["--pkcs12", self.partner.p12, "--pkcs12-password-file", self.partner.wrong_password_file],
                 None, "wrong password"),
                (["--pkcs12", self.partner.p12], {"MXPROBE_PKCS12_PASSWORD": None}, "wrong password"),
                (["--pkcs12", self.partner.p12_corrupt, "--pkcs12-password-file", self.partner.password_file],
                 None, "not a PKCS#12"),
                (["--pkcs12", self.partner.client.cert, "--pkcs12-password-file", self.partner.password_file],
                 None, "not a PKCS#12"),
                (["--client-cert", self.partner.client.cert], None, "go together"),
                (["--client-cert", self.partner.client.cert, "--client-key", self.partner.client.cert],
                 None, "private key")):
            res = mxtest.run_mxprobe(["check", "--format", "json"] + args + [target], env=env)
            self.assertExit(res, 2)
            self.assertEq(res, res.stdout, "", "nothing on standard output")
            lines = res.stderr.strip().splitlines()
            self.assertEq(res, len(lines), 1, "one line of error")
            self.assertIn(word, lines[0], res.describe())
            self.assertNoSecret(res)

    def test_no_password_flag(self):
        res = mxtest.run_mxprobe(["check", "--pkcs12", self.partner.p12, "--pkcs12-password",
                                  mxtest.PartnerPki.PASSWORD, self.pf.cases["req"].target])
        self.assertExit(res, 2)

    # -- the outputs

    def test_log_and_text(self):
        res = self.check("req", *self.with_client(self.partner.client), fmt="log")
        self.assertExit(res, 0)
        lines = res.stdout.splitlines()
        self.assertIn("*Sending certificate", lines, res.describe())
        i = lines.index("*Sending certificate")
        self.assertEq(res, lines[i + 1], "*CN=relay.partner.example, O=Partner Bank, Certificate subject")
        self.assertEq(res, lines[i + 2], "*CN=Partner Bank Root CA, O=Partner Bank, Certificate issuer name")
        self.assertEq(res, lines[i + 4], "*%s, Certificate thumbprint" % self.partner.client.sha1)
        self.assertEq(res, lines[i + 6], "*Received certificate")
        self.assertIn("*%s, Certificate thumbprint" % self.pki.leaf.sha1, lines, res.describe())
        res = self.check("req", *self.with_client(self.partner.client_other), fmt="text")
        self.assertIn("mtls.rejected", res.stdout, res.describe())
        self.assertIn("Partner Bank Root CA", res.stdout, res.describe())


def mxprobe_checked(tc, args, env):
    res = mxtest.run_mxprobe(args, env=env)
    tc.assertNotCrashed(res)
    return res


if __name__ == "__main__":
    mxtest.main()
