#!/usr/bin/python3
"""mxprobe headers on a message a real Dovecot delivered (issue 15).

  smtplib --STARTTLS--> Postfix smtpd (127.0.B.1:25, smtpd_tls_received_header)
          --lmtp client, STARTTLS (lmtp_tls_security_level = encrypt)-->
  Dovecot LMTP (127.0.B.2:24, ssl = yes) --> a Maildir

The delivered file carries Dovecot's Received ("with LMTPS") above
Postfix's; `mxprobe headers` must tell both hops over TLS, the second by
its RFC 3848 keyword alone (Dovecot writes no cipher).  A second message
goes over LMTP without TLS (lmtp_tls_security_level = none, a second
Postfix transport), and its last hop is "with LMTP": in clear.
"""

import glob
import os
import smtplib
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mxdovecot  # noqa: E402
import mxtest  # noqa: E402


class LmtpPostfix(mxtest.Postfix):
    def __init__(self, directory, cases, block, lmtp_addr):
        super().__init__(directory, cases, block=block)
        self.lmtp_addr = lmtp_addr

    def main_cf_extra(self):
        dest = "inet:[%s]:24" % self.lmtp_addr
        return {
            "relay_domains": "tls.example, clear.example",
            "transport_maps": "inline:{tls.example=lmtp:%s, clear.example=lmtpclear:%s}" % (dest, dest),
            "relay_transport": "lmtp",
            "smtpd_recipient_restrictions": "permit_mynetworks, reject",
            "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
            "lmtp_tls_security_level": "encrypt",
            "lmtp_tls_loglevel": "1",
            "lmtp_tls_session_cache_database": "",
            # Dovecot's Received then names the Postfix instance's address
            "lmtp_bind_address": self.order[0].addr,
        }

    def _write_config(self):
        super()._write_config()
        with open(os.path.join(self.config_dir, "master.cf"), "a") as f:
            f.write("lmtp      unix  -       -       n       -       -       lmtp\n")
            f.write("lmtpclear unix  -       -       n       -       -       lmtp\n"
                    "  -o lmtp_tls_security_level=none\n")


class HeadersLmtp(mxtest.MxTestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = mxtest.make_tempdir("mxtest-headers-lmtp-")
        cls.postfix = cls.dovecot = cls.block = None
        try:
            cls._setup()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def _setup(cls):
        cls.block = mxtest.Block(2)
        pf_addr, dc_addr = cls.block.addrs(2)
        pki = cls.pki = mxtest.Pki(os.path.join(cls.tmp, "pki"), ips=(pf_addr, dc_addr))
        cls.dovecot = mxdovecot.Dovecot(os.path.join(cls.tmp, "dovecot"), pki, dc_addr, name="hdr")
        with open(cls.dovecot.conf, "a") as f:
            # the static userdb's user is the system's dovecot (a system uid)
            f.write("first_valid_uid = 1\n")
        cls.dovecot.start()
        case = mxtest.PostfixCase("submit", {
            "smtpd_tls_security_level": "may",
            "smtpd_tls_chain_files": pki.leaf_full,
            "smtpd_tls_received_header": "yes",
            "syslog_name": "postfix-submit",
        })
        case.addr = pf_addr
        cls.postfix = LmtpPostfix(os.path.join(cls.tmp, "postfix"), [case], cls.block, dc_addr)
        cls.postfix.start()
        for tag in ("tls", "clear"):
            with smtplib.SMTP(pf_addr, 25, local_hostname="client.test.example", timeout=30) as s:
                s.ehlo()
                ctx = ssl.create_default_context(cafile=pki.root.cert)
                ctx.check_hostname = False
                s.starttls(context=ctx)
                s.ehlo()
                s.sendmail("alice@test.example", ["mxuser@%s.example" % tag],
                           "From: alice@test.example\r\nSubject: lmtp %s\r\n"
                           "Message-ID: <%s@test.example>\r\n\r\nhello\r\n" % (tag, tag))
        cls.msgs = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(cls.msgs) < 2:
            # new/ and cur/ only: tmp/ holds files still being written
            for path in glob.glob(os.path.join(cls.tmp, "dovecot", "mail", "mxuser", "[nc][eu][wr]", "*")):
                with open(path, errors="replace") as f:
                    text = f.read()
                for tag in ("tls", "clear"):
                    if "Subject: lmtp %s" % tag in text:
                        cls.msgs[tag] = path
            time.sleep(0.2)
        if len(cls.msgs) < 2:
            raise RuntimeError("Dovecot did not deliver both messages within 60 s\n%s\n%s"
                               % (cls.dovecot.log(), cls.postfix.log()))

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.postfix is not None:
                cls.postfix.stop()
            if cls.dovecot is not None:
                cls.dovecot.stop()
            if cls.block is not None:
                cls.block.release()
        finally:
            mxtest.remove_tempdir(cls.tmp)

    def headers(self, path):
        res = mxtest.run_mxprobe(["headers", "--format", "json", path])
        self.assertNotCrashed(res)
        self.assertTrue(res.json is not None, res.describe())
        return res

    def test_lmtps(self):
        res = self.headers(self.msgs["tls"])
        hops = res.json["messages"][0]["hops"]
        self.assertEqual(len(hops), 2, res.describe())
        self.assertEqual(hops[0]["tls_details"]["written_as"], "postfix", res.describe())
        self.assertEqual(hops[1]["with"], "LMTPS", res.describe())
        self.assertEqual(hops[1]["tls"], "yes", res.describe())
        self.assertEqual(hops[1]["from_address"], self.postfix.order[0].addr, res.describe())
        # Postfix's lmtp client logged TLS towards Dovecot
        self.assertIn("TLS connection established to %s" % self.dovecot.addr, self.postfix.log())
        ids = [f["id"] for f in res.json["messages"][0]["findings"]]
        self.assertIn("headers.all-tls", ids, res.describe())
        self.assertExit(res, 0)

    def test_lmtp_clear(self):
        res = self.headers(self.msgs["clear"])
        hops = res.json["messages"][0]["hops"]
        self.assertEqual(len(hops), 2, res.describe())
        self.assertEqual(hops[0]["tls"], "yes", res.describe())
        self.assertEqual((hops[1]["with"], hops[1]["tls"]), ("LMTP", "no"), res.describe())
        f = [f for f in res.json["messages"][0]["findings"] if f["id"] == "headers.hop-plaintext"]
        self.assertEqual(len(f), 1, res.describe())
        self.assertEqual(f[0]["evidence"]["hop"], "2", res.describe())


if __name__ == "__main__":
    mxtest.main()
