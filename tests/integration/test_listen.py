#!/usr/bin/python3
"""mxprobe listen against a real sending MTA (issue 15): what a partner's
Postfix presents when it relays to us, and the domain-secure verdict.

All on loopback, one listener and one Postfix for every case:

  smtplib --> Postfix smtpd (127.0.B.1:25, relays for four test domains)
     --> smtp client transports, one per case, each -o its TLS settings,
         nexthop [127.0.B.2]:P = mxprobe listen --partner partner.example
         --ca-file <partner root> --accept-data -f jsonl

  good.example     smtp_tls_security_level=encrypt, the partner's client
                   certificate (relay.partner.example, Partner Bank Root CA)
  nocert.example   encrypt, no client certificate
  wrongca.example  encrypt, a client certificate from another CA
  plain.example    smtp_tls_security_level=none: no STARTTLS at all

Each session record must say what Postfix's own log says of the same
connection (TLS version and cipher), and the verdict must be "would pass"
only for the first.

Then a real Exim (Debian's exim4-daemon-light, GnuTLS inside, unpacked by
mxexim) sends two messages to a second listener, one with the partner's
client certificate (tls_certificate in its smtp transport) and one without:
its own ClientHello, the same verdicts. Exim queues (-odq) and delivers
with -M in the same process: the unpacked binary cannot re-exec itself.
"""

import os
import re
import smtplib
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mxexim  # noqa: E402
import mxlisten  # noqa: E402
import mxtest  # noqa: E402

PARTNER = "partner.example"
CASES = {
    "good": {"smtp_tls_security_level": "encrypt", "chain": "client"},
    "nocert": {"smtp_tls_security_level": "encrypt"},
    "wrongca": {"smtp_tls_security_level": "encrypt", "chain": "client_other"},
    "plain": {"smtp_tls_security_level": "none"},
}


_shared = {}


def shared_partner():
    """The partner's PKI, made once for both classes."""
    if not _shared:
        _shared["tmp"] = tmp = mxtest.make_tempdir("mxtest-listen-partner-")
        _shared["partner"] = mxtest.PartnerPki(os.path.join(tmp, "partner"))
    return _shared["partner"]


def tearDownModule():
    if _shared:
        mxtest.remove_tempdir(_shared["tmp"])


class SenderPostfix(mxtest.Postfix):
    def __init__(self, directory, cases, block, nexthop, chains):
        super().__init__(directory, cases, block=block)
        self.nexthop = nexthop
        self.chains = chains

    def main_cf_extra(self):
        transports = ", ".join("%s.example=out%s:%s" % (c, c, self.nexthop) for c in CASES)
        return {
            "relay_domains": ", ".join("%s.example" % c for c in CASES),
            "transport_maps": "inline:{%s}" % transports,
            "smtpd_recipient_restrictions": "permit_mynetworks, reject",
            "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
            "smtp_tls_loglevel": "1",
            "smtp_tls_session_cache_database": "",
            "smtp_tls_connection_reuse": "no",
            "smtp_helo_name": "relay.partner.example",
            "smtp_bind_address": self.order[0].addr,
        }

    def _write_config(self):
        super()._write_config()
        with open(os.path.join(self.config_dir, "master.cf"), "a") as f:
            for name, opts in CASES.items():
                f.write("out%s unix - - n - - smtp\n" % name)
                f.write("  -o syslog_name=postfix-out%s\n" % name)
                f.write("  -o smtp_tls_security_level=%s\n" % opts["smtp_tls_security_level"])
                if "chain" in opts:
                    f.write("  -o smtp_tls_chain_files=%s\n" % self.chains[opts["chain"]])


class ListenPostfix(mxtest.MxTestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = mxtest.make_tempdir("mxtest-listen-")
        cls.postfix = cls.listener = cls.block = None
        try:
            cls._setup()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def _setup(cls):
        cls.block = mxtest.Block(2)
        pf_addr, ls_addr = cls.block.addrs(2)
        pki = cls.pki = mxtest.Pki(os.path.join(cls.tmp, "pki"), ips=(pf_addr, ls_addr))
        partner = cls.partner = shared_partner()
        chains = {}
        for name in ("client", "client_other"):
            cert = getattr(partner, name)
            path = os.path.join(cls.tmp, name + "-full.pem")
            with open(path, "w") as out:
                for part in (cert.key, cert.cert):
                    with open(part) as f:
                        out.write(f.read())
            os.chmod(path, 0o644)
            chains[name] = path
        cls.listener = mxlisten.Listener(
            os.path.join(cls.tmp, "listen"), ls_addr,
            ["--cert", pki.leaf_chain, "--key", pki.leaf.key, "--ca-file", partner.root.cert,
             "--partner", "Partner.Example.",  # as typed: case and root dot do not matter
             "--accept-data", "--no-rdns", "--hostname", "mx.us.example",
             "-f", "jsonl", "--timeout", "20"]).start()
        case = mxtest.PostfixCase("submit", {"syslog_name": "postfix-submit"})
        case.addr = pf_addr
        nexthop = "[%s]:%d" % (ls_addr, cls.listener.port)
        cls.postfix = SenderPostfix(os.path.join(cls.tmp, "postfix"), [case], cls.block, nexthop, chains)
        cls.postfix.start()
        with smtplib.SMTP(pf_addr, 25, local_hostname="client.test.example", timeout=30) as s:
            for name in CASES:
                s.sendmail("alice@%s" % PARTNER, ["bob@%s.example" % name],
                           "From: alice@%s\r\nTo: bob@%s.example\r\nSubject: listen %s\r\n"
                           "Message-ID: <%s@partner.example>\r\n\r\nhello\r\n"
                           % (PARTNER, name, name, name))
        recs = cls.listener.wait_records(len(CASES), deadline=90)
        cls.by_case = {}
        for r in recs:
            for rcpt in r["mail"]["rcpt_to"]:
                cls.by_case[rcpt.split("@")[1].split(".")[0]] = r
        if len(cls.by_case) < len(CASES):
            raise RuntimeError("the listener saw %d of %d deliveries\nlisten:\n%s\n%s\npostfix:\n%s"
                               % (len(cls.by_case), len(CASES), cls.listener.stdout(),
                                  cls.listener.stderr(), cls.postfix.log()))
        cls.rc = cls.listener.stop()

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.listener is not None:
                cls.listener.stop()
            if cls.postfix is not None:
                cls.postfix.stop()
        finally:
            if cls.block is not None:
                cls.block.release()
            mxtest.remove_tempdir(cls.tmp)

    def rec(self, name):
        return self.by_case[name]

    def tls_logged(self, name):
        """Postfix's smtp client line for the case: 'TLS connection
        established to ...: TLSv1.3 with cipher X (256/256 bits)'."""
        m = re.search(r"postfix-out%s/smtp\[\d+\]: .*TLS connection established to [^:]+:?\d*: "
                      r"(\S+) with cipher (\S+)" % name, self.postfix.log())
        self.assertIsNotNone(m, self.postfix.log())
        return m.group(1), m.group(2)

    def common(self, r):
        self.assertEqual(r["client"]["ehlo"], "relay.partner.example")
        self.assertEqual(r["client"]["address"], self.postfix.order[0].addr)
        self.assertTrue(r["client"]["esmtp"])
        self.assertEqual(r["mail"]["mail_from"], "alice@" + PARTNER)
        self.assertTrue(r["mail"]["data_reply"].startswith("250 2.0.0 Ok: queued as "), r)
        self.assertIn("Subject: listen", r["mail"]["headers"])
        self.assertEqual(r["end"], "quit")
        self.assertTrue(r["tls"]["starttls_offered"])

    def test_good_would_pass(self):
        r = self.rec("good")
        self.common(r)
        version, cipher = self.tls_logged("good")
        self.assertEqual(r["tls"]["mode"], "starttls")
        self.assertEqual(r["tls"]["version"].replace("TLS1.", "TLSv1."), version)
        self.assertTrue(r["tls"]["client_certificate_requested"])
        self.assertEqual(r["tls"]["ca_names_sent"], 1)
        # the ClientHello as OpenSSL (Postfix) sent it, parsed from the wire
        hello = r["client_hello"]
        self.assertIsNotNone(hello, r)
        self.assertIn("TLS1.3", hello["versions"])
        self.assertIn(r["tls"]["cipher_suite"], hello["cipher_suites"])
        self.assertIn("X25519", hello["groups"])
        self.assertIn("supported_versions", hello["extensions"])
        cc = r["client_certificate"]
        self.assertTrue(cc["presented"])
        self.assertTrue(cc["trusted"], cc)
        self.assertTrue(cc["client_auth_allowed"])
        self.assertEqual(cc["chain"][0]["sha256"], self.partner.client.sha256)
        self.assertEqual(cc["chain"][0]["dns_names"], ["relay.partner.example"])
        ds = r["domain_secure"]
        self.assertTrue(ds["would_pass"], ds)
        self.assertEqual(ds["verdict"], "would pass")
        self.assertEqual(ds["certificate_name"], "relay.partner.example")
        self.assertFalse(ds["sender_domain_other"])

    def test_nocert_would_be_refused(self):
        r = self.rec("nocert")
        self.common(r)
        self.assertTrue(r["tls"]["established"])
        self.assertTrue(r["tls"]["client_certificate_requested"])
        self.assertFalse(r["client_certificate"]["presented"])
        ds = r["domain_secure"]
        self.assertFalse(ds["would_pass"])
        self.assertEqual(ds["verdict"], "would be refused")
        self.assertIn("no certificate", ds["reason"])

    def test_wrong_ca_would_be_refused(self):
        r = self.rec("wrongca")
        self.common(r)
        cc = r["client_certificate"]
        self.assertTrue(cc["presented"])
        self.assertFalse(cc["trusted"])
        self.assertEqual(cc["chain"][0]["sha256"], self.partner.client_other.sha256)
        ds = r["domain_secure"]
        self.assertFalse(ds["would_pass"])
        self.assertIn("does not validate", ds["reason"])

    def test_plain_would_be_refused(self):
        r = self.rec("plain")
        self.common(r)
        self.assertEqual(r["tls"]["mode"], "none")
        self.assertFalse(r["tls"]["established"])
        self.assertIsNone(r["client_hello"])
        self.assertFalse(r["client_certificate"]["presented"])
        self.assertNotIn("STARTTLS", [t for m, t in r["transcript"] if m == "<"])
        ds = r["domain_secure"]
        self.assertFalse(ds["would_pass"])
        self.assertIn("did not use TLS", ds["reason"])

    def test_summary_and_exit(self):
        # a refusal under --partner is exit 1; the summary counts them
        self.assertEqual(self.rc, 1, self.listener.stderr())
        summary = self.listener.records("summary")
        self.assertEqual(len(summary), 1)
        s = summary[0]
        self.assertEqual((s["sessions"], s["would_pass"], s["would_be_refused"]), (4, 1, 3))
        self.assertEqual(s["stopped"], "SIGTERM")
        self.assertIn("1 would pass domain-secure receive, 3 would be refused", self.listener.stderr())


EXIM_CONF = r"""# tests/integration/test_listen.py: Exim as the partner's sending MTA
begin routers
withcert:
  driver = manualroute
  domains = good.example
  route_list = * @LISTEN_HOST@::@LISTEN_PORT@
  transport = withcert
  self = send
nocert:
  driver = manualroute
  domains = nocert.example
  route_list = * @LISTEN_HOST@::@LISTEN_PORT@
  transport = nocert
  self = send
begin transports
withcert:
  driver = smtp
  hosts_require_tls = *
  tls_certificate = @DIR@/client.pem
  tls_privatekey = @DIR@/client.key
  allow_localhost
nocert:
  driver = smtp
  hosts_require_tls = *
  allow_localhost
"""


class ListenExim(mxtest.MxTestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = mxtest.make_tempdir("mxtest-listen-exim-")
        cls.listener = None
        try:
            cls._setup()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def _setup(cls):
        pki = mxtest.Pki(os.path.join(cls.tmp, "pki"))
        partner = cls.partner = shared_partner()
        cls.listener = mxlisten.Listener(
            os.path.join(cls.tmp, "listen"), "127.0.0.1",
            ["--cert", pki.leaf_chain, "--key", pki.leaf.key, "--ca-file", partner.root.cert,
             "--partner", PARTNER, "--accept-data", "--no-rdns", "--sessions", "2", "-f", "jsonl",
             "--timeout", "20"]).start()
        edir = os.path.join(cls.tmp, "exim")
        os.makedirs(edir)
        for name, src in (("client.pem", partner.client.cert), ("client.key", partner.client.key)):
            with open(src) as f, open(os.path.join(edir, name), "w") as d:
                d.write(f.read())
            os.chmod(os.path.join(edir, name), 0o644)   # read by Exim as Debian-exim
        conf = EXIM_CONF.replace("@LISTEN_HOST@", "127.0.0.1").replace("@LISTEN_PORT@",
                                                                       str(cls.listener.port))
        exim = mxexim.Exim(edir, [], conf, host="relay.partner.example")
        env = dict(os.environ, LD_LIBRARY_PATH=exim.libdir)
        base = [exim.binary, "-C", exim.conf]
        for name in ("good", "nocert"):
            p = subprocess.run(base + ["-odq", "-f", "alice@" + PARTNER, "bob@%s.example" % name],
                               input="Subject: exim %s\n\nhello\n" % name, env=env, timeout=30,
                               capture_output=True, text=True)
            if p.returncode != 0:
                raise RuntimeError("exim -odq: %s%s" % (p.stdout, p.stderr))
        spool = os.path.join(edir, "spool", "input")
        ids = sorted(n[:-2] for _, _, files in os.walk(spool) for n in files if n.endswith("-H"))
        if len(ids) != 2:
            raise RuntimeError("Exim queued %d messages\n%s" % (len(ids), exim.log()))
        for mid in ids:
            mxtest.run(base + ["-M", mid], env=env, timeout=60)
        recs = cls.listener.wait_records(2, deadline=30)
        cls.rc = cls.listener.wait(30)
        cls.by_case = {r["mail"]["rcpt_to"][0].split("@")[1].split(".")[0]: r for r in recs}
        if set(cls.by_case) != {"good", "nocert"}:
            raise RuntimeError("the listener saw %s\n%s\n%s" % (sorted(cls.by_case),
                                                                 cls.listener.stdout(), exim.log()))

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.listener is not None:
                cls.listener.stop()
        finally:
            mxtest.remove_tempdir(cls.tmp)

    def test_exim_with_certificate_would_pass(self):
        r = self.by_case["good"]
        self.assertEqual(r["client"]["ehlo"], "relay.partner.example")
        self.assertTrue(r["tls"]["established"])
        hello = r["client_hello"]
        self.assertIn(r["tls"]["cipher_suite"], hello["cipher_suites"])
        self.assertIn(r["tls"]["group"], hello["groups"])
        cc = r["client_certificate"]
        self.assertTrue(cc["trusted"], cc)
        self.assertEqual(cc["chain"][0]["sha256"], self.partner.client.sha256)
        self.assertTrue(r["domain_secure"]["would_pass"], r["domain_secure"])
        self.assertTrue(r["mail"]["data_reply"].startswith("250 "))

    def test_exim_without_certificate_would_be_refused(self):
        r = self.by_case["nocert"]
        self.assertTrue(r["tls"]["established"])
        self.assertFalse(r["client_certificate"]["presented"])
        self.assertFalse(r["domain_secure"]["would_pass"])
        self.assertIn("no certificate", r["domain_secure"]["reason"])
        # --sessions 2: it stopped by itself; one refusal is exit 1
        self.assertEqual(self.rc, 1, self.listener.stderr())
        self.assertIn("stopped (done): 2 sessions", self.listener.stderr())


if __name__ == "__main__":
    mxtest.main()
