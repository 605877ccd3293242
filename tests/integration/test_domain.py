#!/usr/bin/python3
"""mxprobe check --domain against Debian's unbound and the standard Postfix.

unbound runs from its own configuration in a temporary directory, in the
foreground (do-daemonize: no), on 127.0.0.1 and a free port, serving only
local-data (local-zone "." static: nothing is ever forwarded or recursed),
and is stopped by its PID.  The zones:

  partner.example   MX 10 mail.test.example   -> tls-good  (certificate names it)
                    MX 20 mx2.partner.example -> tls-none  (no STARTTLS)
  nomx.example      no MX, A -> tls-good      (implicit MX, RFC 5321 section 5.1)
  nullmx.example    MX 0 .                     (null MX, RFC 7505)
  nx.example        nothing: NXDOMAIN
  partner.test      MX 10 mx.partner.home.arpa -> tls-good: internal names under
                    libunbound's built-in local zones (test., home.arpa.), which
                    must reach --resolver (issue 9, kind 5)
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mxtest  # noqa: E402

UNBOUND = os.environ.get("UNBOUND") or "/usr/sbin/unbound"


def free_udp_tcp_port(host):
    """A port free for both UDP and TCP on host (unbound listens on both)."""
    for _ in range(50):
        port = mxtest.free_port(host)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind((host, port))
            return port
        except OSError:
            continue
        finally:
            u.close()
    raise RuntimeError("no free UDP+TCP port on %s" % host)


class Unbound:
    """Debian's unbound in the foreground with a private configuration."""

    START_DEADLINE = 15.0

    def __init__(self, directory, local_data, host="127.0.0.1"):
        self.dir = directory
        self.host = host
        self.port = None
        self.local_data = local_data
        self.proc = None

    def start(self):
        if not os.access(UNBOUND, os.X_OK):
            raise RuntimeError("%s not found: install Debian's unbound package" % UNBOUND)
        mxtest._assert_loopback(self.host)
        self.port = free_udp_tcp_port(self.host)
        conf = os.path.join(self.dir, "unbound.conf")
        lines = [
            "server:",
            "  interface: %s@%d" % (self.host, self.port),
            "  port: %d" % self.port,
            "  do-daemonize: no",
            '  chroot: ""',
            '  username: ""',
            '  directory: "%s"' % self.dir,
            '  pidfile: "%s"' % os.path.join(self.dir, "unbound.pid"),
            "  use-syslog: no",
            '  logfile: "%s"' % os.path.join(self.dir, "unbound.log"),
            "  verbosity: 1",
            '  module-config: "iterator"',   # no validator, no trust anchor fetches
            "  do-ip6: no",
            "  access-control: 127.0.0.0/8 allow",
            '  local-zone: "." static',        # everything else: NXDOMAIN, never recursed
        ]
        for zone, records in self.local_data.items():
            lines.append('  local-zone: "%s." static' % zone)
            for rr in records:
                # a TXT record's own quotes: the line in single quotes
                q = "'" if '"' in rr else '"'
                lines.append("  local-data: %s%s%s" % (q, rr, q))
        lines += ["remote-control:", "  control-enable: no", ""]
        with open(conf, "w") as f:
            f.write("\n".join(lines))
        if shutil.which("unbound-checkconf"):
            mxtest.run(["unbound-checkconf", conf])     # fail early, with unbound's words
        self.proc = subprocess.Popen([UNBOUND, "-d", "-c", conf], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     preexec_fn=mxtest._die_with_parent)
        mxtest._live.add(self)
        end = time.monotonic() + self.START_DEADLINE
        while not mxtest.port_open(self.host, self.port):
            if self.proc.poll() is not None or time.monotonic() > end:
                out = self.proc.stdout.read().decode(errors="replace") if self.proc.poll() is not None \
                    else ""
                self.stop()
                raise RuntimeError("unbound did not listen on %s:%d; output: %s; log: %s"
                                   % (self.host, self.port, out, self.log()))
            time.sleep(0.05)
        return self

    def log(self):
        try:
            with open(os.path.join(self.dir, "unbound.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        mxtest._live.discard(self)
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)     # by its PID: the one we started
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()

    @property
    def resolver(self):
        return "%s:%d" % (self.host, self.port)


class Domains(mxtest.MxTestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = mxtest.make_tempdir("mxtest-domain-")
        cls.dns = None
        try:
            cls.pki, cls.pf = mxtest.start_standard_postfix(cls.tmp)
            cls.good = cls.pf.cases["tls-good"].addr
            cls.bad = cls.pf.cases["tls-none"].addr
            zones = {
                "partner.example": [
                    "partner.example. IN MX 20 mx2.partner.example.",
                    "partner.example. IN MX 10 %s." % mxtest.LEAF_NAME,
                    "mx2.partner.example. IN A %s" % cls.bad,
                ],
                "test.example": ["%s. IN A %s" % (mxtest.LEAF_NAME, cls.good)],
                "nomx.example": ["nomx.example. IN A %s" % cls.good],
                "nullmx.example": ["nullmx.example. IN MX 0 ."],
                # Special-use names libunbound would answer itself (NXDOMAIN).
                "partner.test": ["partner.test. IN MX 10 mx.partner.home.arpa."],
                "partner.home.arpa": ["mx.partner.home.arpa. IN A %s" % cls.good],
            }
            dns_dir = os.path.join(cls.tmp, "unbound")
            os.makedirs(dns_dir)
            cls.dns = Unbound(dns_dir, zones).start()
        except BaseException:
            if cls.dns:
                cls.dns.stop()
            if getattr(cls, "pf", None):
                cls.pf.__exit__(None, None, None)
            mxtest.remove_tempdir(cls.tmp)
            raise
        cls.all = cls.probe("--domain", "partner.example", "--domain", "nomx.example",
                            "--domain", "nullmx.example", "--domain", "nx.example")

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.dns:
                cls.dns.stop()
            cls.pf.__exit__(None, None, None)
        finally:
            mxtest.remove_tempdir(cls.tmp)

    @classmethod
    def probe(cls, *args, fmt="json"):
        return mxtest.run_mxprobe(["check", "--format", fmt, "--timeout", "5",
                                   "--ca-file", cls.pki.root.cert,
                                   "--resolver", cls.dns.resolver] + list(args), timeout=90)

    def domain(self, res, name):
        for d in res.json["domains"]:
            if d["domain"] == name:
                return d
        self.fail("no domain %s in the report\n%s" % (name, res.describe()))

    # -- the two-MX domain

    def test_two_mx_probed_in_order(self):
        res = self.all
        self.assertExit(res, 1)     # partner.example fails under encrypt
        d = self.domain(res, "partner.example")
        self.assertEq(res, d["mx_kind"], "mx", "mx_kind")
        self.assertEq(res, [(m["preference"], m["host"]) for m in d["mx"]],
                      [(10, mxtest.LEAF_NAME), (20, "mx2.partner.example")], "MX order")
        self.assertEq(res, [a["address"] for a in d["mx"][0]["addresses"]], [self.good], "MX 10")
        self.assertEq(res, [a["address"] for a in d["mx"][1]["addresses"]], [self.bad], "MX 20")
        self.assertEq(res, d["dnssec"], "insecure", "no trust anchor: insecure")
        self.assertEq(res, d["mx"][0]["addresses"][0]["dnssec"], "insecure", "A answer")
        # both MX addresses probed, each as its own target, SNI = MX name
        targets = res.json["targets"]
        by_addr = {t["host"]: t for t in targets if t["domain"] == "partner.example"}
        self.assertEq(res, sorted(by_addr), sorted([self.good, self.bad]), "targets")
        good = by_addr[self.good]
        self.assertEq(res, good["mx_host"], mxtest.LEAF_NAME, "mx_host")
        self.assertEq(res, good["mx_pref"], 10, "mx_pref")
        self.assertEq(res, good["session"]["tls"]["sni"], mxtest.LEAF_NAME, "SNI is the MX name")
        self.assertEq(res, good["input"], "%s[%s]:25" % (mxtest.LEAF_NAME, self.good), "input")
        self.assertFalse(by_addr[self.bad]["session"]["capabilities"]["plain"]["starttls"])

    def test_verdict_names_broken_mx(self):
        res = self.all
        d = self.domain(res, "partner.example")
        self.assertEq(res, d["verdict"], "fail", "verdict")
        self.assertEq(res, d["policy"], "encrypt", "policy")
        self.assertEq(res, len(d["broken"]), 1, "one broken address")
        b = d["broken"][0]
        self.assertEq(res, (b["mx"], b["address"]), ("mx2.partner.example", self.bad), "broken")
        self.assertIn("starttls.missing", b["reason"], res.describe())
        good, bad = d["mx"][0]["addresses"][0], d["mx"][1]["addresses"][0]
        self.assertTrue(good["pass"], res.describe())
        self.assertFalse(bad["pass"], res.describe())
        # STARTTLS offered by one MX and not the other
        ids = [(f["id"], f["severity"]) for f in d["findings"]]
        self.assertIn(("domain.inconsistent", "warn"), ids, res.describe())
        inc = [f for f in d["findings"] if "STARTTLS" in f["title"]][0]
        self.assertEq(res, inc["evidence"].get("mx2.partner.example[%s]" % self.bad),
                      "not offered", "evidence")

    def test_mail_fate(self):
        res = self.all
        d = self.domain(res, "partner.example")
        good, bad = d["mx"][0]["addresses"][0], d["mx"][1]["addresses"][0]
        for pol in ("may", "encrypt", "verify", "secure"):
            self.assertEq(res, good["fate"][pol]["action"], "deliver-tls", "good MX, " + pol)
            self.assertEq(res, good["fate"][pol]["text"], "deliver over TLS", "text")
        self.assertEq(res, good["fate"]["none"]["action"], "deliver-clear", "none")
        # domain security wants partner.example itself in the certificate,
        # which names only mail.test.example: checked, info below domain-secure
        self.assertEq(res, good["fate"]["domain-secure"]["action"], "defer-bounce", "domain-secure")
        self.assertIn("partner's domain", good["fate"]["domain-secure"]["reason"], res.describe())
        t = res.json["targets"][good["target"]]
        partner = [f for p in t["probes"] for f in p["findings"]
                   if f["evidence"].get("checked_as") == "partner domain (--domain)"]
        self.assertEq(res, [(f["id"], f["severity"], f["evidence"]["name"]) for f in partner],
                      [("cert.name-mismatch", "info", "partner.example")], "partner domain check")
        self.assertEq(res, bad["fate"]["may"]["action"], "deliver-clear", "broken MX, may")
        for pol in ("encrypt", "verify", "secure", "domain-secure"):
            self.assertEq(res, bad["fate"][pol]["action"], "defer-bounce", "broken MX, " + pol)
        self.assertIn("NDR", bad["fate"]["encrypt"]["text"], res.describe())
        self.assertIn("STARTTLS", bad["fate"]["encrypt"]["reason"], res.describe())
        self.assertEq(res, d["fate"]["encrypt"], "defer-bounce", "domain under encrypt")
        self.assertEq(res, d["safe_policies"], ["none", "may"], "safe levels")

    # -- the other domains

    def test_implicit_mx(self):
        res = self.all
        d = self.domain(res, "nomx.example")
        self.assertEq(res, d["mx_kind"], "implicit-mx", "mx_kind")
        self.assertEq(res, len(d["mx"]), 1, "one implicit MX")
        m = d["mx"][0]
        self.assertEq(res, (m["preference"], m["host"], m["implicit"]),
                      (None, "nomx.example", True), "the domain itself")
        self.assertEq(res, [a["address"] for a in m["addresses"]], [self.good], "its A record")
        t = res.json["targets"][m["addresses"][0]["target"]]
        self.assertEq(res, (t["host"], t["mx_host"], t["mx_pref"]),
                      (self.good, "nomx.example", None), "target")
        self.assertEq(res, t["status"], "tested", "probed")

    def test_summary_counts(self):
        res = self.all
        self.assertEq(res, res.json["summary"]["domains"], 4, "summary.domains")
        self.assertEq(res, res.json["summary"]["targets"], len(res.json["targets"]), "summary.targets")

    def test_null_mx_and_nxdomain(self):
        res = self.all
        n = self.domain(res, "nullmx.example")
        self.assertEq(res, (n["mx_kind"], n["verdict"]), ("null-mx", "no-mail"), "null MX")
        self.assertIn("accepts no mail", n["error"], res.describe())
        self.assertEq(res, n["mx"], [], "nothing to probe")
        x = self.domain(res, "nx.example")
        self.assertEq(res, (x["mx_kind"], x["verdict"]), ("nxdomain", "error"), "NXDOMAIN")
        self.assertIn("NXDOMAIN", x["error"], res.describe())
        # no target for either
        self.assertFalse([t for t in res.json["targets"]
                          if t["domain"] in ("nullmx.example", "nx.example")], res.describe())

    def test_internal_zones_reach_the_resolver(self):
        # test. and home.arpa. are default local zones of libunbound: without
        # making them transparent the MX query never leaves the process.
        res = self.probe("--policy", "may", "--domain", "partner.test")
        self.assertExit(res, 0)
        d = self.domain(res, "partner.test")
        self.assertEq(res, d["mx_kind"], "mx", "mx_kind")
        self.assertEq(res, [(m["preference"], m["host"]) for m in d["mx"]],
                      [(10, "mx.partner.home.arpa")], "MX from the test resolver")
        self.assertEq(res, [a["address"] for a in d["mx"][0]["addresses"]], [self.good],
                      "A under home.arpa from the test resolver")
        t = res.json["targets"][d["mx"][0]["addresses"][0]["target"]]
        self.assertEq(res, t["status"], "tested", "probed")

    def test_policy_may_passes(self):
        res = self.probe("--policy", "may", "--domain", "partner.example")
        self.assertExit(res, 0)
        d = self.domain(res, "partner.example")
        self.assertEq(res, (d["verdict"], d["policy"], d["broken"]), ("pass", "may", []), "may")

    def test_text_table(self):
        res = self.probe("--domain", "partner.example", "--domain", "nullmx.example", fmt="text")
        self.assertExit(res, 1)
        out = res.stdout
        self.assertIn("== Domain partner.example: FAIL under policy encrypt", out, res.describe())
        self.assertIn("Breaks the policy: MX mx2.partner.example, address %s" % self.bad, out)
        self.assertIn("What will happen to mail for partner.example", out)
        self.assertIn("deliver over TLS", out)
        self.assertIn("defer, then bounce (NDR) after the retry period", out)
        self.assertIn("Safe to switch partner.example to: none, may", out)
        self.assertIn("== Domain nullmx.example: accepts no mail (null MX)", out)
        row = [line for line in out.splitlines()
               if line.strip().startswith("mx2.partner.example[%s]" % self.bad)
               and len(line.split()) == 7]
        self.assertEq(res, len(row), 1, "one table row for the broken MX")
        self.assertEq(res, row[0].split()[1:5], ["clear", "clear", "defer", "defer"], "row")
        # A --domain-only run counts its domains and their MX addresses
        # (issue 9: it said "in 0 targets").
        summary = [line for line in out.splitlines() if line.startswith("Summary:")]
        self.assertEq(res, len(summary), 1, "one summary line")
        self.assertTrue(summary[0].endswith(" in 2 domains (2 MX addresses probed)"), res.describe())

    def test_log_names_the_mx(self):
        res = self.probe("--domain", "partner.example", fmt="log")
        self.assertExit(res, 1)
        self.assertIn("#Domain: partner.example MX 10 %s" % mxtest.LEAF_NAME, res.stdout,
                      res.describe())
        self.assertIn("#Domain: partner.example MX 20 mx2.partner.example", res.stdout)

    def test_usage_errors(self):
        for args, word in ((["--domain", "bad domain"], "--domain"),
                           (["--resolver", "localhost", "--domain", "x.example"], "--resolver"),
                           (["--resolver", "127.0.0.1:99999", "--domain", "x.example"], "--resolver")):
            res = mxtest.run_mxprobe(["check"] + args)
            self.assertExit(res, 2)
            self.assertIn(word, res.stderr, res.describe())
            self.assertEq(res, len(res.stderr.strip().splitlines()), 1, "one-line error")


if __name__ == "__main__":
    mxtest.main()
