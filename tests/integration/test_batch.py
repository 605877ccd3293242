#!/usr/bin/python3
"""Many targets at once (issue 11): the worker pool, the per-host connection
cap, the hostile third, --targets-file, and the batch formats, against real
servers on loopback:

  * one private Postfix with 24 smtpd services on 127.0.B.1..24 (good TLS);
  * six mxtestsrv "good" servers on ONE address (different ports): the
    per-host cap is per address, so at most 2 of them may be talked to at
    once;
  * fifteen hostile mxtestsrv servers, each on its own address: silent,
    tarpit (banner one byte every 70 ms), 421 at the banner, reset (RST);
  * a private Exim with its default smtp_accept_max (20).

Every server sits behind a counting relay (mxrelay.py) that sees each
connection mxprobe opens the moment it is opened, so the test counts the
connections open at once on the server side, per address.

Outputs are checked by their own consumers: each JSON line against
docs/mxprobe.schema.json, the JUnit XML against tests/schemas/junit.xsd with
python3-xmlschema, the Prometheus exposition with `promtool check metrics`,
the Nagios line against the Monitoring Plugins conventions.
"""

import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mxexim  # noqa: E402
import mxrelay  # noqa: E402
import mxtest  # noqa: E402

# The engine is under test here, not the probes: the standard session alone
# (no require-tls, relay, injection connections, no second key-type
# handshake), so that one target is one connection.
ONE_SESSION = ["--probes", "-require-tls,-relay,-injection", "--one-key"]

N_POSTFIX = 24
SAME_HOST = 6
HOSTILE = (["silent"] * 4 + ["tarpit"] * 4 + ["banner-421"] * 4 + ["reset"] * 3)
STEP = 6            # --timeout: the tarpit's 2.8 s banner fits even on a loaded machine
DEADLINE = 12       # --target-timeout
SLACK = 2.5         # scheduling slack under the sanitizers on 2 shared cores
XSD = os.path.join(mxtest.SOURCE_DIR, "tests", "schemas", "junit.xsd")

EXIM_CONF = r"""# tests/integration/test_batch.py: smtp_accept_max left at its default (20)
tls_advertise_hosts = *
tls_certificate = @DIR@/chain.pem
tls_privatekey = @DIR@/leaf.key
acl_smtp_rcpt = acl_check_rcpt

begin acl
acl_check_rcpt:
  deny message = nothing is delivered here
"""


def findings(t, probe=None):
    return [f for p in t.get("probes") or [] if probe in (None, p["name"])
            for f in p.get("findings") or []]


def ev(f, key):
    return (f.get("evidence") or {}).get(key)


class Batch(mxtest.MxTestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = mxtest.make_tempdir("mxtest-batch-")
        cls.servers, cls.hub, cls.pf, cls.block = [], None, None, None
        cls.exim = None
        try:
            cls._setup()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def _setup(cls):
        cls.hub = mxrelay.Hub()
        pf_block = mxtest.Block(N_POSTFIX)
        addrs = pf_block.addrs(N_POSTFIX)
        cls.pki = mxtest.Pki(os.path.join(cls.tmp, "pki"), ips=["127.0.0.1"] + addrs)
        pfdir = os.path.join(cls.tmp, "postfix")
        os.makedirs(pfdir)
        os.chmod(pfdir, 0o755)
        cases = [mxtest.PostfixCase("good-%d" % i, {
            "smtpd_tls_security_level": "may",
            "smtpd_tls_chain_files": cls.pki.leaf_full,
            "syslog_name": "postfix-good-%d" % i}) for i in range(N_POSTFIX)]
        cls.pf = mxtest.Postfix(pfdir, cases, block=pf_block)
        cls.pf.__enter__()
        # The hostile servers and the shared-address ones get addresses of
        # a second block (nothing else listens there).
        cls.block = mxtest.Block(len(HOSTILE) + 1)
        haddrs = cls.block.addrs(len(HOSTILE) + 1)
        cls.shared_addr = haddrs[-1]

        def relay(host, port):
            return cls.hub.relay(host, port)

        cls.good = [relay(c.addr, 25) for c in cases]
        cls.same = []
        for _ in range(SAME_HOST):
            s = mxtest.TestServer("good", pki=cls.pki, host=cls.shared_addr).start()
            cls.servers.append(s)
            cls.same.append(relay(cls.shared_addr, s.port))
        cls.hostile = {}
        for addr, behaviour in zip(haddrs, HOSTILE):
            extra = ["--tarpit-ms", "70"] if behaviour == "tarpit" else []
            s = mxtest.TestServer(behaviour, pki=cls.pki, host=addr, extra=extra).start()
            cls.servers.append(s)
            cls.hostile[relay(addr, s.port)] = behaviour
        # Input order: the hostile third spread through the good ones.
        good = cls.good + cls.same
        hostile = list(cls.hostile)
        cls.order = []
        while good or hostile:
            cls.order += good[:2]
            del good[:2]
            if hostile:
                cls.order.append(hostile.pop(0))
        cls.hub.start()
        cls.tfile = os.path.join(cls.tmp, "targets.txt")
        with open(cls.tfile, "w") as f:
            f.write("# issue 11: a batch with a hostile third\n\n")
            for t in cls.order:
                f.write("%s   # %s\n" % (t, cls.hostile.get(t, "good")))
        t0 = time.monotonic()
        cls.res = mxtest.run_mxprobe(
            ["check", "--targets-file", cls.tfile, "--format", "jsonl", "--timeout", str(STEP),
             "--target-timeout", str(DEADLINE), "--ca-file", cls.pki.root.cert] + ONE_SESSION
            # the greeting's own wait (issue 9) is not charged to
            # --target-timeout: bound it too, so the deadline is the bound
            + ["--greeting-timeout", str(STEP)], timeout=300)
        cls.elapsed = time.monotonic() - t0
        cls.lines = [json.loads(x) for x in cls.res.stdout.splitlines() if x.strip()]
        cls.peaks = cls.hub.peaks()

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.hub is not None:
                cls.hub.stop()
            for s in cls.servers:
                s.stop()
            if cls.exim is not None:
                cls.exim.stop()
            if cls.pf is not None:
                cls.pf.__exit__(None, None, None)
            if cls.block is not None:
                cls.block.release()
        finally:
            mxtest.remove_tempdir(cls.tmp)

    def by_input(self):
        return {d["targets"][0]["input"]: d["targets"][0] for d in self.lines if d["targets"]}

    # -- the batch with a hostile third

    def test_every_target_reported_in_input_order(self):
        self.assertExit(self.res, 3)
        inputs = [d["targets"][0]["input"] for d in self.lines]
        self.assertEqual(inputs, self.order, self.res.describe())
        for d in self.lines:
            mxtest.validate_json(d)

    def test_no_target_past_its_deadline(self):
        """No target waited on the network past its own deadline, which
        runs from its first connection (waiting for a slot of a busy address
        is mxprobe's queue): its last network event (the transcript's last
        entry: a close, a timeout) came within --target-timeout (plus
        scheduling slack) of its first "Connecting to". The CPU work after
        the session (chain validation) is not a wait and is not bounded by
        the deadline; on a loaded machine it can take a while."""
        durations = [d["targets"][0]["duration_ms"] / 1000.0 for d in self.lines]
        for d in self.lines:
            t = d["targets"][0]
            tr = t["transcript"]
            start = min(e["t_ms"] for e in tr if e["text"].startswith("Connecting to"))
            last = (max(e["t_ms"] for e in tr) - start) / 1000.0
            self.assertLessEqual(last, DEADLINE + SLACK,
                                 "%s: last network event %.1f s after the first connection"
                                 % (t["input"], last))
        # Side by side: the run took far less than the targets one after another.
        self.assertLess(self.elapsed, sum(durations) / 2,
                        "run %.1f s, sum of targets %.1f s" % (self.elapsed, sum(durations)))

    def test_per_host_cap_seen_by_the_servers(self):
        for addr, peak in self.peaks.items():
            self.assertLessEqual(peak, 2, "%s saw %d connections at once" % (addr, peak))
        # Six targets on one address: they did overlap, two at a time.
        self.assertEqual(self.hub.total[self.shared_addr], SAME_HOST)
        self.assertEqual(self.peaks[self.shared_addr], 2, self.peaks)

    def test_good_targets_pass(self):
        ts = self.by_input()
        for t in self.good + self.same:
            self.assertEqual(ts[t]["status"], "tested", t)
            self.assertNotIn(ts[t]["worst"], ("fail", "error"), t)

    def test_hostile_targets(self):
        ts = self.by_input()
        for target, behaviour in self.hostile.items():
            t = ts[target]
            ids = [f["id"] for f in findings(t)]
            if behaviour == "silent":
                self.assertEqual(t["status"], "untestable")
                self.assertEqual(t["session"]["failed_step"], "banner", t["session"])
            elif behaviour == "reset":
                self.assertEqual(t["status"], "untestable")
                self.assertIn(t["session"]["failed_step"], ("banner", "connect"), t["session"])
            elif behaviour == "banner-421":
                self.assertEqual(t["status"], "untestable")
                retried = [f for f in findings(t, "budget") if f["id"] == "budget.retried"]
                self.assertEqual(len(retried), 1, ids)
                self.assertEqual(ev(retried[0], "second_attempt"), "turned away again")
                self.assertIn("421", ev(retried[0], "first_reply"))
                self.assertIn("budget.slowed-down", ids)
                self.assertEqual(t["connections"], 2, "both attempts' connections")
            elif behaviour == "tarpit":
                # The banner came, slowly: tested, and slowed down for. On a
                # machine so loaded that the 2.8 s banner took longer than
                # the step timeout, it is a banner timeout instead.
                if t["status"] == "tested":
                    self.assertIn("budget.slowed-down", ids)
                else:
                    self.assertEqual(t["session"]["failed_step"], "banner", t["session"])
                    self.assertEqual(t["session"]["error"], "TIMEOUT", t["session"])

    # -- --targets-file errors

    def test_targets_file_bad_lines(self):
        path = os.path.join(self.tmp, "bad.txt")
        with open(path, "w") as f:
            f.write("# comment\n%s\nnot a target!\n\ndomain:no..dots\n%s\n" % (self.good[0],
                                                                             self.good[1]))
        res = mxtest.run_mxprobe(["check", "--targets-file", path, "--format", "json",
                                  "--ca-file", self.pki.root.cert] + ONE_SESSION)
        # The good lines ran; the bad ones were named with FILE:LINE; the
        # file needs fixing, so the run ends with 2.
        self.assertExit(res, 2)
        self.assertIn("%s:3:" % path, res.stderr)
        self.assertIn("%s:5:" % path, res.stderr)
        self.assertEqual([t["input"] for t in json.loads(res.stdout)["targets"]], self.good[:2])

    def test_targets_from_stdin(self):
        proc = subprocess.run([mxtest.mxprobe_path(), "check", "--targets-file", "-", "--format",
                               "jsonl", "--ca-file", self.pki.root.cert, "-q"] + ONE_SESSION,
                              input="%s\n%s\n" % (self.good[2], self.good[3]), text=True,
                              capture_output=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stderr, "", "no progress line when stderr is not a terminal")
        lines = [json.loads(x) for x in proc.stdout.splitlines()]
        self.assertEqual([d["targets"][0]["input"] for d in lines], self.good[2:4])

    def test_progress_line_on_a_terminal(self):
        """The progress line goes to standard error when it is a terminal,
        and -q turns it off; standard output keeps only the report."""
        import pty
        for quiet in (False, True):
            master, slave = pty.openpty()
            try:
                cmd = [mxtest.mxprobe_path(), "check", "--format", "jsonl", "--ca-file",
                       self.pki.root.cert] + ONE_SESSION + (["-q"] if quiet else []) + self.good[:4]
                proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=slave, timeout=60)
                os.close(slave)
                slave = None
                err = b""
                while True:
                    try:
                        chunk = os.read(master, 65536)
                    except OSError:
                        break
                    if not chunk:
                        break
                    err += chunk
            finally:
                os.close(master)
                if slave is not None:
                    os.close(slave)
            self.assertEqual(proc.returncode, 0, err)
            self.assertEqual(len(proc.stdout.splitlines()), 4)
            if quiet:
                self.assertEqual(err, b"")
            else:
                self.assertIn(b"[4/4] 0 running, 0 failed", err)
                self.assertTrue(err.endswith(b"\r\x1b[K"), err[-40:])

    # -- the formats, each checked by its consumer

    def run_format(self, fmt, targets, *extra):
        # The greeting's wait bounded as in the batch run: a silent server
        # otherwise costs the greeting's own default (60 s, not charged to
        # --target-timeout) for nothing these cases look at.
        return mxtest.run_mxprobe(["check", "--format", fmt, "--timeout", str(STEP),
                                   "--target-timeout", str(DEADLINE), "--greeting-timeout", str(STEP),
                                   "--ca-file", self.pki.root.cert] + ONE_SESSION + list(extra) + targets,
                                  timeout=120)

    def test_junit_validates(self):
        import xmlschema
        schema = xmlschema.XMLSchema(XSD)
        targets = self.good[:2] + [t for t, b in self.hostile.items() if b == "reset"][:1]
        res = self.run_format("junit", targets)
        self.assertExit(res, 3)
        schema.validate(res.stdout)
        doc = schema.to_dict(res.stdout)
        suites = doc["testsuite"]
        self.assertEqual([s["@name"] for s in suites], targets)
        self.assertEqual(suites[2]["@errors"], sum(1 for c in suites[2]["testcase"]
                                                   if "error" in c))
        self.assertGreaterEqual(suites[2]["@errors"], 1)
        self.assertEqual(suites[0]["@failures"], 0)
        # --fail-on warn makes warnings failures (revocation cannot be
        # checked without sources: a warning under the default soft mode).
        res = self.run_format("junit", self.good[:1], "--fail-on", "warn")
        schema.validate(res.stdout)
        warn = sum(1 for c in schema.to_dict(res.stdout)["testsuite"][0]["testcase"]
                   if "failure" in c)
        self.assertEqual(res.returncode, 1 if warn else 0, res.describe())

    def test_prometheus_promtool(self):
        targets = self.good[:2] + [t for t, b in self.hostile.items() if b == "silent"][:1]
        res = self.run_format("prometheus", targets)
        self.assertExit(res, 3)
        check = subprocess.run(["promtool", "check", "metrics"], input=res.stdout, text=True,
                               capture_output=True, timeout=30)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr + res.stdout)
        self.assertRegex(res.stdout, r'mxprobe_probe_success\{target="%s",[^}]*\} 1'
                         % re.escape(targets[0]))
        self.assertRegex(res.stdout, r'mxprobe_target_tested\{target="%s",[^}]*\} 0'
                         % re.escape(targets[2]))
        m = re.search(r'mxprobe_cert_expiry_seconds\{target="%s",[^}]*\} (\d+)'
                      % re.escape(targets[0]), res.stdout)
        self.assertTrue(m, res.stdout)
        self.assertAlmostEqual(int(m.group(1)) / 86400, 364, delta=2)

    def test_nagios(self):
        # OK: exit 0, "MXPROBE OK - ...", perfdata 'label'=value[UOM];warn;crit;min;max
        res = self.run_format("nagios", self.good[:1], "--fail-on", "fail")
        first = res.stdout.splitlines()[0]
        self.assertIn(res.returncode, (0, 1), res.describe())
        state = {0: "OK", 1: "WARNING"}[res.returncode]
        self.assertTrue(first.startswith("MXPROBE %s - " % state), first)
        status, perf = first.split(" | ", 1)
        item = r"'[^'=]+'=-?[0-9.]+(s|%|B|c)?;[0-9.]*;[0-9.]*;[0-9.]*;[0-9.]*"
        self.assertRegex(perf, r"^%s( %s)*$" % (item, item))
        self.assertIn("'%s leaf_days'=" % self.good[0], perf)
        self.assertIn("'%s handshake'=" % self.good[0], perf)
        self.assertIn("'%s connections'=1;" % self.good[0], perf)
        # A silent server: CRITICAL, exit 2.
        silent = [t for t, b in self.hostile.items() if b == "silent"][:1]
        res = self.run_format("nagios", silent)
        self.assertEqual(res.returncode, 2, res.describe())
        self.assertTrue(res.stdout.startswith("MXPROBE CRITICAL - "), res.stdout)
        self.assertIn("%s: CRITICAL - could not be tested" % silent[0], res.stdout)

    # -- Exim at its default connection limit

    def test_exim_default_limit(self):
        edir = os.path.join(self.tmp, "exim")
        os.makedirs(edir, exist_ok=True)
        self.pki._concat(os.path.join(edir, "chain.pem"), [self.pki.leaf.cert, self.pki.inter.cert])
        with open(self.pki.leaf.key) as src, open(os.path.join(edir, "leaf.key"), "w") as dst:
            dst.write(src.read())
        os.chmod(os.path.join(edir, "leaf.key"), 0o644)
        port = mxtest.free_port("127.0.0.1")
        type(self).exim = mxexim.Exim(edir, [port], EXIM_CONF).start()
        hub = mxrelay.Hub()
        target = hub.relay("127.0.0.1", port)
        hub.start()
        try:
            res = self.run_format("jsonl", [target] * 30, "--jobs", "30")
        finally:
            hub.stop()
        lines = [json.loads(x) for x in res.stdout.splitlines()]
        self.assertEqual(len(lines), 30, res.describe())
        self.assertLessEqual(hub.peak("127.0.0.1"), 2)
        self.assertEqual([d for d in lines if d["targets"][0]["session"]["reply_421"]], [])
        for d in lines:
            t = d["targets"][0]
            self.assertEqual(t["status"], "tested", t["session"])
            self.assertNotIn("budget", [p["name"] for p in t["probes"]])
        self.assertNotIn("Too many concurrent SMTP connections", self.exim.log())


if __name__ == "__main__":
    mxtest.main()
