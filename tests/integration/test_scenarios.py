#!/usr/bin/python3
"""mxprobe run: every scenario in scenarios/ against a real, private Postfix
on loopback, in its good and its bad configuration, plus the language's
promises (secrets redacted, FILE:LINE:COLUMN errors, fail apart from error).

One Postfix instance, one smtpd service per case (no delivery agent at all;
the mail-flow case hands accepted mail to the `discard` transport, so
nothing is ever delivered anywhere):

  good       STARTTLS offered (may), closed relay (reject_unauth_destination)
  none       no TLS at all
  encrypt    TLS required (smtpd_tls_security_level=encrypt): 530 to MAIL before STARTTLS
  mtls       TLS required and a client certificate from our test CA required
  openrelay  permit_mynetworks for 127.0.0.0/8: an open relay (never sent DATA)
  flow       accepts mail for flow.test.example (an inline access map) and discards it
             (content_filter=discard:)
"""

import base64
import glob
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mxtest  # noqa: E402

SCENARIOS = os.path.join(mxtest.SOURCE_DIR, "scenarios")
FLOW_DOMAIN = "flow.test.example"

# scenario file -> the test methods that run it (every file must be here)
COVERED = {
    "fope-tls.scn": ("test_fope_good", "test_fope_no_starttls"),
    "opportunistic-tls.scn": ("test_opportunistic_good", "test_opportunistic_no_starttls"),
    "forced-tls.scn": ("test_forced_good", "test_forced_no_starttls"),
    "domain-secure.scn": ("test_domain_secure_accepted", "test_domain_secure_untrusted_cert"),
    "submission-security.scn": ("test_submission_tls_required", "test_submission_tls_not_required"),
    "relay-check.scn": ("test_relay_closed", "test_relay_open"),
    "mail-flow.scn": ("test_mail_flow_queue_id",),
}

CASE_NAMES = ("good", "none", "encrypt", "mtls", "openrelay", "flow")


def cases(pki, client_ca):
    chain = {"smtpd_tls_chain_files": pki.leaf_full}
    return [
        mxtest.PostfixCase("good", dict(chain, smtpd_tls_security_level="may",
                                        syslog_name="postfix-scn-good")),
        mxtest.PostfixCase("none", {"smtpd_tls_security_level": "none",
                                    "syslog_name": "postfix-scn-none"}),
        mxtest.PostfixCase("encrypt", dict(chain, smtpd_tls_security_level="encrypt",
                                           syslog_name="postfix-scn-encrypt")),
        mxtest.PostfixCase("mtls", dict(chain, smtpd_tls_security_level="encrypt",
                                        smtpd_tls_ask_ccert="yes", smtpd_tls_req_ccert="yes",
                                        smtpd_tls_CAfile=client_ca,
                                        syslog_name="postfix-scn-mtls")),
        mxtest.PostfixCase("openrelay", dict(
            chain, smtpd_tls_security_level="may",
            smtpd_relay_restrictions="permit_mynetworks,reject_unauth_destination",
            smtpd_recipient_restrictions="permit_mynetworks,reject",
            smtpd_reject_unlisted_recipient="no",
            content_filter="discard:",
            syslog_name="postfix-scn-openrelay")),
        mxtest.PostfixCase("flow", dict(
            chain, smtpd_tls_security_level="may",
            smtpd_relay_restrictions="check_recipient_access,inline:{%s=OK},reject" % FLOW_DOMAIN,
            smtpd_recipient_restrictions="permit",
            smtpd_reject_unlisted_recipient="no",
            content_filter="discard:",
            syslog_name="postfix-scn-flow")),
    ]


class Scenarios(mxtest.MxTestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = mxtest.make_tempdir("mxtest-scenarios-")
        block = None
        try:
            block = mxtest.Block(len(CASE_NAMES))
            addrs = block.addrs(len(CASE_NAMES))
            cls.pki = mxtest.Pki(os.path.join(cls.tmp, "pki"), ips=["127.0.0.1"] + addrs)
            pki = cls.pki
            # Our client certificate for the domain-secure check: issued by the
            # test intermediate with clientAuth; the server trusts the root.
            cls.client = pki._make("client", "/O=mxprobe tests/CN=mta.partner.test.example", pki.inter,
                                   ["basicConstraints=critical,CA:FALSE",
                                    "keyUsage=critical,digitalSignature",
                                    "extendedKeyUsage=clientAuth,serverAuth",
                                    "subjectAltName=DNS:mta.partner.test.example",
                                    "subjectKeyIdentifier=hash",
                                    "authorityKeyIdentifier=keyid"])
            cls.client_chain = pki._concat("client-chain.pem", [cls.client.cert, pki.inter.cert])
            # ... and one nobody trusts (self-signed).
            cls.stranger = pki._make("stranger", "/O=elsewhere/CN=stranger.test.example", None,
                                     ["basicConstraints=critical,CA:FALSE",
                                      "keyUsage=critical,digitalSignature",
                                      "extendedKeyUsage=clientAuth"])
            pfdir = os.path.join(cls.tmp, "postfix")
            os.makedirs(pfdir, exist_ok=True)
            os.chmod(pfdir, 0o755)
            cls.pf = mxtest.Postfix(pfdir, cases(pki, pki.root.cert), block=block)
            cls.pf.__enter__()
        except BaseException:
            if block is not None:
                block.release()
            mxtest.remove_tempdir(cls.tmp)
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.pf.__exit__(None, None, None)
        finally:
            mxtest.remove_tempdir(cls.tmp)

    # -- helpers

    def run_scn(self, scn, case, *extra, fmt="json"):
        path = scn if os.path.isabs(scn) else os.path.join(SCENARIOS, scn)
        return mxtest.run_mxprobe(["run", "--format", fmt, "--timeout", "10"] + list(extra)
                                  + [path, self.pf.cases[case].target])

    def probe(self, res):
        probes = res.target["probes"]
        self.assertEq(res, len(probes), 1, "one probe result per scenario")
        return probes[0]

    def sent(self, res):
        return [e["text"] for e in res.target["transcript"] if e["kind"] == "sent"]

    def evidence(self, finding):
        ev = finding.get("evidence") or {}
        if isinstance(ev, list):
            return {e.get("key"): e.get("value") for e in ev}
        return ev

    # -- every shipped scenario is run here

    def test_every_scenario_is_covered(self):
        shipped = sorted(os.path.basename(p) for p in glob.glob(os.path.join(SCENARIOS, "*.scn")))
        self.assertGreaterEqual(len(shipped), 7)
        for name in shipped:
            self.assertIn(name, COVERED, "scenarios/%s has no integration test" % name)
            for method in COVERED[name]:
                self.assertTrue(hasattr(self, method), method)

    # -- the FOPE manual STARTTLS check

    def test_fope_good(self):
        res = self.run_scn("fope-tls.scn", "good")
        self.assertExit(res, 0)
        p = self.probe(res)
        self.assertEq(res, p["name"], "fope-tls", "probe named after the scenario")
        self.assertFinding(res, "starttls.offered", "pass")
        self.assertFinding(res, "starttls.accepted", "pass")
        self.assertFinding(res, "scenario.passed", "pass")
        self.assertNoFinding(res, "starttls.reply-text")   # Postfix: "2.0.0 Ready to start TLS"
        s = res.session
        self.assertTrue(s["tls_ok"], res.describe())
        self.assertEq(res, s["starttls"]["reply"]["code"], 220, "STARTTLS reply")
        self.assertEq(res, self.sent(res), ["EHLO %s" % self.ehlo(res), "STARTTLS",
                                            "EHLO %s" % self.ehlo(res), "QUIT"], "the dialogue")
        self.assertEq(res, res.target["connections"], 1, "one connection")

    def ehlo(self, res):
        name = res.json["ehlo_name"]
        if name == "[address literal]":   # no FQDN here: RFC 5321 section 4.1.4
            return "[%s]" % res.session["local"].rsplit(":", 1)[0]
        return name

    def test_fope_no_starttls(self):
        res = self.run_scn("fope-tls.scn", "none")
        self.assertExit(res, 1)
        f = self.assertFinding(res, "starttls.missing", "fail")
        self.assertIn("STARTTLS", f["detail"], res.describe())
        self.assertNoFinding(res, "starttls.accepted")
        self.assertNoFinding(res, "scenario.passed")
        # stopped politely: QUIT after the unmet expectation, no STARTTLS sent
        self.assertNotIn("STARTTLS", self.sent(res), res.describe())
        self.assertEq(res, self.sent(res)[-1], "QUIT", "QUIT at the end")

    # -- opportunistic and forced TLS

    def test_opportunistic_good(self):
        res = self.run_scn("opportunistic-tls.scn", "good")
        self.assertExit(res, 0)
        self.assertFinding(res, "starttls.accepted", "pass")
        self.assertFinding(res, "scenario.passed", "pass")

    def test_opportunistic_no_starttls(self):
        res = self.run_scn("opportunistic-tls.scn", "none")
        self.assertExit(res, 0)                   # a warning does not fail the run
        self.assertFinding(res, "starttls.missing", "warn")

    def test_forced_good(self):
        res = self.run_scn("forced-tls.scn", "good")
        self.assertExit(res, 0)
        self.assertFinding(res, "starttls.accepted", "pass")
        self.assertIn(res.session["tls"]["protocol"], ("TLS1.2", "TLS1.3"), res.describe())

    def test_forced_no_starttls(self):
        res = self.run_scn("forced-tls.scn", "none")
        self.assertExit(res, 1)
        self.assertFinding(res, "starttls.missing", "fail")

    # -- domain-secure partner check (mutual TLS)

    def ds_vars(self, cert, key):
        return ["--var", "CLIENT_CERT=" + cert, "--var", "CLIENT_KEY=" + key,
                "--var", "PARTNER=" + mxtest.LEAF_NAME]

    def test_domain_secure_accepted(self):
        res = self.run_scn("domain-secure.scn", "mtls", *self.ds_vars(self.client_chain, self.client.key))
        self.assertExit(res, 0)
        self.assertFinding(res, "mtls.accepted", "pass")
        self.assertEq(res, res.session["tls"]["sni"], mxtest.LEAF_NAME, "SNI from ${PARTNER}")

    def test_domain_secure_untrusted_cert(self):
        res = self.run_scn("domain-secure.scn", "mtls", *self.ds_vars(self.stranger.cert, self.stranger.key))
        self.assertExit(res, 1)
        f = self.assertFinding(res, "mtls.rejected", "fail")
        # Postfix: 421 4.7.1 ... Client certificate not trusted (TLS 1.3: after the handshake);
        # or the handshake itself fails (TLS 1.2)
        detail = f.get("detail") or ""
        self.assertTrue("421" in detail or "not trusted" in detail, res.describe())

    def test_domain_secure_needs_its_variables(self):
        res = mxtest.run_mxprobe(["run", os.path.join(SCENARIOS, "domain-secure.scn"),
                                  self.pf.cases["mtls"].target])
        self.assertExit(res, 2)
        self.assertRegex(res.stderr.strip(),
                         r"^\S*domain-secure\.scn:\d+:\d+: expected a variable defined by --var, set, "
                         r"env or secret, got \$\{CLIENT_CERT\}$")
        self.assertEq(res, res.stdout, "", "nothing probed")

    # -- submission security (KB823019)

    def test_submission_tls_required(self):
        res = self.run_scn("submission-security.scn", "encrypt")
        self.assertExit(res, 0)
        self.assertFinding(res, "auth.after-tls", "pass")
        f = self.assertFinding(res, "submission.tls-required", "pass")
        self.assertTrue(self.evidence(f).get("reply", "").startswith("530 5.7.0"), res.describe())
        self.assertFinding(res, "scenario.passed", "pass")

    def test_submission_tls_not_required(self):
        res = self.run_scn("submission-security.scn", "good")
        self.assertExit(res, 1)
        f = self.assertFinding(res, "submission.tls-not-required", "fail")
        self.assertTrue(self.evidence(f).get("reply", "").startswith("250"), res.describe())
        # `continue`: the rest ran (RSET, STARTTLS inside)
        self.assertIn("RSET", self.sent(res), res.describe())
        self.assertTrue(res.session["tls_ok"], res.describe())
        self.assertNoFinding(res, "scenario.passed")

    # -- relay check

    def relay_common(self, res):
        sent = self.sent(res)
        self.assertNotIn("DATA", sent, "never DATA\n" + res.describe())
        self.assertTrue(any(s.startswith("RCPT TO:<mxprobe-relay-test@example.com>") for s in sent),
                        res.describe())
        self.assertEq(res, sent[-2:], ["RSET", "QUIT"], "RSET and QUIT after the RCPT")

    def test_relay_closed(self):
        res = self.run_scn("relay-check.scn", "good")
        self.assertExit(res, 0)
        f = self.assertFinding(res, "relay.refused", "pass")
        self.assertRegex(self.evidence(f).get("reply", ""), r"^5\d\d 5\.7\.1 .*Relay access denied")
        self.relay_common(res)

    def test_relay_open(self):
        mark = self.pf.mark_log()
        res = self.run_scn("relay-check.scn", "openrelay", "--var", "OUTSIDE=example.com")
        self.assertExit(res, 1)
        f = self.assertFinding(res, "relay.open", "fail")
        self.assertTrue(self.evidence(f).get("reply", "").startswith("250"), res.describe())
        self.relay_common(res)
        self.pf.wait_log(mark, self.pf.cases["openrelay"])
        self.assertNotIn("queued as", self.pf.log_since(mark), "nothing was queued")

    # -- mail flow

    def test_mail_flow_queue_id(self):
        mark = self.pf.mark_log()
        res = self.run_scn("mail-flow.scn", "flow", "--var", "RCPT=postmaster@" + FLOW_DOMAIN)
        self.assertExit(res, 0)
        f = self.assertFinding(res, "mailflow.queued", "pass")
        qid = self.evidence(f).get("queue-id")
        self.assertTrue(qid and re.match(r"^[0-9A-Za-z]+$", qid), res.describe())
        self.assertIn("queued as " + qid, self.evidence(f).get("reply", ""), res.describe())
        self.pf.wait_log(mark, self.pf.cases["flow"])
        log = self.pf.log_since(mark)
        self.assertIn("%s: message-id=<mxprobe." % qid, log, "the queue id is Postfix's\n" + log)
        # the text report shows it too (details of passes with -v)
        text = self.run_scn("mail-flow.scn", "flow", "-v", "--var", "RCPT=postmaster@" + FLOW_DOMAIN, fmt="text")
        self.assertExit(text, 0)
        self.assertRegex(text.stdout, r"queue id [0-9A-Za-z]+\n", text.describe())
        self.assertEq(res, f["detail"], "queue id " + qid, "the detail names it")

    # -- the language's promises

    def scenario_file(self, text):
        fd, path = tempfile.mkstemp(suffix=".scn", dir=self.tmp)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        return path

    def test_secret_never_shown(self):
        secret = "Very-s3cret-pw"
        pw_file = self.scenario_file(secret + "\n")
        path = self.scenario_file(
            "secret PW from %s\nconnect\nexpect 220\nehlo\nexpect 250\nstarttls\nehlo\n"
            "auth plain someone@test.example ${PW}\n"
            "expect 235 else info auth.refused \"AUTH refused\" continue\nquit\n" % pw_file)
        b64 = base64.b64encode(b"\0someone@test.example\0" + secret.encode()).decode()
        for fmt, extra in (("json", ()), ("text", ("-v",)), ("log", ())):
            # The test CA: the server authenticates, so auth may send (issue 8).
            res = self.run_scn(path, "good", "--ca-file", self.pki.root.cert, *extra, fmt=fmt)
            self.assertExit(res, 0)
            for bad in (secret, b64, b64[:16]):
                self.assertNotIn(bad, res.stdout + res.stderr, "%s shows the secret" % fmt)
            self.assertIn("AUTH PLAIN <redacted>", res.stdout, res.describe())

    def test_parse_error(self):
        path = self.scenario_file("connect\nexpect 2500\n")
        res = mxtest.run_mxprobe(["run", "--format", "json", path, self.pf.cases["good"].target])
        self.assertExit(res, 2)
        self.assertEq(res, res.stderr, "%s:2:8: expected a reply code such as 250, 2xx, 25x or 4xx,5xx, "
                      "got \"2500\"\n" % path, "one line")
        self.assertEq(res, res.stdout, "", "nothing probed")

    def test_usage_errors(self):
        for args, msg in ((["run"], "run needs a scenario file"),
                          (["run", os.path.join(SCENARIOS, "fope-tls.scn")], "run needs at least one target"),
                          (["run", "--var", "1X=y", "a.scn", "x"], "--var '1X=y'"),
                          (["run", "/nonexistent.scn", "127.0.0.1"], "/nonexistent.scn")):
            res = mxtest.run_mxprobe(args)
            self.assertExit(res, 2)
            self.assertIn(msg, res.stderr, res.describe())
            self.assertEq(res, res.stderr.count("\n"), 1, "one line")

    def test_error_is_not_fail(self):
        # A port where nothing listens: the tester could not test (exit 3).
        port = mxtest.free_port("127.0.0.1")
        res = mxtest.run_mxprobe(["run", "--format", "json", os.path.join(SCENARIOS, "relay-check.scn"),
                                  "127.0.0.1:%d" % port])
        self.assertExit(res, 3)
        self.assertFinding(res, "scenario.error", "error")
        self.assertEq(res, res.target["status"], "untestable", "status")
        # An unmet expectation without `else` is a failure of the server (exit 1).
        path = self.scenario_file("connect\nexpect 554\nquit\n")
        res = self.run_scn(path, "good")
        self.assertExit(res, 1)
        f = self.assertFinding(res, "scenario.expect-failed", "fail")
        self.assertIn("expected 554, got 220", f["detail"], res.describe())


if __name__ == "__main__":
    mxtest.main()
