#!/usr/bin/python3
"""auth.before-tls against a real Exim (issue 5): a plaintext authenticator
(PLAIN) advertised before TLS, and the same Exim advertising it only inside
TLS. One private daemon from Debian's packages, unpacked without installing
them (tests/integration/exim-sub.sh), on two ports of 127.0.0.1:

  bad   auth_advertise_hosts matches before TLS: AUTH in the plaintext EHLO
  good  only once $tls_in_cipher is set (Exim's documented idiom)

Started with `exim4 -C CONF -bd`, stopped by the PID in its pid file.
Exim has no routers or transports here and its RCPT ACL denies: nothing can
be delivered.
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mxtest  # noqa: E402

USER = "mxsub"
SECRET = "s3cret-Exim-Pass"      # a throw-away test password; must never show
HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.environ.get("MXTEST_EXIM_CACHE", os.path.join("/tmp", "mxtest-exim-cache"))

EXIM_CONF = r"""# tests/integration/test_submission_exim.py
primary_hostname = @HOST@
spool_directory = @DIR@/spool
log_file_path = @DIR@/log/%slog
pid_file_path = @DIR@/exim.pid
local_interfaces = <; 127.0.0.1.@BAD@ ; 127.0.0.1.@GOOD@
tls_advertise_hosts = *
tls_certificate = @CERT@
tls_privatekey = @KEY@
auth_advertise_hosts = ${if or {{eq{$received_port}{@BAD@}}{!eq{$tls_in_cipher}{}}} {*}{}}
acl_smtp_rcpt = acl_check_rcpt
host_lookup =
rfc1413_hosts =
keep_environment =

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


class Exim:
    def __init__(self, directory, pki):
        out = subprocess.run(["sh", os.path.join(HERE, "exim-sub.sh"), CACHE], capture_output=True,
                             text=True, timeout=300)
        if out.returncode != 0:
            raise RuntimeError("exim-sub.sh failed: %s" % out.stderr)
        vals = dict(line.split("=", 1) for line in out.stdout.split())
        self.binary, self.libdir = vals["EXIM"], vals["LIBDIR"]
        self.dir = directory
        self.bad = mxtest.free_port("127.0.0.1")
        self.good = mxtest.free_port("127.0.0.1")
        for sub in ("spool", "log"):
            os.makedirs(os.path.join(directory, sub), exist_ok=True)
            subprocess.run(["chown", "Debian-exim:Debian-exim", os.path.join(directory, sub)], check=True)
        os.chmod(directory, 0o755)
        self.conf = os.path.join(directory, "exim.conf")
        with open(self.conf, "w") as f:
            conf = EXIM_CONF
            for k, v in (("@HOST@", mxtest.LEAF_NAME), ("@DIR@", directory), ("@BAD@", str(self.bad)),
                         ("@GOOD@", str(self.good)), ("@CERT@", pki.leaf_chain), ("@KEY@", pki.leaf.key),
                         ("@USER@", USER), ("@SECRET@", SECRET)):
                conf = conf.replace(k, v)
            f.write(conf)
        self.pid = None

    def start(self, deadline=10.0):
        env = dict(os.environ, LD_LIBRARY_PATH=self.libdir)
        proc = subprocess.run([self.binary, "-C", self.conf, "-bd"], env=env, capture_output=True,
                              text=True, timeout=deadline)
        if proc.returncode != 0:
            raise RuntimeError("exim -bd failed: %s%s" % (proc.stdout, proc.stderr))
        mxtest._live.add(self)
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            pid = mxtest._read_pid(os.path.join(self.dir, "exim.pid"))
            if pid and mxtest.port_open("127.0.0.1", self.bad) and mxtest.port_open("127.0.0.1", self.good):
                self.pid = pid
                return self
            time.sleep(0.05)
        raise RuntimeError("exim did not listen within %.0f s" % deadline)

    def stop(self):
        mxtest._live.discard(self)
        if self.pid is None:
            return
        if mxtest._alive(self.pid):
            os.kill(self.pid, 15)   # our own daemon, by its pid file
        end = time.monotonic() + 5
        while mxtest._alive(self.pid) and time.monotonic() < end:
            time.sleep(0.05)
        self.pid = None


class EximAuthTest(mxtest.MxTestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = mxtest.make_tempdir("mxtest-exim-sub-")
        cls.exim = None
        try:
            cls.pki = mxtest.Pki(os.path.join(cls.tmp, "pki"))
            for p in (cls.pki.leaf_chain, cls.pki.leaf.key):
                os.chmod(p, 0o644)   # Exim reads them as Debian-exim
            cls.exim = Exim(os.path.join(cls.tmp, "exim"), cls.pki).start()
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
        res = self.check(self.exim.good, "--auth-user", USER, "--auth-password-file", self.pwfile)
        self.assertFinding(res, "auth.after-tls", "pass")
        self.assertNoFinding(res, "auth.before-tls")
        self.assertFinding(res, "auth.succeeded", "pass")
        self.assertExit(res, 0)


if __name__ == "__main__":
    mxtest.main()
