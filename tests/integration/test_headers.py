#!/usr/bin/python3
"""mxprobe headers on messages that real MTAs delivered (issue 15).

The path, all on loopback with the test PKI:

  smtplib  --(STARTTLS or not)-->  Postfix smtpd (127.0.B.1:25, writes its
  Received with smtpd_tls_received_header = yes)  --smtp client, TLS
  (smtp_tls_security_level = encrypt), relayhost [127.0.0.1]:P-->  Exim
  (relay.test.example, writes its default Received: "with esmtps (TLS1.3)
  tls CIPHER"), queue_only: the message stays in Exim's spool

(The unpacked Exim cannot re-exec itself for a delivery, since it is not at
/usr/sbin/exim4, so the test reads the message from Exim's spool: the -H
file holds every header as Exim will deliver it, each after its length.)

Each message is fed to `mxprobe headers` (by file and on
standard input); the hops must say what Postfix and Exim logged for the
same connections: the TLS version and cipher of each hop, the hop in clear
when the client did not use STARTTLS.
"""

import os
import re
import smtplib
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mxexim  # noqa: E402
import mxtest  # noqa: E402

EXIM_HOST = "relay.test.example"

EXIM_CONF = r"""# tests/integration/test_headers.py
tls_advertise_hosts = *
tls_certificate = @DIR@/cert.pem
tls_privatekey = @DIR@/key.pem
acl_smtp_rcpt = accept
queue_only = true
"""


class RelayPostfix(mxtest.Postfix):
    """The test Postfix with an SMTP client: mail for example.com goes to
    Exim over TLS."""

    def __init__(self, directory, cases, exim_port):
        super().__init__(directory, cases)
        self.exim_port = exim_port

    def main_cf_extra(self):
        return {
            "relay_domains": "example.com",
            "relayhost": "[127.0.0.1]:%d" % self.exim_port,
            "relay_transport": "smtp",
            "default_transport": "smtp",
            "smtpd_recipient_restrictions": "permit_mynetworks, reject",
            "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
            "smtp_tls_security_level": "encrypt",
            "smtp_tls_loglevel": "1",
            "smtp_tls_session_cache_database": "",
            "smtp_tls_connection_reuse": "no",
        }

    def _write_config(self):
        super()._write_config()
        with open(os.path.join(self.config_dir, "master.cf"), "a") as f:
            f.write("smtp      unix  -       -       n       -       -       smtp\n")


def spool_headers(path):
    """The header section of an Exim spool -H file: after the envelope and
    a blank line, each header is "NNNF text" with NNN its length in bytes
    (continuation lines included) and F a flag (P Received, T To, * deleted)."""
    with open(path, "rb") as f:
        data = f.read()
    pos = data.index(b"\n\n") + 2
    out = []
    while pos < len(data):
        m = re.match(rb"(\d{3,})(.) ", data[pos:])
        if not m:
            break
        n = int(m.group(1))
        start = pos + m.end()
        if m.group(2) != b"*":
            out.append(data[start:start + n])
        pos = start + n
    return b"".join(out).decode("utf-8", "replace")


class Headers(mxtest.MxTestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = mxtest.make_tempdir("mxtest-headers-")
        cls.exim = None
        cls.postfix = None
        try:
            cls._setup()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def _setup(cls):
        pki = cls.pki = mxtest.Pki(os.path.join(cls.tmp, "pki"))
        edir = os.path.join(cls.tmp, "exim")
        os.makedirs(edir)
        for name, src in (("cert.pem", pki.leaf_chain), ("key.pem", pki.leaf.key)):
            with open(src) as s, open(os.path.join(edir, name), "w") as d:
                d.write(s.read())
            os.chmod(os.path.join(edir, name), 0o644)   # read by Exim as Debian-exim
        cls.exim_port = mxtest.free_port("127.0.0.1")
        cls.exim = mxexim.Exim(edir, [cls.exim_port], EXIM_CONF, host=EXIM_HOST).start()
        cls.spool = os.path.join(edir, "spool", "input")

        case = mxtest.PostfixCase("relay", {
            "smtpd_tls_security_level": "may",
            "smtpd_tls_chain_files": pki.leaf_full,
            "smtpd_tls_received_header": "yes",
            "syslog_name": "postfix-relay",
        })
        cls.postfix = RelayPostfix(os.path.join(cls.tmp, "postfix"), [case], cls.exim_port)
        cls.postfix.start()
        cls.case = case

        # One message over STARTTLS to Postfix, one in clear.
        cls.send("tls", starttls=True)
        cls.send("clear", starttls=False)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            msgs = cls.read_spool()
            if len(msgs) >= 2:
                break
            time.sleep(0.2)
        else:
            raise RuntimeError("Exim did not receive both messages within 60 s\n%s\n%s"
                               % (cls.exim.log(), cls.postfix.log()))
        cls.msgs = {}
        for m in cls.read_spool():
            tag = re.search(r"(?m)^Subject: mxprobe headers (\w+)", m).group(1)
            path = os.path.join(cls.tmp, tag + ".eml")
            with open(path, "w") as f:
                f.write(m)
            cls.msgs[tag] = path

    @classmethod
    def read_spool(cls):
        """Each message's headers, a blank line and a body line."""
        msgs = []
        for root, _, files in os.walk(cls.spool):
            for name in files:
                if name.endswith("-H"):
                    msgs.append(spool_headers(os.path.join(root, name)) + "\nhello\n")
        return msgs

    @classmethod
    def send(cls, tag, starttls):
        with smtplib.SMTP(cls.case.addr, 25, local_hostname="client.test.example", timeout=30) as s:
            s.ehlo()
            if starttls:
                ctx = ssl.create_default_context(cafile=cls.pki.root.cert)
                ctx.check_hostname = False
                s.starttls(context=ctx)
                s.ehlo()
            s.sendmail("alice@test.example", ["bob@example.com"],
                       "From: alice@test.example\r\nTo: bob@example.com\r\n"
                       "Subject: mxprobe headers %s\r\nMessage-ID: <%s@test.example>\r\n\r\nhello\r\n"
                       % (tag, tag))

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.postfix is not None:
                cls.postfix.stop()
            if cls.exim is not None:
                cls.exim.stop()
        finally:
            mxtest.remove_tempdir(cls.tmp)

    def headers(self, path, *extra):
        res = mxtest.run_mxprobe(["headers", "--format", "json"] + list(extra) + [path])
        self.assertNotCrashed(res)
        self.assertTrue(res.json is not None, res.describe())
        return res

    def logged_postfix_out(self):
        """(version, cipher) Postfix's smtp client logged towards Exim."""
        m = re.findall(r"TLS connection established to [^:]+:\d+: (\S+) with cipher (\S+)",
                       self.postfix.log())
        self.assertTrue(m, self.postfix.log())
        return m[-1]

    def test_tls_chain(self):
        res = self.headers(self.msgs["tls"])
        self.assertExit(res, 0)
        msg = res.json["messages"][0]
        self.assertEqual(msg["message_id"], "<tls@test.example>", res.describe())
        hops = msg["hops"]
        self.assertEqual(len(hops), 2, res.describe())
        first, second = hops
        # hop 1: our client -> Postfix, written by Postfix
        self.assertEqual(first["by"], mxtest.LEAF_NAME, res.describe())
        self.assertEqual(first["from_address"], "127.0.0.1", res.describe())
        self.assertEqual(first["with"], "ESMTPS", res.describe())
        self.assertEqual(first["tls"], "yes", res.describe())
        t = first["tls_details"]
        self.assertEqual(t["written_as"], "postfix", res.describe())
        # what Postfix's smtpd logged for that connection
        m = re.findall(r"Anonymous TLS connection established from [^:]+: (\S+) with cipher (\S+)",
                       self.postfix.log())
        self.assertTrue(m, self.postfix.log())
        self.assertEqual((t["version"], t["cipher"]), m[0], res.describe())
        self.assertRegex(t["bits"], r"^\d+/\d+$")
        self.assertEqual(t["client_certificate"], "No client certificate requested", res.describe())
        # hop 2: Postfix -> Exim, written by Exim
        self.assertEqual(second["by"], EXIM_HOST, res.describe())
        self.assertEqual(second["with"], "esmtps", res.describe())
        self.assertEqual(second["tls"], "yes", res.describe())
        t2 = second["tls_details"]
        self.assertEqual(t2["written_as"], "exim", res.describe())
        # Exim's log line for it: X=TLS1.3:<GnuTLS's suite name>:256
        exim_x = re.findall(r"P=esmtps X=(TLS1\.\d):", self.exim.log())
        self.assertTrue(exim_x, self.exim.log())
        self.assertEqual(t2["version"], exim_x[0], res.describe())
        # the same connection as Postfix's client logged it (IANA name).
        # Exim 4.96 on GnuTLS writes $tls_in_cipher_std for TLS 1.3 as a
        # TLS 1.2-style name (TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 for
        # TLS_AES_256_GCM_SHA384): mxprobe reports it as written, so only
        # the bulk cipher is compared.
        pv, pc = self.logged_postfix_out()
        self.assertEqual(pv.replace("v", ""), t2["version"], res.describe())
        self.assertTrue(t2["cipher"].endswith(pc[len("TLS_"):]), res.describe())
        self.assertIn("tls " + t2["cipher"], second["raw"], res.describe())
        # times: Exim's hop not before Postfix's
        self.assertLessEqual(first["time"], second["time"])
        ids = [f["id"] for f in msg["findings"]]
        self.assertEqual(ids.count("headers.hop"), 2, res.describe())
        self.assertIn("headers.all-tls", ids, res.describe())
        self.assertNotIn("headers.hop-plaintext", ids, res.describe())
        self.assertNotIn("headers.hop-weak-tls", ids, res.describe())

    def test_clear_hop(self):
        res = self.headers(self.msgs["clear"])
        msg = res.json["messages"][0]
        first, second = msg["hops"]
        self.assertEqual((first["with"], first["tls"]), ("ESMTP", "no"), res.describe())
        self.assertIsNone(first["tls_details"]["version"], res.describe())
        self.assertTrue(first["loopback"], res.describe())
        self.assertEqual(second["tls"], "yes", res.describe())
        f = [f for f in msg["findings"] if f["id"] == "headers.hop-plaintext"]
        self.assertEqual(len(f), 1, res.describe())
        # over loopback the message never left the host: information
        self.assertEqual(f[0]["severity"], "info", res.describe())
        self.assertEqual(f[0]["evidence"]["hop"], "1", res.describe())
        self.assertExit(res, 0)

    def test_stdin_and_text(self):
        with open(self.msgs["tls"]) as f:
            data = f.read()
        cmd = [mxtest.mxprobe_path(), "headers", "-"]
        proc = subprocess.run(cmd, input=data, capture_output=True, text=True, timeout=30,
                              env=dict(os.environ, NO_COLOR="1"))
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("== Message -: 2 hops", proc.stdout)
        self.assertIn("with ESMTPS: TLS TLSv1.3", proc.stdout)
        self.assertIn("[exim]", proc.stdout)

    def test_bad_inputs_fail_closed(self):
        for path in (self.tmp, "/nonexistent/x.eml", "/dev/zero"):
            res = mxtest.run_mxprobe(["headers", path])
            self.assertExit(res, 2)
            self.assertEqual(res.stdout, "", res.describe())
        garbage = os.path.join(self.tmp, "garbage.eml")
        with open(garbage, "w") as f:
            f.write("no header here\n")
        res = mxtest.run_mxprobe(["headers", garbage])
        self.assertExit(res, 2)
        res = mxtest.run_mxprobe(["headers"])
        self.assertExit(res, 2)
        res = mxtest.run_mxprobe(["headers", "--format", "log", self.msgs["tls"]])
        self.assertExit(res, 2)
        self.assertEqual(res.stdout, "", res.describe())


if __name__ == "__main__":
    mxtest.main()
