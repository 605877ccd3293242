#!/usr/bin/python3
"""The other dialects against Debian's Dovecot, private and on loopback:
POP3 with STLS and on 995, IMAP with STARTTLS and on 993, LMTP with
STARTTLS.  Three instances (tests/integration/mxdovecot.py), each on its own
127.0.B.N with the standard ports and the test PKI's certificate:

  good      ssl = yes, disable_plaintext_auth = yes: LOGINDISABLED, no USER
  required  ssl = required, disable_plaintext_auth = no: IMAP says
            LOGINDISABLED, but POP3's CAPA still lists USER
  bad       ssl = yes, disable_plaintext_auth = no: LOGIN, AUTH=PLAIN, USER
            and SASL PLAIN before TLS

Every probe that makes sense runs on them: the STARTTLS/TLS judgement, the
certificate chain and expiry with --ca-file, mutual TLS, the diagnosis, and
the mailbox-login probe; the probes that speak SMTP themselves do not.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mxtest  # noqa: E402
import mxdovecot  # noqa: E402

SMTP_ONLY = {"auth", "stripping", "access", "require-tls", "relay", "injection"}


def recv_lines(target):
    return [e["text"] for e in target["transcript"] if e["kind"] == "recv"]


def sent_lines(target):
    return [e["text"] for e in target["transcript"] if e["kind"] == "sent"]


class DialectTests(mxtest.MxTestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = mxtest.make_tempdir("mxtest-dialects-")
        cls.block = mxtest.Block(3)
        good, required, bad = cls.block.addrs(3)
        cls.pki = mxtest.Pki(os.path.join(cls.tmp, "pki"), ips=(good, required, bad))
        cls.good = mxdovecot.Dovecot(os.path.join(cls.tmp, "good"), cls.pki, good, name="good")
        cls.required = mxdovecot.Dovecot(os.path.join(cls.tmp, "required"), cls.pki, required,
                                         name="required", ssl="required", plaintext_auth=True)
        cls.bad = mxdovecot.Dovecot(os.path.join(cls.tmp, "bad"), cls.pki, bad, name="bad",
                                    plaintext_auth=True)
        cls.started = []
        try:
            for dc in (cls.good, cls.required, cls.bad):
                dc.start()
                cls.started.append(dc)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for dc in cls.started:
            dc.stop()
        cls.block.release()
        mxtest.remove_tempdir(cls.tmp)

    def check(self, dc, scheme, *extra):
        res = mxtest.run_mxprobe(["check", "--format", "json", "--ca-file", self.pki.root.cert]
                                 + list(extra) + [dc.target(scheme)])
        self.assertNotCrashed(res)
        t = res.target
        names = {p["name"] for p in t["probes"]}
        self.assertTrueIn(res, not (names & SMTP_ONLY) or scheme == "lmtp",
                          "SMTP-only probes ran on %s: %s" % (scheme, names & SMTP_ONLY))
        return res

    def assertTlsGood(self, res):
        self.assertFinding(res, "tls.handshake", "pass")
        self.assertFinding(res, "cert.chain-valid", "pass")
        self.assertFinding(res, "cert.validity-ok", "pass")
        self.assertFinding(res, "mtls.not-requested")
        self.assertNoFinding(res, "diag.handshake")

    # ---- IMAP

    def test_imap_starttls_good(self):
        res = self.check(self.good, "imap")
        self.assertExit(res, 0)
        f = self.assertFinding(res, "starttls.offered", "pass")
        self.assertIn("CAPABILITY", f["title"])
        self.assertFinding(res, "starttls.accepted", "pass")
        self.assertTlsGood(res)
        self.assertFinding(res, "imap.login-disabled", "pass")
        self.assertNoFinding(res, "imap.login-before-tls")
        self.assertNoFinding(res, "imap.auth-plain-before-tls")
        t = res.target
        plain, tls = t["session"]["capabilities"]["plain"], t["session"]["capabilities"]["tls"]
        self.assertIn("LOGINDISABLED", plain["lines"], res.describe())
        self.assertTrueIn(res, plain["starttls"] and not plain["auth"], "plain caps")
        # inside TLS: login allowed, STARTTLS gone (RFC 3501 section 6.2.1)
        self.assertIn("PLAIN", tls["auth_mechanisms"], res.describe())
        self.assertTrueIn(res, not tls["starttls"], "STARTTLS inside TLS")
        self.assertNoFinding(res, "caps.starttls-after-tls")
        # the dialogue as spoken: tagged commands, greeting first
        self.assertEq(res, sent_lines(t)[:2], ["a1 CAPABILITY", "a2 STARTTLS"])
        self.assertIn("a3 CAPABILITY", sent_lines(t))
        self.assertIn("a4 LOGOUT", sent_lines(t))
        self.assertTrueIn(res, recv_lines(t)[0].startswith("* OK") and "mxtest good ready" in recv_lines(t)[0],
                          "greeting")
        # the session, and the handshake asking for the other key type
        self.assertEq(res, t["connections"], 2)

    def test_imap_starttls_bad(self):
        res = self.check(self.bad, "imap")
        self.assertExit(res, 1)
        self.assertFinding(res, "starttls.accepted", "pass")
        self.assertTlsGood(res)
        f = self.assertFinding(res, "imap.login-before-tls", "fail")
        self.assertIn("STARTTLS", f["evidence"]["capabilities_plain"])
        f = self.assertFinding(res, "imap.auth-plain-before-tls", "fail")
        self.assertIn("PLAIN", f["evidence"]["mechanisms_plain"])
        self.assertNoFinding(res, "imap.login-disabled")
        # below encrypt the same is a warning
        res = self.check(self.bad, "imap", "--policy", "may")
        self.assertFinding(res, "imap.login-before-tls", "warn")
        self.assertFinding(res, "imap.auth-plain-before-tls", "warn")
        self.assertExit(res, 0)

    def test_imap_ssl_required(self):
        res = self.check(self.required, "imap")
        self.assertExit(res, 0)
        self.assertFinding(res, "imap.login-disabled", "pass")
        self.assertNoFinding(res, "imap.auth-plain-before-tls")

    def test_imaps(self):
        res = self.check(self.bad, "imaps")
        self.assertExit(res, 0)
        self.assertFinding(res, "tls.implicit", "info")
        self.assertTlsGood(res)
        self.assertNoFinding(res, "starttls.offered")
        # no cleartext phase: nothing to say about logins in clear
        self.assertNoFinding(res, "imap.login-before-tls")
        t = res.target
        self.assertTrueIn(res, t["session"]["capabilities"]["tls"]["auth"], "AUTH inside TLS")
        self.assertTrueIn(res, recv_lines(t)[0].startswith("* OK"), "greeting inside TLS")

    # ---- POP3

    def test_pop3_stls_good(self):
        res = self.check(self.good, "pop3")
        self.assertExit(res, 0)
        f = self.assertFinding(res, "starttls.offered", "pass")
        self.assertIn("STLS", f["title"])
        f = self.assertFinding(res, "starttls.accepted", "pass")
        self.assertIn("+OK", f["evidence"]["reply"])
        self.assertTlsGood(res)
        self.assertFinding(res, "pop3.login-after-tls", "pass")
        self.assertNoFinding(res, "pop3.user-before-tls")
        t = res.target
        # then the handshake that asks for an RSA certificate, which this
        # server (ECDSA only) refuses
        self.assertEq(res, sent_lines(t), ["CAPA", "STLS", "CAPA", "QUIT", "CAPA", "STLS"])
        plain, tls = t["session"]["capabilities"]["plain"], t["session"]["capabilities"]["tls"]
        self.assertTrueIn(res, "USER" not in plain["lines"] and "USER" in tls["lines"], "USER only inside TLS")
        self.assertTrueIn(res, "STLS" in plain["lines"] and "STLS" not in tls["lines"], "STLS only before TLS")

    def test_pop3_stls_bad(self):
        res = self.check(self.bad, "pop3")
        self.assertExit(res, 1)
        self.assertFinding(res, "starttls.accepted", "pass")
        self.assertFinding(res, "pop3.user-before-tls", "fail")
        f = self.assertFinding(res, "pop3.sasl-plain-before-tls", "fail")
        self.assertIn("PLAIN", f["evidence"]["mechanisms_plain"])
        self.assertNoFinding(res, "pop3.login-after-tls")
        res = self.check(self.bad, "pop3", "--policy", "none")
        self.assertFinding(res, "pop3.user-before-tls", "warn")

    def test_pop3_ssl_required_still_lists_user(self):
        # Dovecot 2.3 with ssl = required (and disable_plaintext_auth = no)
        # refuses a login before STLS, but its CAPA still lists USER: a
        # client that believes it sends USER and PASS in clear, and the
        # password has crossed before the refusal comes.
        res = self.check(self.required, "pop3")
        self.assertExit(res, 1)
        self.assertFinding(res, "pop3.user-before-tls", "fail")
        self.assertNoFinding(res, "pop3.sasl-plain-before-tls")
        plain = res.target["session"]["capabilities"]["plain"]
        self.assertTrueIn(res, plain["auth"] and plain["auth_mechanisms"] == [], "an empty SASL line")

    def test_pop3s(self):
        res = self.check(self.good, "pop3s")
        self.assertExit(res, 0)
        self.assertFinding(res, "tls.implicit", "info")
        self.assertTlsGood(res)
        t = res.target
        self.assertTrueIn(res, recv_lines(t)[0].startswith("+OK"), "greeting inside TLS")
        self.assertEq(res, sent_lines(t), ["CAPA", "QUIT"])

    # ---- LMTP

    def test_lmtp_starttls(self):
        res = self.check(self.good, "lmtp")
        self.assertExit(res, 0)
        self.assertFinding(res, "starttls.offered", "pass")
        self.assertFinding(res, "starttls.accepted", "pass")
        self.assertTlsGood(res)
        t = res.target
        sent = sent_lines(t)
        self.assertTrueIn(res, sent[0].startswith("LHLO ") and sent[1] == "STARTTLS" and sent[2].startswith("LHLO "),
                          "LHLO, STARTTLS, LHLO")
        self.assertTrueIn(res, not any(s.startswith(("EHLO", "HELO")) for s in sent), "no EHLO/HELO in LMTP")
        self.assertEq(res, t["session"]["banner"]["code"], 220)

    # ---- the wrong dialect on a port

    def test_pop3_scheme_on_imap_port(self):
        res = mxtest.run_mxprobe(["check", "--format", "json", "pop3://%s:143" % self.good.addr])
        self.assertExit(res, 3)
        f = self.assertFinding(res, "diag.banner", "error")
        self.assertIn("* OK", f["evidence"]["received"])
        # The logins were never seen: not tested, never "no login in clear".
        f = self.assertFinding(res, "mailbox-login.not-tested", "error")
        self.assertEq(res, f["evidence"].get("stopped_at"), "banner", "stopped_at")
        self.assertNoFinding(res, "pop3.login-after-tls")


if __name__ == "__main__":
    mxtest.main()
