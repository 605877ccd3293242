#!/usr/bin/python3
"""auth.before-tls against a real Exim (issue 5): a plaintext authenticator
(PLAIN) advertised before TLS, and the same Exim advertising it only inside
TLS. One private daemon from Debian's packages, unpacked without installing
them (tests/integration/exim-sub.sh), on two ports of 127.0.0.1:

  bad   auth_advertise_hosts matches before TLS: AUTH in the plaintext EHLO
  good  only once $tls_in_cipher is set (Exim's documented idiom)

Started and stopped by tests/integration/mxexim.py (`exim4 -C CONF -bdf`,
stopped by its PID).
Exim has no routers or transports here and its RCPT ACL denies: nothing can
be delivered.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mxexim  # noqa: E402
import mxtest  # noqa: E402

USER = "mxsub"
SECRET = "s3cret-Exim-Pass"      # a throw-away test password; must never show

EXIM_CONF = r"""# tests/integration/test_submission_exim.py
tls_advertise_hosts = *
tls_certificate = @CERT@
tls_privatekey = @KEY@
auth_advertise_hosts = ${if or {{eq{$received_port}{@BAD@}}{!eq{$tls_in_cipher}{}}} {*}{}}
acl_smtp_rcpt = acl_check_rcpt

begin acl
acl_check_rcpt:
  deny message = nothing is delivered here

begin authenticators
plain_server:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = ${if and {{eq{$auth2}{@USER@}}{eq{$auth3}{@SECRET@}}}}
  server_set_id = $auth2
"""


def make_exim(directory, pki):
    bad = mxtest.free_port("127.0.0.1")
    good = mxtest.free_port("127.0.0.1")
    conf = EXIM_CONF
    for k, v in (("@BAD@", str(bad)), ("@CERT@", pki.leaf_chain), ("@KEY@", pki.leaf.key),
                 ("@USER@", USER), ("@SECRET@", SECRET)):
        conf = conf.replace(k, v)
    exim = mxexim.Exim(directory, [bad, good], conf)
    exim.bad, exim.good = bad, good
    return exim


class EximAuthTest(mxtest.MxTestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = mxtest.make_tempdir("mxtest-exim-sub-")
        cls.exim = None
        try:
            cls.pki = mxtest.Pki(os.path.join(cls.tmp, "pki"))
            for p in (cls.pki.leaf_chain, cls.pki.leaf.key):
                os.chmod(p, 0o644)   # Exim reads them as Debian-exim
            cls.exim = make_exim(os.path.join(cls.tmp, "exim"), cls.pki).start()
            cls.pwfile = os.path.join(cls.tmp, "password")
            with open(cls.pwfile, "w") as f:
                f.write(SECRET + "\n")
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.exim is not None:
                cls.exim.stop()
        finally:
            mxtest.remove_tempdir(cls.tmp)

    def check(self, port, *extra):
        res = mxtest.run_mxprobe(["check", "--format", "json", "--timeout", "10", "--probes", "starttls,auth"]
                                 + list(extra) + ["submission://127.0.0.1:%d" % port])
        self.assertNotCrashed(res)
        self.assertIsNotNone(res.json, res.describe())
        for text in (res.stdout, res.stderr):
            self.assertNotIn(SECRET, text, res.describe())
        return res

    def test_plaintext_authenticator_before_tls(self):
        res = self.check(self.exim.bad)
        f = self.assertFinding(res, "auth.before-tls", "fail")
        self.assertEq(res, (f.get("evidence") or {}).get("mechanisms_plain"), "PLAIN", "mechanisms before TLS")
        self.assertExit(res, 1)

    def test_authenticator_only_inside_tls(self):
        res = self.check(self.exim.good, "--auth-user", USER, "--auth-password-file", self.pwfile,
                         "--ca-file", self.pki.root.cert)
        self.assertFinding(res, "auth.after-tls", "pass")
        self.assertNoFinding(res, "auth.before-tls")
        self.assertFinding(res, "auth.succeeded", "pass")
        self.assertExit(res, 0)


if __name__ == "__main__":
    mxtest.main()
