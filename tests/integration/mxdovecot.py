"""A private Dovecot (Debian's dovecot-core, -imapd, -pop3d, -lmtpd) for
the integration tests: its own configuration, base_dir, state_dir and log in
a temporary directory, listeners on loopback addresses only, the test PKI's
certificate, a passwd-file user database.  Started with `dovecot -c CONF`
(it daemonizes; its master PID is in base_dir/master.pid) and stopped with
`doveadm -c CONF stop`, or by that PID, never by name.

    dc = Dovecot(directory, pki, addr, ssl="yes", plaintext_auth=False)
    dc.start(); ...; dc.stop()

Listeners on `addr`: imap 143, imaps 993, pop3 110, pop3s 995, lmtp 24.
`plaintext_auth` sets Dovecot 2.3's disable_plaintext_auth (False: "yes",
the good configuration; True: "no", passwords accepted in clear).
"""

import os
import shutil
import subprocess
import time

import mxtest

PORTS = {"imap": 143, "imaps": 993, "pop3": 110, "pop3s": 995, "lmtp": 24}

CONF = """\
# written by tests/integration/mxdovecot.py: a private instance on loopback
base_dir = {dir}/run
state_dir = {dir}/state
instance_name = mxtest-{name}
log_path = {dir}/dovecot.log
info_log_path = {dir}/dovecot.log
protocols = imap pop3 lmtp
listen = {addr}
ssl = {ssl}
ssl_cert = <{cert}
ssl_key = <{key}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = {dpa}
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
login_greeting = mxtest {name} ready.
mail_location = maildir:{dir}/mail/%n
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%n {dir}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={dir}/home/%n
}}
service imap-login {{
  inet_listener imap {{
    address = {addr}
    port = {imap}
  }}
  inet_listener imaps {{
    address = {addr}
    port = {imaps}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = {addr}
    port = {pop3}
  }}
  inet_listener pop3s {{
    address = {addr}
    port = {pop3s}
    ssl = yes
  }}
}}
service lmtp {{
  unix_listener lmtp {{
    mode = 0600
  }}
  inet_listener lmtp {{
    address = {addr}
    port = {lmtp}
  }}
}}
service doveadm {{
  inet_listener {{
    port = 0
  }}
}}
protocol lmtp {{
  # LMTP here only says hello and starts TLS: nothing is ever delivered.
  lmtp_save_to_detail_mailbox = no
}}
"""


def dovecot_path():
    return mxtest._env_path("DOVECOT", "/usr/sbin/dovecot")


def doveadm_path():
    return os.path.join(os.path.dirname(dovecot_path()), "..", "bin", "doveadm") \
        if not os.path.exists("/usr/bin/doveadm") else "/usr/bin/doveadm"


class Dovecot:
    def __init__(self, directory, pki, addr, name="dc", ssl="yes", plaintext_auth=False):
        self.dir = directory
        self.addr = addr
        self.name = name
        os.makedirs(directory, exist_ok=True)
        os.chmod(directory, 0o755)
        for sub in ("run", "state", "mail", "home"):
            os.makedirs(os.path.join(directory, sub), exist_ok=True)
        shutil.chown(os.path.join(directory, "mail"), "dovecot", "dovecot")
        shutil.chown(os.path.join(directory, "home"), "dovecot", "dovecot")
        # Dovecot reads the key as root at start; the chain goes leaf first.
        self.conf = os.path.join(directory, "dovecot.conf")
        passwd = os.path.join(directory, "passwd")
        with open(passwd, "w") as f:
            # a throw-away test account; never printed by the tests
            f.write("mxuser:{PLAIN}mx-test-secret\n")
        os.chmod(passwd, 0o644)
        with open(self.conf, "w") as f:
            f.write(CONF.format(dir=directory, name=name, addr=addr, ssl=ssl,
                                cert=pki.leaf_chain, key=pki.leaf.key,
                                dpa="no" if plaintext_auth else "yes", **PORTS))
        self.log_file = os.path.join(directory, "dovecot.log")
        self.pid = None

    def target(self, scheme):
        return "%s://%s:%d" % (scheme, self.addr, PORTS[scheme])

    def start(self, deadline=10.0):
        for port in PORTS.values():
            if not mxtest.can_bind(self.addr, port):
                raise RuntimeError("%s:%d is taken" % (self.addr, port))
        # It daemonizes; the daemon keeps its stdout/stderr: a file, not a pipe.
        with open(os.path.join(self.dir, "start.out"), "w") as out:
            proc = subprocess.run([dovecot_path(), "-c", self.conf], stdin=subprocess.DEVNULL,
                                  stdout=out, stderr=subprocess.STDOUT, timeout=deadline)
        if proc.returncode != 0:
            with open(os.path.join(self.dir, "start.out")) as f:
                raise RuntimeError("dovecot -c %s failed (%d): %s" % (self.conf, proc.returncode, f.read()))
        mxtest._live.add(self)
        end = time.monotonic() + deadline
        pidfile = os.path.join(self.dir, "run", "master.pid")
        while time.monotonic() < end:
            if os.path.exists(pidfile) and all(mxtest.port_open(self.addr, p) for p in PORTS.values()):
                self.pid = mxtest._read_pid(pidfile)
                return self
            time.sleep(0.05)
        raise RuntimeError("dovecot did not listen on %s within %.0f s; log:\n%s"
                           % (self.addr, deadline, self.log()))

    def stop(self):
        mxtest._live.discard(self)
        if self.pid is None and not os.path.exists(os.path.join(self.dir, "run", "master.pid")):
            return
        mxtest.run([doveadm_path(), "-c", self.conf, "stop"], check=False, timeout=10)
        end = time.monotonic() + 5
        while self.pid and mxtest._alive(self.pid) and time.monotonic() < end:
            time.sleep(0.05)
        if self.pid and mxtest._alive(self.pid):
            os.kill(self.pid, 15)
        self.pid = None

    def log(self):
        try:
            with open(self.log_file, errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return "(no log)"

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
