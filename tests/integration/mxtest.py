"""Shared harness for mxprobe's integration tests.

Everything here runs on loopback only (127.0.0.0/8, ::1) and in a private
temporary directory:

  * Pki          a root CA, an intermediate CA and leaf certificates made with
                 openssl (EC P-256, a fraction of a second in all).
  * Postfix      a private Postfix instance (`postfix -c DIR start`) with one
                 smtpd service line per case on 127.0.X.N:25, and no delivery
                 service at all (no smtp/lmtp/local/virtual/relay).
  * TestServer   the in-tree scripted server (tests/testsrv, mxtestsrv).
  * run_mxprobe  runs the real binary, checks that it did not die by a
                 signal, parses and validates its JSON against the schema.

Configuration comes from the environment (CTest sets it, see CMakeLists.txt):
MXPROBE, MXTESTSRV, SCHEMA, POSTFIX (default /usr/sbin/postfix), and
MXTEST_KEEP=1 to keep the temporary directories for a post-mortem.

Run `python3 mxtest.py up DIR` / `python3 mxtest.py down DIR` to start and
stop the same Postfix instance by hand (tests/bench.sh uses bench.py instead).
"""

import atexit
import contextlib
import ctypes
import errno
import hashlib
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(os.path.dirname(HERE))

LEAF_NAME = "mail.test.example"


# --------------------------------------------------------------------------
# Paths and environment


def _env_path(var, default):
    value = os.environ.get(var) or default
    return os.path.abspath(value)


def mxprobe_path():
    return _env_path("MXPROBE", os.path.join(SOURCE_DIR, "build", "mxprobe"))


def mxtestsrv_path():
    return _env_path("MXTESTSRV",
                     os.path.join(SOURCE_DIR, "build", "tests", "testsrv", "mxtestsrv"))


def schema_path():
    return _env_path("SCHEMA", os.path.join(SOURCE_DIR, "docs", "mxprobe.schema.json"))


def postfix_path():
    return os.environ.get("POSTFIX") or "/usr/sbin/postfix"


def keep_temp():
    return os.environ.get("MXTEST_KEEP") == "1"


OWNER_FILE = "mxtest-owner.pid"
TEMP_PREFIXES = ("mxtest-", "mxbench-")


def make_tempdir(prefix):
    """A private temporary directory, named PREFIX* (PREFIX must start with
    one of TEMP_PREFIXES), with an owner file naming this process."""
    assert prefix.startswith(TEMP_PREFIXES)
    reap_stale()
    path = tempfile.mkdtemp(prefix=prefix)
    # Postfix daemons drop privileges to the postfix user: they must be able
    # to reach their files below this directory.
    os.chmod(path, 0o755)
    with open(os.path.join(path, OWNER_FILE), "w") as f:
        f.write("%d\n" % os.getpid())
    return path


def reap_stale():
    """Clean up after earlier runs of these tests that were killed (a CTest
    timeout sends SIGKILL, so no finally ran): a directory made by
    make_tempdir whose owner process is gone.  Its Postfix instance, if any,
    is stopped with `postfix -c DIR stop`, its Exim by PID (mxexim.py); then
    the directory is removed.
    A directory whose owner lives (a concurrent run, another engineer's
    ctest) is left alone, and so is anything without an owner file."""
    tmp = tempfile.gettempdir()
    try:
        names = os.listdir(tmp)
    except OSError:
        return
    for name in names:
        if not name.startswith(TEMP_PREFIXES):
            continue
        top = os.path.join(tmp, name)
        owner = _read_pid(os.path.join(top, OWNER_FILE))
        if owner is None or _alive(owner):
            continue
        conf = os.path.join(top, "postfix", "etc")
        master_pid = os.path.join(top, "postfix", "queue", "pid", "master.pid")
        master = _read_pid(master_pid)
        if master is not None and _alive(master) and os.path.isfile(os.path.join(conf, "main.cf")):
            sys.stderr.write("mxtest: stopping the test Postfix a killed run left in %s\n" % top)
            run([postfix_path(), "-c", conf, "stop"], check=False)
            end = time.monotonic() + 10
            while _alive(master) and time.monotonic() < end:
                time.sleep(0.05)
            if _alive(master):
                continue        # keep its files; it still uses them
        import mxexim  # noqa: E402 (here: mxexim imports this module)
        if not mxexim.stop_stale(top):
            continue
        if not keep_temp():
            shutil.rmtree(top, ignore_errors=True)


def remove_tempdir(path):
    if keep_temp():
        sys.stderr.write("mxtest: kept %s\n" % path)
        return
    shutil.rmtree(path, ignore_errors=True)


# Everything started and not yet stopped, so that an interrupted run (SIGTERM,
# SIGINT, an exception outside unittest) still stops it on the way out.
_live = set()


def _stop_all():
    for thing in list(_live):
        with contextlib.suppress(Exception):
            thing.stop()


atexit.register(_stop_all)


def _on_sigterm(signum, frame):
    raise KeyboardInterrupt("signal %d" % signum)


def _die_with_parent():
    """preexec_fn: the child gets SIGTERM when this Python process dies, even
    by SIGKILL (CTest's timeout)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)   # PR_SET_PDEATHSIG
    except Exception:
        pass


def run(cmd, timeout=60, check=True, **kw):
    """Run a helper command (openssl, postfix); raise with its output on failure."""
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, timeout=timeout, text=True, **kw)
    if check and proc.returncode != 0:
        raise RuntimeError("command failed (%d): %s\nstdout: %s\nstderr: %s"
                           % (proc.returncode, " ".join(cmd), proc.stdout, proc.stderr))
    return proc


# --------------------------------------------------------------------------
# Test PKI


class Cert:
    """One certificate and its key, with the facts tests compare against."""

    def __init__(self, cert, key):
        self.cert = cert          # PEM path
        self.key = key            # PEM path
        with open(cert) as f:
            pem = f.read()
        self.der = ssl.PEM_cert_to_DER_cert(pem)
        self.sha1 = hashlib.sha1(self.der).hexdigest().upper()
        self.sha256 = hashlib.sha256(self.der).hexdigest().upper()

    def text(self):
        return run(["openssl", "x509", "-in", self.cert, "-noout", "-text"]).stdout


def _asn1_time(t):
    """openssl ca -startdate/-enddate format (UTCTime before 2050)."""
    tm = time.gmtime(t)
    if tm.tm_year >= 2050:
        return time.strftime("%Y%m%d%H%M%SZ", tm)
    return time.strftime("%y%m%d%H%M%SZ", tm)


class Pki:
    """root CA -> intermediate CA -> leaf(s), EC P-256, made with `openssl ca`
    (which, unlike `openssl x509 -req` in OpenSSL 3.0, takes explicit
    validity dates: everything starts a day ago, so no clock granularity or
    skew makes a fresh certificate "not yet valid").

    Files (in DIR): root.pem, inter.pem, leaf.pem + leaf.key,
    leaf-chain.pem (leaf then intermediate), leaf-full.pem (key, leaf,
    intermediate: a smtpd_tls_chain_files file), leaf-only-full.pem.
    The leaf's names: DNS mail.test.example, and IP SANs `ips`.
    """

    DAY = 86400

    def __init__(self, directory, ips=("127.0.0.1", "::1")):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        os.makedirs(os.path.join(directory, "newcerts"), exist_ok=True)
        self._serial = 0x1000
        self.root = self._make("root", "/O=mxprobe tests/CN=mxprobe Test Root CA", None,
                               ["basicConstraints=critical,CA:TRUE",
                                "keyUsage=critical,keyCertSign,cRLSign",
                                "subjectKeyIdentifier=hash"])
        self.inter = self._make("inter", "/O=mxprobe tests/CN=mxprobe Test Intermediate CA",
                                self.root,
                                ["basicConstraints=critical,CA:TRUE,pathlen:0",
                                 "keyUsage=critical,keyCertSign,cRLSign",
                                 "subjectKeyIdentifier=hash",
                                 "authorityKeyIdentifier=keyid"])
        self.leaf = self.make_leaf("leaf", LEAF_NAME, ips=ips)
        self.leaf_chain = self._concat("leaf-chain.pem", [self.leaf.cert, self.inter.cert])
        self.leaf_full = self._concat("leaf-full.pem",
                                      [self.leaf.key, self.leaf.cert, self.inter.cert])
        self.leaf_only_full = self._concat("leaf-only-full.pem", [self.leaf.key, self.leaf.cert])

    def _concat(self, name, parts):
        path = os.path.join(self.dir, name)
        with open(path, "w") as out:
            for p in parts:
                with open(p) as f:
                    out.write(f.read())
        os.chmod(path, 0o644)
        return path

    def make_leaf(self, name, cn, extra_dns=(), ips=("127.0.0.1",), start_days=-1, days=365):
        """A server certificate issued by the intermediate; validity from
        now + start_days to now + days (negative days: already expired)."""
        sans = ["DNS:" + cn] + ["DNS:" + d for d in extra_dns] + ["IP:" + ip for ip in ips]
        return self._make(name, "/O=mxprobe tests/CN=" + cn, self.inter,
                          ["basicConstraints=critical,CA:FALSE",
                           "keyUsage=critical,digitalSignature",
                           "extendedKeyUsage=serverAuth",
                           "subjectAltName=" + ",".join(sans),
                           "subjectKeyIdentifier=hash",
                           "authorityKeyIdentifier=keyid"], start_days=start_days, days=days)

    def _make(self, name, subject, issuer, exts, start_days=-1, days=3650):
        key = os.path.join(self.dir, name + ".key")
        cert = os.path.join(self.dir, name + ".pem")
        csr = os.path.join(self.dir, name + ".csr")
        run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-out", key])
        os.chmod(key, 0o644)    # throw-away test key; the postfix user may read it
        self._serial += 1
        cfg = os.path.join(self.dir, name + ".cnf")
        index = os.path.join(self.dir, "index.txt")
        if not os.path.exists(index):
            open(index, "w").close()
        with open(os.path.join(self.dir, "serial"), "w") as f:
            f.write("%X\n" % self._serial)
        with open(cfg, "w") as f:
            f.write("[ca]\ndefault_ca = test_ca\n"
                    "[test_ca]\n"
                    "database = %s\nnew_certs_dir = %s\nserial = %s\n"
                    "default_md = sha256\npolicy = policy_any\nunique_subject = no\n"
                    "email_in_dn = no\ncopy_extensions = none\n"
                    "[policy_any]\norganizationName = optional\ncommonName = supplied\n"
                    "[req]\ndistinguished_name = dn\n[dn]\n"
                    "[v3]\n%s\n"
                    % (index, os.path.join(self.dir, "newcerts"),
                       os.path.join(self.dir, "serial"), "\n".join(exts)))
        run(["openssl", "req", "-new", "-key", key, "-subj", subject, "-config", cfg,
             "-out", csr])
        now = time.time()
        cmd = ["openssl", "ca", "-batch", "-notext", "-config", cfg, "-in", csr, "-out", cert,
               "-extensions", "v3", "-preserveDN",
               "-startdate", _asn1_time(now + start_days * self.DAY),
               "-enddate", _asn1_time(now + days * self.DAY)]
        if issuer is None:
            cmd += ["-selfsign", "-keyfile", key]
        else:
            cmd += ["-cert", issuer.cert, "-keyfile", issuer.key]
        run(cmd)
        c = Cert(cert, key)
        c.serial = self._serial
        return c

    # -- revocation (issue 3): the `openssl ca` database all of this PKI's
    # certificates are in (index.txt) also drives CRLs and `openssl ocsp`.

    def _ca_cnf(self):
        cfg = os.path.join(self.dir, "ca-db.cnf")
        with open(cfg, "w") as f:
            f.write("[ca]\ndefault_ca = test_ca\n[test_ca]\n"
                    "database = %s\nnew_certs_dir = %s\nserial = %s\n"
                    "default_md = sha256\npolicy = policy_any\nunique_subject = no\n"
                    "[policy_any]\ncommonName = supplied\n[crl_ext]\n"
                    "authorityKeyIdentifier = keyid\n"
                    % (os.path.join(self.dir, "index.txt"), os.path.join(self.dir, "newcerts"),
                       os.path.join(self.dir, "serial")))
        return cfg

    def revoke(self, cert, issuer, reason="keyCompromise"):
        """Marks cert revoked (with a CRLReason) in the database."""
        run(["openssl", "ca", "-batch", "-config", self._ca_cnf(), "-revoke", cert.cert,
             "-cert", issuer.cert, "-keyfile", issuer.key, "-crl_reason", reason])

    def gen_crl(self, issuer, out, days=7, der=True):
        """A CRL signed by issuer listing every revoked entry of the
        database, valid from now for `days`; DER (as distribution points
        serve it) or PEM."""
        pem = out + ".pem" if der else out
        run(["openssl", "ca", "-batch", "-config", self._ca_cnf(), "-gencrl", "-cert",
             issuer.cert, "-keyfile", issuer.key, "-crldays", str(days), "-crlexts", "crl_ext",
             "-out", pem])
        if der:
            run(["openssl", "crl", "-in", pem, "-outform", "DER", "-out", out])
        return out

    def ocsp_respond(self, issuer, signer, req_path, resp_path, days=1):
        """Answers one OCSP request file from the database with `openssl
        ocsp` (no listener: the caller's loopback front does HTTP). The
        request's nonce is copied into the response."""
        run(["openssl", "ocsp", "-index", os.path.join(self.dir, "index.txt"), "-CA", issuer.cert,
             "-rsigner", signer.cert, "-rkey", signer.key, "-reqin", req_path, "-respout",
             resp_path, "-ndays", str(days)], timeout=20)
        return resp_path

class PartnerPki(Pki):
    """The sending partner's PKI, distinct from the server's (mutual TLS,
    issue 4): its own root with a client leaf (clientAuth EKU), a leaf from
    a third CA, an expired client leaf, one without clientAuth, and the good
    one as PKCS#12 (openssl pkcs12 -export -passout file:...) plus a damaged
    copy.  The password is PASSWORD, in `password_file`; tests check that it
    appears in no output."""

    PASSWORD = "pfx-Pa55-never-shown"
    CA_EXTS = ["basicConstraints=critical,CA:TRUE",
               "keyUsage=critical,keyCertSign,cRLSign",
               "subjectKeyIdentifier=hash"]

    def __init__(self, directory):  # pylint: disable=super-init-not-called
        self.dir = directory
        os.makedirs(os.path.join(directory, "newcerts"), exist_ok=True)
        self._serial = 0x5000
        self.root = self._make("partner-root", "/O=Partner Bank/CN=Partner Bank Root CA", None,
                               self.CA_EXTS)
        self.other_root = self._make("other-root", "/O=Elsewhere Ltd/CN=Elsewhere Root CA", None,
                                     self.CA_EXTS)
        self.client = self.make_client("client", self.root, "relay.partner.example")
        self.client_other = self.make_client("client-other", self.other_root,
                                             "relay.elsewhere.example")
        self.client_expired = self.make_client("client-expired", self.root,
                                               "old.partner.example", start_days=-60, days=-2)
        self.client_noauth = self.make_client("client-noauth", self.root,
                                              "web.partner.example", eku="serverAuth")
        self.password_file = os.path.join(directory, "p12.pass")
        with open(self.password_file, "w") as f:
            f.write(self.PASSWORD + "\n")
        self.p12 = os.path.join(directory, "client.p12")
        run(["openssl", "pkcs12", "-export", "-in", self.client.cert, "-inkey", self.client.key,
             "-certfile", self.root.cert, "-name", "partner client", "-out", self.p12,
             "-passout", "file:" + self.password_file])
        self.p12_corrupt = os.path.join(directory, "client-corrupt.p12")
        with open(self.p12, "rb") as f:
            data = bytearray(f.read())
        mid = len(data) // 2
        data[mid:mid + 16] = bytes(16)
        with open(self.p12_corrupt, "wb") as f:
            f.write(bytes(data[:len(data) - 40]))
        self.wrong_password_file = os.path.join(directory, "wrong.pass")
        with open(self.wrong_password_file, "w") as f:
            f.write("not-the-password\n")

    def make_client(self, name, issuer, cn, eku="clientAuth,serverAuth", start_days=-1, days=365):
        return self._make(name, "/O=Partner Bank/CN=" + cn, issuer,
                          ["basicConstraints=critical,CA:FALSE",
                           "keyUsage=critical,digitalSignature",
                           "extendedKeyUsage=" + eku,
                           "subjectAltName=DNS:" + cn,
                           "subjectKeyIdentifier=hash",
                           "authorityKeyIdentifier=keyid"], start_days=start_days, days=days)


# --------------------------------------------------------------------------
# Loopback helpers


def port_open(host, port, timeout=0.2):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def can_bind(host, port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port(host="127.0.0.1"):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    try:
        s.bind((host, 0))
        return s.getsockname()[1]
    finally:
        s.close()


def ipv6_loopback_works():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    except OSError:
        return False
    try:
        s.bind(("::1", 0))
        return True
    except OSError:
        return False
    finally:
        s.close()


def _assert_loopback(addr):
    if addr == "::1":
        return
    parts = addr.split(".")
    if len(parts) != 4 or parts[0] != "127":
        raise ValueError("not a loopback address: %r" % addr)


# --------------------------------------------------------------------------
# Private Postfix instance


# Postfix's own internal services, as in Debian's /etc/postfix/master.cf, minus
# every delivery agent (smtp, relay, lmtp, local, virtual, pipe): nothing can
# ever leave this instance.  chroot is "n" everywhere: the instance lives in a
# temporary directory without the files a chroot jail needs.
MASTER_BASE = """\
# service type  private unpriv  chroot  wakeup  maxproc command + args
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


class Block:
    """A reserved 127.0.B.0/24 (B in 1..250) for one test Postfix: an
    exclusive flock on TMPDIR/mxtest.block-B.lock, held until release() or
    until this process dies, and port 25 free on its first n addresses.
    Two runs on one machine (two engineers' ctest, a bench) never share
    addresses; a system MTA on 0.0.0.0:25 makes every block unusable, and
    that is said plainly."""

    def __init__(self, n):
        import fcntl
        self.number = None
        self._fd = None
        tmp = tempfile.gettempdir()
        for b in range(1, 251):
            path = os.path.join(tmp, "mxtest.block-%d.lock" % b)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            if all(can_bind("127.0.%d.%d" % (b, i + 1), 25) for i in range(n)):
                self.number, self._fd = b, fd
                return
            os.close(fd)
        hint = "" if can_bind("127.0.0.1", 25) else \
            " (127.0.0.1:25 is taken too: is a system MTA listening on 0.0.0.0:25?)"
        raise RuntimeError("no 127.0.B.0/24 block with port 25 free on loopback" + hint)

    def addrs(self, n):
        return ["127.0.%d.%d" % (self.number, i + 1) for i in range(n)]

    def release(self):
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class PostfixCase:
    """One smtpd service line: an address, port 25, and its -o overrides."""

    def __init__(self, name, overrides, port=25):
        self.name = name
        self.overrides = dict(overrides)
        self.port = port
        self.addr = None          # filled in by Postfix

    @property
    def target(self):
        if ":" in self.addr:
            return "[%s]:%d" % (self.addr, self.port)
        return "%s:%d" % (self.addr, self.port)


# The IPv4 cases of standard_cases(), in order: they get 127.0.B.1, .2, ...
STANDARD_V4_CASES = ("tls-good", "tls-none", "tls-leaf-only", "tls-certfile")


def standard_cases(pki):
    """The cases every Postfix test run has."""
    cases = [
        # STARTTLS offered, leaf + intermediate.
        PostfixCase("tls-good", {
            "smtpd_tls_security_level": "may",
            "smtpd_tls_chain_files": pki.leaf_full,
            "syslog_name": "postfix-tls-good",
        }),
        # No TLS at all: no STARTTLS in EHLO.
        PostfixCase("tls-none", {
            "smtpd_tls_security_level": "none",
            "syslog_name": "postfix-tls-none",
        }),
        # STARTTLS offered, but the intermediate is missing from the chain.
        PostfixCase("tls-leaf-only", {
            "smtpd_tls_security_level": "may",
            "smtpd_tls_chain_files": pki.leaf_only_full,
            "syslog_name": "postfix-tls-leaf-only",
        }),
        # Classic cert_file/key_file settings with the chain in the cert file,
        # and AUTH-style capability differences are not needed here.
        PostfixCase("tls-certfile", {
            "smtpd_tls_security_level": "may",
            "smtpd_tls_cert_file": pki.leaf_chain,
            "smtpd_tls_key_file": pki.leaf.key,
            "smtpd_banner": "$myhostname ESMTP test banner",
            "syslog_name": "postfix-tls-certfile",
        }),
    ]
    if ipv6_loopback_works():
        # The good case again on ::1, on a free port (::1 has a single port 25).
        v6 = PostfixCase("tls-good-v6", {
            "smtpd_tls_security_level": "may",
            "smtpd_tls_chain_files": pki.leaf_full,
            "syslog_name": "postfix-tls-good-v6",
        }, port=free_port("::1"))
        v6.addr = "::1"
        cases.append(v6)
    assert tuple(c.name for c in cases if c.addr is None) == STANDARD_V4_CASES
    return cases


class Postfix:
    """A private Postfix instance: `postfix -c DIR start` ... `stop`.

    Each case gets an address 127.0.B.N (N = 1, 2, ...) and port 25.  B is the
    first block in 1..250 whose addresses are all free on port 25, so that two
    test runs on one machine (say two engineers' ctest) do not collide.
    Use as a context manager: the instance is stopped on the way out, also when
    a test fails.  `postfix -c DIR` needs no change in /etc: as root, Postfix
    only checks alternate_config_directories for set-gid programs (postdrop,
    postqueue), which these tests never run.
    """

    START_DEADLINE = 30.0

    def __init__(self, directory, cases, block=None):
        """cases: PostfixCase list; those without an address get 127.0.B.N
        from `block` (a Block; reserved here when None)."""
        self.dir = directory
        self.cases = {c.name: c for c in cases}
        self.order = list(cases)
        self.config_dir = os.path.join(directory, "etc")
        self.queue_dir = os.path.join(directory, "queue")
        self.data_dir = os.path.join(directory, "data")
        self.log_file = os.path.join(directory, "maillog")
        self.block = block
        self.started = False

    # -- set-up

    def _pick_block(self):
        if self.block is None:
            self.block = Block(sum(1 for c in self.order if c.addr is None))
        return self.block.number

    def _write_config(self):
        os.makedirs(self.config_dir, exist_ok=True)
        os.makedirs(self.queue_dir, exist_ok=True)
        os.makedirs(self.data_dir, exist_ok=True)
        # tlsmgr and master keep their files here as the mail_owner.
        import pwd
        pw = pwd.getpwnam("postfix")
        os.chown(self.data_dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.data_dir, 0o700)
        block = self._pick_block()
        n = 0
        for c in self.order:
            if c.addr is None:
                n += 1
                c.addr = "127.0.%d.%d" % (block, n)
            _assert_loopback(c.addr)
        ipv6 = any(":" in c.addr for c in self.order)
        main_cf = {
            "compatibility_level": "3.6",
            "queue_directory": self.queue_dir,
            "data_directory": self.data_dir,
            "command_directory": "/usr/sbin",
            "daemon_directory": "/usr/lib/postfix/sbin",
            "meta_directory": "/etc/postfix",
            "shlib_directory": "/usr/lib/postfix",
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "inet_interfaces": "loopback-only",
            "inet_protocols": "all" if ipv6 else "ipv4",
            "myhostname": LEAF_NAME,
            "mydomain": "test.example",
            "myorigin": "$myhostname",
            "mydestination": "",
            "mynetworks": "127.0.0.0/8",
            "relay_domains": "",
            "local_transport": "error:local delivery is disabled",
            "default_transport": "error:delivery is disabled",
            "relay_transport": "error:delivery is disabled",
            "smtpd_relay_restrictions": "reject_unauth_destination",
            "smtpd_recipient_restrictions": "reject",
            "alias_maps": "",
            "alias_database": "",
            "biff": "no",
            "maillog_file": self.log_file,
            "maillog_file_prefixes": self.dir,
            "smtpd_tls_loglevel": "1",
            "smtpd_tls_security_level": "none",
            "smtpd_tls_session_cache_database": "",
            "smtpd_client_connection_rate_limit": "0",
            "smtpd_client_connection_count_limit": "0",
            "anvil_rate_time_unit": "60s",
            "smtpd_banner": "$myhostname ESMTP Postfix (mxprobe test)",
            "smtpd_tls_received_header": "no",
            "import_environment": "MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C",
        }
        # Merged, never appended: a repeated main.cf key makes every Postfix
        # process warn "overriding earlier entry" to postlogd's unix-dgram
        # socket at start-up, whose queue holds 10 datagrams
        # (net.unix.max_dgram_qlen); postlogd warns too while it reads
        # main.cf, blocks on its own full socket, and the whole instance
        # (smtpd included) hangs before logging a line.
        main_cf.update(self.main_cf_extra())
        with open(os.path.join(self.config_dir, "main.cf"), "w") as f:
            for k, v in main_cf.items():
                f.write("%s = %s\n" % (k, v))
        lines = [MASTER_BASE]
        for c in self.order:
            listen = "[%s]:%d" % (c.addr, c.port) if ":" in c.addr else "%s:%d" % (c.addr, c.port)
            lines.append("# case %s\n%s inet n - n - - smtpd\n" % (c.name, listen))
            for k, v in c.overrides.items():
                if any(ch.isspace() for ch in v):
                    v = "{%s}" % v
                lines.append("  -o %s=%s\n" % (k, v))
        with open(os.path.join(self.config_dir, "master.cf"), "w") as f:
            f.write("".join(lines))

    def main_cf_extra(self):
        """main.cf settings a subclass adds or replaces (a dict); called once
        the cases have their addresses."""
        return {}

    def postfix(self, *args, check=True):
        return run([postfix_path(), "-c", self.config_dir] + list(args), check=check)

    def start(self):
        if not os.path.exists(postfix_path()):
            raise RuntimeError("%s not found: install Debian's postfix package" % postfix_path())
        self._write_config()
        # Fail early, with Postfix's words, on a bad configuration.
        self.postfix("check")
        self.started = True
        _live.add(self)
        self.postfix("start")
        deadline = time.monotonic() + self.START_DEADLINE
        pending = list(self.order)
        while pending:
            pending = [c for c in pending if not port_open(c.addr, c.port)]
            if not pending:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("Postfix did not listen on %s within %.0f s; log:\n%s"
                                   % (", ".join(c.target for c in pending),
                                      self.START_DEADLINE, self.log()))
            time.sleep(0.05)
        # Those probe connections show in the log, written asynchronously by
        # postlogd.  Each case's must be there: a port that answers without
        # a line in *our* log is some other server's, not this instance's.
        while True:
            missing = [c for c in self.order if self._connects(0, c)[0] < 1]
            if not missing:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("%s answered, but not this Postfix instance (nothing in its "
                                   "log): another server holds the address; log:\n%s"
                                   % (", ".join(c.target for c in missing), self.log()))
            time.sleep(0.02)
        self.wait_log(0, minimum=len(self.order))
        self.mark_log()

    def stop(self):
        if not self.started:
            return
        self.started = False
        _live.discard(self)
        proc = self.postfix("stop", check=False)
        # `postfix stop` returns before every child has gone: wait for the
        # master (its pid file) so the addresses are free for the next run.
        pid_file = os.path.join(self.queue_dir, "pid", "master.pid")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            pid = _read_pid(pid_file)
            if pid is None or not _alive(pid):
                break
            time.sleep(0.05)
        else:
            pid = _read_pid(pid_file)
            if pid is not None:
                # Only our own master, named by its pid file.
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        if proc.returncode != 0:
            sys.stderr.write("mxtest: postfix stop: %s%s" % (proc.stdout, proc.stderr))
        if self.block is not None:
            self.block.release()

    def __enter__(self):
        if self.started:
            return self
        try:
            self.start()
        except BaseException:
            self.stop()
            if self.block is not None:
                self.block.release()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- logs

    def log(self):
        try:
            with open(self.log_file, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return "(no log at %s)" % self.log_file

    def mark_log(self):
        try:
            self._log_mark = os.path.getsize(self.log_file)
        except OSError:
            self._log_mark = 0
        return self._log_mark

    def log_since(self, mark=None):
        mark = self._log_mark if mark is None else mark
        try:
            with open(self.log_file, "rb") as f:
                f.seek(mark)
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def _connects(self, since, case=None):
        tag = (case.overrides.get("syslog_name", "postfix") if case else "") + "/smtpd["
        conn = disc = 0
        for line in self.log_since(since).splitlines():
            if tag in line:
                if ": connect from " in line:
                    conn += 1
                elif ": disconnect from " in line:
                    disc += 1
        return conn, disc

    def wait_log(self, since, case=None, minimum=1, deadline=5.0):
        """postlogd writes asynchronously: wait until at least `minimum`
        smtpd connections since the offset are logged and each one has its
        'disconnect from' line.  Returns the number of connections."""
        end = time.monotonic() + deadline
        while True:
            conn, disc = self._connects(since, case)
            if (conn >= minimum and conn == disc) or time.monotonic() > end:
                return conn
            time.sleep(0.02)

    def count_connects(self, case, since):
        """Connections ('connect from' lines) of one case's smtpd since a log
        offset, once the log has caught up."""
        return self.wait_log(since, case)


def start_standard_postfix(tmp):
    """The test PKI and the standard Postfix instance in directory tmp,
    started: (pki, postfix).  The leaf has IP SANs for 127.0.0.1, ::1 and
    every case address, so an address target matches the certificate."""
    block = Block(len(STANDARD_V4_CASES))
    try:
        v4 = block.addrs(len(STANDARD_V4_CASES))
        pki = Pki(os.path.join(tmp, "pki"), ips=["127.0.0.1", "::1"] + v4)
        pfdir = os.path.join(tmp, "postfix")
        os.makedirs(pfdir, exist_ok=True)
        os.chmod(pfdir, 0o755)
        pf = Postfix(pfdir, standard_cases(pki), block=block)
        pf.__enter__()
    except BaseException:
        block.release()
        raise
    return pki, pf


def _read_pid(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError as e:
        return e.errno == errno.EPERM


# --------------------------------------------------------------------------
# The scripted test server


class TestServer:
    """mxtestsrv with one behaviour on 127.0.0.1 and a kernel-chosen port."""

    def __init__(self, behaviour, pki=None, host="127.0.0.1", extra=()):
        self.behaviour = behaviour
        self.pki = pki
        self.host = host
        self.extra = list(extra)
        self.proc = None
        self.port = None

    @property
    def target(self):
        if ":" in self.host:
            return "[%s]:%d" % (self.host, self.port)
        return "%s:%d" % (self.host, self.port)

    def start(self, deadline=10.0):
        binary = mxtestsrv_path()
        if not os.access(binary, os.X_OK):
            raise RuntimeError("mxtestsrv not found at %s (set MXTESTSRV)" % binary)
        listen = "[%s]:0" % self.host if ":" in self.host else "%s:0" % self.host
        cmd = [binary, "--listen", listen, "--behaviour", self.behaviour]
        if self.pki is not None:
            cmd += ["--cert-file", self.pki.leaf_chain, "--key-file", self.pki.leaf.key,
                    "--hostname", LEAF_NAME]
        cmd += self.extra
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, text=True,
                                     preexec_fn=_die_with_parent)
        _live.add(self)
        end = time.monotonic() + deadline
        line = ""
        import selectors
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        try:
            while time.monotonic() < end:
                if not sel.select(timeout=max(0.0, end - time.monotonic())):
                    break
                line = self.proc.stdout.readline()
                if not line:
                    break
                if line.startswith("PORT "):
                    self.port = int(line.split()[1])
                    return self
        finally:
            sel.close()
        err = ""
        self.stop()
        if self.proc is not None:
            err = self.proc.stderr.read() if self.proc.stderr else ""
        raise RuntimeError("mxtestsrv %s did not print PORT within %.0f s (last line %r); "
                           "stderr: %s" % (self.behaviour, deadline, line, err))

    def stop(self):
        _live.discard(self)
        if self.proc is None or self.proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        for stream in (self.proc.stdout, self.proc.stderr):
            with contextlib.suppress(Exception):
                stream.close()
        return False


# --------------------------------------------------------------------------
# Running mxprobe


_schema_cache = None


def load_schema():
    global _schema_cache
    if _schema_cache is None:
        path = schema_path()
        with open(path) as f:
            _schema_cache = json.load(f)
    return _schema_cache


def validate_json(doc):
    """Validate one mxprobe JSON document against docs/mxprobe.schema.json."""
    import jsonschema
    schema = load_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema, format_checker=getattr(cls, "FORMAT_CHECKER", None))
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for e in errors[:10]:
            msg = e.message
            if len(msg) > 400:      # the instance comes first, the reason last
                msg = msg[:120] + " [...] " + msg[-250:]
            lines.append("  at /%s (%s): %s" % ("/".join(str(p) for p in e.absolute_path),
                                                e.validator, msg))
            # oneOf/anyOf: the reasons inside the branches, "is not of type
            # null" last (it only says the value was not null).
            subs = sorted(e.context or [], key=lambda x: (x.validator == "type",
                                                          -len(x.absolute_path)))
            for sub in subs[:3]:
                m = sub.message
                if len(m) > 200:
                    m = "[...] " + m[-200:]
                lines.append("    because: at /%s (%s): %s"
                             % ("/".join(str(p) for p in sub.absolute_path), sub.validator, m))
        raise AssertionError("JSON output does not validate against %s:\n%s"
                             % (schema_path(), "\n".join(lines)))


class Result:
    def __init__(self, cmd, proc, elapsed):
        self.cmd = cmd
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.elapsed = elapsed
        self.json = None

    def describe(self):
        head = "command: %s\nexit: %s  elapsed: %.2f s\n" % (" ".join(self.cmd),
                                                           self.returncode, self.elapsed)
        if self.json is not None:
            # The parts that explain a failure first: findings and transcript.
            parts = []
            for t in self.json.get("targets") or []:
                s = t.get("session") or {}
                parts.append("target %s: status %s, failed_step %s, error %s"
                             % (t.get("input"), t.get("status"), s.get("failed_step"),
                                s.get("error")))
                for f in self.findings(t):
                    parts.append("  [%s] %s: %s -- %s" % (f.get("severity"), f.get("id"),
                                                         f.get("title"),
                                                         (f.get("detail") or "")[:300]))
                for e in (t.get("transcript") or [])[:60]:
                    mark = {"sent": ">", "recv": "<"}.get(e.get("kind"), "*")
                    parts.append("  %8.1f %s%s" % (e.get("t_ms") or 0, mark, e.get("text")))
            out = self.stdout if len(self.stdout) < 3000 else self.stdout[:3000] + "\n[...]"
            return "%s%s\nstdout (start):\n%s\nstderr:\n%s" % (head, "\n".join(parts), out,
                                                              self.stderr)
        out = self.stdout if len(self.stdout) < 6000 else self.stdout[:6000] + "\n[...]"
        return "%sstdout:\n%s\nstderr:\n%s" % (head, out, self.stderr)

    # -- JSON accessors

    @property
    def target(self):
        return self.json["targets"][0]

    @property
    def session(self):
        return self.target["session"]

    def findings(self, target=None):
        t = self.target if target is None else target
        out = []
        for probe in t.get("probes") or []:
            for f in probe.get("findings") or []:
                out.append(f)
        return out

    def finding(self, fid):
        for f in self.findings():
            if f.get("id") == fid:
                return f
        return None

    def finding_ids(self):
        return [f.get("id") for f in self.findings()]


def run_mxprobe(args, timeout=60, env=None, validate=None):
    """Run the real binary. JSON output (--format json) is parsed and
    validated against the schema unless validate=False."""
    cmd = [mxprobe_path()] + list(args)
    e = dict(os.environ)
    e.setdefault("NO_COLOR", "1")
    e.setdefault("TZ", "UTC")
    for k, v in (env or {}).items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = v
    t0 = time.monotonic()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, timeout=timeout, env=e,
                          text=True, errors="replace")
    res = Result(cmd, proc, time.monotonic() - t0)
    is_json = "json" in args and "--format" in args or "--format=json" in args
    if is_json and proc.returncode >= 0 and proc.returncode != 2:
        try:
            res.json = json.loads(proc.stdout)
        except ValueError as exc:
            raise AssertionError("output is not JSON (%s)\n%s" % (exc, res.describe()))
        if validate is None or validate:
            try:
                validate_json(res.json)
            except AssertionError as exc:
                raise AssertionError("%s\n%s" % (exc, res.describe()))
    return res


class MxTestCase(unittest.TestCase):
    """unittest.TestCase with assertions that print mxprobe's output on failure."""

    maxDiff = None

    def assertNotCrashed(self, res):
        self.assertGreaterEqual(res.returncode, 0,
                                "mxprobe died by signal %d\n%s" % (-res.returncode, res.describe()))
        self.assertNotIn("AddressSanitizer", res.stderr, res.describe())
        self.assertNotIn("runtime error:", res.stderr, res.describe())

    def assertExit(self, res, expected):
        self.assertNotCrashed(res)
        if isinstance(expected, (set, frozenset, list, tuple)):
            self.assertIn(res.returncode, expected, res.describe())
        else:
            self.assertEqual(res.returncode, expected, res.describe())

    def assertFinding(self, res, fid, severity=None):
        f = res.finding(fid)
        self.assertIsNotNone(f, "no finding %r (have %s)\n%s"
                             % (fid, res.finding_ids(), res.describe()))
        if severity is not None:
            sev = (severity,) if isinstance(severity, str) else tuple(severity)
            self.assertIn(f.get("severity"), sev,
                          "finding %s has severity %r, expected %s\n%s"
                          % (fid, f.get("severity"), sev, res.describe()))
        return f

    def assertNoFinding(self, res, fid):
        self.assertIsNone(res.finding(fid), "unexpected finding %r\n%s" % (fid, res.describe()))

    def assertEq(self, res, actual, expected, what=""):
        self.assertEqual(actual, expected, "%s\n%s" % (what, res.describe()))

    def assertTrueIn(self, res, cond, what=""):
        self.assertTrue(cond, "%s\n%s" % (what, res.describe()))



# A reply to a one-line command on loopback takes well under a millisecond;
# the delayed-ACK stall (issue 16) cost about 40 ms. 20 ms leaves room for a
# loaded machine and the sanitizer build without letting that through.
STALL_BOUND_MS = 20.0


def reply_gaps(res):
    """(command, ms from sending it to the first line of its reply) for
    every command of the target's transcript, from mxprobe's own times."""
    gaps, sent = [], None
    for e in res.target["transcript"]:
        if e["kind"] == "sent":
            sent = e
        elif e["kind"] == "recv" and sent is not None:
            gaps.append((sent["text"].split(" ")[0], e["t_ms"] - sent["t_ms"]))
            sent = None
    return gaps


class StandardPostfixTestCase(MxTestCase):
    """A test class whose tests share one private Postfix with the standard
    cases (standard_cases), started once for the class and always stopped."""

    TEMP_PREFIX = "mxtest-postfix-"

    @classmethod
    def setUpClass(cls):
        cls.tmp = make_tempdir(cls.TEMP_PREFIX)
        try:
            cls.pki, cls.pf = start_standard_postfix(cls.tmp)
        except BaseException:
            remove_tempdir(cls.tmp)
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.pf.__exit__(None, None, None)
        finally:
            remove_tempdir(cls.tmp)


class _TimedResult(unittest.TextTestResult):
    """The verbose result with each case's wall time, so a slow case shows
    in CTest's output (speed is never asserted; see docs/testing.md)."""

    def startTest(self, test):
        self._started = time.monotonic()
        super().startTest(test)

    def addSuccess(self, test):
        if self.showAll:
            self.stream.write("(%.1f s) " % (time.monotonic() - self._started))
        super().addSuccess(test)


def main():
    """unittest.main with verbose output and a non-zero exit on failure.
    SIGTERM interrupts like ^C, so everything started is stopped (atexit)."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    runner = unittest.TextTestRunner(verbosity=2, buffer=False, resultclass=_TimedResult)
    unittest.main(verbosity=2, buffer=False, testRunner=runner)


# --------------------------------------------------------------------------
# Command line: start/stop an instance by hand


def _cli(argv):
    if len(argv) < 3 or argv[1] not in ("up", "down"):
        sys.stderr.write("usage: mxtest.py up DIR | down DIR\n")
        return 2
    directory = os.path.abspath(argv[2])
    if argv[1] == "up":
        os.makedirs(directory, exist_ok=True)
        os.chmod(directory, 0o755)
        pki, pf = start_standard_postfix(directory)
        for c in pf.order:
            print("%-14s %s" % (c.name, c.target))
        print("leaf-sha1      %s" % pki.leaf.sha1)
        print("log            %s" % pf.log_file)
        # `up` leaves the instance running for `down` (or a benchmark): the
        # exit handler that stops whatever a test started must not stop it.
        _live.clear()
        return 0
    config_dir = os.path.join(directory, "postfix", "etc")
    proc = run([postfix_path(), "-c", config_dir, "stop"], check=False)
    sys.stdout.write(proc.stdout + proc.stderr)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(_cli(sys.argv))
