#!/usr/bin/python3
"""Submission security and connection control (issue 5, items 2 and 3)
against a real, private Postfix on loopback, with SASL through a private
Dovecot auth service, and the scripted test server for what no real MTA
does on purpose (STARTTLS injection, a stripped or name-dependent
STARTTLS).

Every check in its good and its bad configuration:
  auth.before-tls          sasl-any (smtpd_tls_auth_only = no)  / sasl-tls-only (yes)
  auth.succeeded/refused   a real AUTH PLAIN inside TLS with the right and a wrong password
  require-tls.*            require (smtpd_tls_security_level = encrypt) / relay-closed (may)
  relay.*                  relay-open (permit) / relay-closed (reject_unauth_destination)
  access.*, --source       access (check_client_access cidr rejecting 127.0.0.2,
                           smtpd_delay_reject = no): from 127.0.0.1 and from 127.0.0.2
  injection.*              Postfix / mxtestsrv injection-vulnerable
  starttls.stripped        Postfix / mxtestsrv strip-starttls and starttls-by-name
Nothing is ever delivered: the instance has no delivery services and DATA
is never sent.
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mxtest  # noqa: E402

USER = "mxsub"
SECRET = "s3cret-Sub-Pass"       # a throw-away test password; must never show
EXCLUDED = "127.0.0.2"           # the access case refuses this source

DOVECOT_AUTH_CONF = """\
# tests/integration/test_submission.py: a private Dovecot that only
# authenticates, for Postfix's smtpd_sasl_type = dovecot over loopback
base_dir = {dir}/run
state_dir = {dir}/state
instance_name = mxtest-sasl-{port}
log_path = {dir}/dovecot.log
protocols = none
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={dir}/home/%n
}}
service auth {{
  inet_listener {{
    address = {addr}
    port = {port}
  }}
}}
service doveadm {{
  inet_listener {{
    port = 0
  }}
}}
"""


class DovecotAuth:
    """Dovecot's auth service alone: `dovecot -c CONF`, stopped with
    `doveadm -c CONF stop` (or by its master PID), never by name."""

    def __init__(self, directory, addr="127.0.0.1"):
        self.dir = directory
        self.addr = addr
        self.port = mxtest.free_port(addr)
        for sub in ("run", "state", "home"):
            os.makedirs(os.path.join(directory, sub), exist_ok=True)
        os.chmod(directory, 0o755)
        with open(os.path.join(directory, "passwd"), "w") as f:
            f.write("%s:{PLAIN}%s\n" % (USER, SECRET))
        self.conf = os.path.join(directory, "dovecot.conf")
        with open(self.conf, "w") as f:
            f.write(DOVECOT_AUTH_CONF.format(dir=directory, addr=addr, port=self.port))
        self.pid = None

    @property
    def sasl_path(self):
        return "inet:%s:%d" % (self.addr, self.port)

    def start(self, deadline=10.0):
        with open(os.path.join(self.dir, "start.out"), "w") as out:
            proc = subprocess.run(["/usr/sbin/dovecot", "-c", self.conf], stdin=subprocess.DEVNULL,
                                  stdout=out, stderr=subprocess.STDOUT, timeout=deadline)
        if proc.returncode != 0:
            raise RuntimeError("dovecot -c %s failed: %s"
                               % (self.conf, open(os.path.join(self.dir, "start.out")).read()))
        mxtest._live.add(self)
        end = time.monotonic() + deadline
        pidfile = os.path.join(self.dir, "run", "master.pid")
        while time.monotonic() < end:
            if os.path.exists(pidfile) and mxtest.port_open(self.addr, self.port):
                self.pid = mxtest._read_pid(pidfile)
                return self
            time.sleep(0.05)
        raise RuntimeError("dovecot auth did not listen on %s:%d" % (self.addr, self.port))

    def stop(self):
        mxtest._live.discard(self)
        if self.pid is None:
            return
        mxtest.run(["doveadm", "-c", self.conf, "stop"], check=False, timeout=10)
        end = time.monotonic() + 5
        while mxtest._alive(self.pid) and time.monotonic() < end:
            time.sleep(0.05)
        if mxtest._alive(self.pid):
            os.kill(self.pid, 15)   # our own master, by its pid file
        self.pid = None


def submission_cases(pki, sasl_path, access_file):
    base = {"smtpd_tls_security_level": "may", "smtpd_tls_chain_files": pki.leaf_full}
    sasl = {"smtpd_sasl_auth_enable": "yes", "smtpd_sasl_type": "dovecot",
            "smtpd_sasl_path": sasl_path}

    def case(name, **kw):
        o = dict(base)
        o.update(kw)
        o["syslog_name"] = "postfix-" + name
        return mxtest.PostfixCase(name, o)

    return [
        case("sasl-tls-only", smtpd_tls_auth_only="yes", **sasl),
        case("sasl-any", smtpd_tls_auth_only="no", **sasl),
        # The classic open relay: "our network" too wide (mynetworks is
        # 127.0.0.0/8 in mxtest's main.cf, and we connect from loopback).
        # Its own trivial-rewrite resolves foreign domains to discard
        # instead of mxtest's error transport, which smtpd would refuse at
        # RCPT: the relay is open, and still nothing can leave (no DATA).
        case("relay-open", smtpd_relay_restrictions="permit_mynetworks,reject_unauth_destination",
             smtpd_recipient_restrictions="permit", rewrite_service_name="rewrite-open"),
        case("relay-closed"),
        case("require", smtpd_tls_security_level="encrypt"),
        case("access", smtpd_client_restrictions="check_client_access,cidr:" + access_file,
             smtpd_delay_reject="no"),
    ]


# The open-relay case's address resolver (see submission_cases).
REWRITE_OPEN = """\
rewrite-open unix -     -       n       -       -       trivial-rewrite
  -o default_transport=discard:open-relay-test
  -o relay_transport=discard:open-relay-test
"""


class SubmissionTest(mxtest.MxTestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = mxtest.make_tempdir("mxtest-sub-")
        cls.dc = None
        cls.pf = None
        try:
            cls.pki = mxtest.Pki(os.path.join(cls.tmp, "pki"))
            cls.dc = DovecotAuth(os.path.join(cls.tmp, "dovecot")).start()
            access = os.path.join(cls.tmp, "client_access.cidr")
            with open(access, "w") as f:
                f.write("%s/32 REJECT excluded by the mxprobe test\n" % EXCLUDED)
            os.chmod(access, 0o644)
            pfdir = os.path.join(cls.tmp, "postfix")
            os.makedirs(pfdir)
            os.chmod(pfdir, 0o755)
            if REWRITE_OPEN not in mxtest.MASTER_BASE:
                mxtest.MASTER_BASE += REWRITE_OPEN
            cls.pf = mxtest.Postfix(pfdir, submission_cases(cls.pki, cls.dc.sasl_path, access))
            cls.pf.__enter__()
            cls.pwfile = os.path.join(cls.tmp, "password")
            with open(cls.pwfile, "w") as f:
                f.write(SECRET + "\n")
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.pf is not None:
                cls.pf.__exit__(None, None, None)
            if cls.dc is not None:
                cls.dc.stop()
        finally:
            mxtest.remove_tempdir(cls.tmp)

    def target(self, case, scheme=None):
        t = self.pf.cases[case].target
        return "%s://%s" % (scheme, t) if scheme else t

    def check(self, target, *extra, env=None):
        args = ["check", "--format", "json", "--timeout", "10", "--ehlo", "probe.mxtest.example"]
        res = mxtest.run_mxprobe(args + list(extra) + [target], env=env)
        self.assertNotCrashed(res)
        self.assertIsNotNone(res.json, res.describe())
        return res

    def trusted(self):
        """The test CA and the name its leaf covers: the server authenticates,
        so AUTH may be sent (issue 8)."""
        return ["--ca-file", self.pki.root.cert, "--sni", mxtest.LEAF_NAME]

    def assertNoSecret(self, res):
        for text in (res.stdout, res.stderr):
            self.assertNotIn(SECRET, text, res.describe())

    # -- AUTH before and after TLS

    def test_auth_only_after_tls(self):
        res = self.check(self.target("sasl-tls-only", "submission"), "--probes", "auth")
        f = self.assertFinding(res, "auth.after-tls", "pass")
        ev = (f.get("evidence") or {})
        self.assertIn("PLAIN", ev.get("mechanisms_tls", ""), res.describe())
        self.assertNoFinding(res, "auth.before-tls")
        self.assertExit(res, 0)

    def test_auth_before_tls_fails_on_submission(self):
        res = self.check(self.target("sasl-any", "submission"), "--probes", "auth")
        f = self.assertFinding(res, "auth.before-tls", "fail")
        ev = (f.get("evidence") or {})
        self.assertIn("PLAIN", ev.get("mechanisms_plain", ""), res.describe())
        self.assertExit(res, 1)

    def test_auth_before_tls_warns_on_port_25(self):
        res = self.check(self.target("sasl-any"), "--probes", "auth")
        self.assertFinding(res, "auth.before-tls", "warn")
        self.assertExit(res, 0)

    def test_real_auth_succeeds_redacted(self):
        res = self.check(self.target("sasl-tls-only", "submission"), "--probes", "auth",
                         "--auth-user", USER, "--auth-password-file", self.pwfile, *self.trusted())
        self.assertFinding(res, "auth.succeeded", "pass")
        sent = [e["text"] for e in res.target["transcript"] if e.get("kind") == "sent"]
        self.assertIn("AUTH PLAIN <redacted>", sent, res.describe())
        self.assertNoSecret(res)
        self.assertExit(res, 0)
        # The text report and the protocol log never show it either.
        for fmt in ("text", "log"):
            out = mxtest.run_mxprobe(["check", "--format", fmt, "--verbose", "--probes", "auth",
                                      "--auth-user", USER, "--auth-password-file", self.pwfile]
                                     + self.trusted() + [self.target("sasl-tls-only", "submission")])
            self.assertNoSecret(out)
            self.assertIn("<redacted>", out.stdout, out.describe())

    def test_real_auth_refused(self):
        res = self.check(self.target("sasl-tls-only"), "--probes", "auth", "--auth-user", USER,
                         *self.trusted(), env={"MXPROBE_AUTH_PASSWORD": "wrong-" + SECRET})
        f = self.assertFinding(res, "auth.refused", "fail")
        ev = (f.get("evidence") or {})
        self.assertTrue(ev.get("reply", "").startswith("535"), res.describe())
        self.assertNotIn("wrong-" + SECRET, res.stdout, res.describe())
        self.assertExit(res, 1)

    def test_real_auth_only_to_an_authenticated_server(self):
        """Issue 8: no password to a server whose chain does not validate or
        whose certificate does not cover the name, under any policy; Postfix's
        own log (the disconnect line's auth=N/M counter) shows what arrived."""
        target = self.target("sasl-tls-only", "submission")
        base = ["--probes", "auth", "--auth-user", USER, "--auth-password-file", self.pwfile]
        refused = [
            ("untrusted CA", []),
            # the leaf covers mail.test.example and 127.0.0.1, not this address
            ("wrong name", ["--ca-file", self.pki.root.cert]),
        ]
        for policy in ("may", "encrypt", "verify", "secure", "domain-secure"):
            for why, extra in refused:
                with self.subTest(policy=policy, why=why):
                    mark = self.pf.mark_log()
                    res = self.check(target, "--policy", policy, *(base + extra))
                    f = self.assertFinding(res, "auth.not-sent", "error")
                    self.assertIn("reason", f.get("evidence") or {}, res.describe())
                    self.assertNoFinding(res, "auth.succeeded")
                    self.assertNotEqual(res.returncode, 0, res.describe())
                    log = self.pf.log_since(mark)
                    self.assertIn("disconnect from", log)
                    self.assertNotIn(" auth=", log, "Postfix received AUTH:\n" + log)
        # --expect-name: the certificate covers the partner name instead
        res = self.check(target, "--ca-file", self.pki.root.cert, "--expect-name", mxtest.LEAF_NAME, *base)
        self.assertFinding(res, "auth.succeeded", "pass")
        # --auth-insecure: sent on purpose (a lab server), still redacted
        mark = self.pf.mark_log()
        res = self.check(target, "--auth-insecure", *base)
        self.assertFinding(res, "auth.succeeded", "pass")
        self.assertIn(" auth=1", self.pf.log_since(mark))
        self.assertNoSecret(res)

    def test_auth_user_without_password_is_usage_error(self):
        res = mxtest.run_mxprobe(["check", "--auth-user", USER, self.target("sasl-tls-only")],
                                 env={"MXPROBE_AUTH_PASSWORD": None})
        self.assertExit(res, 2)
        self.assertIn("--auth-user needs a password", res.stderr)

    # -- require secure channel

    def test_require_tls_enforced(self):
        res = self.check(self.target("require", "submission"), "--probes", "require-tls")
        f = self.assertFinding(res, "require-tls.enforced", "pass")
        ev = (f.get("evidence") or {})
        self.assertTrue(ev.get("reply", "").startswith("530"), res.describe())
        self.assertExit(res, 0)
        # RFC 3207 section 4: a public MX must not require STARTTLS.
        res = self.check(self.target("require"), "--probes", "require-tls")
        self.assertFinding(res, "require-tls.enforced", "warn")
        self.assertExit(res, 0)

    def test_require_tls_not_enforced(self):
        res = self.check(self.target("relay-closed", "submission"), "--probes", "require-tls")
        self.assertFinding(res, "require-tls.not-enforced", "fail")
        self.assertExit(res, 1)
        res = self.check(self.target("relay-closed", "submission"), "--probes", "require-tls", "--policy", "may")
        self.assertFinding(res, "require-tls.not-enforced", "warn")
        self.assertExit(res, 0)
        res = self.check(self.target("relay-closed"), "--probes", "require-tls")
        self.assertFinding(res, "require-tls.not-enforced", "pass")
        self.assertExit(res, 0)

    # -- relay

    def test_relay_open(self):
        res = self.check(self.target("relay-open"), "--probes", "relay")
        self.assertFinding(res, "relay.open", "fail")
        self.assertExit(res, 1)
        sent = [e["text"] for e in res.target["transcript"] if e.get("kind") == "sent"]
        self.assertNotIn("DATA", sent, res.describe())
        self.assertIn("RSET", sent, res.describe())

    def test_relay_closed(self):
        res = self.check(self.target("relay-closed"), "--probes", "relay")
        f = self.assertFinding(res, "relay.refused", "pass")
        ev = (f.get("evidence") or {})
        self.assertTrue(ev.get("reply", "").startswith("554"), res.describe())
        self.assertEq(res, ev.get("tls"), "yes", "the relay test ran inside TLS")
        self.assertExit(res, 0)

    # -- connection control and --source

    def test_access_from_allowed_source(self):
        res = self.check(self.target("access"), "--probes", "starttls,access", "--expect-refused")
        self.assertFinding(res, "access.excluded-source-accepted", "fail")
        self.assertExit(res, 1)

    def test_access_from_excluded_source(self):
        res = self.check(self.target("access"), "--probes", "starttls,access,relay", "--source", EXCLUDED,
                         "--expect-refused")
        f = self.assertFinding(res, "access.refused-banner", "pass")
        ev = (f.get("evidence") or {})
        self.assertTrue(ev.get("reply", "").startswith("554"), res.describe())
        self.assertTrue(res.session["local"].startswith(EXCLUDED + ":"), res.describe())
        # Refused in the banner, the relay question was never asked
        # (issue 9): the access probe judges the refusal, relay says so;
        # the refusal was the expected answer, so this is information.
        f = self.assertFinding(res, "relay.not-tested", "info")
        self.assertEq(res, (f.get("evidence") or {}).get("stopped_at"), "banner", "stopped_at")
        self.assertNoFinding(res, "relay.refused")
        self.assertEq(res, res.target["connections"], 1, "no further connection after the refusal")
        self.assertExit(res, 0)

    def test_source_without_expectation(self):
        res = self.check(self.target("relay-closed"), "--probes", "starttls,access", "--source", EXCLUDED)
        self.assertFinding(res, "access.source", "info")
        self.assertTrue(res.session["local"].startswith(EXCLUDED + ":"), res.describe())
        self.assertExit(res, 0)

    def test_refused_at_tcp(self):
        port = mxtest.free_port("127.0.0.1")
        res = self.check("127.0.0.1:%d" % port, "--probes", "access", "--expect-refused")
        self.assertFinding(res, "access.refused-tcp", "pass")
        self.assertExit(res, 0)

    def test_bad_source_is_usage_error(self):
        for bad in ("not-an-address", "192.0.2.77"):
            res = mxtest.run_mxprobe(["check", "--source", bad, self.target("relay-closed")])
            self.assertExit(res, 2)
            self.assertIn("--source", res.stderr)

    # -- STARTTLS injection and stripping: Postfix is the good case

    def test_postfix_not_injectable_not_stripped(self):
        res = self.check(self.target("relay-closed"), "--probes", "starttls,injection,stripping")
        self.assertFinding(res, "injection.not-vulnerable", "pass")
        self.assertFinding(res, "starttls.not-stripped", "pass")
        self.assertNoFinding(res, "starttls.stripped")
        # the standard session, the injection connection, the second EHLO name
        self.assertEq(res, res.target["connections"], 3, "connections")
        self.assertExit(res, 0)

    def test_injection_vulnerable(self):
        with mxtest.TestServer("injection-vulnerable", self.pki) as srv:
            res = self.check(srv.target, "--probes", "injection")
        f = self.assertFinding(res, "injection.vulnerable", "fail")
        ev = (f.get("evidence") or {})
        self.assertTrue(ev.get("received_inside_tls", "").startswith("250"), res.describe())
        self.assertExit(res, 1)

    def test_strip_starttls(self):
        with mxtest.TestServer("strip-starttls", self.pki) as srv:
            res = self.check(srv.target, "--probes", "starttls,stripping")
        f = self.assertFinding(res, "starttls.stripped", "fail")
        ev = (f.get("evidence") or {})
        self.assertEq(res, ev.get("keyword"), "XXXXXXXA", "mangled keyword")
        self.assertExit(res, 1)

    def test_starttls_by_ehlo_name(self):
        with mxtest.TestServer("starttls-by-name", self.pki) as srv:
            res = self.check(srv.target, "--probes", "starttls,stripping")
        f = self.assertFinding(res, "starttls.stripped", "fail")
        ev = (f.get("evidence") or {})
        self.assertEq(res, ev.get("ehlo_not_offered"), "probe.mxtest.example", "EHLO name without STARTTLS")

    # -- the default set

    def test_default_set(self):
        res = self.check(self.target("relay-closed"))
        names = [p["name"] for p in res.target["probes"]]
        for probe in ("require-tls", "relay", "injection", "auth"):
            self.assertIn(probe, names, res.describe())
        # the standard session, the handshake asking for the other key type,
        # and one each for require-tls, relay and injection
        self.assertEq(res, res.target["connections"], 5, "connections of a default smtp check")
        res = self.check(self.target("require", "submission"))
        names = [p["name"] for p in res.target["probes"]]
        for opt_in in ("require-tls", "relay", "injection"):
            self.assertIn(opt_in, names, res.describe())
        self.assertEq(res, res.target["connections"], 5, "connections of a default submission check")


if __name__ == "__main__":
    mxtest.main()
