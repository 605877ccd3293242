#!/usr/bin/python3
"""mxprobe against the in-tree scripted server (mxtestsrv): what no real MTA
does on purpose.  Each behaviour must give a clear finding, no crash, and no
wait longer than its deadline; every JSON output validates against the schema.
"""

import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mxtest  # noqa: E402

NOT_A_CRASH = (0, 1, 3)


class TestServerBehaviours(mxtest.MxTestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = mxtest.make_tempdir("mxtest-testsrv-")
        try:
            cls.pki = mxtest.Pki(os.path.join(cls.tmp, "pki"))
        except BaseException:
            mxtest.remove_tempdir(cls.tmp)
            raise

    @classmethod
    def tearDownClass(cls):
        mxtest.remove_tempdir(cls.tmp)

    def probe(self, behaviour, *extra, timeout="5", wall=60):
        # These cases are about the standard session: leave out the probes
        # with connections of their own (mxtestsrv serves one connection at
        # a time, and a tarpit or a hold would cost each of them the same
        # wait); test_verdicts.py covers those against mxtestsrv.
        if "--probes" not in extra:
            extra = ("--probes", "-require-tls,-relay,-injection") + tuple(extra)
        with mxtest.TestServer(behaviour, self.pki) as srv:
            res = mxtest.run_mxprobe(["check", "--format", "json", "--timeout", timeout]
                                     + list(extra) + [srv.target], timeout=wall)
        self.assertNotCrashed(res)
        self.assertIsNotNone(res.json, res.describe())
        self.assertEq(res, len(res.json["targets"]), 1, "one target")
        return res

    # -- a good server first, so a broken test server shows up as such

    def test_good(self):
        res = self.probe("good")
        self.assertExit(res, 0)
        s = res.session
        self.assertEq(res, s["starttls"]["state"], "accepted", "starttls.state")
        self.assertTrue(s["tls_ok"], res.describe())
        self.assertEq(res, res.target["chain"][0]["sha1"], self.pki.leaf.sha1, "leaf SHA-1")
        self.assertFinding(res, "tls.handshake", "pass")
        # This server offers AUTH only after TLS.
        self.assertFalse(s["capabilities"]["plain"]["auth"], res.describe())
        self.assertTrue(s["capabilities"]["tls"]["auth"], res.describe())
        self.assertFinding(res, "auth.after-tls", "pass")

    def test_no_reply_stall(self):
        # The test server answers at once too (TCP_NODELAY, quick ACKs):
        # no reply waits on a delayed ACK or on Nagle (issue 16). The median
        # of seven runs per command, as test_postfix.py's test_no_reply_stall.
        per_cmd = {}
        with mxtest.TestServer("good", self.pki) as srv:
            for _ in range(7):
                # the standard session alone: its commands in order
                res = mxtest.run_mxprobe(["check", "--format", "json", "--timeout", "5", "--probes", "starttls",
                                          srv.target])
                self.assertExit(res, 0)
                gaps = mxtest.reply_gaps(res)
                self.assertEq(res, [c for c, _ in gaps], ["EHLO", "STARTTLS", "EHLO", "QUIT"], "commands")
                for i, (cmd, ms) in enumerate(gaps):
                    per_cmd.setdefault("%d %s" % (i, cmd), []).append(ms)
        for cmd, times in per_cmd.items():
            self.assertLessEqual(statistics.median(times), mxtest.STALL_BOUND_MS,
                                 "reply to %s: median %.1f ms over 7 runs %s"
                                 % (cmd, statistics.median(times), sorted(times)))

    def test_no_starttls(self):
        res = self.probe("no-starttls")
        self.assertExit(res, 1)
        self.assertEq(res, res.session["starttls"]["state"], "not-offered", "starttls.state")
        self.assertFinding(res, "starttls.missing", "fail")

    def test_starttls_454(self):
        res = self.probe("starttls-454")
        self.assertExit(res, 1)
        s = res.session
        self.assertEq(res, s["starttls"]["state"], "refused", "starttls.state")
        self.assertEq(res, s["starttls"]["reply"]["code"], 454, "STARTTLS reply code")
        self.assertFalse(s["tls_ok"], res.describe())
        self.assertEq(res, s["failed_step"], "starttls", "failed_step")
        f = self.assertFinding(res, "diag.starttls", "fail")
        self.assertIn("454", json.dumps(f), res.describe())
        self.assertNoFinding(res, "starttls.accepted")
        self.assertNoFinding(res, "tls.handshake")

    def test_starttls_454_narrow_probes(self):
        # --probes without diagnose still explains a broken session: no all-clear.
        res = self.probe("starttls-454", "--probes", "starttls")
        self.assertExit(res, 1)
        self.assertFinding(res, "diag.starttls", "fail")

    def test_starttls_454_policy_may(self):
        # Opportunistic TLS: a refused STARTTLS is a warning, not a failure.
        res = self.probe("starttls-454", "--policy", "may")
        self.assertExit(res, 0)
        self.assertFinding(res, "diag.starttls", "warn")

    def test_garbage_banner(self):
        res = self.probe("garbage-banner")
        self.assertExit(res, (1, 3))
        s = res.session
        self.assertEq(res, s["failed_step"], "banner", "failed_step")
        self.assertIsNotNone(s["error"], res.describe())
        self.assertFinding(res, "diag.banner")

    def test_endless_line(self):
        res = self.probe("endless-line", timeout="3", wall=30)
        self.assertExit(res, (1, 3))
        s = res.session
        self.assertEq(res, s["failed_step"], "banner", "failed_step")
        self.assertEq(res, s["error"], "LINE_TOO_LONG", "error")
        self.assertFinding(res, "diag.banner")
        self.assertLess(res.elapsed, 10, res.describe())

    def test_silent(self):
        res = self.probe("silent", "--greeting-timeout", "2", timeout="2", wall=30)
        self.assertExit(res, (1, 3))
        s = res.session
        self.assertTrue(s["connected"], res.describe())
        self.assertEq(res, s["failed_step"], "banner", "failed_step")
        self.assertEq(res, s["error"], "TIMEOUT", "error")
        f = self.assertFinding(res, "diag.banner")
        self.assertIn("sent nothing", f["title"], res.describe())
        self.assertEq(res, f["evidence"]["bytes_received"], "0", "nothing arrived")
        self.assertEq(res, s["banner_first_byte_ms"], None, "no first byte")
        self.assertEq(res, s["banner_partial"], None, "nothing kept")
        self.assertLess(res.elapsed, 6, res.describe())

    # -- issue 9, kind 8: a slow greeting is not a silent server

    def test_delayed_greeting_is_waited_for(self):
        # A 7 s greet pause: beyond the 2 s step timeout and the 5 s target
        # timeout, well within the greeting's own 60 s. The standard session
        # alone: each further connection would wait out the pause again.
        with mxtest.TestServer("good", self.pki, extra=["--banner-delay-ms", "7000"]) as srv:
            res = mxtest.run_mxprobe(["check", "--format", "json", "--timeout", "2",
                                      "--target-timeout", "5", "--one-key",
                                      "--probes", "-require-tls,-relay,-injection", srv.target],
                                     timeout=60)
        self.assertExit(res, 0)
        s = res.session
        self.assertEq(res, s["failed_step"], "none", "the whole session ran")
        self.assertTrue(s["tls_ok"], res.describe())
        f = self.assertFinding(res, "smtp.greeting-delay", "info")
        self.assertGreaterEqual(float(f["evidence"]["seconds"]), 6.5, res.describe())
        self.assertEq(res, f["evidence"]["trickled"], "no", "a pause, not a trickle")
        self.assertIn("greet", f["title"], res.describe())
        self.assertFalse(s["banner_trickled"], res.describe())
        self.assertGreaterEqual(s["banner_first_byte_ms"], 6500, res.describe())
        self.assertNoFinding(res, "smtp.slow-reply")
        # The same pause with a greeting timeout below it: nothing arrived.
        with mxtest.TestServer("good", self.pki, extra=["--banner-delay-ms", "7000"]) as srv:
            res = mxtest.run_mxprobe(["check", "--format", "json", "--greeting-timeout", "3",
                                      srv.target], timeout=60)
        self.assertExit(res, 3)
        f = self.assertFinding(res, "diag.banner", "error")
        self.assertIn("sent nothing", f["title"], res.describe())
        self.assertIn("--greeting-timeout", res.session["error_detail"], res.describe())
        self.assertLess(res.elapsed, 10, res.describe())

    def test_tarpit_that_never_finishes(self):
        # One byte every 1.5 s: 4 s show "220 " and no end of line.
        with mxtest.TestServer("tarpit", self.pki, extra=["--tarpit-ms", "1500"]) as srv:
            res = mxtest.run_mxprobe(["check", "--format", "json", "--greeting-timeout", "4",
                                      srv.target], timeout=60)
        self.assertExit(res, 3)
        s = res.session
        self.assertEq(res, (s["failed_step"], s["error"]), ("banner", "TIMEOUT"), "failed")
        f = self.assertFinding(res, "diag.banner", "error")
        self.assertIn("trickled", f["title"], res.describe())
        self.assertTrue(f["evidence"]["partial_greeting"].startswith("220"), res.describe())
        self.assertGreater(int(f["evidence"]["bytes_received"]), 1, res.describe())
        self.assertTrue(s["banner_partial"].startswith("220"), res.describe())
        self.assertLess(s["banner_first_byte_ms"], 1000, res.describe())
        self.assertIn("trickled in", s["error_detail"], res.describe())
        events = [e["text"] for e in res.target["transcript"] if e["kind"] == "event"]
        self.assertTrue([e for e in events if e.startswith("Greeting incomplete")], res.describe())
        self.assertLess(res.elapsed, 15, res.describe())

    def test_close_mid_handshake(self):
        res = self.probe("close-mid-handshake")
        self.assertExit(res, (1, 3))
        s = res.session
        self.assertEq(res, s["starttls"]["state"], "accepted", "starttls.state")
        self.assertTrue(s["tls_attempted"], res.describe())
        self.assertFalse(s["tls_ok"], res.describe())
        self.assertEq(res, s["failed_step"], "handshake", "failed_step")
        self.assertFinding(res, "diag.handshake", "fail")
        self.assertNoFinding(res, "tls.handshake")
        self.assertEq(res, res.target["chain"], [], "no chain from a failed handshake")

    def test_handshake_remedy_names_the_protocol(self):
        # A plaintext SMTP server probed as implicit TLS (pop3s://): the
        # handshake meets a banner, and the remedy's command to compare
        # with is implicit TLS, not "--starttls-proto=smtp".
        with mxtest.TestServer("good", self.pki) as srv:
            res = mxtest.run_mxprobe(["check", "--format", "json", "--timeout", "3",
                                      "pop3s://" + srv.target], timeout=60)
        self.assertNotCrashed(res)
        f = self.assertFinding(res, "diag.handshake")
        self.assertIn("gnutls-cli --port=%d HOST" % srv.port, f["remedy"], res.describe())
        self.assertNotIn("starttls-proto", f["remedy"], res.describe())

    def test_banner_421(self):
        res = self.probe("banner-421")
        self.assertExit(res, (1, 3))
        s = res.session
        self.assertIsNotNone(s["reply_421"], res.describe())
        self.assertEq(res, s["reply_421"]["reply"]["code"], 421, "reply_421 code")
        self.assertEq(res, s["reply_421"]["step"], "banner", "reply_421 step")
        self.assertEq(res, s["failed_step"], "banner", "failed_step")
        f = self.assertFinding(res, "diag.banner", "error")
        self.assertIn("421", json.dumps(f), res.describe())

    def test_plaintext_after_starttls(self):
        res = self.probe("plaintext-after-starttls")
        self.assertExit(res, (1, 3))
        s = res.session
        self.assertGreater(s["starttls"]["bytes_after_reply_len"], 0, res.describe())
        self.assertIn("250 injected", s["starttls"]["bytes_after_reply"] or "", res.describe())
        self.assertFinding(res, "starttls.plaintext-after-reply", ("fail", "warn"))

    def test_tarpit(self):
        # The greeting trickles out a byte every 200 ms and completes.
        res = self.probe("tarpit", "--one-key", timeout="10", wall=90)
        self.assertNotCrashed(res)
        s = res.session
        self.assertIsNotNone(s["slow"], res.describe())
        self.assertEq(res, s["slow"]["step"], "banner", "slow step")
        self.assertGreater(s["slow"]["ms"], 1000, res.describe())
        self.assertTrue(s["banner_trickled"], res.describe())
        self.assertLess(s["banner_first_byte_ms"], 1000, res.describe())
        f = self.assertFinding(res, "smtp.greeting-delay", "info")
        self.assertEq(res, f["evidence"]["trickled"], "yes", "trickled")
        self.assertIn("tarpit", f["title"], res.describe())

    def test_ehlo_refused(self):
        res = self.probe("ehlo-refused")
        self.assertExit(res, NOT_A_CRASH)
        s = res.session
        self.assertTrue(s["used_helo"], res.describe())
        self.assertTrue(s["connected"], res.describe())
        self.assertNotEqual(s["failed_step"], "banner", res.describe())
        sent = [e["text"].split()[0].upper() for e in res.target["transcript"]
                if e["kind"] == "sent"]
        self.assertIn("EHLO", sent, res.describe())
        self.assertIn("HELO", sent, res.describe())

    def test_starttls_garbage(self):
        res = self.probe("starttls-garbage")
        self.assertExit(res, (1, 3))
        s = res.session
        self.assertEq(res, s["starttls"]["state"], "broken", "starttls.state")
        self.assertFalse(s["tls_ok"], res.describe())
        self.assertEq(res, s["failed_step"], "starttls", "failed_step")
        self.assertFinding(res, "diag.starttls")

    # -- the other output formats must survive the hostile servers too

    def test_formats_survive(self):
        for behaviour in ("garbage-banner", "plaintext-after-starttls", "starttls-garbage",
                          "close-mid-handshake"):
            for fmt in ("text", "log"):
                with self.subTest(behaviour=behaviour, format=fmt):
                    # --timeout 2: after starttls-garbage's "TLS GO" the relay
                    # and injection probes each wait a step for an answer
                    with mxtest.TestServer(behaviour, self.pki) as srv:
                        res = mxtest.run_mxprobe(["check", "--format", fmt, "--timeout", "2",
                                                  srv.target], timeout=60)
                    self.assertExit(res, (1, 3))
                    self.assertTrue(res.stdout.strip(), res.describe())
                    self.assertNotIn("\x1b[", res.stdout, res.describe())
                    # Untrusted bytes are escaped: no raw control bytes but newlines.
                    bad = [c for c in res.stdout if ord(c) < 0x20 and c not in "\n\t"]
                    self.assertEq(res, bad, [], "control bytes in %s output" % fmt)


if __name__ == "__main__":
    mxtest.main()
